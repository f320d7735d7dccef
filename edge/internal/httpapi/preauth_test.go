package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/octanebridge/octane-bridge/edge/internal/apikey"
	"github.com/octanebridge/octane-bridge/edge/internal/ratelimit"
	"github.com/octanebridge/octane-bridge/internal/apierror"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// keyLookups counts the queries that read public.api_keys (the authentication lookup).
type keyLookups struct{ n atomic.Int64 }

func (k *keyLookups) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.Contains(d.SQL, "from public.api_keys k") {
		k.n.Add(1)
	}
	return ctx
}
func (k *keyLookups) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// A flood of well-formed but unknown API keys from one address: each costs a limiter step, the
// database lookups stop at the pre-authentication tier, the rest are 429 RATE_LIMIT_EXCEEDED with
// RateLimit headers; a spoofed X-Forwarded-For is the same address, and a signed-in session from
// there (a JWT, verified in memory) still works.
func TestBogusKeysAreLimitedBeforeTheLookup(t *testing.T) {
	lookups := &keyLookups{}
	en := newEnv(t, func(d *Deps) {
		cfg, err := pgxpool.ParseConfig(testenv.DB(t))
		if err != nil {
			t.Fatal(err)
		}
		cfg.ConnConfig.Tracer = lookups
		pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		d.DB, d.Limiter = pool, ratelimit.Limiter{Store: ratelimit.Postgres{DB: pool}}
	})
	limit := PreAuthTier.PerMinute
	// GCRA refills one request every 60 s / limit, so a slow run may earn a few more lookups.
	refill := func(d time.Duration) int64 { return int64(d/(time.Minute/time.Duration(limit))) + 1 }
	flood := func(n int) (unauthorized, limited int, first429 resp) {
		for i := range n {
			bogus, _ := apikey.New() // valid shape and checksum, unknown id
			hdr := []string{}
			if i%2 == 0 { // both ways of presenting a key
				hdr = []string{"X-Api-Key", bogus}
				bogus = ""
			}
			r := en.do(http.MethodPost, "/v1/auth/token", bogus, nil, hdr...)
			switch r.Code {
			case http.StatusUnauthorized:
				unauthorized++
			case http.StatusTooManyRequests:
				if limited == 0 {
					first429 = r
				}
				limited++
			default:
				t.Fatalf("request %d = %d %s", i, r.Code, r.Body)
			}
		}
		return
	}
	start := time.Now()
	unauthorized, limited, first429 := flood(limit + 100)
	if n := lookups.n.Load(); n < int64(limit) || n > int64(limit)+refill(time.Since(start)) || n != int64(unauthorized) {
		t.Fatalf("%d key lookups for %d requests (%d refused 401, %d 429), want about %d", n, limit+100, unauthorized, limited, limit)
	}
	if limited == 0 {
		t.Fatal("no request limited")
	}
	// Once limited, a further flood adds only what the bucket refills meanwhile: bounded, not one per request.
	before, again := lookups.n.Load(), time.Now()
	_, limited2, _ := flood(200)
	if grew := lookups.n.Load() - before; grew > refill(time.Since(again)) || limited2 == 0 {
		t.Fatalf("200 more bogus keys cost %d lookups (%d limited) in %s", grew, limited2, time.Since(again))
	}
	if got := apierror.Code(first429.json(t)["error"].(map[string]any)["code"].(string)); got != apierror.RateLimitExceeded {
		t.Fatalf("429 code = %s", got)
	}
	h := first429.H
	if !strings.Contains(h.Get("RateLimit-Policy"), `"preauth";q=600`) || h.Get("RateLimit") == "" || h.Get("Retry-After") == "" {
		t.Fatalf("429 headers %v", h)
	}
	// A spoofed X-Forwarded-For is not a new address (no CLIENT_IP_HEADER configured).
	bogus, _ := apikey.New()
	if r := en.do(http.MethodPost, "/v1/auth/token", bogus, nil, "X-Forwarded-For", "203.0.113.7"); r.Code != http.StatusTooManyRequests {
		t.Fatalf("X-Forwarded-For opened a new bucket: %d", r.Code)
	}
	// JWTs are verified in memory: the IP's key bucket does not lock out a signed-in user there.
	if r := en.do(http.MethodGet, "/v1/devices", en.session(proUser), nil); r.Code != http.StatusOK {
		t.Fatalf("a session from the flooded address = %d %s", r.Code, r.Body)
	}
}

type storeDown struct{}

func (storeDown) Step(context.Context, string, int, int) (ratelimit.Decision, error) {
	return ratelimit.Decision{}, errors.New("limiter store unreachable")
}

// The pre-authentication step follows the route's rule when the store is down: token minting
// (LimitClosed) refuses with 503 before any lookup, ordinary routes go on to authenticate.
func TestPreAuthLimitFailsClosedOnMintingRoutes(t *testing.T) {
	en := newEnv(t, func(d *Deps) { d.Limiter = ratelimit.Limiter{Store: storeDown{}} })
	bogus, _ := apikey.New()
	if r := en.do(http.MethodPost, "/v1/auth/token", bogus, nil); r.Code != http.StatusServiceUnavailable {
		t.Fatalf("closed route with the store down = %d %s, want 503", r.Code, r.Body)
	}
	if r := en.do(http.MethodGet, "/v1/api-keys", bogus, nil); r.Code != http.StatusUnauthorized {
		t.Fatalf("open route with the store down = %d %s, want 401 (authenticated, not limited)", r.Code, r.Body)
	}
}
