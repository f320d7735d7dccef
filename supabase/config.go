// Package supabase holds the Supabase CLI configuration (config.toml) compiled in, so the local
// stand-in takes its auth settings from the same file `supabase config push` applies to the hosted
// project: one source of truth.
//
// The structs mirror the subset of the Supabase CLI's schema (pkg/config in supabase/cli) that the
// project sets, with the CLI's key names; decoding rejects any other key, so a misspelt or invented
// key fails the tests instead of being silently ignored by the CLI.
package supabase

import (
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
)

//go:embed config.toml
var configTOML []byte

// Config is supabase/config.toml.
type Config struct {
	ProjectID string                `toml:"project_id"`
	API       API                   `toml:"api"`
	DB        DB                    `toml:"db"`
	Realtime  Enabled               `toml:"realtime"`
	Studio    Enabled               `toml:"studio"`
	Inbucket  Enabled               `toml:"inbucket"`
	Storage   Enabled               `toml:"storage"`
	EdgeRT    Enabled               `toml:"edge_runtime"`
	Analytics Enabled               `toml:"analytics"`
	Auth      Auth                  `toml:"auth"`
	Remotes   map[string]RemoteBase `toml:"remotes"`
}

// Enabled is a service section with only its switch set.
type Enabled struct {
	Enabled bool `toml:"enabled"`
}

// API is [api].
type API struct {
	Enabled         bool     `toml:"enabled"`
	Port            int      `toml:"port"`
	Schemas         []string `toml:"schemas"`
	ExtraSearchPath []string `toml:"extra_search_path"`
	MaxRows         int      `toml:"max_rows"`
}

// DB is [db].
type DB struct {
	Port         int     `toml:"port"`
	ShadowPort   int     `toml:"shadow_port"`
	MajorVersion int     `toml:"major_version"`
	Pooler       Enabled `toml:"pooler"`
	Migrations   struct {
		Enabled     bool     `toml:"enabled"`
		SchemaPaths []string `toml:"schema_paths"`
	} `toml:"migrations"`
	Seed struct {
		Enabled  bool     `toml:"enabled"`
		SQLPaths []string `toml:"sql_paths"`
	} `toml:"seed"`
}

// Auth is [auth]; pointers are the keys a remote may leave unset.
type Auth struct {
	Enabled                    *bool    `toml:"enabled"`
	SiteURL                    *string  `toml:"site_url"`
	AdditionalRedirectURLs     []string `toml:"additional_redirect_urls"`
	JWTExpiry                  *int     `toml:"jwt_expiry"`
	EnableRefreshTokenRotation *bool    `toml:"enable_refresh_token_rotation"`
	RefreshTokenReuseInterval  *int     `toml:"refresh_token_reuse_interval"`
	EnableSignup               *bool    `toml:"enable_signup"`
	EnableAnonymousSignIns     *bool    `toml:"enable_anonymous_sign_ins"`
	EnableManualLinking        *bool    `toml:"enable_manual_linking"`
	MinimumPasswordLength      *int     `toml:"minimum_password_length"`
	PasswordRequirements       *string  `toml:"password_requirements"`
	Email                      Email    `toml:"email"`
	SMS                        struct {
		EnableSignup *bool `toml:"enable_signup"`
	} `toml:"sms"`
}

// Email is [auth.email].
type Email struct {
	EnableSignup         *bool   `toml:"enable_signup"`
	DoubleConfirmChanges *bool   `toml:"double_confirm_changes"`
	EnableConfirmations  *bool   `toml:"enable_confirmations"`
	SecurePasswordChange *bool   `toml:"secure_password_change"`
	MaxFrequency         *string `toml:"max_frequency"`
	OTPLength            *int    `toml:"otp_length"`
	OTPExpiry            *int    `toml:"otp_expiry"`
}

// RemoteBase is a [remotes.<name>] block: the project it applies to and what it overrides.
type RemoteBase struct {
	ProjectID string `toml:"project_id"`
	Auth      Auth   `toml:"auth"`
}

