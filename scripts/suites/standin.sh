#!/usr/bin/env bash
# Supabase stand-in: the real @supabase/supabase-js (node:test) against the stand-in binary, which
# runs on a free loopback port over a fresh clone of the template database.
source "$(dirname "$0")/../lib.sh"
cd "$OCTANE_ROOT"
ensure_npm
mkdir -p "$OCTANE_LOCAL/reports"
log "standin: building and starting supabase/local"
start_standin standin-suite

out="$OCTANE_LOCAL/reports/standin.tap"
status=0
node --test --test-force-exit --test-timeout=30000 --test-concurrency=1 --test-reporter=tap \
  supabase/local/conformance/*.test.mjs >"$out" 2>&1 || status=$?
count() { grep -E "^# $1 [0-9]+" "$out" | awk '{print $3}' | tail -1; }
passed="$(count pass)"; failed="$(count fail)"; skipped="$(count skipped)"
cancelled="$(count cancelled)"
passed="${passed:-0}"; failed="$(( ${failed:-0} + ${cancelled:-0} ))"; skipped="${skipped:-0}"
grep -E '^\s*not ok' "$out" | head -20 || true
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; tail -30 "$out"; fi
report_suite standin "$passed" "$failed" "$skipped"
echo "standin: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
