package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/edge/internal/devices"
)

// /connect asks POST /v1/devices/lookup what a code would connect before the user approves it:
// the device as the bridge described it, when, and whether from the approving browser's address.
func TestDeviceLookupShowsWhatIsBeingApproved(t *testing.T) {
	const ipHeader = "X-Test-Client-Ip"
	en := newEnv(t, func(d *Deps) { d.ClientIPHeader = ipHeader })
	const bridgeIP, elsewhere = "198.51.100.7", "203.0.113.50"
	r := en.do(http.MethodPost, "/v1/devices/authorize", "", map[string]string{"platform": "blender", "platform_version": "4.2.1",
		"addon_version": "1.3.0", "bridge_version": "1.3.1", "os": "Windows 11", "name": "Studio Blender"}, ipHeader, bridgeIP)
	if r.Code != 200 {
		t.Fatalf("authorize: %d %s", r.Code, r.Body)
	}
	code := r.json(t)["user_code"].(string)
	lookup := func(cred, userCode, ip string) resp {
		return en.do(http.MethodPost, "/v1/devices/lookup", cred, map[string]string{"user_code": userCode}, ipHeader, ip)
	}

	// From the address the pairing started at (the artist's own browser beside their Blender).
	r = lookup(en.session(proUser), strings.ToLower(strings.ReplaceAll(code, "-", "")), bridgeIP)
	if r.Code != 200 {
		t.Fatalf("lookup: %d %s", r.Code, r.Body)
	}
	m := r.json(t)
	want := map[string]any{"user_code": code, "name": "Studio Blender", "platform": "blender", "platform_version": "4.2.1",
		"addon_version": "1.3.0", "bridge_version": "1.3.1", "os": "Windows 11", "same_network": true}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	requested, err1 := time.Parse(time.RFC3339Nano, m["requested_at"].(string))
	expires, err2 := time.Parse(time.RFC3339Nano, m["expires_at"].(string))
	if err1 != nil || err2 != nil || expires.Sub(requested) != devices.GrantTTL {
		t.Errorf("requested_at %v expires_at %v (%v %v), want a %s window", m["requested_at"], m["expires_at"], err1, err2, devices.GrantTTL)
	}
	if strings.Contains(string(r.Body), bridgeIP) {
		t.Errorf("the lookup reveals the bridge's address: %s", r.Body)
	}

	// From another address (a link someone sent): any signed-in user sees it is not from here.
	r = lookup(en.session(freeUser), code, elsewhere)
	if r.Code != 200 || r.json(t)["same_network"] != false {
		t.Fatalf("lookup from elsewhere: %d %s, want same_network false", r.Code, r.Body)
	}
	// Nothing is stored that would reveal the address either.
	var origin string
	if err := en.db.QueryRow(t.Context(), `select coalesce(origin_hash, '') from public.device_grants where user_code = $1`, code).Scan(&origin); err != nil {
		t.Fatal(err)
	}
	if len(origin) != 64 || strings.Contains(origin, bridgeIP) {
		t.Errorf("origin_hash = %q", origin)
	}

	for name, c := range map[string]struct {
		cred, code string
		status     int
		errCode    string
	}{
		"signed out":   {"", code, 401, "AUTH_REQUIRED"},
		"a device JWT": {en.deviceJWT(proUser, en.device(proUser, "blender", nil)), code, 403, "INSUFFICIENT_PERMISSIONS"},
		"unknown code": {en.session(proUser), "BCDF-GHJK", 404, "NOT_FOUND"},
		"no code":      {en.session(proUser), "", 400, "MISSING_REQUIRED_FIELD"},
	} {
		r := lookup(c.cred, c.code, bridgeIP)
		if r.Code != c.status || r.errCode(t) != c.errCode {
			t.Errorf("%s: %d %s, want %d %s", name, r.Code, r.Body, c.status, c.errCode)
		}
	}

	// Once decided, the code shows nothing more.
	if r := en.do(http.MethodPost, "/v1/devices/approve", en.session(proUser), map[string]string{"user_code": code}); r.Code != 200 {
		t.Fatalf("approve: %d %s", r.Code, r.Body)
	}
	if r := lookup(en.session(proUser), code, bridgeIP); r.Code != 404 {
		t.Fatalf("lookup after approval: %d %s, want 404", r.Code, r.Body)
	}
}
