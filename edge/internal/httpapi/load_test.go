//go:build edgebench

package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

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
	// The production logger, writing to nowhere: its cost per request is part of the measurement.
	log := NewLogger(io.Discard, slog.LevelInfo)
	en := newEnv(t, func(d *Deps) { d.Log = log })
	en.e = New(func() Deps {
		d := en.d
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
		if err != nil {
			firstErr.Do(func() { t.Logf("first failure: %v", err) })
			return time.Since(start), false
		}
		// Read the whole answer before timing it and closing: a body closed unread makes the
		// transport drop the connection, so every request would pay a new TCP connection.
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		el := time.Since(start)
		if err != nil || resp.StatusCode != http.StatusCreated {
			firstErr.Do(func() { t.Logf("first failure: %d %s %v", resp.StatusCode, b, err) })
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
	// EDGE_BENCH_SERIAL requests one after another first: the cost of one request without
	// queueing, the steadiest figure on a shared machine for comparing two builds.
	if n, _ := strconv.Atoi(os.Getenv("EDGE_BENCH_SERIAL")); n > 0 {
		before := readCPU(en.db)
		for range n {
			send()
		}
		c := readCPU(en.db).since(before, n)
		fmt.Printf("EDGE_BENCH_SERIAL {\"requests\":%d,\"process_cpu_us\":%.0f,\"pg_cpu_us\":%.0f,\"allocs\":%.0f,\"other_cores\":%.2f}\n",
			n, c.process, c.pg, c.allocs, c.others)
	}
	best, knee := 0, false
	for _, rate := range rates {
		before := readCPU(en.db)
		s := loadStep(rate, secs, send)
		c := readCPU(en.db).since(before, s.requests)
		fmt.Printf("EDGE_BENCH {\"requests\":%d,\"failed\":%d,\"rate\":%d,\"achieved\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"+
			"\"process_cpu_us\":%.0f,\"pg_cpu_us\":%.0f,\"allocs\":%.0f,\"busy_cores\":%.2f,\"other_cores\":%.2f}\n",
			s.requests, s.failed, rate, s.achieved, s.p50, s.p99, c.process, c.pg, c.allocs, c.busy, c.others)
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

// cpuSample is where the machine's CPU time had gone at one instant: this process (load
// generator and edge), the database's backends for this test's pool, and all cores.
type cpuSample struct {
	at               time.Time
	process          time.Duration
	pg               map[int32]time.Duration // per backend: the pool may replace a connection
	busyTicks, ticks int64
	mallocs          uint64
	pgOK, machineOK  bool
}

// readCPU samples the CPU time of this process (getrusage), of the PostgreSQL backends serving
// this test's database (/proc/<pid>/schedstat: the scheduler's exact run time, so also right
// for the short bursts a backend runs) and of the whole machine (/proc/stat). The database must
// be on this machine; where /proc is not readable the PostgreSQL and machine figures are absent.
func readCPU(db *pgxpool.Pool) cpuSample {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := cpuSample{at: time.Now(), mallocs: ms.Mallocs}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.process = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	rows, err := db.Query(context.Background(),
		`select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend'`)
	if err == nil {
		pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		s.pgOK = err == nil && len(pids) > 0
		s.pg = make(map[int32]time.Duration, len(pids))
		for _, pid := range pids {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", pid))
			f := strings.Fields(string(b))
			if err != nil || len(f) == 0 {
				continue // gone since the query
			}
			if ns, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				s.pg[pid] = time.Duration(ns)
			}
		}
		s.pgOK = s.pgOK && len(s.pg) > 0
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
		for i := 1; i < len(f) && i <= 8; i++ {
			n, _ := strconv.ParseInt(f[i], 10, 64)
			s.ticks += n
			if i != 4 && i != 5 {
				s.busyTicks += n
			}
		}
		s.machineOK = len(f) > 8 && f[0] == "cpu"
	}
	return s
}

// cpuUse is a step's CPU: per request for this process and the database (µs) and this process's
// heap allocations (generator and edge), and the busy cores of the machine in all and outside the
// test (other engineers' work shares the cores).
type cpuUse struct{ process, pg, allocs, busy, others float64 }

func (b cpuSample) since(a cpuSample, requests int) cpuUse {
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(requests) }
	u := cpuUse{process: per(b.process - a.process), pg: -1, busy: -1, others: -1,
		allocs: float64(b.mallocs-a.mallocs) / float64(requests)}
	wall := b.at.Sub(a.at).Seconds()
	if a.pgOK && b.pgOK {
		// Backends present at both ends; one the pool closed in between takes its time with it
		// (only under overload, when requests time out), so the figure is then a floor.
		var pg time.Duration
		common := 0
		for pid, end := range b.pg {
			if start, ok := a.pg[pid]; ok {
				pg += end - start
				common++
			}
		}
		if common > 0 {
			u.pg = per(pg)
		}
	}
	if a.machineOK && b.machineOK && b.ticks > a.ticks {
		cores := float64(runtime.NumCPU())
		u.busy = cores * float64(b.busyTicks-a.busyTicks) / float64(b.ticks-a.ticks)
		if u.pg >= 0 {
			u.others = max(0, u.busy-(u.process+u.pg)*float64(requests)/1e6/wall)
		}
	}
	return u
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
