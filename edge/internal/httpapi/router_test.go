package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/octanebridge/octane-bridge/edge/internal/apikey"
)

// Every route the router serves must be a row of the route table with a scope (or Public).
func TestEveryRouteHasAScope(t *testing.T) {
	e := New(Deps{SiteURL: siteURL})
	table := map[string]Route{}
	for _, r := range RouteTable(Deps{}) {
		table[r.Method+" "+r.Path] = r
	}
	n := 0
	for _, r := range e.Routes() {
		if strings.HasPrefix(r.Path, "/*") || r.Method == "echo_route_any" {
			continue
		}
		n++
		row, ok := table[r.Method+" "+r.Path]
		if !ok || row.Scope == "" {
			t.Errorf("route %s %s has no scope in the route table", r.Method, r.Path)
		}
	}
	if n != len(table) {
		t.Errorf("router serves %d routes, table has %d", n, len(table))
	}
}

func TestPairingGrantStates(t *testing.T) {
	en := newEnv(t)
	start := func() (string, string) {
		r := en.do(http.MethodPost, "/v1/devices/authorize", "", map[string]string{"platform": "blender", "platform_version": "3.4.1",
			"addon_version": "1.0.0", "bridge_version": "1.0.0", "os": "linux", "name": "Studio PC"})
		if r.Code != 200 {
			t.Fatalf("authorize: %d %s", r.Code, r.Body)
		}
		m := r.json(t)
		if !strings.HasSuffix(m["verification_uri_complete"].(string), "/connect?code="+m["user_code"].(string)) || m["interval"].(float64) != 5 {
			t.Fatalf("authorize body %s", r.Body)
		}
		return m["device_code"].(string), m["user_code"].(string)
	}
	poll := func(code string) (int, map[string]any) {
		r := en.do(http.MethodPost, "/v1/devices/token", "", map[string]string{"device_code": code, "grant_type": "urn:ietf:params:oauth:grant-type:device_code"})
		return r.Code, r.json(t)
	}
	rewind := func(code string) { // as if the bridge waited its interval
		_, _ = en.db.Exec(context.Background(), `update public.device_grants set last_polled_at = now() - interval '1 hour' where user_code = $1`, code)
	}
	dc, uc := start()
	if c, m := poll(dc); c != 400 || m["error"] != "authorization_pending" {
		t.Fatalf("first poll: %v", m)
	}
	if c, m := poll(dc); c != 400 || m["error"] != "slow_down" {
		t.Fatalf("fast poll: %v", m)
	}
	// Approving takes the code in any case and without the dash.
	if r := en.do(http.MethodPost, "/v1/devices/approve", en.session(proUser), map[string]string{"user_code": strings.ToLower(strings.ReplaceAll(uc, "-", ""))}); r.Code != 200 {
		t.Fatalf("approve: %d %s", r.Code, r.Body)
	}
	if r := en.do(http.MethodPost, "/v1/devices/approve", en.session(freeUser), map[string]string{"user_code": uc}); r.errCode(t) != "NOT_FOUND" {
		t.Fatal("a code approved twice")
	}
	rewind(uc)
	c, m := poll(dc)
	if c != 200 || m["user_id"] != proUser.String() || !strings.HasPrefix(m["api_key"].(string), "oct_live_") {
		t.Fatalf("approved poll: %d %v", c, m)
	}
	key := m["api_key"].(string)
	if c, m := poll(dc); c != 400 || m["error"] != "invalid_grant" {
		t.Fatalf("second exchange: %v", m)
	}
	// The key exchanges for a device JWT; its secret is stored only as an HMAC.
	r := en.do(http.MethodPost, "/v1/auth/token", "", nil, "X-Api-Key", key)
	if r.Code != 200 || r.json(t)["device_id"] != m["device_id"] && r.json(t)["token_type"] != "bearer" {
		t.Fatalf("auth/token: %d %s", r.Code, r.Body)
	}
	k, _ := apikey.Parse(key)
	var stored string
	_ = en.db.QueryRow(context.Background(), `select secret_hash from public.api_keys where id = $1`, k.ID).Scan(&stored)
	if stored == "" || strings.Contains(stored, k.Secret) || !apikey.Matches(pepper, k.Secret, stored) {
		t.Fatalf("stored hash %q", stored)
	}

	// The user refuses a code at /connect: the bridge's next poll gets access_denied, and the
	// code can be neither approved nor denied again.
	dc2, uc2 := start()
	if r := en.do(http.MethodPost, "/v1/devices/deny", en.session(proUser), map[string]string{"user_code": strings.ToLower(uc2)}); r.Code != 200 || r.json(t)["denied"] != true {
		t.Fatalf("deny: %d %s", r.Code, r.Body)
	}
	rewind(uc2)
	if c, m := poll(dc2); c != 400 || m["error"] != "access_denied" {
		t.Fatalf("denied: %d %v", c, m)
	}
	if r := en.do(http.MethodPost, "/v1/devices/approve", en.session(proUser), map[string]string{"user_code": uc2}); r.errCode(t) != "NOT_FOUND" {
		t.Fatal("a denied code was approved")
	}
	if r := en.do(http.MethodPost, "/v1/devices/deny", en.session(proUser), map[string]string{"user_code": uc2}); r.errCode(t) != "NOT_FOUND" {
		t.Fatal("a denied code was denied twice")
	}
	if c, m := poll(dc2); c != 400 || m["error"] != "access_denied" {
		t.Fatalf("denied, polled again: %d %v", c, m)
	}
	// Deny needs a web session: no credential, a device JWT, or an empty code are refused.
	if r := en.do(http.MethodPost, "/v1/devices/deny", "", map[string]string{"user_code": uc2}); r.errCode(t) != "AUTH_REQUIRED" {
		t.Fatal("deny without a session")
	}
	if r := en.do(http.MethodPost, "/v1/devices/deny", en.deviceJWT(proUser, en.device(proUser, "blender", nil)), map[string]string{"user_code": uc2}); r.errCode(t) != "INSUFFICIENT_PERMISSIONS" {
		t.Fatal("deny with a device credential")
	}
	if r := en.do(http.MethodPost, "/v1/devices/deny", en.session(proUser), map[string]string{}); r.errCode(t) != "MISSING_REQUIRED_FIELD" {
		t.Fatal("deny without user_code")
	}
	// A code that was already approved cannot be denied afterwards.
	_, uc4 := start()
	if r := en.do(http.MethodPost, "/v1/devices/approve", en.session(proUser), map[string]string{"user_code": uc4}); r.Code != 200 {
		t.Fatalf("approve: %d %s", r.Code, r.Body)
	}
	if r := en.do(http.MethodPost, "/v1/devices/deny", en.session(proUser), map[string]string{"user_code": uc4}); r.errCode(t) != "NOT_FOUND" {
		t.Fatal("an approved code was denied")
	}
	dc3, uc3 := start()
	_, _ = en.db.Exec(context.Background(), `update public.device_grants set expires_at = now() - interval '1 second' where user_code = $1`, uc3)
	if _, m := poll(dc3); m["error"] != "expired_token" {
		t.Fatalf("expired: %v", m)
	}
	if _, m := poll("unknown-device-code"); m["error"] != "invalid_grant" {
		t.Fatalf("unknown: %v", m)
	}
	r = en.do(http.MethodPost, "/v1/devices/token", "", map[string]string{"device_code": dc3, "grant_type": "password"})
	if r.json(t)["error"] != "unsupported_grant_type" {
		t.Fatalf("grant type: %s", r.Body)
	}
	if r := en.do(http.MethodPost, "/v1/devices/authorize", "", map[string]string{"platform": "maya"}); r.errCode(t) != "INVALID_INPUT" {
		t.Fatal("unknown platform accepted")
	}
}

