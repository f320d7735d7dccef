package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/octanebridge/octane-bridge/edge/internal/auth"
	"github.com/octanebridge/octane-bridge/edge/internal/billing"
	"github.com/octanebridge/octane-bridge/edge/internal/httpapi"
	"github.com/octanebridge/octane-bridge/edge/internal/storage"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// specServer is the spec's server URL: requests are matched against the spec's paths there.
const specServer = "http://127.0.0.1:8787"

// specChecker sends requests to a router and validates every answer (status, headers, body)
// against edge/openapi.yaml, and the request too when the router accepted it. It records which
// statuses each operation answered, for the coverage check.
type specChecker struct {
	t      *testing.T
	doc    *openapi3.T
	router routers.Router
	mu     sync.Mutex
	seen   map[string][]int // "METHOD /spec/path" → statuses answered
}

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile("../../openapi.yaml")
	if err != nil {
		t.Fatalf("edge/openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("edge/openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	return doc
}

func newSpecChecker(t *testing.T) *specChecker {
	doc := loadSpec(t)
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &specChecker{t: t, doc: doc, router: r, seen: map[string][]int{}}
}

// call sends one request to h (cred: a JWT, or an API key sent as X-Api-Key; hdr: extra header
// pairs; body: raw bytes, a string or a value to encode), validates the answer and returns it.
func (c *specChecker) call(h http.Handler, method, path, cred string, body any, hdr ...string) resp {
	c.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	case string:
		raw = []byte(b)
	default:
		raw, _ = json.Marshal(b)
	}
	if body != nil && raw == nil {
		raw = []byte{}
	}
	req := apiRequest(method, specServer+path, cred, raw)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	out := resp{rec.Code, rec.Header(), rec.Body.Bytes()}

	route, params, err := c.router.FindRoute(req)
	if err != nil {
		c.t.Errorf("%s %s: not in edge/openapi.yaml: %v", method, path, err)
		return out
	}
	key := method + " " + route.Path
	c.mu.Lock()
	c.seen[key] = append(c.seen[key], out.code)
	c.mu.Unlock()
	ctx := context.Background()
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if out.code < 300 { // what the router accepted must be what the spec allows
		req.Body = io.NopCloser(bytes.NewReader(raw))
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			c.t.Errorf("%s %s: the router accepted a request the spec refuses: %v", method, path, err)
		}
	}
	if err := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: out.code, Header: out.header, Body: io.NopCloser(bytes.NewReader(out.body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}); err != nil {
		c.t.Errorf("%s %s answered %d %s, which edge/openapi.yaml does not describe: %v", method, path, out.code, out.body, err)
	}
	return out
}

// expect is call that also requires the status.
func (c *specChecker) expect(status int, h http.Handler, method, path, cred string, body any, hdr ...string) resp {
	c.t.Helper()
	r := c.call(h, method, path, cred, body, hdr...)
	if r.code != status {
		c.t.Fatalf("%s %s: %d %s, want %d", method, path, r.code, r.body, status)
	}
	return r
}

// specPath is the spec's form of an echo route path (/v1/imports/:id → /v1/imports/{id}).
func specPath(p string) string { return echoParam.ReplaceAllString(p, "{$1}") }

// TestSpecDocumentsEveryRoute checks, for every route of the route table, that the spec's operation
// has the route's scope and documents a success with its body and the errors the router can answer
// on that route: 401 and 403 behind a credential (401 only for any-credential routes), 429 when
// rate limited, 400 when it takes a body, and 500 and 503 everywhere but the liveness probe.
func TestSpecDocumentsEveryRoute(t *testing.T) {
	doc := loadSpec(t)
	for _, r := range httpapi.RouteTable(httpapi.Deps{}) {
		name := r.Method + " " + r.Path
		item := doc.Paths.Value(specPath(r.Path))
		if item == nil {
			t.Errorf("%s: no path in edge/openapi.yaml", name)
			continue
		}
		op := item.GetOperation(r.Method)
		if op == nil {
			t.Errorf("%s: no operation in edge/openapi.yaml", name)
			continue
		}
		if scope, _ := op.Extensions["x-scope"].(string); scope != r.Scope {
			t.Errorf("%s: x-scope %q, the route table says %q", name, scope, r.Scope)
		}
		if op.OperationID == "" {
			t.Errorf("%s: no operationId (the generated client types name operations by it)", name)
		}
		var ok2xx bool
		for code, ref := range op.Responses.Map() {
			if !strings.HasPrefix(code, "2") {
				continue
			}
			ok2xx = true
			if code != "204" && (ref.Value == nil || ref.Value.Content.Get("application/json") == nil ||
				ref.Value.Content.Get("application/json").Schema == nil) {
				t.Errorf("%s: the %s answer has no JSON schema", name, code)
			}
		}
		if !ok2xx {
			t.Errorf("%s: no success response documented", name)
		}
		want := []string{}
		if r.Path != "/healthz" {
			want = append(want, "500", "503")
		}
		if r.Scope != httpapi.Public {
			want = append(want, "401")
			if r.Scope != httpapi.Authenticated {
				want = append(want, "403")
			}
		}
		if r.Limit != httpapi.LimitNone {
			want = append(want, "429")
		}
		if op.RequestBody != nil {
			want = append(want, "400")
		}
		for _, code := range want {
			if op.Responses.Value(code) == nil {
				t.Errorf("%s: the spec does not document the %s it can answer", name, code)
			}
		}
	}
}

