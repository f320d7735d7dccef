package ratelimit

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/octanebridge/octane-bridge/edge/internal/ratelimit/redistest"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// Both stores must answer alike: the same table runs against PostgreSQL (rate_limit_step) and
// a real redis-server (the Lua GCRA).
func TestStoreConformance(t *testing.T) {
	stores := map[string]func(t *testing.T) Store{
		"postgres": func(t *testing.T) Store {
			db, err := pgxpool.New(context.Background(), testenv.DB(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(db.Close)
			return Postgres{DB: db}
		},
		"redis": func(t *testing.T) Store {
			addr, _ := redistest.Start(t)
			r := NewRedis(redis.NewClient(&redis.Options{Addr: addr}))
			t.Cleanup(func() { _ = r.Close() })
			return r
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			for _, c := range conformance {
				t.Run(c.name, func(t *testing.T) { t.Parallel(); c.fn(t, s, name+":"+c.name) })
			}
		})
	}
}

var conformance = []struct {
	name string
	fn   func(t *testing.T, s Store, key string)
}{
	{"burst then refusal", func(t *testing.T, s Store, key string) {
		l := Limiter{Store: s}
		tier := Tier{"revit", 50}
		for i := range 50 {
			d, err := l.Allow(context.Background(), key, tier)
			if err != nil || !d.Allowed || d.Remaining != 49-i || d.Limit != 50 || d.Policy != "revit" {
				t.Fatalf("request %d: %+v %v", i+1, d, err)
			}
			if i == 0 && (d.Reset <= 0 || d.Reset > 1200*time.Millisecond) {
				t.Fatalf("first request's reset %s, want one emission interval (1.2 s)", d.Reset)
			}
		}
		d, err := l.Allow(context.Background(), key, tier)
		if err != nil || d.Allowed || d.Remaining != 0 || d.RetryAfter <= 0 || d.RetryAfter > 1200*time.Millisecond {
			t.Fatalf("51st: %+v %v", d, err)
		}
		if d.Reset < 59*time.Second || d.Reset > 60*time.Second {
			t.Fatalf("51st reset %s, want about 60 s (the bucket is empty)", d.Reset)
		}
		h := d.Headers()
		if h["RateLimit-Policy"] != `"revit";q=50;w=60` || h["RateLimit"] != `"revit";r=0;t=60` || h["Retry-After"] != "2" {
			t.Fatalf("headers %v", h)
		}
	}},
	{"buckets are independent", func(t *testing.T, s Store, key string) {
		for range 3 {
			if d, err := s.Step(context.Background(), key+":a", 60, 3); err != nil || !d.Allowed {
				t.Fatalf("%+v %v", d, err)
			}
		}
		if d, _ := s.Step(context.Background(), key+":a", 60, 3); d.Allowed {
			t.Fatal("bucket a not exhausted")
		}
		if d, err := s.Step(context.Background(), key+":b", 60, 3); err != nil || !d.Allowed || d.Remaining != 2 {
			t.Fatalf("bucket b: %+v %v", d, err)
		}
	}},
	{"refills after Retry-After and refusals cost nothing", func(t *testing.T, s Store, key string) {
		// 600/min: one request every 100 ms, burst 2.
		for range 2 {
			if d, err := s.Step(context.Background(), key, 600, 2); err != nil || !d.Allowed {
				t.Fatalf("%+v %v", d, err)
			}
		}
		var d Decision
		for range 5 { // refused requests do not push the TAT further out
			var err error
			if d, err = s.Step(context.Background(), key, 600, 2); err != nil || d.Allowed || d.RetryAfter > 100*time.Millisecond {
				t.Fatalf("refused: %+v %v", d, err)
			}
		}
		time.Sleep(d.RetryAfter + 20*time.Millisecond)
		if d, err := s.Step(context.Background(), key, 600, 2); err != nil || !d.Allowed || d.Remaining != 0 {
			t.Fatalf("after Retry-After: %+v %v", d, err)
		}
	}},
	{"an idle bucket is full again", func(t *testing.T, s Store, key string) {
		// 1200/min: 50 ms per request; burst 3 refills in 150 ms.
		for range 3 {
			_, _ = s.Step(context.Background(), key, 1200, 3)
		}
		time.Sleep(200 * time.Millisecond)
		if d, err := s.Step(context.Background(), key, 1200, 3); err != nil || !d.Allowed || d.Remaining != 2 {
			t.Fatalf("%+v %v", d, err)
		}
	}},
	{"atomic under concurrency", func(t *testing.T, s Store, key string) {
		var ok, refused atomic.Int64
		var wg sync.WaitGroup
		for range 32 {
			wg.Go(func() {
				for range 4 {
					d, err := s.Step(context.Background(), key, 1, 100) // no refill within the test
					switch {
					case err != nil:
						t.Error(err)
					case d.Allowed:
						ok.Add(1)
					default:
						refused.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if ok.Load() != 100 || refused.Load() != 28 {
			t.Fatalf("%d allowed, %d refused; want 100 and 28", ok.Load(), refused.Load())
		}
	}},
	{"invalid rates are errors", func(t *testing.T, s Store, key string) {
		if _, err := s.Step(context.Background(), key, 0, 10); err == nil {
			t.Fatal("rate 0 accepted")
		}
		if _, err := s.Step(context.Background(), key, 10, 0); err == nil {
			t.Fatal("burst 0 accepted")
		}
	}},
}

// A Redis that went away makes Step fail (the router then fails closed on mint and redeem)
// within the caller's deadline rather than hang.
func TestRedisDownIsAnError(t *testing.T) {
	addr, stop := redistest.Start(t)
	r, err := DialRedis("redis://" + addr + "/0")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if d, err := r.Step(context.Background(), "k", 100, 100); err != nil || !d.Allowed {
		t.Fatalf("%+v %v", d, err)
	}
	stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	if _, err := r.Step(ctx, "k", 100, 100); err == nil {
		t.Fatal("a stopped Redis answered")
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("took %s", el)
	}
	if _, err := DialRedis("http://nope"); err == nil {
		t.Fatal("a non-redis URL was accepted")
	}
}