// Parse decodes a config.toml, refusing keys outside the mirrored schema.
func Parse(data []byte) (*Config, error) {
	var c Config
	md, err := toml.Decode(string(data), &c)
	if err != nil {
		return nil, fmt.Errorf("config.toml: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("config.toml: keys outside the Supabase CLI schema subset this project mirrors: %s", strings.Join(keys, ", "))
	}
	return &c, nil
}

var (
	loadOnce sync.Once
	loaded   *Config
	loadErr  error
)

// Load returns the compiled-in supabase/config.toml.
func Load() (*Config, error) {
	loadOnce.Do(func() { loaded, loadErr = Parse(configTOML) })
	return loaded, loadErr
}

// Password requirement values (the CLI's PasswordRequirements).
const (
	NoRequirements                 = ""
	LettersDigits                  = "letters_digits"
	LowerUpperLettersDigits        = "lower_upper_letters_digits"
	LowerUpperLettersDigitsSymbols = "lower_upper_letters_digits_symbols"
)

// AuthSettings are the GoTrue settings the stand-in applies, resolved from [auth] (base, or a
// remote's overrides on top of it).
type AuthSettings struct {
	SiteURL                string
	AdditionalRedirectURLs []string
	JWTExpiry              time.Duration
	RefreshTokenReuse      time.Duration
	EnableSignup           bool
	MinimumPasswordLength  int
	PasswordRequirements   string
	EnableConfirmations    bool
	SecurePasswordChange   bool
}

// AuthSettings resolves the auth settings for remote ("" for the base values, the local stack).
func (c *Config) AuthSettings(remote string) (AuthSettings, error) {
	a := c.Auth
	if remote != "" {
		r, ok := c.Remotes[remote]
		if !ok {
			return AuthSettings{}, fmt.Errorf("config.toml: no [remotes.%s]", remote)
		}
		a = overlay(a, r.Auth)
	}
	s := AuthSettings{
		SiteURL:                deref(a.SiteURL, ""),
		AdditionalRedirectURLs: a.AdditionalRedirectURLs,
		// The CLI's defaults where a key is absent.
		JWTExpiry:             time.Duration(deref(a.JWTExpiry, 3600)) * time.Second,
		RefreshTokenReuse:     time.Duration(deref(a.RefreshTokenReuseInterval, 10)) * time.Second,
		EnableSignup:          deref(a.EnableSignup, true) && deref(a.Email.EnableSignup, true),
		MinimumPasswordLength: deref(a.MinimumPasswordLength, 6),
		PasswordRequirements:  deref(a.PasswordRequirements, NoRequirements),
		EnableConfirmations:   deref(a.Email.EnableConfirmations, false),
		SecurePasswordChange:  deref(a.Email.SecurePasswordChange, false),
	}
	if u, err := url.Parse(s.SiteURL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return s, fmt.Errorf("config.toml: auth.site_url %q is not an http(s) URL", s.SiteURL)
	}
	if s.JWTExpiry <= 0 || s.JWTExpiry > 7*24*time.Hour {
		return s, errors.New("config.toml: auth.jwt_expiry must be 1..604800 seconds")
	}
	if s.MinimumPasswordLength < 6 {
		return s, errors.New("config.toml: auth.minimum_password_length must be at least 6 (GoTrue's floor)")
	}
	switch s.PasswordRequirements {
	case NoRequirements, LettersDigits, LowerUpperLettersDigits, LowerUpperLettersDigitsSymbols:
	default:
		return s, fmt.Errorf("config.toml: auth.password_requirements %q is not a CLI value", s.PasswordRequirements)
	}
	for _, p := range s.AdditionalRedirectURLs {
		if _, err := compileGlob(p); err != nil {
			return s, fmt.Errorf("config.toml: auth.additional_redirect_urls %q: %w", p, err)
		}
	}
	return s, nil
}

func overlay(base, over Auth) Auth {
	set := func(dst **string, v *string) {
		if v != nil {
			*dst = v
		}
	}
	setB := func(dst **bool, v *bool) {
		if v != nil {
			*dst = v
		}
	}
	setI := func(dst **int, v *int) {
		if v != nil {
			*dst = v
		}
	}
	set(&base.SiteURL, over.SiteURL)
	if over.AdditionalRedirectURLs != nil {
		base.AdditionalRedirectURLs = over.AdditionalRedirectURLs
	}
	setI(&base.JWTExpiry, over.JWTExpiry)
	setI(&base.RefreshTokenReuseInterval, over.RefreshTokenReuseInterval)
	setB(&base.EnableSignup, over.EnableSignup)
	setI(&base.MinimumPasswordLength, over.MinimumPasswordLength)
	set(&base.PasswordRequirements, over.PasswordRequirements)
	setB(&base.Email.EnableSignup, over.Email.EnableSignup)
	setB(&base.Email.EnableConfirmations, over.Email.EnableConfirmations)
	setB(&base.Email.SecurePasswordChange, over.Email.SecurePasswordChange)
	return base
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// RedirectAllowed is GoTrue's isRedirectURLValid: a redirect to site_url's host is allowed, and
// so is one matching an additional_redirect_urls glob; GoTrue sends anything else to site_url.
func (s AuthSettings) RedirectAllowed(redirect string) bool {
	if redirect == "" {
		return false
	}
	base, err1 := url.Parse(s.SiteURL)
	ref, err2 := url.Parse(redirect)
	if err1 == nil && err2 == nil && ref.Hostname() != "" && base.Hostname() == ref.Hostname() {
		return true
	}
	for _, p := range s.AdditionalRedirectURLs {
		if re, err := compileGlob(p); err == nil && re.MatchString(redirect) {
			return true
		}
	}
	return false
}

// Redirect returns redirect when allowed, else site_url (what GoTrue does).
func (s AuthSettings) Redirect(redirect string) string {
	if s.RedirectAllowed(redirect) {
		return redirect
	}
	return s.SiteURL
}

// compileGlob translates GoTrue's allow-list globs (gobwas/glob with separators '.' and '/'):
// ** matches anything, * anything but a separator, ? one non-separator character.
func compileGlob(p string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '*' && i+1 < len(p) && p[i+1] == '*':
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString(`[^./]*`)
		case c == '?':
			b.WriteString(`[^./]`)
		case c == '[' || c == '{':
			return nil, errors.New("character classes and alternatives are not supported here")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// RequiredCharacters are the character sets password_requirements asks one character of each
// (GoTrue's GOTRUE_PASSWORD_REQUIRED_CHARACTERS for the CLI's values).
func RequiredCharacters(req string) []string {
	switch req {
	case LettersDigits:
		return []string{"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"}
	case LowerUpperLettersDigits:
		return []string{"abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"}
	case LowerUpperLettersDigitsSymbols:
		return []string{"abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", "!@#$%^&*()_+-=[]{};'\\:\"|<>?,./`~"}
	}
	return nil
}

// CheckPassword applies minimum_password_length and password_requirements as GoTrue does; it
// returns GoTrue's reasons ("length", "characters"), none when the password is acceptable.
func (s AuthSettings) CheckPassword(p string) []string {
	var reasons []string
	if len(p) < s.MinimumPasswordLength { // GoTrue counts bytes
		reasons = append(reasons, "length")
	}
	for _, set := range RequiredCharacters(s.PasswordRequirements) {
		if !strings.ContainsAny(p, set) {
			reasons = append(reasons, "characters")
			break
		}
	}
	return reasons
}