// dbDirectory is billing's user directory read from auth.users (the edge asks GoTrue).
type dbDirectory struct{ db *pgxpool.Pool }

func (d dbDirectory) Email(ctx context.Context, user uuid.UUID) (string, error) {
	var email string
	err := d.db.QueryRow(ctx, `select email from auth.users where id = $1`, user).Scan(&email)
	return email, err
}

const specWebhookSecret = "whsec_spec_test"

// specPart is the part size of the spec test's multipart uploads (S3's smallest).
const specPart = 5 << 20

// specStack is the flow tests' router (real PostgreSQL and S3) with billing against stripe-mock and
// the operator's uploads (multipart above one part of specPart).
func specStack(t *testing.T) *stack {
	stripeBase := testenv.StripeBase(t)
	s3c := testenv.S3(t)
	return newStackWith(t, func(d *httpapi.Deps) {
		b, err := billing.New(billing.Deps{DB: d.DB, Stripe: billing.NewStripeClient("sk_test_123", stripeBase, nil, nil),
			Users: dbDirectory{d.DB}, Config: billing.Config{WebhookSecret: specWebhookSecret, SiteURL: siteURL,
				Products: []string{"prod_octane_pro"}}})
		if err != nil {
			t.Fatal(err)
		}
		d.Checkout, d.Portal, d.Webhook = b.Checkout(httpapi.CurrentUser, httpapi.Bind), b.Portal(httpapi.CurrentUser), b.Webhook()
		p, err := storage.New(storage.Config{Endpoint: s3c.Endpoint, Region: s3c.Region, AccessKey: s3c.AccessKey,
			SecretKey: s3c.SecretKey, Bucket: s3c.Bucket}, storage.Limits{MultipartThreshold: specPart, PartSize: specPart, PackageMax: 4 * specPart})
		if err != nil {
			t.Fatal(err)
		}
		operator := func(c echo.Context) (bool, error) {
			p, ok := httpapi.Principal(c)
			return ok && p.Has(auth.ScopeUploadsWrite), nil
		}
		up := p.UploadHandlers(operator, 0, httpapi.Bind)
		d.UploadCreate, d.UploadPart, d.UploadComplete, d.UploadAbort = up.Create, up.Part, up.Complete, up.Abort
	})
}

