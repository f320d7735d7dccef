package config

import (
	"errors"
	"strings"

	"github.com/octanebridge/octane-bridge/internal/devsecrets"
)

// The rule is internal/devsecrets' (shared with the publisher, checked against the site's):
// production refuses the local stack's public values and loopback URLs.

// loopbackRefused are the URLs a production edge must not point at this machine: its own public
// URL (device JWTs' iss, what the add-on calls), the site (CORS, pairing page), Supabase (JWKS,
// GoTrue admin), S3 and Stripe. Loopback there is the local stack (stand-in, versitygw,
// stripe-mock). Not listed, because a sidecar on loopback is normal: DATABASE_URL (a pooler such
// as PgBouncer or a cloud SQL proxy), REDIS_URL, the OTLP collector (the Datadog agent), and the
// listen addresses.
var loopbackRefused = []string{"EDGE_URL", "SITE_URL", "SUPABASE_URL", "S3_ENDPOINT", "STRIPE_API_BASE"}

// isProduction decides the mode: EDGE_ENV=production or development says so; unset, the edge
// is in production unless EDGE_URL names a loopback host (the local stack), so a deployment that
// forgets EDGE_ENV is still checked.
func isProduction(env, edgeURL string) (bool, error) {
	return devsecrets.Production("EDGE_ENV", env, edgeURL)
}

// refuseDevSecrets lists every variable that holds a well-known development value.
func refuseDevSecrets(getenv func(string) string) []error {
	return devsecrets.Refuse(getenv, append([]string{"DATABASE_URL"}, devsecrets.SecretNames()...)...)
}

// refuseLoopback lists the URLs of loopbackRefused that name this machine. EDGE_ALLOW_LOOPBACK=1
// lifts it for a production rehearsal on one machine (the production smoke test) and only there:
// it is honoured only when EDGE_URL itself is loopback, which no deployment reachable by artists
// has. Development secrets stay refused either way.
func refuseLoopback(c Config, getenv func(string) string) (rehearsal bool, errs []error) {
	urls := map[string]string{"EDGE_URL": c.EdgeURL, "SITE_URL": c.SiteURL, "SUPABASE_URL": c.SupabaseURL,
		"S3_ENDPOINT": c.S3Endpoint, "STRIPE_API_BASE": c.StripeAPIBase}
	get := func(k string) string { return urls[k] }
	switch strings.TrimSpace(getenv("EDGE_ALLOW_LOOPBACK")) {
	case "", "0":
	case "1":
		if devsecrets.IsLoopbackURL(c.EdgeURL) {
			return true, nil
		}
		errs = append(errs, errors.New("EDGE_ALLOW_LOOPBACK: only for a rehearsal whose EDGE_URL is loopback; a deployment never sets it"))
	default:
		errs = append(errs, errors.New("EDGE_ALLOW_LOOPBACK: 1 or unset"))
	}
	return false, append(errs, devsecrets.RefuseLoopback(get, loopbackRefused...)...)
}
