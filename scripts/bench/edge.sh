#!/usr/bin/env bash
# Edge benchmarks: import token mint and verify (ns/op), and POST /v1/imports latency over
# loopback HTTP in a stepped open-loop load test (the real router, real PostgreSQL from the
# template, a GCRA step per request; one transaction with create_import + realtime.send).
source "$(dirname "$0")/../lib.sh"
cd "$OCTANE_ROOT"
out=$(GOFLAGS=-mod=mod go test -count=1 -run '^$' -bench '^Benchmark(Mint|Verify|RejectForged)$' -benchtime "${TOKEN_BENCH_TIME:-1s}" \
  ./edge/internal/token/ 2>&1) || { echo "$out" >&2; die "token bench failed"; }
nsop() { awk -v name="$1" '$1 ~ "^"name"(-[0-9]+)?$" { for (i = 1; i < NF; i++) if ($(i+1) == "ns/op") print $i }' <<<"$out" | tail -1; }
mint=$(nsop BenchmarkMint) verify=$(nsop BenchmarkVerify) forged=$(nsop BenchmarkRejectForged)
[ -n "$mint" ] && [ -n "$verify" ] && [ -n "$forged" ] || { echo "$out" >&2; die "token bench printed no ns/op"; }
# One goroutine: ns/op is the cost on one core (1 M/s/core = 1000 ns/op).
echo "import token: mint $mint ns/op, verify $verify ns/op, forged token refused in $forged ns/op (target: verify >= 1M/s/core = 1000 ns/op)"
bench_result edge_token_mint_ns "$mint" "ns/op" null null
bench_result edge_token_verify_ns "$verify" "ns/op" 1000 null
bench_result edge_token_reject_forged_ns "$forged" "ns/op" 1000 null

# Stepped open-loop load test of POST /v1/imports (docs/latency.md): EDGE_BENCH_RATES req/s for
# EDGE_BENCH_SECONDS each on one edge and database; the result is the highest rate whose p99 stays
# within 10 ms with no failures (issue 21 target: >= 800 req/s).
# EDGE_BENCH_SERIAL requests one at a time first give the CPU and allocations of one mint without
# queueing, the figure to compare builds by on a shared machine.
rates=${EDGE_BENCH_RATES:-100,200,400,600,800,1000} secs=${EDGE_BENCH_SECONDS:-3} serial=${EDGE_BENCH_SERIAL:-2000}
out=$(EDGE_BENCH_SERIAL=$serial EDGE_BENCH_RATES=$rates EDGE_BENCH_SECONDS=$secs GOFLAGS=-mod=mod go test -tags edgebench -count=1 -timeout 10m \
  -run '^TestLoadCreateImport$' -v ./edge/internal/httpapi/ 2>&1) || { echo "$out" >&2; die "import load test failed"; }
grep -q '^EDGE_BENCH_MAX ' <<<"$out" || { echo "$out" >&2; die "import load test printed no result"; }
EDGE_OUT=$out python3 - "$OCTANE_LOCAL/reports/bench.jsonl" <<'PY'
import json, os, sys
lines = [l.split(" ", 1) for l in os.environ["EDGE_OUT"].splitlines() if l.startswith("EDGE_BENCH")]
steps = [json.loads(j) for k, j in lines if k == "EDGE_BENCH"]
best = next(json.loads(j) for k, j in lines if k == "EDGE_BENCH_MAX")
rows = []
add = lambda name, value, unit, target=None: rows.append({"name": name, "value": value, "unit": unit, "target": target, "baseline": None})
for k, j in lines:
    if k == "EDGE_BENCH_SERIAL":
        one = json.loads(j)
        print("POST /v1/imports one at a time (%d): %.0f us CPU in the test process (generator + edge), %.0f us in PostgreSQL, %.0f allocations per mint (other load: %.2f cores)"
              % (one["requests"], one["process_cpu_us"], one["pg_cpu_us"], one["allocs"], one["other_cores"]))
        add("edge_import_mint_serial_process_cpu_us", one["process_cpu_us"], "us/request")
        add("edge_import_mint_serial_pg_cpu_us", one["pg_cpu_us"], "us/request")
        add("edge_import_mint_serial_allocs", one["allocs"], "allocs/request")
print("POST /v1/imports, stepped open-loop load (load generator, edge and PostgreSQL share the cores);")
print("CPU per request of the test process (generator + edge) and of its PostgreSQL backends, and the")
print("machine's busy cores in all and outside the test (other work on the machine):")
print("  %8s %9s %9s %9s %7s %11s %9s %6s %7s" % ("req/s", "achieved", "p50 ms", "p99 ms", "failed", "edge+gen us", "pg us", "busy", "others"))
for s in steps:
    print("  %8d %9.0f %9.2f %9.2f %7d %11.0f %9.0f %6.2f %7.2f" % (s["rate"], s["achieved"], s["p50_ms"], s["p99_ms"], s["failed"],
          s["process_cpu_us"], s["pg_cpu_us"], s["busy_cores"], s["other_cores"]))
    add("edge_import_mint_p50_ms_at_%drps" % s["rate"], s["p50_ms"], "ms")
    add("edge_import_mint_p99_ms_at_%drps" % s["rate"], s["p99_ms"], "ms", best["p99_limit_ms"])
    add("edge_import_mint_failed_at_%drps" % s["rate"], s["failed"], "requests", 0)
    add("edge_import_mint_process_cpu_us_at_%drps" % s["rate"], s["process_cpu_us"], "us/request")
    if s["pg_cpu_us"] >= 0:
        add("edge_import_mint_pg_cpu_us_at_%drps" % s["rate"], s["pg_cpu_us"], "us/request")
    if s["other_cores"] >= 0:
        add("edge_import_mint_other_cores_at_%drps" % s["rate"], s["other_cores"], "cores")
add("edge_import_mint_max_rps_p99_10ms", best["max_rate"], "req/s", 800)
print("  highest rate with p99 <= %g ms and no failures: %d req/s (target >= 800)" % (best["p99_limit_ms"], best["max_rate"]))
with open(sys.argv[1], "a") as f:
    f.writelines(json.dumps(r) + "\n" for r in rows)
PY
