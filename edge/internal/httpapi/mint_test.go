package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/octanebridge/octane-bridge/internal/wire"
)

// The edge signs a mint's token for the target it last resolved for the same ask, and the one
// statement that writes resolves again: whatever changed in between (a Blender seen more recently,
// a new version, a lapsed subscription), the import goes where and as the database says now, and
// the token and the device message say the same.
func TestMintFollowsTheCurrentTarget(t *testing.T) {
	en := newEnv(t)
	ctx := context.Background()
	hour := time.Hour
	first := en.device(proUser, "blender", &hour)
	cred := en.session(proUser)
	mint := func() map[string]any {
		t.Helper()
		r := en.do(http.MethodPost, "/v1/imports", cred, map[string]string{"shader_id": en.shader.String()})
		if r.Code != http.StatusCreated {
			t.Fatalf("mint: %d %s", r.Code, r.Body)
		}
		out := r.json(t)
		// The token sent to the device names the answered device and version.
		var payload []byte
		if err := en.db.QueryRow(ctx, `select payload::text from realtime.messages where event = $1 and payload->>'import_id' = $2`,
			wire.ImportRequestEvent, out["import_id"]).Scan(&payload); err != nil {
			t.Fatalf("device message: %v", err)
		}
		var req wire.ImportRequest
		if err := json.Unmarshal(payload, &req); err != nil {
			t.Fatal(err)
		}
		claims, err := en.tokens.Verify(req.Token, time.Now())
		if err != nil || claims.DID != out["device_id"] || claims.Ver != out["version"] || req.Version != out["version"] {
			t.Fatalf("token %+v (%v) and message %+v for import %v", claims, err, req, out)
		}
		return out
	}
	if got := mint(); got["device_id"] != first.String() || got["version"] != "1.0.0" {
		t.Fatalf("first mint %v", got)
	}
	mint() // the ask's target is known now

	// Another Blender of the user is seen: imports without a device go there at once.
	second := en.device(proUser, "blender", new(time.Duration))
	if got := mint(); got["device_id"] != second.String() {
		t.Fatalf("after another Blender was seen: %v, want %s", got["device_id"], second)
	}
	// A new version is published: the next import is of it.
	if _, err := en.db.Exec(ctx, `insert into public.shader_versions (id, shader_id, version, package_key, sha256, size, manifest, manifest_sig, created_at)
		select $1, shader_id, '1.1.0', package_key, sha256, size, manifest, manifest_sig, now() + interval '1 second'
		from public.shader_versions where id = $2`, uuid.New(), en.version); err != nil {
		t.Fatal(err)
	}
	if got := mint(); got["version"] != "1.1.0" {
		t.Fatalf("after 1.1.0 was published: %v", got["version"])
	}
	// The subscription lapses: no import, however well the target is known.
	if _, err := en.db.Exec(ctx, `update public.subscriptions set status = 'canceled' where user_id = $1`, proUser); err != nil {
		t.Fatal(err)
	}
	r := en.do(http.MethodPost, "/v1/imports", cred, map[string]string{"shader_id": en.shader.String()})
	if r.Code != http.StatusPaymentRequired || r.errCode(t) != "SUBSCRIPTION_REQUIRED" {
		t.Fatalf("after the subscription lapsed: %d %s", r.Code, r.Body)
	}
}

// What a shader resolves to is remembered for every user, and where a user's imports go for
// every shader: a user's first import of a shader someone else imported is one statement.
func TestMintSignsForWhatOthersResolved(t *testing.T) {
	en := newEnv(t)
	free, _ := en.publish(true)
	en.device(proUser, "blender", nil)
	en.device(freeUser, "blender", nil)
	mint := func(user uuid.UUID, shader uuid.UUID) string {
		t.Helper()
		r := en.do(http.MethodPost, "/v1/imports", en.session(user), map[string]string{"shader_id": shader.String()})
		if r.Code != http.StatusCreated {
			t.Fatalf("mint: %d %s", r.Code, r.Body)
		}
		m := regexp.MustCompile(`resolve;dur=([0-9.]+)`).FindStringSubmatch(r.H.Get("Server-Timing"))
		if m == nil {
			t.Fatalf("Server-Timing %q", r.H.Get("Server-Timing"))
		}
		return m[1]
	}
	if d := mint(proUser, en.shader); d == "0.00" {
		t.Fatal("the first mint on this edge did not resolve first")
	}
	if d := mint(freeUser, free); d == "0.00" {
		t.Fatal("the free user's first mint did not resolve first")
	}
	if d := mint(proUser, free); d != "0.00" {
		t.Fatalf("the pro user's first import of a shader the edge knows took a resolving statement (%s ms)", d)
	}
}
