package supabase

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T) *Config {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The values the project depends on: the CLI commands (db push, test db, config push) and the
// stand-in read them from here.
func TestConfigTOMLHasWhatTheProjectDependsOn(t *testing.T) {
	c := load(t)
	if c.ProjectID == "" {
		t.Error("project_id is required by the CLI")
	}
	if c.DB.MajorVersion != 15 || c.DB.Port != 54322 || c.API.Port != 54321 {
		t.Errorf("db.major_version %d, db.port %d, api.port %d; want 15, 54322, 54321 (the local stack)", c.DB.MajorVersion, c.DB.Port, c.API.Port)
	}
	if !slices.Contains(c.API.Schemas, "public") || !slices.Contains(c.API.ExtraSearchPath, "extensions") {
		t.Errorf("api.schemas %v, extra_search_path %v", c.API.Schemas, c.API.ExtraSearchPath)
	}
	if !c.DB.Migrations.Enabled || !c.DB.Seed.Enabled || !slices.Equal(c.DB.Seed.SQLPaths, []string{"./seed.sql"}) {
		t.Errorf("db.migrations %+v, db.seed %+v; want both on, seed ./seed.sql", c.DB.Migrations, c.DB.Seed)
	}
	for _, p := range c.DB.Seed.SQLPaths {
		if _, err := os.Stat(filepath.Join(".", p)); err != nil {
			t.Errorf("seed %s: %v", p, err)
		}
	}
	if !c.Realtime.Enabled {
		t.Error("realtime must be enabled (imports and statuses travel over private broadcast channels)")
	}

	local, err := c.AuthSettings("")
	if err != nil {
		t.Fatal(err)
	}
	want := AuthSettings{
		SiteURL:                "http://127.0.0.1:3000",
		AdditionalRedirectURLs: []string{"http://127.0.0.1:3000/auth/confirm**", "http://localhost:3000/auth/confirm**"},
		JWTExpiry:              time.Hour, RefreshTokenReuse: 10 * time.Second, EnableSignup: true,
		MinimumPasswordLength: 8, PasswordRequirements: NoRequirements,
		EnableConfirmations: false, SecurePasswordChange: true,
	}
	if !equalSettings(local, want) {
		t.Errorf("local auth settings\n got %+v\nwant %+v", local, want)
	}
	if c.Auth.EnableAnonymousSignIns == nil || *c.Auth.EnableAnonymousSignIns || c.Auth.EnableRefreshTokenRotation == nil || !*c.Auth.EnableRefreshTokenRotation {
		t.Error("anonymous sign-ins must be off and refresh-token rotation on")
	}

	// Production: confirmation e-mails, an https site, its /auth/confirm allowed; everything else
	// as the base.
	prod, err := c.AuthSettings("production")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[a-z]{20}$`).MatchString(c.Remotes["production"].ProjectID) {
		t.Errorf("remotes.production.project_id %q: the CLI refuses anything but a 20-letter project ref", c.Remotes["production"].ProjectID)
	}
	if !prod.EnableConfirmations || !prod.SecurePasswordChange || !strings.HasPrefix(prod.SiteURL, "https://") {
		t.Errorf("production auth = %+v: want confirmations, secure password change, an https site", prod)
	}
	if !prod.RedirectAllowed(prod.SiteURL + "/auth/confirm?next=%2Faccount") {
		t.Error("production does not allow the site's /auth/confirm")
	}
	if prod.JWTExpiry != local.JWTExpiry || prod.MinimumPasswordLength != local.MinimumPasswordLength {
		t.Error("production must keep the base JWT expiry and password rules")
	}
}

func equalSettings(a, b AuthSettings) bool {
	return a.SiteURL == b.SiteURL && slices.Equal(a.AdditionalRedirectURLs, b.AdditionalRedirectURLs) &&
		a.JWTExpiry == b.JWTExpiry && a.RefreshTokenReuse == b.RefreshTokenReuse && a.EnableSignup == b.EnableSignup &&
		a.MinimumPasswordLength == b.MinimumPasswordLength && a.PasswordRequirements == b.PasswordRequirements &&
		a.EnableConfirmations == b.EnableConfirmations && a.SecurePasswordChange == b.SecurePasswordChange
}

// The site's forms and its error text agree with minimum_password_length, and its e-mail links
// (confirmUrl: <origin>/auth/confirm?next=...) pass the redirect allow-list.
func TestFrontendAgreesWithAuthSettings(t *testing.T) {
	s, err := load(t).AuthSettings("")
	if err != nil {
		t.Fatal(err)
	}
	form, err := os.ReadFile("../frontend/components/auth/auth-form.tsx")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(form), `minLength={mode === "signin" ? undefined : 8}`) || !strings.Contains(string(form), "/auth/confirm?next=") {
		t.Error("auth-form.tsx no longer asks for 8 characters or links to /auth/confirm: update config.toml with it")
	}
	msgs, err := os.ReadFile("../frontend/lib/auth-errors.ts")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(msgs), "at least 8 characters") || s.MinimumPasswordLength != 8 {
		t.Errorf("minimum_password_length %d and the site's weak-password text disagree", s.MinimumPasswordLength)
	}
	for redirect, ok := range map[string]bool{
		"http://127.0.0.1:3000/auth/confirm?next=%2Faccount":         true,
		"http://127.0.0.1:3001/anything":                             true, // site_url's host
		"http://localhost:3000/auth/confirm?next=%2Fupdate-password": true,
		"http://localhost:3000/account":                              false,
		"https://evil.example/auth/confirm":                          false,
		"http://localhost.evil.example:3000/auth/confirm":            false,
		"": false,
	} {
		if got := s.RedirectAllowed(redirect); got != ok {
			t.Errorf("RedirectAllowed(%q) = %v, want %v", redirect, got, ok)
		}
	}
	if got := s.Redirect("https://evil.example/"); got != s.SiteURL {
		t.Errorf("a refused redirect goes to %q, want site_url", got)
	}
}

func TestPasswordRules(t *testing.T) {
	s := AuthSettings{MinimumPasswordLength: 8}
	if r := s.CheckPassword("short12"); !slices.Equal(r, []string{"length"}) {
		t.Errorf("7 characters: %v", r)
	}
	if r := s.CheckPassword("long-enough"); r != nil {
		t.Errorf("11 characters: %v", r)
	}
	s.PasswordRequirements = LettersDigits
	if r := s.CheckPassword("long-enough"); !slices.Equal(r, []string{"characters"}) {
		t.Errorf("no digit under letters_digits: %v", r)
	}
	if r := s.CheckPassword("long-enough-1"); r != nil {
		t.Errorf("letters and a digit: %v", r)
	}
}

// Only keys of the CLI's schema (as mirrored by Config) may appear: the CLI would ignore or
// refuse the others, so a misspelt setting must fail here.
func TestParseRefusesUnknownKeys(t *testing.T) {
	for _, bad := range []string{
		"project_id = \"x\"\n[realtime]\nenabled = true\nprivate_only = true\n",
		"project_id = \"x\"\n[auth]\nsite_url = \"http://a\"\njwt_expiry_seconds = 60\n",
		"project_id = \"x\"\n[auth.email]\nenable_confirmation = true\n",
	} {
		if _, err := Parse([]byte(bad)); err == nil || !strings.Contains(err.Error(), "outside the Supabase CLI schema") {
			t.Errorf("Parse(%q) = %v, want the unknown key named", bad, err)
		}
	}
	if _, err := Parse([]byte("[auth]\nsite_url = \"http://a\"\n[auth.email]\nenable_confirmations = true\n")); err != nil {
		t.Errorf("known keys refused: %v", err)
	}
}

// `supabase test db` runs pg_prove --ext .pg --ext .sql -r over supabase/tests; `supabase db push`
// applies supabase/migrations/<digits>_<name>.sql in order.
func TestCLILayout(t *testing.T) {
	tests, _ := filepath.Glob("tests/*.sql")
	if len(tests) == 0 {
		t.Fatal("no pgTAP files in supabase/tests")
	}
	for _, f := range tests {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `\ir _helpers.psql`) || !strings.Contains(string(b), "select plan(") {
			t.Errorf("%s: every pgTAP file includes _helpers.psql (relative, as pg_prove runs it from supabase/tests) and plans its tests", f)
		}
	}
	if _, err := os.Stat("tests/_helpers.psql"); err != nil {
		t.Errorf("helpers: %v (kept out of pg_prove's .sql/.pg extensions on purpose)", err)
	}
	migrations, _ := filepath.Glob("migrations/*")
	name := regexp.MustCompile(`^[0-9]+_.+\.sql$`)
	for _, m := range migrations {
		if !name.MatchString(filepath.Base(m)) {
			t.Errorf("%s: the CLI applies only <version>_<name>.sql", m)
		}
	}
	if len(migrations) == 0 {
		t.Error("no migrations")
	}
}