func TestDevicesAndKeys(t *testing.T) {
	en := newEnv(t)
	dev := en.device(proUser, "blender", nil)
	pro, free := en.session(proUser), en.session(freeUser)
	if r := en.do(http.MethodGet, "/v1/devices", pro, nil); r.Code != 200 || !strings.Contains(string(r.Body), dev.String()) {
		t.Fatalf("list: %d %s", r.Code, r.Body)
	}
	if r := en.do(http.MethodGet, "/v1/devices", free, nil); strings.Contains(string(r.Body), dev.String()) {
		t.Fatal("another user's device listed")
	}
	if r := en.do(http.MethodPatch, "/v1/devices/"+dev.String(), pro, map[string]string{"name": "Render box"}); r.Code != 200 || r.json(t)["name"] != "Render box" {
		t.Fatalf("rename: %d %s", r.Code, r.Body)
	}
	if r := en.do(http.MethodPatch, "/v1/devices/"+dev.String(), pro, map[string]string{"name": strings.Repeat("x", 81)}); r.errCode(t) != "INVALID_INPUT" {
		t.Fatal("long name accepted")
	}
	if r := en.do(http.MethodDelete, "/v1/devices/"+dev.String(), free, nil); r.errCode(t) != "NOT_FOUND" {
		t.Fatal("another user revoked the device")
	}
	if r := en.do(http.MethodPatch, "/v1/devices/not-a-uuid", pro, map[string]string{"name": "x"}); r.errCode(t) != "NOT_FOUND" {
		t.Fatal("bad id")
	}

	// Personal keys: secret once, masked list, scopes enforced, revocation.
	r := en.do(http.MethodPost, "/v1/api-keys", pro, map[string]any{"name": "CI", "scopes": []string{"imports:create"}, "expires_in_days": 30})
	if r.Code != 201 {
		t.Fatalf("create key: %d %s", r.Code, r.Body)
	}
	created := r.json(t)
	key, id := created["api_key"].(string), created["id"].(string)
	list := en.do(http.MethodGet, "/v1/api-keys", pro, nil)
	if list.Code != 200 || !strings.Contains(string(list.Body), id) || strings.Contains(string(list.Body), key[26:]) {
		t.Fatalf("list keys: %s", list.Body)
	}
	if r := en.do(http.MethodPost, "/v1/api-keys", pro, map[string]any{"name": "x", "scopes": []string{"imports:receive"}}); r.errCode(t) != "INVALID_INPUT" {
		t.Fatal("a personal key got a device scope")
	}
	if r := en.do(http.MethodPost, "/v1/imports", key, map[string]any{"shader_id": en.shader.String(), "device_id": dev.String()}); r.Code != 201 {
		t.Fatalf("import with a personal key: %d %s", r.Code, r.Body)
	}
	if r := en.do(http.MethodGet, "/v1/devices", key, nil); r.errCode(t) != "INSUFFICIENT_PERMISSIONS" {
		t.Fatal("a personal key listed devices")
	}
	if r := en.do(http.MethodGet, "/v1/api-keys", key, nil); r.errCode(t) != "INSUFFICIENT_PERMISSIONS" {
		t.Fatal("a key managed keys")
	}
	if r := en.do(http.MethodDelete, "/v1/api-keys/"+id, free, nil); r.errCode(t) != "NOT_FOUND" {
		t.Fatal("another user revoked the key")
	}
	if r := en.do(http.MethodDelete, "/v1/api-keys/"+id, pro, nil); r.Code != 204 {
		t.Fatalf("revoke: %d", r.Code)
	}
	if r := en.do(http.MethodPost, "/v1/imports", key, map[string]any{"shader_id": en.shader.String()}); r.errCode(t) != "AUTH_FAILED" {
		t.Fatal("a revoked key still works")
	}
	// Revoking a device revokes its keys; its device JWT dies with its TTL.
	raw, k := apikey.New()
	_, _ = en.db.Exec(context.Background(), `insert into public.api_keys (id, user_id, device_id, name, platform, secret_hash, prefix, scopes)
		values ($1, $2, $3, 'dev', 'blender', $4, 'x', '{imports:receive,imports:report}')`, k.ID, proUser, dev, apikey.Hash(pepper, k.Secret))
	if r := en.do(http.MethodPost, "/v1/auth/token", raw, nil); r.Code != 200 {
		t.Fatalf("device key: %d %s", r.Code, r.Body)
	}
	if r := en.do(http.MethodDelete, "/v1/devices/"+dev.String(), pro, nil); r.Code != 204 {
		t.Fatalf("revoke device: %d", r.Code)
	}
	if r := en.do(http.MethodPost, "/v1/auth/token", raw, nil); r.errCode(t) != "AUTH_FAILED" {
		t.Fatal("a revoked device's key still works")
	}
}

