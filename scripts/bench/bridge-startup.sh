#!/usr/bin/env bash
# Bridge start-up: exec of the binary → its answer to the add-on's hello on stdout (what the artist
# waits for when Blender starts), median and p95 of BRIDGE_STARTUP_RUNS (default 30) cold processes,
# each with an empty cache directory. The idle RSS and CPU of a paired, online bridge are measured
# on the full stack by the import benchmark (scripts/bench/import.sh).
source "$(dirname "$0")/../lib.sh"
cd "$OCTANE_ROOT"

bin="$OCTANE_LOCAL/bin/octane-bridge-bench"
go build -trimpath -ldflags "-s -w" -o "$bin" ./bridge || die "the bridge does not build"

python3 - "$bin" "${BRIDGE_STARTUP_RUNS:-30}" <<'PY' >>"$OCTANE_LOCAL/reports/bench.jsonl"
import json, os, subprocess, sys, tempfile, time

binary, runs = sys.argv[1], int(sys.argv[2])
hello = json.dumps({"v": 1, "type": "hello", "id": "h1",
    "addon_version": "bench", "blender_version": "bench", "platform": "linux",
    "site_url": "http://127.0.0.1:1", "edge_url": "http://127.0.0.1:1",
    "supabase_url": "http://127.0.0.1:1", "supabase_anon_key": "bench"}) + "\n"
times = []
for _ in range(runs):
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, OCTANE_BRIDGE_CACHE_DIR=d)
        start = time.perf_counter()
        p = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        p.stdin.write(hello.encode()); p.stdin.flush()
        line = p.stdout.readline()
        times.append((time.perf_counter() - start) * 1000)
        p.stdin.close(); p.wait(timeout=10)
        reply = json.loads(line)
        if reply.get("type") != "hello":
            sys.exit("the bridge answered hello with %r" % line)
times.sort()
p50 = times[len(times) // 2]
p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
print("bridge start-up (exec → hello answered), %d runs: p50 %.1f ms, p95 %.1f ms" % (runs, p50, p95), file=sys.stderr)
for name, v in (("bridge_startup_p50", p50), ("bridge_startup_p95", p95)):
    print(json.dumps({"name": name, "value": round(v, 1), "unit": "ms", "target": None, "baseline": None}))
PY
