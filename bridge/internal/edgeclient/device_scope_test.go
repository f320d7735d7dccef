package edgeclient

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/bridge/internal/phoenix"
	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// call sends one request and returns the status and the decoded body (nil when not a JSON object).
func call(t *testing.T, method, url string, hdr map[string]string, body any) (int, map[string]any) {
	t.Helper()
	status, raw := testenv.Send(t, method, url, hdr, body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return status, m
}

// restRows reads a PostgREST array answer (anything else fails the test).
func restRows(t *testing.T, url string, hdr map[string]string) (int, []any) {
	t.Helper()
	status, raw := testenv.Send(t, http.MethodGet, url, hdr, nil)
	var rows []any
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatalf("%s: %v in %s", url, err, raw)
	}
	return status, rows
}

// gotrue calls the stack's /auth/v1 as supabase-js does, with cred as the Bearer token.
func (st *edgeStack) gotrue(t *testing.T, method, path, cred string, body any) (int, map[string]any) {
	t.Helper()
	return call(t, method, st.SupabaseURL+"/auth/v1"+path, map[string]string{"apikey": st.AnonKey,
		"Authorization": "Bearer " + cred, "X-Supabase-Api-Version": "2024-01-01"}, body)
}

// edgeCode calls the edge with cred and returns the status and the error code of the body.
func (st *edgeStack) edgeCode(t *testing.T, method, path, cred string, body any) (int, string) {
	t.Helper()
	status, m := call(t, method, st.EdgeURL+path, map[string]string{"Authorization": "Bearer " + cred}, body)
	e, _ := m["error"].(map[string]any)
	code, _ := e["code"].(string)
	return status, code
}

