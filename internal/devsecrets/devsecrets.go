// Package devsecrets is the one rule for "production": the local stack's public development
// values (devsecrets.json: .env.example, the Supabase CLI's demo keys, the committed manifest
// seed) and loopback URLs are refused. The edge (edge/internal/config) and the publisher
// (cmd/publish) use it; the site's check (frontend/lib/env.ts) is tested against the same
// devsecrets.json and the same examples (devsecretstest/cases.json).
package devsecrets

import (
	"crypto/hmac"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
)

//go:embed devsecrets.json
var raw []byte

type list struct {
	Secrets          map[string][]string `json:"secrets"`
	PublicKeys       map[string][]string `json:"public_keys"`
	Keyrings         []string            `json:"keyrings"`
	DatabasePassword string              `json:"database_password"`
	DemoJWTIssuer    string              `json:"demo_jwt_issuer"`
}

var dev = func() list {
	var l list
	if err := json.Unmarshal(raw, &l); err != nil {
		panic("devsecrets.json: " + err.Error())
	}
	return l
}()

// Secrets returns the refused values of every secret variable (a copy).
func Secrets() map[string][]string { return clone(dev.Secrets) }

// PublicKeys returns the development values of public keys (the anon key, the manifest public
// key): not secret, but a production deployment that uses one is wired to the local stack.
func PublicKeys() map[string][]string { return clone(dev.PublicKeys) }

// SecretNames lists the secret variables, sorted.
func SecretNames() []string {
	var names []string
	for k := range dev.Secrets {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func clone(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func isKeyring(name string) bool {
	for _, k := range dev.Keyrings {
		if k == name {
			return true
		}
	}
	return false
}

// Production decides the mode from the flag variable (EDGE_ENV, PUBLISH_ENV): production or
// development says so; unset, the process is in production unless probeURL (the edge's own
// EDGE_URL, the publisher's DATABASE_URL) is empty or names a loopback host, so a deployment
// that forgets the flag is still checked.
func Production(flagName, value, probeURL string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(value)) {
	case "production", "prod":
		return true, nil
	case "development", "dev", "test":
		return false, nil
	case "":
		if strings.TrimSpace(probeURL) == "" {
			return false, nil
		}
		return !IsLoopbackURL(probeURL), nil
	}
	return false, fmt.Errorf("%s: production or development", flagName)
}

// IsLoopbackHost is true for localhost (and *.localhost), loopback addresses and the
// unspecified address (0.0.0.0 and :: reach this machine too).
func IsLoopbackHost(h string) bool {
	h = strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}

// IsLoopbackURL is true when s parses as a URL whose host is a loopback host. A value that is
// not a URL is not loopback (the caller's own validation reports it).
func IsLoopbackURL(s string) bool {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" {
		return false
	}
	return IsLoopbackHost(u.Hostname())
}

// RefuseLoopback reports each of the named variables that holds a loopback URL. Empty values
// pass (required-ness is the caller's rule).
func RefuseLoopback(getenv func(string) string, names ...string) []error {
	var errs []error
	for _, name := range names {
		if v := strings.TrimSpace(getenv(name)); v != "" && IsLoopbackURL(v) {
			errs = append(errs, fmt.Errorf("%s: a loopback address (%s) is the local stack; production needs the real service's URL", name, hostOf(v)))
		}
	}
	return errs
}

func hostOf(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "?"
	}
	return u.Host
}

// Refuse reports each of the named variables that holds a development value: a listed secret
// (for keyrings, any entry's key material, whatever its kid), a listed public key, the local
// database password in a DATABASE_URL, or a Supabase key (JWT) that is signed with the
// development JWT secret or issued by the Supabase CLI's demo issuer. Errors never repeat a value.
func Refuse(getenv func(string) string, names ...string) []error {
	var errs []error
	for _, name := range names {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			continue
		}
		if name == "DATABASE_URL" {
			if u, err := url.Parse(v); err == nil {
				if pw, ok := u.User.Password(); ok && pw == dev.DatabasePassword {
					errs = append(errs, errors.New("DATABASE_URL: the password is the public development one (.env.example); use the database's real password in production"))
				}
			}
			continue
		}
		if isDev(name, v) {
			errs = append(errs, fmt.Errorf("%s: this is the public development value (.env.example); set a real one in production", name))
		}
	}
	return errs
}

func isDev(name, v string) bool {
	values := append(append([]string(nil), dev.Secrets[name]...), dev.PublicKeys[name]...)
	parts := []string{v}
	if isKeyring(name) {
		parts = nil
		for _, entry := range strings.Split(v, ",") {
			_, secret, _ := strings.Cut(strings.TrimSpace(entry), ":")
			parts = append(parts, secret)
		}
	}
	for _, p := range parts {
		for _, d := range values {
			if p == d {
				return true
			}
		}
	}
	return strings.Count(v, ".") == 2 && strings.HasPrefix(v, "eyJ") && DevJWT(v)
}

// DevJWT is true for a JWT signed (HS256) with the development JWT secret, or whose iss is the
// Supabase CLI's demo issuer: a key anyone can mint.
func DevJWT(token string) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	if payload, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil {
		var c struct {
			Iss string `json:"iss"`
		}
		if json.Unmarshal(payload, &c) == nil && c.Iss == dev.DemoJWTIssuer {
			return true
		}
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	for _, secret := range dev.Secrets["SUPABASE_JWT_SECRET"] {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(parts[0] + "." + parts[1]))
		if hmac.Equal(m.Sum(nil), sig) {
			return true
		}
	}
	return false
}
