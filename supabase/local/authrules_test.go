package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/octanebridge/octane-bridge/internal/testenv"
	"github.com/octanebridge/octane-bridge/supabase"
)

// gotrueCall sends one request to the stand-in's /auth/v1 and decodes the JSON answer.
func gotrueCall(t *testing.T, base, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	return apiCall(t, method, base+"/auth/v1"+path, token, body)
}

// apiCall sends one request to the stand-in with the anon key (and token as the bearer when
// given) and decodes a JSON object answer (nil for any other answer, e.g. an array).
func apiCall(t *testing.T, method, target, token string, body any) (int, map[string]any) {
	t.Helper()
	hdr := map[string]string{"apikey": anonKey}
	if token != "" {
		hdr["Authorization"] = "Bearer " + token
	}
	status, raw := testenv.Send(t, method, target, hdr, body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return status, out
}

type mail struct {
	Type string `json:"type"`
	Link string `json:"link"`
}

func mailsTo(t *testing.T, base, email string) []mail {
	t.Helper()
	resp, err := http.Get(base + "/mailbox?format=json&to=" + url.QueryEscape(email))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m []mail
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func newEmail(tag string) string { return fmt.Sprintf("%s-%s@example.com", tag, uuid.NewString()[:8]) }

// The stand-in takes its auth settings from supabase/config.toml (compiled in), so the local
// stack enforces what `supabase config push` sets on the hosted project.
func TestStandInTakesAuthSettingsFromConfigTOML(t *testing.T) {
	cli, err := supabase.Load()
	if err != nil {
		t.Fatal(err)
	}
	want, err := cli.AuthSettings("")
	if err != nil {
		t.Fatal(err)
	}
	c, err := loadConfig(nil, func(k string) string {
		return map[string]string{"DATABASE_URL": "postgres://x", "SUPABASE_JWT_SECRET": strings.Repeat("s", 32)}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.JWTExpiry != want.JWTExpiry || c.ReuseWindow != want.RefreshTokenReuse || c.SiteURL != want.SiteURL ||
		c.Auth.MinimumPasswordLength != want.MinimumPasswordLength || c.Auth.EnableConfirmations != want.EnableConfirmations ||
		c.Auth.SecurePasswordChange != want.SecurePasswordChange || len(c.Auth.AdditionalRedirectURLs) != len(want.AdditionalRedirectURLs) {
		t.Fatalf("stand-in config %+v\ndiffers from config.toml %+v", c, want)
	}

	base, _ := start(t)
	code, s := gotrueCall(t, base, http.MethodGet, "/settings", "", nil)
	if code != 200 || s["mailer_autoconfirm"] != !want.EnableConfirmations || s["disable_signup"] != !want.EnableSignup {
		t.Fatalf("/settings = %d %v", code, s)
	}
	// minimum_password_length: one character short is weak, the minimum is enough.
	short := strings.Repeat("p", want.MinimumPasswordLength-1)
	code, e := gotrueCall(t, base, http.MethodPost, "/signup", "", map[string]string{"email": newEmail("short"), "password": short})
	if code != 422 || e["error_code"] != "weak_password" || !strings.Contains(fmt.Sprint(e["msg"]), fmt.Sprintf("at least %d characters", want.MinimumPasswordLength)) {
		t.Fatalf("short password = %d %v", code, e)
	}
	code, sess := gotrueCall(t, base, http.MethodPost, "/signup", "", map[string]string{"email": newEmail("ok"), "password": short + "p"})
	if code != 200 || sess["expires_in"] != want.JWTExpiry.Seconds() {
		t.Fatalf("sign-up at the minimum = %d %v, want a session of jwt_expiry", code, sess)
	}
	// The redirect allow-list: the site's /auth/confirm on another local spelling is kept, a
	// foreign host is replaced by site_url.
	email := newEmail("redirect")
	if code, _ := gotrueCall(t, base, http.MethodPost, "/signup", "", map[string]string{"email": email, "password": "correct-horse-1"}); code != 200 {
		t.Fatal(code)
	}
	for redirect, wantTo := range map[string]string{
		"http://localhost:3000/auth/confirm?next=%2Faccount": "http://localhost:3000/auth/confirm?next=%2Faccount",
		"https://evil.example/steal":                         want.SiteURL,
	} {
		if code, _ := gotrueCall(t, base, http.MethodPost, "/otp?redirect_to="+url.QueryEscape(redirect), "", map[string]string{"email": email}); code != 200 {
			t.Fatal(code)
		}
		link, err := url.Parse(mailsTo(t, base, email)[0].Link) // newest first
		if err != nil {
			t.Fatal(err)
		}
		if got := link.Query().Get("redirect_to"); got != wantTo {
			t.Errorf("redirect_to %s: the mailed link goes to %s, want %s", redirect, got, wantTo)
		}
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(base + "/auth/v1/verify?" + url.Values{
			"token": {link.Query().Get("token")}, "type": {"magiclink"}, "redirect_to": {redirect}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, wantTo+"#") {
			t.Errorf("verify with redirect_to %s went to %s, want %s", redirect, loc, wantTo)
		}
	}
}

// secure_password_change: a session signed in more than 24 h ago cannot change the password
// without reauthentication; a fresh one can.
func TestSecurePasswordChange(t *testing.T) {
	base, dbURL := start(t)
	email := newEmail("secure")
	code, sess := gotrueCall(t, base, http.MethodPost, "/signup", "", map[string]string{"email": email, "password": "correct-horse-1"})
	if code != 200 {
		t.Fatal(code, sess)
	}
	tok := sess["access_token"].(string)
	if code, e := gotrueCall(t, base, http.MethodPut, "/user", tok, map[string]string{"password": "fresh-session-2"}); code != 200 {
		t.Fatalf("fresh session = %d %v", code, e)
	}
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `update auth.sessions set created_at = now() - interval '25 hours'
		where user_id = (select id from auth.users where email = $1)`, email); err != nil {
		t.Fatal(err)
	}
	code, e := gotrueCall(t, base, http.MethodPut, "/user", tok, map[string]string{"password": "stale-session-3"})
	if code != 400 || e["error_code"] != "reauthentication_needed" {
		t.Fatalf("stale session = %d %v, want 400 reauthentication_needed", code, e)
	}
	// Metadata changes need no reauthentication.
	if code, e := gotrueCall(t, base, http.MethodPut, "/user", tok, map[string]any{"data": map[string]string{"name": "x"}}); code != 200 {
		t.Fatalf("metadata update = %d %v", code, e)
	}
	if code, _ := gotrueCall(t, base, http.MethodPost, "/token?grant_type=password", "", map[string]string{"email": email, "password": "fresh-session-2"}); code != 200 {
		t.Fatal("the refused change altered the password")
	}
}

// With confirmations on (production's setting; GOTRUE_MAILER_AUTOCONFIRM=false here), sign-up
// answers the user without a session and mails a link; the account signs in only once confirmed.
func TestSignupWithEmailConfirmation(t *testing.T) {
	base, _ := start(t, "GOTRUE_MAILER_AUTOCONFIRM", "false")
	if code, s := gotrueCall(t, base, http.MethodGet, "/settings", "", nil); code != 200 || s["mailer_autoconfirm"] != false {
		t.Fatalf("/settings = %d %v", code, s)
	}
	email := newEmail("confirm")
	redirect := "http://127.0.0.1:3000/auth/confirm?next=%2Faccount"
	code, u := gotrueCall(t, base, http.MethodPost, "/signup?redirect_to="+url.QueryEscape(redirect), "", map[string]string{"email": email, "password": "correct-horse-1"})
	if code != 200 || u["access_token"] != nil || u["email"] != email || u["email_confirmed_at"] != nil {
		t.Fatalf("sign-up = %d %v, want the unconfirmed user and no session", code, u)
	}
	if code, e := gotrueCall(t, base, http.MethodPost, "/token?grant_type=password", "", map[string]string{"email": email, "password": "correct-horse-1"}); code != 400 || e["error_code"] != "email_not_confirmed" {
		t.Fatalf("sign-in before confirming = %d %v", code, e)
	}
	// Signing up again neither reveals the account nor creates a second one.
	if code, again := gotrueCall(t, base, http.MethodPost, "/signup?redirect_to="+url.QueryEscape(redirect), "", map[string]string{"email": email, "password": "correct-horse-1"}); code != 200 || again["access_token"] != nil {
		t.Fatalf("second sign-up = %d %v", code, again)
	}
	m := mailsTo(t, base, email)
	if len(m) == 0 || m[0].Type != "signup" {
		t.Fatalf("mails = %+v, want a signup confirmation", m)
	}
	// The link names the public URL (the test listens on a free port): follow its path and query.
	link, err := url.Parse(m[0].Link)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(base + link.RequestURI())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, redirect+"#access_token=") {
		t.Fatalf("confirmation link went to %q", loc)
	}
	code, signed := gotrueCall(t, base, http.MethodPost, "/token?grant_type=password", "", map[string]string{"email": email, "password": "correct-horse-1"})
	if code != 200 {
		t.Fatalf("sign-in after confirming = %d %v", code, signed)
	}
	if me, _ := signed["user"].(map[string]any); me["email_confirmed_at"] == nil || me["user_metadata"].(map[string]any)["email_verified"] != true {
		t.Fatalf("confirmed user = %v", me)
	}
	// A confirmed account signing up again gets an obfuscated answer and no mail.
	before := len(mailsTo(t, base, email))
	code, fake := gotrueCall(t, base, http.MethodPost, "/signup", "", map[string]string{"email": email, "password": "whatever-123"})
	if code != 200 || fake["access_token"] != nil || len(mailsTo(t, base, email)) != before {
		t.Fatalf("sign-up of a confirmed account = %d %v", code, fake)
	}
}
