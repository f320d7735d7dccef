package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/octanebridge/octane-bridge/edge/internal/ratelimit"
	"github.com/octanebridge/octane-bridge/edge/internal/ratelimit/redistest"
)

// With REDIS_URL the router keeps the same contract: a Blender device's 101st request in a
// minute is a 429 with the headers, the bucket lives in Redis, and when Redis goes away token
// redemption fails closed (503) while ordinary routes fail open.
func TestRedisRateLimitsThroughTheRouter(t *testing.T) {
	addr, stop := redistest.Start(t)
	store, err := ratelimit.DialRedis("redis://" + addr + "/0")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	en := newEnv(t, func(d *Deps) { d.Limiter = ratelimit.Limiter{Store: store} })
	dev := en.device(proUser, "blender", nil)
	jwt := en.deviceJWT(proUser, dev)
	redeem := func(hdr ...string) resp {
		return en.do(http.MethodPost, "/v1/imports/"+uuid.NewString()+"/redeem", jwt, map[string]string{"token": "oit1.x.y.z"}, hdr...)
	}
	start := time.Now()
	ok := 0
	var last resp
	for range 120 {
		if last = redeem(); last.Code == http.StatusTooManyRequests {
			break
		}
		ok++
		if last.H.Get("RateLimit-Policy") != `"blender";q=100;w=60` || !strings.HasPrefix(last.H.Get("RateLimit"), `"blender";r=`) {
			t.Fatalf("request %d headers %v", ok, last.H)
		}
	}
	extra := int(time.Since(start) / (600 * time.Millisecond)) // 100/min refills one per 0.6 s
	if ok < 100 || ok > 100+extra {
		t.Fatalf("%d requests allowed, want 100", ok)
	}
	if last.errCode(t) != "RATE_LIMIT_EXCEEDED" || last.H.Get("Retry-After") == "" || last.H.Get("RateLimit") != `"blender";r=0;t=60` {
		t.Fatalf("429: %s %v", last.Body, last.H)
	}
	if r := redeem("X-Forwarded-For", "203.0.113.7"); r.Code != http.StatusTooManyRequests {
		t.Fatalf("X-Forwarded-For opened a new bucket: %d", r.Code)
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	if ttl, err := c.PTTL(context.Background(), "octane:rl:blender:device:"+dev.String()).Result(); err != nil || ttl <= 0 || ttl > 61*time.Second {
		t.Fatalf("bucket in Redis: ttl %s, %v", ttl, err)
	}
	var rows int
	_ = en.db.QueryRow(context.Background(), `select count(*) from public.rate_limits`).Scan(&rows)
	if rows != 0 {
		t.Fatalf("%d buckets written to PostgreSQL", rows)
	}

	stop()
	if r := redeem(); r.errCode(t) != "SERVICE_UNAVAILABLE" {
		t.Fatalf("redeem with Redis down: %d %s", r.Code, r.Body)
	}
	if r := en.do(http.MethodGet, "/v1/devices", en.session(proUser), nil); r.Code != http.StatusOK {
		t.Fatalf("a fail-open route with Redis down: %d %s", r.Code, r.Body)
	}
	if !strings.Contains(en.logs.String(), "rate limiter unavailable") {
		t.Fatal("the fail-open request was not logged")
	}
}
