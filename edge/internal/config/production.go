package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// devSecrets are the local stack's public values (.env.example, scripts/lib.sh, the Supabase
// CLI's demo keys): anyone can read them, so an edge running in production with one of them
// has no secret at all. TestDevSecretsCoverEnvExample keeps this list and .env.example in step.
var devSecrets = map[string][]string{
	"SUPABASE_JWT_SECRET":       {"super-secret-jwt-token-with-at-least-32-characters-long"},
	"SUPABASE_SERVICE_ROLE_KEY": {"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU"},
	// Key material only (the part after "kid:"), so renaming the kid does not get past the check.
	"IMPORT_TOKEN_KEYS":     {"QN2coReBSxzBANSdzjaLAjkSr7A39nVFb2aHmtMBRMk="},
	"MANIFEST_SIGNING_KEYS": {"xOMHR+sPVfMYyW9V4nvECQMOWvot+sdrY3IOw8Leihg="},
	"API_KEY_PEPPER":        {"SsbA9fgZNigpm2FmFuYqFZTkcAl57jhfoxXvX4zhHdY="},
	"STRIPE_WEBHOOK_SECRET": {"whsec_local_octane_bridge_webhook_secret"},
	"STRIPE_SECRET_KEY":     {"sk_test_123"}, // stripe-mock's
	"S3_SECRET_KEY":         {"octanelocalsecret"},
}

// keyringVars hold "kid:secret,kid:secret" lists; the others hold one value.
var keyringVars = map[string]bool{"IMPORT_TOKEN_KEYS": true, "MANIFEST_SIGNING_KEYS": true}

// isProduction decides the mode: EDGE_ENV=production or development says so; unset, the edge
// is in production unless EDGE_URL names a loopback host (the local stack), so a deployment that
// forgets EDGE_ENV is still checked.
func isProduction(env, edgeURL string) (bool, error) {
	switch strings.ToLower(env) {
	case "production", "prod":
		return true, nil
	case "development", "dev", "test":
		return false, nil
	case "":
		u, err := url.Parse(edgeURL)
		if err != nil {
			return true, nil
		}
		h := u.Hostname()
		if h == "localhost" {
			return false, nil
		}
		ip := net.ParseIP(h)
		return ip == nil || !ip.IsLoopback(), nil
	}
	return false, errors.New("EDGE_ENV: production or development")
}

// refuseDevSecrets lists every variable that holds a well-known development value.
func refuseDevSecrets(getenv func(string) string) []error {
	var errs []error
	// The local cluster's password (.env.example's DATABASE_URL) is the first one anyone tries.
	if u, err := url.Parse(strings.TrimSpace(getenv("DATABASE_URL"))); err == nil {
		if pw, ok := u.User.Password(); ok && pw == "postgres" {
			errs = append(errs, errors.New("DATABASE_URL: the password is the public development one (.env.example); use the database's real password in production"))
		}
	}
	for name, values := range devSecrets {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			continue
		}
		parts := []string{v}
		if keyringVars[name] {
			parts = nil
			for _, entry := range strings.Split(v, ",") {
				_, secret, _ := strings.Cut(strings.TrimSpace(entry), ":")
				parts = append(parts, secret)
			}
		}
		for _, p := range parts {
			for _, dev := range values {
				if p == dev {
					errs = append(errs, fmt.Errorf("%s: this is the public development value (.env.example); set a real secret in production", name))
				}
			}
		}
	}
	return errs
}
