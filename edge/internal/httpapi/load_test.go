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
	"strings"
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

// TestLoadCreateImport measures POST /v1/imports over loopback HTTP in a stepped, open-loop load
// test: EDGE_BENCH_RATES (req/s, comma-separated, ascending; default 100,200,400,600,800,1000),
// EDGE_BENCH_SECONDS each (default 3), on one edge and one database. It prints one EDGE_BENCH line
// per step and an EDGE_BENCH_MAX line with the highest rate that kept p99 ≤ EDGE_BENCH_P99_MS
// (default 10) with no failures, below the first step that did not; scripts/bench/edge.sh runs
// it. It is a measurement, not an assertion: the edgebench build tag keeps it out of make test.
func TestLoadCreateImport(t *testing.T) {
	rates := benchRates(os.Getenv("EDGE_BENCH_RATES"), os.Getenv("EDGE_BENCH_RATE"))
	secs, _ := strconv.Atoi(os.Getenv("EDGE_BENCH_SECONDS"))
	if secs <= 0 {
		secs = 3
	}
	limit, _ := strconv.ParseFloat(os.Getenv("EDGE_BENCH_P99_MS"), 64)
	if limit <= 0 {
		limit = 10
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
	best, knee := 0, false
	for _, rate := range rates {
		s := loadStep(rate, secs, send)
		fmt.Printf("EDGE_BENCH {\"requests\":%d,\"failed\":%d,\"rate\":%d,\"achieved\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f}\n",
			s.requests, s.failed, rate, s.achieved, s.p50, s.p99)
		// A step passes when the generator kept up (an overloaded generator under-offers and
		// flatters the edge), nothing failed and p99 stayed within the limit.
		if !knee && s.failed == 0 && s.p99 <= limit && s.achieved >= 0.95*float64(rate) {
			best = rate
		} else {
			knee = true
		}
		time.Sleep(500 * time.Millisecond) // let the last step's stragglers and autovacuum settle
	}
	fmt.Printf("EDGE_BENCH_MAX {\"max_rate\":%d,\"p99_limit_ms\":%g}\n", best, limit)
}

type stepResult struct {
	requests, failed int
	achieved, p50    float64
	p99              float64
}

// loadStep sends rate×secs requests paced open-loop: request i is due at start + i/rate however
// slow the others are, so a slow edge shows as latency, not as a lower offered rate.
func loadStep(rate, secs int, send func() (time.Duration, bool)) stepResult {
	total := rate * secs
	lat := make([]time.Duration, 0, total)
	var mu sync.Mutex
	var wg sync.WaitGroup
	failed := 0
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i := range total {
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
	return stepResult{requests: total, failed: failed, achieved: float64(total) / wall.Seconds(), p50: pct(0.50), p99: pct(0.99)}
}

// benchRates parses the step list; a single EDGE_BENCH_RATE is a one-step test.
func benchRates(list, one string) []int {
	if list == "" {
		list = one
	}
	if list == "" {
		list = "100,200,400,600,800,1000"
	}
	var rates []int
	for _, f := range strings.Split(list, ",") {
		if r, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && r > 0 {
			rates = append(rates, r)
		}
	}
	slices.Sort(rates)
	return rates
}
