package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/octanebridge/octane-bridge/internal/devsecrets"
)

// checkProduction applies the edge's production rule (internal/devsecrets) to the publisher:
// PUBLISH_ENV=production or development says so; unset, publishing to a non-loopback
// DATABASE_URL is production. In production the committed development signing key
// (shaderpkg.LocalDevKeyring), the local S3 secret and database password, loopback S3 and
// database URLs and --public-previews (a local-stack convenience) are refused.
// PUBLISH_ALLOW_LOOPBACK=1 allows loopback URLs (an SSH tunnel to the database, the production
// smoke test's rehearsal); the development values stay refused.
func checkProduction(getenv func(string) string, publicPreviews bool) (bool, error) {
	prod, err := devsecrets.Production("PUBLISH_ENV", getenv("PUBLISH_ENV"), getenv("DATABASE_URL"))
	if err != nil || !prod {
		return prod, err
	}
	errs := devsecrets.Refuse(getenv, "MANIFEST_SIGNING_KEYS", "S3_SECRET_KEY", "DATABASE_URL")
	switch strings.TrimSpace(getenv("PUBLISH_ALLOW_LOOPBACK")) {
	case "", "0":
		errs = append(errs, devsecrets.RefuseLoopback(getenv, "DATABASE_URL", "S3_ENDPOINT")...)
	case "1":
	default:
		errs = append(errs, errors.New("PUBLISH_ALLOW_LOOPBACK: 1 or unset"))
	}
	if publicPreviews {
		errs = append(errs, errors.New("--public-previews is for the local stack; production serves previews through the CDN"))
	}
	if len(errs) > 0 {
		return true, fmt.Errorf("production (PUBLISH_ENV, or a non-loopback DATABASE_URL): %w", errors.Join(errs...))
	}
	return true, nil
}