// Anonymous callers are bucketed by the socket address; X-Forwarded-For is not trusted.
func TestSpoofedForwardedForKeepsTheBucket(t *testing.T) {
	en := newEnv(t)
	allowed := 0
	for i := range 70 {
		r := en.do(http.MethodPost, "/v1/devices/token", "", map[string]string{"device_code": "x", "grant_type": "urn:ietf:params:oauth:grant-type:device_code"},
			"X-Forwarded-For", "198.51.100."+string(rune('0'+i%10)), "X-Real-IP", "198.51.100.7")
		if r.Code == http.StatusTooManyRequests {
			if r.H.Get("Retry-After") == "" || !strings.Contains(r.H.Get("RateLimit-Policy"), `"anonymous";q=60`) {
				t.Fatalf("429 headers: %v", r.H)
			}
			break
		}
		allowed++
	}
	if allowed < 60 || allowed > 62 {
		t.Fatalf("%d anonymous requests allowed, want 60", allowed)
	}
}

func TestCrossCuttingHeaders(t *testing.T) {
	en := newEnv(t, func(d *Deps) { d.Registry = prometheus.NewRegistry() })
	r := en.do(http.MethodGet, "/healthz", "", nil, "Origin", siteURL)
	if r.H.Get("Access-Control-Allow-Origin") != siteURL || r.H.Get("X-Content-Type-Options") != "nosniff" ||
		r.H.Get("X-Frame-Options") != "DENY" || r.H.Get("Cache-Control") != "no-store" || r.H.Get("X-Request-Id") == "" {
		t.Fatalf("headers %v", r.H)
	}
	if r := en.do(http.MethodGet, "/healthz", "", nil, "Origin", "https://evil.example"); r.H.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS for a foreign origin")
	}
	pre := en.do(http.MethodOptions, "/v1/imports", "", nil, "Origin", siteURL, "Access-Control-Request-Method", "POST")
	if pre.H.Get("Access-Control-Allow-Origin") != siteURL {
		t.Fatalf("preflight %d %v", pre.Code, pre.H)
	}
	if r := en.do(http.MethodGet, "/healthz", "", nil, "X-Request-Id", "client-chosen-id-123"); r.H.Get("X-Request-Id") != "client-chosen-id-123" {
		t.Fatal("a well-formed request id is kept")
	}
	if r := en.do(http.MethodGet, "/healthz", "", nil, "X-Request-Id", "bad id\n"); r.H.Get("X-Request-Id") == "bad id\n" {
		t.Fatal("a malformed request id was echoed")
	}
	big := `{"shader_id":"` + strings.Repeat("a", 100<<10) + `"}`
	if r := en.do(http.MethodPost, "/v1/imports", en.session(proUser), big); r.errCode(t) != "INVALID_INPUT" {
		t.Fatal("oversized body")
	}
	if r := en.do(http.MethodGet, "/readyz", "", nil); r.Code != 200 {
		t.Fatalf("readyz %d", r.Code)
	}
	// Metrics are not on the API port; the separate metrics handler serves the router's registry.
	if r := en.do(http.MethodGet, "/metrics", "", nil); r.Code != 404 || r.errCode(t) != "NOT_FOUND" {
		t.Fatalf("metrics on the API port: %d %s", r.Code, r.Body)
	}
	rec := httptest.NewRecorder()
	MetricsHandler(en.d.Registry).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "edge_http_requests_total") {
		t.Fatalf("metrics handler %d", rec.Code)
	}
}