// putSigned sends a presigned upload request with its signed headers and returns the ETag S3 gave.
func putSigned(t *testing.T, sr map[string]any, body []byte) string {
	t.Helper()
	req, err := http.NewRequest(sr["method"].(string), sr["url"].(string), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range sr["headers"].(map[string]any) {
		req.Header.Set(k, v.(string))
	}
	req.ContentLength = int64(len(body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("PUT part: %d %s", res.StatusCode, b)
	}
	return res.Header.Get("ETag")
}

// TestResponsesMatchSpec drives every route of the route table through a success and an error
// path on the real router and validates each answer against edge/openapi.yaml; it fails for a
// route that was not exercised both ways.
func TestResponsesMatchSpec(t *testing.T) {
	c := newSpecChecker(t)
	s := specStack(t)
	h := s.h
	bare := httpapi.New(httpapi.Deps{}) // no database: not ready
	pro, free := userJWT(t, proUser), userJWT(t, freeUser)
	none := uuid.NewString()

	c.expect(200, h, "GET", "/healthz", "", nil)
	c.expect(200, h, "GET", "/readyz", "", nil)
	c.expect(503, bare, "GET", "/readyz", "", nil)

	// Pairing: authorize, poll, review, approve, poll again; a second grant is denied.
	c.expect(400, h, "POST", "/v1/devices/authorize", "", map[string]string{"platform": "amiga"})
	grant := c.expect(200, h, "POST", "/v1/devices/authorize", "", map[string]string{"platform": "blender", "name": "Spec Blender",
		"os": "linux", "platform_version": "4.2.0", "addon_version": "0.1.0", "bridge_version": "0.1.0"}).json(t)
	poll := map[string]string{"device_code": grant["device_code"].(string), "grant_type": "urn:ietf:params:oauth:grant-type:device_code"}
	c.expect(400, h, "POST", "/v1/devices/token", "", poll)
	code := map[string]string{"user_code": grant["user_code"].(string)}
	c.expect(401, h, "POST", "/v1/devices/lookup", "", code)
	c.expect(404, h, "POST", "/v1/devices/lookup", pro, map[string]string{"user_code": "BCDF-GHJK"})
	c.expect(200, h, "POST", "/v1/devices/lookup", pro, code)
	c.expect(404, h, "POST", "/v1/devices/approve", pro, map[string]string{"user_code": "BCDF-GHJK"})
	c.expect(200, h, "POST", "/v1/devices/approve", pro, code)
	paired := c.expect(200, h, "POST", "/v1/devices/token", "", poll).json(t)
	device, deviceKey := paired["device_id"].(string), paired["api_key"].(string)
	other := c.expect(200, h, "POST", "/v1/devices/authorize", "", map[string]string{"platform": "blender"}).json(t)
	c.expect(400, h, "POST", "/v1/devices/deny", pro, map[string]any{"user_code": 7})
	c.expect(200, h, "POST", "/v1/devices/deny", pro, map[string]string{"user_code": other["user_code"].(string)})

	// Device credentials.
	c.expect(401, h, "POST", "/v1/auth/token", "oct_live_nope", nil)
	c.expect(403, h, "POST", "/v1/auth/token", pro, nil)
	devJWT := c.expect(200, h, "POST", "/v1/auth/token", deviceKey, nil).json(t)["access_token"].(string)

	// Devices.
	c.expect(200, h, "GET", "/v1/devices", pro, nil)
	c.expect(403, h, "GET", "/v1/devices", devJWT, nil)
	c.expect(200, h, "PATCH", "/v1/devices/"+device, pro, map[string]string{"name": "Studio Blender"})
	c.expect(400, h, "PATCH", "/v1/devices/"+device, pro, map[string]string{"name": ""})
	c.expect(404, h, "PATCH", "/v1/devices/"+none, pro, map[string]string{"name": "x"})

	// Personal API keys.
	c.expect(400, h, "POST", "/v1/api-keys", pro, map[string]any{"name": "script", "scopes": []string{"billing:manage"}})
	key := c.expect(201, h, "POST", "/v1/api-keys", pro, map[string]any{"name": "script",
		"scopes": []string{"devices:read", "imports:create", "imports:read", "settings:read"}, "expires_in_days": 30}).json(t)
	personal := key["api_key"].(string)
	c.expect(200, h, "GET", "/v1/api-keys", pro, nil)
	c.expect(403, h, "GET", "/v1/api-keys", personal, nil)
	c.expect(404, h, "DELETE", "/v1/api-keys/nosuchkey0000", pro, nil)

	// Who is calling, and settings.
	for _, cred := range []string{pro, personal, deviceKey, devJWT} {
		c.expect(200, h, "GET", "/v1/me", cred, nil)
	}
	c.expect(401, h, "GET", "/v1/me", "", nil)
	c.expect(401, h, "GET", "/v1/me", "not-a-jwt", nil)
	c.expect(200, h, "GET", "/v1/settings", pro, nil)
	c.expect(200, h, "GET", "/v1/settings", personal, nil)
	c.expect(403, h, "GET", "/v1/settings", devJWT, nil)
	c.expect(200, h, "PUT", "/v1/settings", pro, map[string]any{"default_resolution": "4k", "default_device_id": device,
		"notifications": map[string]bool{"product_news": true}})
	c.expect(200, h, "PUT", "/v1/settings", pro, map[string]any{"default_device_id": nil})
	c.expect(400, h, "PUT", "/v1/settings", pro, map[string]any{"default_resolution": "8k"})
	c.expect(404, h, "PUT", "/v1/settings", free, map[string]any{"default_device_id": device})
	c.expect(403, h, "PUT", "/v1/settings", personal, map[string]any{"default_resolution": "1k"})

	// Imports: queue with the personal key, redeem and resume on the device; errors on the way.
	slug := "spec-" + uuid.NewString()[:8]
	shader, _ := s.publish(slug, false)
	c.expect(400, h, "POST", "/v1/imports", pro, map[string]any{})
	c.expect(402, h, "POST", "/v1/imports", free, map[string]any{"shader_id": shader})
	c.expect(404, h, "POST", "/v1/imports", pro, map[string]any{"shader_id": none})
	c.expect(403, h, "POST", "/v1/imports", devJWT, map[string]any{"shader_id": shader})
	imp := c.expect(201, h, "POST", "/v1/imports", personal, map[string]any{"shader_id": shader, "device_id": device}).json(t)["import_id"].(string)
	c.expect(200, h, "GET", "/v1/imports/"+imp, pro, nil)
	c.expect(200, h, "GET", "/v1/imports/"+imp, personal, nil)
	c.expect(404, h, "GET", "/v1/imports/"+none, pro, nil)
	tok := s.deviceMessage(device, imp)["token"].(string)
	c.expect(409, h, "POST", "/v1/imports/"+imp+"/delivery", devJWT, nil)
	c.expect(403, h, "POST", "/v1/imports/"+imp+"/redeem", pro, map[string]string{"token": tok})
	c.expect(401, h, "POST", "/v1/imports/"+imp+"/redeem", devJWT, map[string]string{"token": "oit1.nope"})
	c.expect(200, h, "POST", "/v1/imports/"+imp+"/redeem", devJWT, map[string]string{"token": tok})
	c.expect(200, h, "POST", "/v1/imports/"+imp+"/delivery", devJWT, nil)
	c.expect(409, h, "POST", "/v1/imports/"+imp+"/token", devJWT, nil)
	queued := c.expect(201, h, "POST", "/v1/imports", pro, map[string]any{"shader_id": shader}).json(t)["import_id"].(string)
	c.expect(200, h, "POST", "/v1/imports/"+queued+"/token", devJWT, nil)
	c.expect(404, h, "POST", "/v1/imports/"+none+"/token", devJWT, nil)
	c.expect(200, h, "POST", "/v1/imports/"+queued+"/cancel", personal, nil)
	c.expect(404, h, "POST", "/v1/imports/"+none+"/cancel", pro, nil)

	// Blender's own asks (a switch or an update) and what its panel reads of a shader.
	c.expect(201, h, "POST", "/v1/device/imports", devJWT, map[string]any{"shader": slug, "purpose": "update"})
	c.expect(400, h, "POST", "/v1/device/imports", devJWT, map[string]any{"shader": slug, "purpose": "switch", "resolution": "4k"})
	c.expect(404, h, "POST", "/v1/device/imports", devJWT, map[string]any{"shader": "no-such-shader", "purpose": "switch"})
	c.expect(403, h, "POST", "/v1/device/imports", pro, map[string]any{"shader": slug, "purpose": "switch"})
	c.expect(200, h, "GET", "/v1/device/shaders/"+slug, devJWT, nil)
	c.expect(404, h, "GET", "/v1/device/shaders/no-such-shader", devJWT, nil)
	c.expect(403, h, "GET", "/v1/device/shaders/"+slug, personal, nil)

	// Billing against stripe-mock; the Stripe webhook with a good and a bad signature.
	c.expect(400, h, "POST", "/v1/billing/checkout", free, map[string]any{})
	c.expect(409, h, "POST", "/v1/billing/checkout", pro, map[string]string{"price_id": "price_pro_monthly"})
	c.expect(404, h, "POST", "/v1/billing/portal", free, nil)
	c.expect(200, h, "POST", "/v1/billing/checkout", free, map[string]string{"price_id": "price_pro_monthly"})
	c.expect(200, h, "POST", "/v1/billing/portal", free, nil)
	c.expect(503, newStack(t).h, "POST", "/v1/billing/portal", pro, nil) // billing not configured
	event := []byte(fmt.Sprintf(`{"id":"evt_spec_%s","object":"event","api_version":"2023-10-16","created":%d,"type":"charge.succeeded",
		"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"data":{"object":{"id":"ch_spec","object":"charge"}}}`,
		uuid.NewString()[:8], time.Now().Unix()))
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: event, Secret: specWebhookSecret, Timestamp: time.Now()})
	c.expect(200, h, "POST", "/v1/stripe/webhook", "", event, "Stripe-Signature", signed.Header)
	c.expect(400, h, "POST", "/v1/stripe/webhook", "", event, "Stripe-Signature", "t=1,v1=00")

	// The operator's uploads: a two-part package assembled, another discarded; an artist refused.
	op := userJWT(t, operatorUser)
	body := make([]byte, specPart+10)
	_, _ = rand.Read(body)
	sum := func(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }
	upload := map[string]any{"kind": "package", "shader_id": "spec-" + uuid.NewString()[:8], "version": "1.0.0", "size": len(body), "sha256": sum(body)}
	c.expect(403, h, "POST", "/v1/uploads", pro, upload)
	c.expect(400, h, "POST", "/v1/uploads", op, map[string]any{"kind": "package"})
	started := c.expect(201, h, "POST", "/v1/uploads", op, upload).json(t)
	uploadID := started["upload_id"].(string)
	parts := []map[string]any{}
	for i, chunk := range [][]byte{body[:specPart], body[specPart:]} {
		part := map[string]any{"part_number": i + 1, "size": len(chunk), "sha256": sum(chunk)}
		signed := c.expect(200, h, "POST", "/v1/uploads/parts", op, map[string]any{"upload": upload, "upload_id": uploadID, "part": part}).json(t)
		parts = append(parts, map[string]any{"part_number": i + 1, "etag": putSigned(t, signed, chunk), "sha256": sum(chunk)})
	}
	c.expect(400, h, "POST", "/v1/uploads/parts", op, map[string]any{"upload": upload, "upload_id": uploadID,
		"part": map[string]any{"part_number": 9, "size": 1, "sha256": sum(nil)}})
	c.expect(400, h, "POST", "/v1/uploads/complete", op, map[string]any{"upload": upload, "upload_id": uploadID, "parts": []any{}})
	c.expect(204, h, "POST", "/v1/uploads/complete", op, map[string]any{"upload": upload, "upload_id": uploadID, "parts": parts})
	upload["shader_id"] = "spec-" + uuid.NewString()[:8]
	discarded := c.expect(201, h, "POST", "/v1/uploads", op, upload).json(t)["upload_id"].(string)
	c.expect(400, h, "POST", "/v1/uploads/abort", op, map[string]any{"upload": upload})
	c.expect(204, h, "POST", "/v1/uploads/abort", op, map[string]any{"upload": upload, "upload_id": discarded})

	// Webhooks (edge/internal/webhooks): register, list, the delivery log with a queued event,
	// rotate, delete; another user's endpoint is NOT_FOUND.
	c.expect(400, h, "POST", "/v1/webhooks", pro, map[string]any{"url": "http://169.254.169.254/latest/meta-data/"})
	hook := c.expect(201, h, "POST", "/v1/webhooks", pro, map[string]any{"url": "https://hooks.example.com/spec"}).json(t)["id"].(string)
	c.expect(200, h, "GET", "/v1/webhooks", pro, nil)
	c.expect(403, h, "GET", "/v1/webhooks", devJWT, nil)
	if _, err := s.db.Exec(context.Background(), `update public.subscriptions set cancel_at_period_end = not cancel_at_period_end where user_id = $1`, proUser); err != nil {
		t.Fatal(err)
	}
	c.expect(200, h, "GET", "/v1/webhooks/"+hook+"/deliveries", pro, nil)
	c.expect(404, h, "GET", "/v1/webhooks/"+hook+"/deliveries", free, nil)
	c.expect(200, h, "POST", "/v1/webhooks/"+hook+"/rotate", pro, nil)
	c.expect(404, h, "POST", "/v1/webhooks/"+none+"/rotate", pro, nil)
	c.expect(404, h, "DELETE", "/v1/webhooks/"+hook, free, nil)
	c.expect(204, h, "DELETE", "/v1/webhooks/"+hook, pro, nil)

	// Revocations last.
	keyID := key["id"].(string)
	c.expect(204, h, "DELETE", "/v1/api-keys/"+keyID, pro, nil)
	c.expect(404, h, "DELETE", "/v1/devices/"+none, pro, nil)
	c.expect(204, h, "DELETE", "/v1/devices/"+device, pro, nil)

	// Coverage: every route answered a success and, where it documents errors, an error.
	for _, r := range httpapi.RouteTable(httpapi.Deps{}) {
		name := r.Method + " " + specPath(r.Path)
		codes := c.seen[name]
		if !slices.ContainsFunc(codes, func(s int) bool { return s < 300 }) {
			t.Errorf("%s: no success answer validated against the spec (add it to TestResponsesMatchSpec)", name)
		}
		if r.Path != "/healthz" && !slices.ContainsFunc(codes, func(s int) bool { return s >= 400 }) {
			t.Errorf("%s: no error answer validated against the spec (add it to TestResponsesMatchSpec)", name)
		}
	}
}
