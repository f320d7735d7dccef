package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	gotrue "github.com/supabase-community/gotrue-go"
	"github.com/supabase-community/gotrue-go/types"

	"github.com/octanebridge/octane-bridge/internal/testenv"
	"github.com/octanebridge/octane-bridge/supabase/local/internal/claims"
)

const (
	anonKey    = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0"
	serviceKey = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU"
)

// start runs the stand-in on a free port over a fresh database and returns its base URL.
func start(t *testing.T, extra ...string) (base, dbURL string) {
	t.Helper()
	dbURL = testenv.DB(t)
	env := map[string]string{"DATABASE_URL": dbURL, "SUPABASE_JWT_SECRET": testenv.JWTSecret(), "LOG_LEVEL": "error"}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, pw)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("stand-in did not stop")
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("stand-in did not start: %v", err)
	}
	go io.Copy(io.Discard, pr)
	i := strings.Index(line, "http://")
	return strings.TrimSpace(line[i:]), dbURL
}

func TestGoTrueGoConformance(t *testing.T) {
	base, _ := start(t)
	c := gotrue.New("local", anonKey).WithCustomGoTrueURL(base + "/auth/v1")
	email := fmt.Sprintf("go-%s@example.com", uuid.NewString()[:8])

	su, err := c.Signup(types.SignupRequest{Email: email, Password: "correct-horse-1"})
	if err != nil {
		t.Fatalf("Signup: %v", err)
	}
	if su.AccessToken == "" || su.RefreshToken == "" || su.TokenType != "bearer" || su.ExpiresIn != 3600 {
		t.Fatalf("Signup session = %+v", su.Session)
	}
	if _, err := c.Signup(types.SignupRequest{Email: email, Password: "correct-horse-1"}); err == nil || !strings.Contains(err.Error(), "422") || !strings.Contains(err.Error(), "user_already_exists") {
		t.Fatalf("duplicate Signup error = %v, want 422 user_already_exists", err)
	}
	if _, err := c.SignInWithEmailPassword(email, "wrong-password"); err == nil || !strings.Contains(err.Error(), "invalid_credentials") {
		t.Fatalf("wrong password error = %v", err)
	}
	tok, err := c.SignInWithEmailPassword(email, "correct-horse-1")
	if err != nil {
		t.Fatalf("SignInWithEmailPassword: %v", err)
	}
	if tok.User.Email != email {
		t.Fatalf("user email = %q", tok.User.Email)
	}
	me, err := c.WithToken(tok.AccessToken).GetUser()
	if err != nil || me.ID != tok.User.ID {
		t.Fatalf("GetUser = %+v, %v", me, err)
	}
	ref, err := c.RefreshToken(tok.RefreshToken)
	if err != nil || ref.RefreshToken == tok.RefreshToken {
		t.Fatalf("RefreshToken = %+v, %v (want a rotated token)", ref, err)
	}
	if err := c.WithToken(ref.AccessToken).Logout(); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if _, err := c.RefreshToken(ref.RefreshToken); err == nil || !strings.Contains(err.Error(), "refresh_token_not_found") {
		t.Fatalf("refresh after logout error = %v", err)
	}
	settings, err := c.GetSettings()
	if err != nil || !settings.External.Email || !settings.MailerAutoconfirm {
		t.Fatalf("GetSettings = %+v, %v", settings, err)
	}

	admin := c.WithToken(serviceKey)
	pw := "admin-made-1"
	created, err := admin.AdminCreateUser(types.AdminCreateUserRequest{Email: "adm-" + email, Password: &pw, EmailConfirm: true})
	if err != nil {
		t.Fatalf("AdminCreateUser: %v", err)
	}
	list, err := admin.AdminListUsers()
	if err != nil || len(list.Users) < 4 {
		t.Fatalf("AdminListUsers = %d users, %v", len(list.Users), err)
	}
	got, err := admin.AdminGetUser(types.AdminGetUserRequest{UserID: created.ID})
	if err != nil || got.Email != "adm-"+email {
		t.Fatalf("AdminGetUser = %+v, %v", got, err)
	}
	if err := admin.AdminDeleteUser(types.AdminDeleteUserRequest{UserID: created.ID}); err != nil {
		t.Fatalf("AdminDeleteUser: %v", err)
	}
	if _, err := c.WithToken(tok.AccessToken).AdminListUsers(); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("AdminListUsers as a user error = %v, want 403", err)
	}
}