// Logs never contain tokens, keys, JWTs or presigned URLs, and bodies never carry internals.
func TestLogsAndBodiesCarryNoSecrets(t *testing.T) {
	en := newEnv(t)
	dev := en.device(proUser, "blender", nil)
	id, _, tok := en.createImport(proUser, map[string]any{"shader_id": en.shader.String(), "device_id": dev.String()})
	cred := en.deviceJWT(proUser, dev)
	bodies := []string{}
	for _, r := range []resp{
		en.do(http.MethodPost, "/v1/imports/"+id.String()+"/redeem", cred, map[string]string{"token": tok}),
		en.do(http.MethodPost, "/v1/imports/"+id.String()+"/redeem", cred, map[string]string{"token": tok}),
		en.do(http.MethodPost, "/v1/imports/"+uuid.NewString()+"/redeem?token="+tok, cred, map[string]string{"token": "oit1.x"}),
		en.do(http.MethodPost, "/v1/imports", en.session(proUser), map[string]any{"shader_id": "'; drop table x; --"}),
	} {
		bodies = append(bodies, string(r.Body))
	}
	en.d.Log.Info("a careless line", "token", tok, "err", context.DeadlineExceeded, "url", "https://s3/x?X-Amz-Signature=abc")
	logs := en.logs.String()
	for _, secret := range []string{tok, "oit1.", "X-Amz-Signature", cred, "eyJ"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("log contains %q", secret)
		}
	}
	for _, b := range bodies[1:] {
		for _, leak := range []string{"goroutine", ".go:", "SQLSTATE", "select ", "pgx", "P0001"} {
			if strings.Contains(b, leak) {
				t.Fatalf("body leaks %q: %s", leak, b)
			}
		}
	}
	_ = time.Now
}
