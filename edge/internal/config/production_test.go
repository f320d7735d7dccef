package config

import (
	"bufio"
	"maps"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/octanebridge/octane-bridge/internal/devsecrets"
	"github.com/octanebridge/octane-bridge/internal/devsecrets/devsecretstest"
)

// realSecrets replaces every development value of env() with one nobody else knows.
var realSecrets = map[string]string{
	"SUPABASE_JWT_SECRET":   "a-production-secret-of-more-than-thirty-two-characters",
	"IMPORT_TOKEN_KEYS":     "prod-1:9Xq0u8Y1c1x8F2vN7o4dP3kS6tR5wZ0aB7cD9eF1gH2=",
	"MANIFEST_SIGNING_KEYS": "prod-1:Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5Pw==",
	"API_KEY_PEPPER":        "cHJvZHVjdGlvbi1wZXBwZXItcHJvZHVjdGlvbi1wZXBwZXI=",
	"STRIPE_SECRET_KEY":     "sk_live_realkey",
	// and the local stack's URLs with public ones
	"EDGE_URL": "https://edge.example.com",
	"SITE_URL": "https://shaders.example.com",
}

// loadProduction loads a production configuration with realSecrets, changed by over.
func loadProduction(over map[string]string) error {
	m := map[string]string{"EDGE_ENV": "production"}
	maps.Copy(m, realSecrets)
	maps.Copy(m, over)
	_, err := Load(env(m))
	return err
}

func TestProductionRefusesDevelopmentSecrets(t *testing.T) {
	// The shared test env carries the local stack's values; production must refuse each of them.
	_, err := Load(env(map[string]string{"EDGE_ENV": "production"}))
	if err == nil {
		t.Fatal("production accepted the development secrets")
	}
	for _, name := range []string{"SUPABASE_JWT_SECRET", "IMPORT_TOKEN_KEYS", "MANIFEST_SIGNING_KEYS", "API_KEY_PEPPER"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("%s not refused: %v", name, err)
		}
	}
	if strings.Contains(err.Error(), "QN2coReBSxzB") || strings.Contains(err.Error(), "super-secret") {
		t.Errorf("the error repeats a secret: %v", err)
	}

	if err := loadProduction(nil); err != nil {
		t.Fatalf("production with real secrets: %v", err)
	}
	for name, over := range map[string]map[string]string{
		"the local import key under another kid":   {"IMPORT_TOKEN_KEYS": "prod-2:9Xq0u8Y1c1x8F2vN7o4dP3kS6tR5wZ0aB7cD9eF1gH2=,old:QN2coReBSxzBANSdzjaLAjkSr7A39nVFb2aHmtMBRMk="},
		"the .env.example webhook secret":          {"STRIPE_WEBHOOK_SECRET": "whsec_local_octane_bridge_webhook_secret", "STRIPE_PRODUCT_IDS": "prod_x"},
		"stripe-mock's key":                        {"STRIPE_SECRET_KEY": "sk_test_123"},
		"the local S3 secret":                      {"S3_SECRET_KEY": "octanelocalsecret"},
		"the demo service role key":                {"SUPABASE_SERVICE_ROLE_KEY": devsecrets.Secrets()["SUPABASE_SERVICE_ROLE_KEY"][0]},
		"the local database password":              {"DATABASE_URL": "postgres://postgres:postgres@db.example.com:5432/postgres"},
		"a service key minted with the dev secret": {"SUPABASE_SERVICE_ROLE_KEY": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.M2d2z4SFn5C7HlJlaSLfrzuYim9nbY_XI40uWFN3hEE"},
	} {
		if err := loadProduction(over); err == nil {
			t.Errorf("%s: accepted in production", name)
		}
	}
}

func TestProductionMode(t *testing.T) {
	for _, c := range devsecretstest.ProductionModes() {
		got, err := isProduction(c.Flag, c.Probe)
		if err != nil || got != c.Production {
			t.Errorf("EDGE_ENV=%q EDGE_URL=%s: production=%v (%v), want %v %s", c.Flag, c.Probe, got, err, c.Production, c.Why)
		}
	}
	if _, err := Load(env(map[string]string{"EDGE_ENV": "staging"})); err == nil {
		t.Error("EDGE_ENV=staging accepted")
	}
	// A public EDGE_URL without EDGE_ENV refuses the local stack's secrets.
	if _, err := Load(env(map[string]string{"EDGE_URL": "https://edge.example.com"})); err == nil || !strings.Contains(err.Error(), "SUPABASE_JWT_SECRET") {
		t.Errorf("public EDGE_URL with development secrets: %v", err)
	}
}