// joinRefused reports whether Realtime refuses a join of topic with token (true) or accepts it.
func joinRefused(t *testing.T, st *edgeStack, token, topic string) bool {
	t.Helper()
	c := phoenix.New(phoenix.Config{URL: "ws" + strings.TrimPrefix(st.SupabaseURL, "http") + "/realtime/v1/websocket",
		APIKey: st.AnonKey, Token: func(context.Context) (string, error) { return token, nil },
		HTTP: &http.Client{Timeout: 10 * time.Second}, MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		JoinTimeout: 5 * time.Second})
	outcome := make(chan bool, 8)
	c.OnState(func(online bool, err error) {
		switch je := fault.Outermost(err); {
		case online:
			outcome <- false
		case je != nil && je.Code == codes.ChannelRefused && je.Topic == "realtime:"+topic:
			outcome <- true
		}
	})
	c.Join(topic, func(string, json.RawMessage) {}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	select {
	case refused := <-outcome:
		return refused
	case <-time.After(15 * time.Second):
		t.Fatalf("no answer to the join of %s", topic)
		return false
	}
}

// TestDeviceCredentialCanOnlyReceiveAndReport: a paired Blender's credentials — the device API key
// from the keychain and the device JWT it is exchanged for — work for the device's own RPCs and its
// device topic, and for nothing on the account: GoTrue refuses them by its own session_id rule
// (password, e-mail, metadata, logout, refresh), the edge by scope (API keys, billing, pairing,
// devices, imports for the site), Realtime by policy (the user's topic).
func TestDeviceCredentialCanOnlyReceiveAndReport(t *testing.T) {
	st := newEdgeStack(t)
	ctx := context.Background()
	dev := st.pair(t, "device scope test")
	sess := st.client.NewSession(dev.APIKey)
	devJWT, err := sess.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// What a device may do still works with the same JWT (PostgREST ignores session_id).
	if err := st.client.Heartbeat(ctx, sess, Blender{}); err != nil {
		t.Fatalf("heartbeat: %v", err)
	}
	if _, err := st.client.PendingImports(ctx, sess); err != nil {
		t.Fatalf("pending imports: %v", err)
	}
	if joinRefused(t, st, devJWT, "device:"+dev.DeviceID) {
		t.Fatal("the device JWT cannot join its own device topic")
	}

	// The account's state before: a personal key and a pending pairing request from elsewhere.
	var key struct {
		ID string `json:"id"`
	}
	if code := st.EdgeJSON(t, http.MethodPost, "/v1/api-keys", st.userJWT,
		map[string]any{"name": "CI", "scopes": []string{"imports:create"}}, &key); code != http.StatusCreated {
		t.Fatalf("create personal key = %d", code)
	}
	grant, err := st.client.Authorize(ctx, DeviceInfo{Name: "attacker", Platform: "blender"})
	if err != nil {
		t.Fatal(err)
	}
	queued := st.createImport(t, dev.DeviceID)

	creds := map[string]string{"device JWT": devJWT, "device API key": dev.APIKey}
	for name, cred := range creds {
		// GoTrue: the JWT names no session (403 session_not_found); the key is no JWT (403 bad_jwt).
		wantGoTrue := "session_not_found"
		if cred == dev.APIKey {
			wantGoTrue = "bad_jwt"
		}
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{http.MethodGet, "/user", nil},
			{http.MethodPut, "/user", map[string]any{"password": "taken-over-1"}},
			{http.MethodPut, "/user", map[string]any{"email": "attacker@example.com"}},
			{http.MethodPut, "/user", map[string]any{"data": map[string]any{"owned": true}}},
			{http.MethodPost, "/logout", nil},
			{http.MethodPost, "/logout?scope=local", nil},
			{http.MethodPost, "/logout?scope=others", nil},
		} {
			status, body := st.gotrue(t, c.method, c.path, cred, c.body)
			if status != http.StatusForbidden || body["code"] != wantGoTrue {
				t.Errorf("%s: GoTrue %s %s %v = %d %v, want 403 %s", name, c.method, c.path, c.body, status, body, wantGoTrue)
			}
		}
		// Refresh reads only the refresh token: a device credential is none.
		if status, body := st.gotrue(t, http.MethodPost, "/token?grant_type=refresh_token", cred,
			map[string]string{"refresh_token": cred}); status != http.StatusBadRequest || body["code"] != "refresh_token_not_found" {
			t.Errorf("%s: refresh = %d %v", name, status, body)
		}

		// Edge: everything but the device's own routes needs a scope a device never has.
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{http.MethodGet, "/v1/api-keys", nil},
			{http.MethodPost, "/v1/api-keys", map[string]any{"name": "stolen", "scopes": []string{"imports:create"}}},
			{http.MethodDelete, "/v1/api-keys/" + key.ID, nil},
			{http.MethodPost, "/v1/billing/checkout", map[string]any{"price_id": "price_anything"}},
			{http.MethodPost, "/v1/billing/portal", nil},
			{http.MethodPost, "/v1/devices/approve", map[string]string{"user_code": grant.UserCode}},
			{http.MethodPost, "/v1/devices/deny", map[string]string{"user_code": grant.UserCode}},
			{http.MethodGet, "/v1/devices", nil},
			{http.MethodPatch, "/v1/devices/" + dev.DeviceID, map[string]string{"name": "renamed"}},
			{http.MethodDelete, "/v1/devices/" + dev.DeviceID, nil},
			{http.MethodPost, "/v1/imports", map[string]string{"shader_id": st.shader, "device_id": dev.DeviceID}},
			{http.MethodPost, "/v1/uploads", map[string]any{}},
		} {
			if status, code := st.edgeCode(t, c.method, c.path, cred, c.body); status != http.StatusForbidden || code != "INSUFFICIENT_PERMISSIONS" {
				t.Errorf("%s: edge %s %s = %d %s, want 403 INSUFFICIENT_PERMISSIONS", name, c.method, c.path, status, code)
			}
		}

		// PostgREST: the account's rows are out of reach (the device JWT sees empty tables, the
		// key is no JWT at all); cancelling the user's imports is refused.
		rest := map[string]string{"apikey": st.AnonKey, "Authorization": "Bearer " + cred, "Prefer": "return=representation"}
		for _, table := range []string{"profiles?select=id", "favorites?select=user_id", "customers?select=user_id",
			"subscriptions?select=user_id", "api_keys?select=id,name"} {
			url := st.SupabaseURL + "/rest/v1/" + table
			if cred == dev.APIKey {
				if status, _ := call(t, http.MethodGet, url, rest, nil); status != http.StatusUnauthorized {
					t.Errorf("%s: PostgREST %s = %d", name, table, status)
				}
				continue
			}
			if status, rows := restRows(t, url, rest); status != http.StatusOK || len(rows) != 0 {
				t.Errorf("%s: PostgREST %s = %d, %d rows", name, table, status, len(rows))
			}
		}
		if cred == devJWT {
			if status, rows := restRows(t, st.SupabaseURL+"/rest/v1/devices?select=id", rest); status != http.StatusOK ||
				len(rows) != 1 || rows[0].(map[string]any)["id"] != dev.DeviceID {
				t.Errorf("%s: PostgREST devices = %d %v, want its own row only", name, status, rows)
			}
		}
		if status, _ := call(t, http.MethodPatch, st.SupabaseURL+"/rest/v1/profiles?id=eq."+testenv.ProUserID, rest,
			map[string]string{"display_name": "owned"}); status >= 300 && status != http.StatusUnauthorized {
			t.Errorf("%s: PATCH profiles = %d", name, status)
		}
		if status, _ := call(t, http.MethodPost, st.SupabaseURL+"/rest/v1/rpc/cancel_import", rest,
			map[string]string{"p_import": queued}); status < 400 {
			t.Errorf("%s: cancel_import = %d", name, status)
		}

		// Realtime: the user's topic (all of the account's activity) is closed to device credentials.
		if !joinRefused(t, st, cred, "user:"+testenv.ProUserID) {
			t.Errorf("%s joined user:%s", name, testenv.ProUserID)
		}
	}
	// A device JWT is not exchanged for another one: only the key is.
	if status, code := st.edgeCode(t, http.MethodPost, "/v1/auth/token", devJWT, nil); status != http.StatusForbidden || code != "INSUFFICIENT_PERMISSIONS" {
		t.Errorf("device JWT at /v1/auth/token = %d %s", status, code)
	}

	// Nothing on the account moved: the web session lives, password and e-mail are the same,
	// the metadata is untouched, the key is there, the pairing request still waits.
	status, me := st.gotrue(t, http.MethodGet, "/user", st.userJWT, nil)
	if status != http.StatusOK || me["email"] != testenv.ProEmail {
		t.Fatalf("the web session after the attempts: %d %v", status, me)
	}
	if meta, _ := me["user_metadata"].(map[string]any); meta["owned"] != nil {
		t.Fatalf("metadata changed: %v", meta)
	}
	st.SignIn(t, testenv.ProEmail, testenv.ProPassword)
	var revoked bool
	var grantStatus string
	if err := st.db.QueryRow(ctx, `select revoked_at is not null from public.api_keys where id = $1`, key.ID).Scan(&revoked); err != nil || revoked {
		t.Fatalf("personal key revoked=%v (%v)", revoked, err)
	}
	if err := st.db.QueryRow(ctx, `select status::text from public.device_grants where user_code = $1`, grant.UserCode).Scan(&grantStatus); err != nil {
		t.Fatal(err)
	}
	if grantStatus != "pending" {
		t.Fatalf("the pairing request is %s", grantStatus)
	}
	var display, importStatus string
	st.db.QueryRow(ctx, `select coalesce(display_name, '') from public.profiles where id = $1`, testenv.ProUserID).Scan(&display)
	st.db.QueryRow(ctx, `select status::text from public.imports where id = $1`, queued).Scan(&importStatus)
	if display == "owned" || importStatus != "queued" {
		t.Fatalf("profile name %q, import %s", display, importStatus)
	}
	var keys int
	st.db.QueryRow(ctx, `select count(*) from public.api_keys where user_id = $1 and name = 'stolen'`, testenv.ProUserID).Scan(&keys)
	if keys != 0 {
		t.Fatal("a device credential created an API key")
	}
}
