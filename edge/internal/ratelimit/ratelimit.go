// Package ratelimit decides whether a request may proceed, with GCRA buckets shared by every edge
// instance (PostgreSQL's rate_limit_step), and renders the RateLimit-Policy / RateLimit headers
// (draft-ietf-httpapi-ratelimit-headers).
package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Tier is a per-minute rate.
type Tier struct {
	Name      string
	PerMinute int
}

// TierFor is the rate of a platform (the key's registered platform, never a header).
func TierFor(platform string) Tier {
	switch platform {
	case "blender", "rhino", "sketchup":
		return Tier{platform, 100}
	case "revit", "autocad", "archicad":
		return Tier{platform, 50}
	case "web":
		return Tier{"web", 300}
	}
	return Tier{"anonymous", 60}
}

// Decision is the outcome of one step.
type Decision struct {
	Allowed    bool
	Limit      int
	Remaining  int
	RetryAfter time.Duration
	Reset      time.Duration
	Policy     string
}

// Store takes one step of a bucket.
type Store interface {
	Step(ctx context.Context, key string, perMinute, burst int) (Decision, error)
}

// Postgres is the shared store (rate_limit_step).
type Postgres struct{ DB *pgxpool.Pool }

// Step runs one GCRA step in the database.
func (p Postgres) Step(ctx context.Context, key string, perMinute, burst int) (Decision, error) {
	var d Decision
	var retry, reset int64
	err := p.DB.QueryRow(ctx, `select allowed, remaining, retry_after_ms, reset_ms from public.rate_limit_step($1, $2, $3)`,
		key, perMinute, burst).Scan(&d.Allowed, &d.Remaining, &retry, &reset)
	d.RetryAfter, d.Reset = time.Duration(retry)*time.Millisecond, time.Duration(reset)*time.Millisecond
	d.Limit = burst
	return d, err
}

// Limiter applies a tier to a bucket key.
type Limiter struct{ Store Store }

// Allow takes one request from key's bucket at tier t: t.PerMinute requests per minute, all of
// them available at once.
func (l Limiter) Allow(ctx context.Context, key string, t Tier) (Decision, error) {
	d, err := l.Store.Step(ctx, t.Name+":"+key, t.PerMinute, t.PerMinute)
	d.Limit = t.PerMinute
	d.Policy = t.Name
	return d, err
}

func ceilSeconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}

// Headers returns RateLimit-Policy, RateLimit and (when refused) Retry-After.
func (d Decision) Headers() map[string]string {
	h := map[string]string{
		"RateLimit-Policy": fmt.Sprintf("%q;q=%d;w=60", d.Policy, d.Limit),
		"RateLimit":        fmt.Sprintf("%q;r=%d;t=%d", d.Policy, d.Remaining, ceilSeconds(d.Reset)),
	}
	if !d.Allowed {
		h["Retry-After"] = strconv.FormatInt(max(ceilSeconds(d.RetryAfter), 1), 10)
	}
	return h
}
