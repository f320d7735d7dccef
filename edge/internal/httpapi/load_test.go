//go:build edgebench

package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/edge/internal/ratelimit"
)

// wideOpen still takes a real GCRA step in PostgreSQL (the cost is part of the measurement) but
// with a rate no load test reaches, because one demo user is capped at 300/min.
type wideOpen struct{ ratelimit.Postgres }

func (w wideOpen) Step(ctx context.Context, key string, _, _ int) (ratelimit.Decision, error) {
	return w.Postgres.Step(ctx, key, 6_000_000, 6_000_000)
}

// TestLoadCreateImport measures POST /v1/imports over loopback HTTP at a bounded request rate
// (EDGE_BENCH_RATE req/s for EDGE_BENCH_SECONDS) and prints one JSON line; scripts/bench/edge.sh
// runs it. It is a measurement, not an assertion: the edgebench build tag keeps it out of make test.
func TestLoadCreateImport(t *testing.T) {
	rate, _ := strconv.Atoi(os.Getenv("EDGE_BENCH_RATE"))
	if rate <= 0 {
		rate = 1000
	}
	secs, _ := strconv.Atoi(os.Getenv("EDGE_BENCH_SECONDS"))
	if secs <= 0 {
		secs = 5
	}
	en := newEnv(t, func(d *Deps) { d.Log = nil })
	en.e = New(func() Deps {
		d := en.d
		d.Log = nil
		d.Limiter = ratelimit.Limiter{Store: wideOpen{ratelimit.Postgres{DB: en.db}}}
		return d
	}())
	dev := en.device(proUser, "blender", nil)
	srv := httptest.NewServer(en.e)
	defer srv.Close()
	body, _ := json.Marshal(map[string]string{"shader_id": en.shader.String(), "device_id": dev.String()})
	cred := "Bearer " + en.session(proUser)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	var firstErr sync.Once
	send := func() (time.Duration, bool) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/imports", bytes.NewReader(body))
		req.Header.Set("Authorization", cred)
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		resp, err := client.Do(req)
		el := time.Since(start)
		if err != nil {
			firstErr.Do(func() { t.Logf("first failure: %v", err) })
			return el, false
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			b, _ := io.ReadAll(resp.Body)
			firstErr.Do(func() { t.Logf("first failure: %d %s", resp.StatusCode, b) })
			return el, false
		}
		return el, true
	}
	// Warm the database pool and open the client's connections up front, so the measurement
	// does not pay for TCP dials the load generator would not make in a steady state.
	var warm sync.WaitGroup
	for range 64 {
		warm.Go(func() {
			for range 3 {
				send()
			}
		})
	}
	warm.Wait()
	total := rate * secs
	lat := make([]time.Duration, 0, total)
	var mu sync.Mutex
	var wg sync.WaitGroup
	failed := 0
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i := range total {
		// Open-loop pacing: request i is due at start + i*interval, however slow the others are.
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() {
			el, ok := send()
			mu.Lock()
			defer mu.Unlock()
			lat = append(lat, el)
			if !ok {
				failed++
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	fmt.Printf("EDGE_BENCH {\"requests\":%d,\"failed\":%d,\"rate\":%d,\"achieved\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f}\n",
		total, failed, rate, float64(total)/wall.Seconds(), pct(0.50), pct(0.99))
}