// Every secret .env.example publishes is on the refused list, so adding one there without
// teaching production to refuse it fails here.
func TestDevSecretsCoverEnvExample(t *testing.T) {
	f, err := os.Open("../../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	public := map[string]bool{"SUPABASE_ANON_KEY": true, "MANIFEST_PUBLIC_KEYS": true, "S3_ACCESS_KEY": true}
	secretName := regexp.MustCompile(`(SECRET|PEPPER|_KEY|_KEYS)$`)
	vals := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") || v == "" || strings.HasPrefix(k, "NEXT_PUBLIC_") || public[k] || !secretName.MatchString(k) {
			continue
		}
		vals[k] = v
	}
	if len(vals) < 6 {
		t.Fatalf("found only %v in .env.example", vals)
	}
	for k, v := range vals {
		if _, listed := devsecrets.Secrets()[k]; !listed {
			t.Errorf("%s is published in .env.example but not refused in production", k)
			continue
		}
		if errs := refuseDevSecrets(func(name string) string {
			if name == k {
				return v
			}
			return ""
		}); len(errs) == 0 {
			t.Errorf("%s: the .env.example value is not refused", k)
		}
	}
}

func TestMetricsAddr(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.MetricsAddr != "127.0.0.1:0" {
		t.Fatalf("default METRICS_ADDR = %q (%v), want loopback", c.MetricsAddr, err)
	}
	if c, err := Load(env(map[string]string{"METRICS_ADDR": "off"})); err != nil || c.MetricsAddr != "" {
		t.Fatalf("METRICS_ADDR=off: %q %v", c.MetricsAddr, err)
	}
	if _, err := Load(env(map[string]string{"EDGE_ADDR": "0.0.0.0:8787", "METRICS_ADDR": "0.0.0.0:8787"})); err == nil {
		t.Fatal("metrics on the API address accepted")
	}
}

// Production refuses URLs that point at this machine where a deployment has a real service
// (docs/security.md "Production mode"), allows them where a sidecar is normal, and
// EDGE_ALLOW_LOOPBACK lifts the rule only for a rehearsal whose own EDGE_URL is loopback.
func TestProductionRefusesLoopbackURLs(t *testing.T) {
	for name, url := range map[string]string{
		"EDGE_URL": "http://127.0.0.1:8787", "SITE_URL": "http://localhost:3000", "SUPABASE_URL": "http://127.0.0.1:54321",
		"S3_ENDPOINT": "http://127.0.0.1:9000", "STRIPE_API_BASE": "http://[::1]:12111",
	} {
		err := loadProduction(map[string]string{name: url})
		if err == nil || !strings.Contains(err.Error(), name+": a loopback address") {
			t.Errorf("%s=%s in production: %v", name, url, err)
		}
	}
	// Sidecars: a pooler, Redis, the OTLP agent on loopback are fine (env() has them on 127.0.0.1).
	if err := loadProduction(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}); err != nil {
		t.Errorf("loopback sidecars refused: %v", err)
	}
	// The rehearsal: everything on this machine, real secrets.
	local := map[string]string{"EDGE_URL": "http://127.0.0.1:8787", "SITE_URL": "http://127.0.0.1:3000",
		"SUPABASE_URL": "http://127.0.0.1:54321", "S3_ENDPOINT": "http://127.0.0.1:9000", "EDGE_ALLOW_LOOPBACK": "1"}
	m := map[string]string{"EDGE_ENV": "production"}
	for k, v := range realSecrets {
		m[k] = v
	}
	for k, v := range local {
		m[k] = v
	}
	c, err := Load(env(m))
	if err != nil || !c.Production || !c.Rehearsal {
		t.Fatalf("rehearsal: production=%v rehearsal=%v %v", c.Production, c.Rehearsal, err)
	}
	// ...which still refuses the development secrets,
	m["IMPORT_TOKEN_KEYS"] = "local-1:QN2coReBSxzBANSdzjaLAjkSr7A39nVFb2aHmtMBRMk="
	if _, err := Load(env(m)); err == nil || !strings.Contains(err.Error(), "IMPORT_TOKEN_KEYS") {
		t.Errorf("rehearsal with a development secret: %v", err)
	}
	// and is not honoured by an edge with a public URL.
	err = loadProduction(map[string]string{"EDGE_ALLOW_LOOPBACK": "1", "S3_ENDPOINT": "http://127.0.0.1:9000"})
	if err == nil || !strings.Contains(err.Error(), "EDGE_ALLOW_LOOPBACK") || !strings.Contains(err.Error(), "S3_ENDPOINT") {
		t.Errorf("EDGE_ALLOW_LOOPBACK with a public EDGE_URL: %v", err)
	}
	if err := loadProduction(map[string]string{"EDGE_ALLOW_LOOPBACK": "yes"}); err == nil {
		t.Error("EDGE_ALLOW_LOOPBACK=yes accepted")
	}
	// Development never checks URLs.
	if _, err := Load(env(map[string]string{"EDGE_ALLOW_LOOPBACK": "1"})); err != nil {
		t.Errorf("development: %v", err)
	}
}
