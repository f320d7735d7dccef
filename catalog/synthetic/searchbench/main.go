// Command searchbench measures public.search_shaders latency for the site's query mix.
//
//	go run ./catalog/synthetic/searchbench -db URL -queries catalog/synthetic/queries [-seconds 20]
//
// Each connection runs as role anon (as PostgREST does for the browse page), round-robin over
// the query files; it prints per-query and overall p50/p95/p99 in milliseconds and, last, one
// line "p50 p95 p99 n slowest slowest_p95" for scripts.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "searchbench:", err)
		os.Exit(1)
	}
}

type query struct {
	name, sql string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("searchbench", flag.ContinueOnError)
	dbURL := fl.String("db", "", "database URL")
	dir := fl.String("queries", "catalog/synthetic/queries", "folder of .sql files, one query each")
	seconds := fl.Float64("seconds", 20, "measured duration")
	clients := fl.Int("clients", 2, "concurrent connections")
	role := fl.String("role", "anon", "role to run the queries as")
	if err := fl.Parse(args); err != nil {
		return err
	}
	files, _ := filepath.Glob(filepath.Join(*dir, "*.sql"))
	slices.Sort(files)
	var qs []query
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		qs = append(qs, query{strings.TrimSuffix(filepath.Base(f), ".sql"), strings.TrimSpace(string(b))})
	}
	if len(qs) == 0 {
		return fmt.Errorf("no queries in %s", *dir)
	}
	lat := make([]map[string][]time.Duration, *clients)
	var wg sync.WaitGroup
	errs := make(chan error, *clients)
	for c := 0; c < *clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			lat[c] = map[string][]time.Duration{}
			conn, err := pgx.Connect(ctx, *dbURL)
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, "set role "+pgx.Identifier{*role}.Sanitize()); err != nil {
				errs <- err
				return
			}
			exec := func(q query) (time.Duration, error) {
				t := time.Now()
				rows, err := conn.Query(ctx, q.sql, pgx.QueryExecModeSimpleProtocol)
				if err != nil {
					return 0, err
				}
				for rows.Next() {
				}
				rows.Close()
				return time.Since(t), rows.Err()
			}
			for _, q := range qs { // warm-up: plans, buffers
				if _, err := exec(q); err != nil {
					errs <- fmt.Errorf("%s: %w", q.name, err)
					return
				}
			}
			end := time.Now().Add(time.Duration(*seconds * float64(time.Second)))
			for i := c; time.Now().Before(end); i++ {
				q := qs[i%len(qs)]
				d, err := exec(q)
				if err != nil {
					errs <- fmt.Errorf("%s: %w", q.name, err)
					return
				}
				lat[c][q.name] = append(lat[c][q.name], d)
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	var all []time.Duration
	slowest, slowestP95 := "", time.Duration(0)
	for _, q := range qs {
		var xs []time.Duration
		for c := range lat {
			xs = append(xs, lat[c][q.name]...)
		}
		all = append(all, xs...)
		p95 := pct(xs, 95)
		fmt.Fprintf(stderr, "  %-24s n=%6d p50=%7.2f ms p95=%7.2f ms\n", q.name, len(xs), ms(pct(xs, 50)), ms(p95))
		if p95 >= slowestP95 {
			slowest, slowestP95 = q.name, p95
		}
	}
	fmt.Fprintf(stdout, "%.3f %.3f %.3f %d %s %.3f\n", ms(pct(all, 50)), ms(pct(all, 95)), ms(pct(all, 99)), len(all), slowest, ms(slowestP95))
	return nil
}

func pct(xs []time.Duration, p float64) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(p/100*float64(len(s)-1) + 0.5)
	return s[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
