// Package ratelimit decides whether a request may proceed, with buckets shared by every edge
// instance (GCRA in PostgreSQL, rate_limit_step), and names the tier of each caller.
package ratelimit

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Result is one step of a bucket.
type Result struct {
	Allowed    bool
	Remaining  int
	RetryAfter time.Duration
	Reset      time.Duration
}

// Limiter takes one step in the bucket named key.
type Limiter interface {
	Step(ctx context.Context, key string, perMinute, burst int) (Result, error)
}

// Postgres is the default limiter: rate_limit_step in the edge's database.
type Postgres struct{ Pool *pgxpool.Pool }

// Step runs one GCRA step.
func (p Postgres) Step(ctx context.Context, key string, perMinute, burst int) (Result, error) {
	var r Result
	var retry, reset int64
	err := p.Pool.QueryRow(ctx, "select allowed, remaining, retry_after_ms, reset_ms from public.rate_limit_step($1, $2, $3)",
		key, perMinute, burst).Scan(&r.Allowed, &r.Remaining, &retry, &reset)
	r.RetryAfter, r.Reset = time.Duration(retry)*time.Millisecond, time.Duration(reset)*time.Millisecond
	return r, err
}

// PerMinute is the tier of a platform: the key's registered platform, never a request header.
func PerMinute(platform string) int {
	switch platform {
	case "blender", "rhino", "sketchup":
		return 100
	case "revit", "autocad", "archicad":
		return 50
	case "web":
		return 300
	}
	return 60 // anonymous callers, keyed by IP
}
