package httpapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"go.yaml.in/yaml/v3"

	"github.com/octanebridge/octane-bridge/edge/internal/auth"
	"github.com/octanebridge/octane-bridge/edge/internal/billing"
	"github.com/octanebridge/octane-bridge/edge/internal/storage"
)

// jsonRoutes reads edge/openapi.yaml: every "METHOD /path" that takes a request body.
func jsonRoutes(t *testing.T) map[string]bool {
	t.Helper()
	raw, err := os.ReadFile("../../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Paths map[string]map[string]yaml.Node `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for path, ops := range s.Paths {
		for method, node := range ops {
			var op map[string]any
			if node.Decode(&op) != nil || op["requestBody"] == nil {
				continue // parameters, summary, or no body
			}
			out[strings.ToUpper(method)+" "+strings.ReplaceAll(path, "{id}", ":id")] = true
		}
	}
	return out
}

// countingReader hides its length (so the request has no Content-Length, as when streamed) and
// counts what the server read.
type countingReader struct {
	r io.Reader
	n *int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}

// Every route that takes a body refuses an oversized one with INVALID_INPUT and the error body,
// whether the client announces the length or streams it, and never reads past its cap: the
// router's 64 KiB, the upload handlers' 1 MiB and the webhook's 256 KiB.
func TestOversizedBodiesOnEveryJSONRoute(t *testing.T) {
	var d Deps
	en := newEnv(t, func(dd *Deps) {
		s3, err := storage.New(storage.Config{Endpoint: "http://127.0.0.1:9", Region: "us-east-1", AccessKey: "test-access",
			SecretKey: "test-secret-test-secret", Bucket: "octane-packages"}, storage.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		up := s3.UploadHandlers(func(echo.Context) (bool, error) { return true, nil }, 0, Bind)
		dd.UploadCreate, dd.UploadPart, dd.UploadComplete, dd.UploadAbort = up.Create, up.Part, up.Complete, up.Abort
		b, err := billing.New(billing.Deps{DB: dd.DB, Stripe: billing.NewStripeClient("sk_test_123", "http://127.0.0.1:9", nil, nil),
			Config: billing.Config{WebhookSecret: "whsec_test", SiteURL: siteURL, Products: []string{"prod_octane_pro"}}})
		if err != nil {
			t.Fatal(err)
		}
		dd.Checkout, dd.Portal, dd.Webhook = b.Checkout(CurrentUser, Bind), b.Portal(CurrentUser), b.Webhook()
		d = *dd
	})
	session := en.session(proUser)
	device := en.deviceJWT(proUser, en.device(proUser, "blender", nil))
	// A JSON object whose one string runs past every cap (the largest is 1 MiB).
	huge := `{"user_code":"` + strings.Repeat("A", 2<<20) + `"}`
	want := jsonRoutes(t)
	seen := 0
	for _, r := range RouteTable(d) {
		if !want[r.Method+" "+r.Path] {
			continue
		}
		seen++
		cred := ""
		switch r.Scope {
		case Public:
		case "imports:receive", "imports:report", "imports:device":
			cred = device
		default:
			cred = session
		}
		if auth.IsOperatorScope(r.Scope) {
			cred = en.session(opUser)
		}
		path := strings.ReplaceAll(r.Path, ":id", uuid.NewString())
		for _, streamed := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s %s streamed=%v", r.Method, r.Path, streamed), func(t *testing.T) {
				var body io.Reader = strings.NewReader(huge)
				var read int64
				if streamed {
					body = countingReader{body, &read}
				}
				req := httptest.NewRequest(r.Method, path, body)
				req.RemoteAddr = "192.0.2.10:5555"
				req.Header.Set("Content-Type", "application/json")
				if cred != "" {
					req.Header.Set("Authorization", "Bearer "+cred)
				}
				rec := httptest.NewRecorder()
				en.e.ServeHTTP(rec, req)
				res := resp{rec.Code, rec.Header(), rec.Body.Bytes()}
				if r.Path == "/v1/devices/token" && streamed { // RFC 8628 error shape on this route
					if res.Code != http.StatusBadRequest || res.json(t)["error"] != "invalid_request" {
						t.Fatalf("%d %s", res.Code, res.Body)
					}
					return
				}
				if got := res.errCode(t); got != "INVALID_INPUT" {
					t.Fatalf("got %s: %s", got, res.Body)
				}
				if read > 1<<20+4096 { // the largest cap is the upload handlers' 1 MiB
					t.Fatalf("the edge read %d bytes of an oversized body", read)
				}
				if len(res.Body) > 1024 {
					t.Fatalf("the error echoes the body (%d bytes)", len(res.Body))
				}
			})
		}
	}
	if seen != len(want) || seen < 10 {
		t.Fatalf("%d routes with a body in the router, %d in the spec", seen, len(want))
	}
}

