#!/usr/bin/env bash
# Web app: gzipped JS of the browse page (target <= 150 KB), LCP and CLS of the production build
# in Chromium (median of WEB_BENCH_RUNS, default 5). Reuses a running stack, else starts its own.
set -euo pipefail
OCTANE_ROOT="${OCTANE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
OCTANE_LOCAL="${OCTANE_LOCAL:-$OCTANE_ROOT/.local}"
export OCTANE_ROOT OCTANE_LOCAL
mkdir -p "$OCTANE_LOCAL/reports"
out=$(node "$OCTANE_ROOT/frontend/tests/bench/web-vitals.mjs" | grep '^{"name"')
echo "$out"
echo "$out" >>"$OCTANE_LOCAL/reports/bench.jsonl"
