#!/usr/bin/env bash
# Import latency on the full local stack (docs/e2e.md): click "Import to Blender" in Chromium →
# material assigned on the selected cube in headless Blender (the add-on's own timestamp), p50 and
# p95 over BENCH_IMPORTS (default 20) imports of a ~5 MB package, with a cold bridge cache (cleared
# before each import) and a warm one; the median time of each step from imports.timings; and
# p50/p95 of every hop of an import on one clock (docs/latency.md). Targets (issue 21): p50
# ≤ 120 ms cold, ≤ 50 ms warm, the page done ≤ 25 ms after Blender. Then package format v2 (issue 16):
# click → material at 4K of a ≥ 40 MB download, cold and warm, and a 2K → 4K switch in Blender, cold
# (BENCH_V2_IMPORTS rounds, default 5; BENCH_ONLY=v1|v2 runs one part). Appends to .local/reports/bench.jsonl.
# Needs PostgreSQL (with the template), versitygw, Chromium, Blender and a building bridge.
source "$(dirname "$0")/../lib.sh"
cd "$OCTANE_ROOT"

use_services pg s3
# make bench built the template already; on its own, this script builds it when it started PostgreSQL.
if [ ${#STARTED_SERVICES[@]} -gt 0 ]; then "$OCTANE_ROOT/scripts/db.sh" template; fi

out="$OCTANE_LOCAL/reports/bench-import.jsonl"
rm -f "$out"
log "import latency: ${BENCH_IMPORTS:-20} cold + ${BENCH_IMPORTS:-20} warm imports"
BENCH_OUT="$out" timeout -k 10 1500 node "$OCTANE_ROOT/e2e/run.mjs" --bench || die "the import benchmark failed (logs: .local/log/e2e/)"
[ -s "$out" ] || die "the import benchmark wrote no results"
cat "$out" >>"$OCTANE_LOCAL/reports/bench.jsonl"
log "import latency: $(wc -l <"$out") results appended to .local/reports/bench.jsonl"