// A database connection that dies in the middle of a request (here: the backend is terminated
// while the statement waits on a lock) answers SERVICE_UNAVAILABLE with the error body, and
// leaves nothing half-written: no import row, no token, no device message, a token unspent.
func TestLostConnectionMidRequest(t *testing.T) {
	en := newEnv(t)
	ctx := context.Background()
	dev := en.device(proUser, "blender", nil)
	session, devJWT := en.session(proUser), en.deviceJWT(proUser, dev)

	// cut runs req while table is locked, terminates the backend that waits on the lock, and
	// returns the response.
	cut := func(table string, req func() resp) resp {
		t.Helper()
		tx, err := en.db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx) //nolint:errcheck // released at the end
		if _, err := tx.Exec(ctx, `lock table `+table+` in exclusive mode`); err != nil {
			t.Fatal(err)
		}
		done := make(chan resp, 1)
		go func() { done <- req() }()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			var n int
			if err := en.db.QueryRow(ctx, `select count(pg_terminate_backend(pid)) from pg_stat_activity
				where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the request never waited on the lock")
			}
		}
		select {
		case r := <-done:
			return r
		case <-time.After(10 * time.Second):
			t.Fatal("the request hung after its connection was terminated")
		}
		return resp{}
	}
	count := func(q string, args ...any) int {
		var n int
		if err := en.db.QueryRow(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Minting: the import, its token and the device message are one statement.
	r := cut("public.imports", func() resp {
		return en.do(http.MethodPost, "/v1/imports", session, map[string]string{"shader_id": en.shader.String(), "device_id": dev.String()})
	})
	if got := r.errCode(t); got != "SERVICE_UNAVAILABLE" {
		t.Fatalf("create import: %s %s", got, r.Body)
	}
	if n := count(`select count(*) from public.imports where device_id = $1`, dev) +
		count(`select count(*) from public.import_tokens`) +
		count(`select count(*) from realtime.messages where topic = $1`, "device:"+dev.String()); n != 0 {
		t.Fatalf("%d rows half-written", n)
	}

	// Redemption: the token stays unspent and the import queued, so the bridge's retry works.
	id, _, tok := en.createImport(proUser, map[string]any{"shader_id": en.shader.String(), "device_id": dev.String()})
	r = cut("public.import_tokens", func() resp {
		return en.do(http.MethodPost, "/v1/imports/"+id.String()+"/redeem", devJWT, map[string]string{"token": tok})
	})
	if got := r.errCode(t); got != "SERVICE_UNAVAILABLE" {
		t.Fatalf("redeem: %s %s", got, r.Body)
	}
	if n := count(`select count(*) from public.import_tokens where import_id = $1 and redeemed_at is not null`, id); n != 0 {
		t.Fatal("the token was spent by a failed redemption")
	}
	if n := count(`select count(*) from public.imports where id = $1 and status = 'queued'`, id); n != 1 {
		t.Fatal("the import left queued")
	}
	if r := en.do(http.MethodPost, "/v1/imports/"+id.String()+"/redeem", devJWT, map[string]string{"token": tok}); r.Code != http.StatusOK {
		t.Fatalf("retry after the lost connection: %d %s", r.Code, r.Body)
	}
	if strings.Contains(strings.ToLower(string(r.Body)), "terminat") {
		t.Fatal("the cause leaked")
	}
}
