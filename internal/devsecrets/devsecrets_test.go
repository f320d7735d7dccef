package devsecrets

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/octanebridge/octane-bridge/internal/devsecrets/devsecretstest"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

func only(name, value string) func(string) string {
	return func(k string) string {
		if k == name {
			return value
		}
		return ""
	}
}

// Every secret .env.example publishes is on the list, and every listed value of .env.example is
// refused: adding a secret there without teaching production to refuse it fails here.
func TestEnvExampleSecretsAreRefused(t *testing.T) {
	f, err := os.Open("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	secretName := regexp.MustCompile(`(SECRET|PEPPER|_KEY|_KEYS)$`)
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") || v == "" || !secretName.MatchString(k) {
			continue
		}
		name := strings.TrimPrefix(k, "NEXT_PUBLIC_")
		if k == "S3_ACCESS_KEY" { // an identifier, not a secret
			continue
		}
		if _, s := dev.Secrets[name]; !s {
			if _, p := dev.PublicKeys[name]; !p {
				t.Errorf("%s is published in .env.example but not in devsecrets.json", k)
				continue
			}
		}
		if errs := Refuse(only(name, v), name); len(errs) != 1 {
			t.Errorf("%s: the .env.example value is not refused (%v)", k, errs)
		}
		n++
	}
	if n < 9 {
		t.Fatalf("checked only %d values of .env.example", n)
	}
	if errs := Refuse(only("DATABASE_URL", "postgres://postgres:postgres@db.example.com:5432/postgres"), "DATABASE_URL"); len(errs) != 1 {
		t.Errorf("the local database password passed: %v", errs)
	}
}

// The committed manifest seed (shaderpkg.LocalDevKeyring) and its public key are on the list.
func TestLocalManifestKeyIsListed(t *testing.T) {
	if errs := Refuse(only("MANIFEST_SIGNING_KEYS", shaderpkg.LocalDevSigningKeys()), "MANIFEST_SIGNING_KEYS"); len(errs) != 1 {
		t.Errorf("shaderpkg.LocalDevSigningKeys() not refused: %v", errs)
	}
	renamed := "prod-1:" + base64.StdEncoding.EncodeToString(shaderpkg.LocalDevSeed())
	if errs := Refuse(only("MANIFEST_SIGNING_KEYS", "prod-2:Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5Pw==,"+renamed), "MANIFEST_SIGNING_KEYS"); len(errs) != 1 {
		t.Errorf("the local seed under another kid passed: %v", errs)
	}
	if errs := Refuse(only("MANIFEST_PUBLIC_KEYS", shaderpkg.LocalDevPublicKeys()), "MANIFEST_PUBLIC_KEYS"); len(errs) != 1 {
		t.Errorf("the local public key passed: %v", errs)
	}
	if errs := Refuse(only("MANIFEST_SIGNING_KEYS", "prod-1:Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5Pw=="), "MANIFEST_SIGNING_KEYS"); len(errs) != 0 {
		t.Errorf("a real key refused: %v", errs)
	}
}

func hs256(secret, payload string) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	p := base64.RawURLEncoding.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(h + "." + p))
	return h + "." + p + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// A Supabase key minted with the development JWT secret, or by the demo issuer, is a
// development key whatever its claims; a key of another secret is not.
func TestKeysDerivedFromTheDevelopmentSecret(t *testing.T) {
	devSecret := dev.Secrets["SUPABASE_JWT_SECRET"][0]
	minted := hs256(devSecret, `{"iss":"supabase","role":"service_role","exp":2000000000}`)
	if errs := Refuse(only("SUPABASE_SERVICE_ROLE_KEY", minted), "SUPABASE_SERVICE_ROLE_KEY"); len(errs) != 1 {
		t.Errorf("a service key signed with the development secret passed: %v", errs)
	}
	demo := hs256("another-secret-of-more-than-thirty-two-chars", `{"iss":"supabase-demo","role":"anon"}`)
	if !DevJWT(demo) {
		t.Error("a demo-issuer key passed")
	}
	real := hs256("a-production-secret-of-more-than-thirty-two-characters", `{"iss":"supabase","role":"anon"}`)
	if DevJWT(real) || len(Refuse(only("SUPABASE_ANON_KEY", real), "SUPABASE_ANON_KEY")) != 0 {
		t.Error("a key of a real secret refused")
	}
	if errs := Refuse(only("SUPABASE_JWT_SECRET", devSecret), "SUPABASE_JWT_SECRET"); len(errs) != 1 || strings.Contains(errs[0].Error(), devSecret) {
		t.Errorf("refusal %v (must not repeat the secret)", errs)
	}
}

func TestLoopback(t *testing.T) {
	for s, want := range devsecretstest.LoopbackURLs() {
		if got := IsLoopbackURL(s); got != want {
			t.Errorf("IsLoopbackURL(%q) = %v, want %v", s, got, want)
		}
	}
	errs := RefuseLoopback(func(k string) string {
		return map[string]string{"A": "http://127.0.0.1:9000", "B": "https://s3.example.com", "C": ""}[k]
	}, "A", "B", "C")
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "A:") {
		t.Errorf("RefuseLoopback = %v", errs)
	}
}

func TestProductionMode(t *testing.T) {
	for _, c := range devsecretstest.ProductionModes() {
		got, err := Production("X_ENV", c.Flag, c.Probe)
		if err != nil || got != c.Production {
			t.Errorf("X_ENV=%q probe %s: production=%v (%v), want %v %s", c.Flag, c.Probe, got, err, c.Production, c.Why)
		}
	}
	if _, err := Production("X_ENV", "staging", ""); err == nil || !strings.Contains(err.Error(), "X_ENV") {
		t.Errorf("staging: %v", err)
	}
}