// The stand-in says it is up only once its realtime listener is LISTENing: a realtime.send()
// right after start is delivered, not lost as a NOTIFY nobody listened for (a flake once).
func TestRealtimeListensBeforeTheStandinSaysItIsUp(t *testing.T) {
	_, dbURL := start(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `select count(*) from pg_stat_activity
		where datname = current_database() and query = 'listen "realtime:broadcast"'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d sessions listen on realtime:broadcast when the stand-in says it is up, want 1", n)
	}
}

// TestPrivateChannelDelivery joins a private user topic with a raw Phoenix client and receives a
// message sent by SQL, then checks another user's topic is refused.
func TestPrivateChannelDelivery(t *testing.T) {
	base, dbURL := start(t)
	keys := claims.New(testenv.JWTSecret(), nil)
	uid := "11111111-1111-4111-8111-111111111111"
	jwt, err := keys.Sign(map[string]any{"sub": uid, "role": "authenticated", "aud": "authenticated", "exp": time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, strings.Replace(base, "http", "ws", 1)+"/realtime/v1/websocket?vsn=2.0.0&apikey="+anonKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	send := func(v any) {
		b, _ := json.Marshal(v)
		if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
	}
	read := func() []any {
		_, b, err := ws.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var f []any
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("frame %s: %v", b, err)
		}
		return f
	}
	join := map[string]any{"config": map[string]any{"private": true}, "access_token": jwt}
	send([]any{"1", "1", "realtime:user:" + uid, "phx_join", join})
	if f := read(); f[3] != "phx_reply" || f[4].(map[string]any)["status"] != "ok" {
		t.Fatalf("join reply = %v", f)
	}
	send([]any{"2", "2", "realtime:user:22222222-2222-4222-8222-222222222222", "phx_join", join})
	if f := read(); f[4].(map[string]any)["status"] != "error" {
		t.Fatalf("foreign join reply = %v, want error", f)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `select realtime.send('{"status":"done"}'::jsonb, 'import_status', $1, true)`, "user:"+uid); err != nil {
		t.Fatal(err)
	}
	f := read()
	if f[2] != "realtime:user:"+uid || f[3] != "broadcast" {
		t.Fatalf("delivery = %v", f)
	}
	p := f[4].(map[string]any)
	if p["event"] != "import_status" || p["payload"].(map[string]any)["status"] != "done" {
		t.Fatalf("payload = %v", p)
	}
}

func TestRESTRoleAndErrors(t *testing.T) {
	base, _ := start(t)
	get := func(path, token string) (int, map[string]any) { return apiCall(t, "GET", base+path, token, nil) }
	if code, body := get("/rest/v1/categories?select=id&id=eq.metal", anonKey); code != 200 || body != nil {
		t.Fatalf("anon read = %d %v", code, body)
	}
	if code, body := get("/rest/v1/categories?select=nope", anonKey); code != 400 || body["code"] != "42703" {
		t.Fatalf("unknown column = %d %v", code, body)
	}
	if code, body := get("/rest/v1/pg_user", anonKey); code != 404 || body["code"] != "PGRST205" {
		t.Fatalf("unknown table = %d %v", code, body)
	}
	if code, body := get("/rest/v1/categories", anonKey[:len(anonKey)-3]+"abc"); code != 401 || body["code"] != "PGRST301" {
		t.Fatalf("forged JWT = %d %v", code, body)
	}
	if code, _ := testenv.Send(t, "GET", base+"/rest/v1/categories", nil, nil); code != 401 {
		t.Fatalf("no apikey = %d, want 401", code)
	}
}

func TestConfig(t *testing.T) {
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	if _, err := loadConfig(nil, get); err == nil {
		t.Fatal("missing DATABASE_URL accepted")
	}
	env["DATABASE_URL"] = "postgres://x"
	env["SUPABASE_JWT_SECRET"] = "short"
	if _, err := loadConfig(nil, get); err == nil {
		t.Fatal("short secret accepted")
	}
	env["SUPABASE_JWT_SECRET"] = strings.Repeat("s", 32)
	c, err := loadConfig(nil, get)
	if err != nil || c.Addr != "127.0.0.1:54321" || c.PublicURL != "http://127.0.0.1:54321" || c.JWTExpiry != time.Hour {
		t.Fatalf("defaults = %+v, %v", c, err)
	}
	env["JWT_EXPIRY"] = "-1"
	if _, err := loadConfig(nil, get); err == nil {
		t.Fatal("negative JWT_EXPIRY accepted")
	}
}

// A rotated refresh token used again after the reuse window revokes the whole session.
func TestRefreshTokenReuseRevokesSession(t *testing.T) {
	base, _ := start(t, "GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL", "0")
	c := gotrue.New("local", anonKey).WithCustomGoTrueURL(base + "/auth/v1")
	email := fmt.Sprintf("reuse-%s@example.com", uuid.NewString()[:8])
	su, err := c.Signup(types.SignupRequest{Email: email, Password: "correct-horse-1"})
	if err != nil {
		t.Fatal(err)
	}
	next, err := c.RefreshToken(su.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.RefreshToken(su.RefreshToken); err == nil || !strings.Contains(err.Error(), "refresh_token_already_used") {
		t.Fatalf("reuse error = %v, want refresh_token_already_used", err)
	}
	if _, err := c.RefreshToken(next.RefreshToken); err == nil || !strings.Contains(err.Error(), "refresh_token_not_found") {
		t.Fatalf("current token after reuse = %v, want the session gone", err)
	}
	if _, err := c.WithToken(next.AccessToken).GetUser(); err == nil || !strings.Contains(err.Error(), "session_not_found") {
		t.Fatalf("GetUser after reuse = %v, want session_not_found", err)
	}
}

// gotrue-go sends ban_duration as nanoseconds; a banned user cannot sign in.
func TestAdminBanWithGoTrueGo(t *testing.T) {
	base, _ := start(t)
	admin := gotrue.New("local", anonKey).WithCustomGoTrueURL(base + "/auth/v1").WithToken(serviceKey)
	pw := "banned-pw-1"
	email := fmt.Sprintf("ban-%s@example.com", uuid.NewString()[:8])
	u, err := admin.AdminCreateUser(types.AdminCreateUserRequest{Email: email, Password: &pw, EmailConfirm: true, BanDuration: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if u.BannedUntil == nil || time.Until(*u.BannedUntil) < 23*time.Hour {
		t.Fatalf("banned_until = %v", u.BannedUntil)
	}
	if _, err := gotrue.New("local", anonKey).WithCustomGoTrueURL(base+"/auth/v1").SignInWithEmailPassword(email, pw); err == nil || !strings.Contains(err.Error(), "user_banned") {
		t.Fatalf("banned sign-in error = %v", err)
	}
}

// With JWT_ALGORITHM=ES256 sessions are signed with an EC key published in jwks.json (so
// supabase-js getClaims() verifies locally), and REST still accepts them.
func TestES256SessionsAndJWKS(t *testing.T) {
	base, _ := start(t, "JWT_ALGORITHM", "ES256")
	c := gotrue.New("local", anonKey).WithCustomGoTrueURL(base + "/auth/v1")
	su, err := c.Signup(types.SignupRequest{Email: fmt.Sprintf("es-%s@example.com", uuid.NewString()[:8]), Password: "correct-horse-1"})
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []struct{ Kty, Crv, Alg, Kid, X, Y string } `json:"keys"`
	}
	testenv.SendJSON(t, "GET", base+"/auth/v1/.well-known/jwks.json", nil, nil, &set)
	if len(set.Keys) != 1 || set.Keys[0].Alg != "ES256" || set.Keys[0].Crv != "P-256" {
		t.Fatalf("jwks = %+v", set)
	}
	k := set.Keys[0]
	xb, _ := base64.RawURLEncoding.DecodeString(k.X)
	yb, _ := base64.RawURLEncoding.DecodeString(k.Y)
	pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(xb), Y: new(big.Int).SetBytes(yb)}
	tok, err := jwt.Parse(su.AccessToken, func(tk *jwt.Token) (any, error) {
		if tk.Header["kid"] != k.Kid {
			return nil, fmt.Errorf("kid %v", tk.Header["kid"])
		}
		return pub, nil
	}, jwt.WithValidMethods([]string{"ES256"}))
	if err != nil || !tok.Valid {
		t.Fatalf("verify with JWKS: %v", err)
	}
	code, body := testenv.Send(t, "GET", base+"/rest/v1/profiles?select=id", map[string]string{"apikey": anonKey, "Authorization": "Bearer " + su.AccessToken}, nil)
	if code != 200 || !strings.Contains(string(body), su.User.ID.String()) {
		t.Fatalf("REST with ES256 token = %d %s", code, body)
	}
}

// Presence across two sockets, with an abrupt disconnect (race detector coverage of the hub).
func TestPresenceAcrossSockets(t *testing.T) {
	base, _ := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dial := func() *websocket.Conn {
		ws, _, err := websocket.Dial(ctx, strings.Replace(base, "http", "ws", 1)+"/realtime/v1/websocket?vsn=2.0.0&apikey="+anonKey, nil)
		if err != nil {
			t.Fatal(err)
		}
		return ws
	}
	send := func(ws *websocket.Conn, v any) {
		b, _ := json.Marshal(v)
		if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
	}
	until := func(ws *websocket.Conn, event string) []any {
		for {
			_, b, err := ws.Read(ctx)
			if err != nil {
				t.Fatalf("waiting for %s: %v", event, err)
			}
			var f []any
			json.Unmarshal(b, &f)
			if f[3] == event {
				return f
			}
		}
	}
	a, b := dial(), dial()
	defer b.CloseNow()
	join := func(ws *websocket.Conn, key string) {
		send(ws, []any{"1", "1", "realtime:lobby", "phx_join", map[string]any{"config": map[string]any{"presence": map[string]any{"enabled": true, "key": key}}}})
		until(ws, "presence_state")
	}
	join(a, "a")
	join(b, "b")
	send(a, []any{"1", "2", "realtime:lobby", "presence", map[string]any{"type": "presence", "event": "track", "payload": map[string]any{"who": "a"}}})
	joins := until(b, "presence_diff")[4].(map[string]any)["joins"].(map[string]any)
	if _, ok := joins["a"]; !ok {
		t.Fatalf("joins = %v", joins)
	}
	a.CloseNow()
	leaves := until(b, "presence_diff")[4].(map[string]any)["leaves"].(map[string]any)
	if _, ok := leaves["a"]; !ok {
		t.Fatalf("leaves = %v", leaves)
	}
}
