#!/usr/bin/env bash
# Supabase stand-in: the real @supabase/supabase-js (node:test) against the stand-in binary, which
# runs on a free loopback port over a fresh clone of the template database.
source "$(dirname "$0")/../lib.sh"
cd "$OCTANE_ROOT"
ensure_npm
mkdir -p "$OCTANE_LOCAL/reports"
bin="$OCTANE_LOCAL/bin/supabase-standin"
log "standin: building supabase/local"
go build -o "$bin" ./supabase/local

db="standin_$$"
PSQL=(psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres)
"${PSQL[@]}" -c "create database $db template $OCTANE_PG_TEMPLATE"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  "${PSQL[@]}" -c "drop database if exists $db with (force)" >/dev/null || true
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
env_val() { grep -E "^$1=" "$OCTANE_ROOT/.env.example" | head -1 | cut -d= -f2-; }
export SUPABASE_ANON_KEY="${SUPABASE_ANON_KEY:-$(env_val SUPABASE_ANON_KEY)}"
export SUPABASE_SERVICE_ROLE_KEY="${SUPABASE_SERVICE_ROLE_KEY:-$(env_val SUPABASE_SERVICE_ROLE_KEY)}"
export DATABASE_URL="postgres://postgres:postgres@127.0.0.1:$PG_PORT/$db?sslmode=disable"
export STANDIN_URL="http://127.0.0.1:$port"
LOG_LEVEL=warn "$bin" -addr "127.0.0.1:$port" >"$OCTANE_LOCAL/log/standin-suite.log" 2>&1 &
pid=$!
wait_port 127.0.0.1 "$port" 20 || { tail -20 "$OCTANE_LOCAL/log/standin-suite.log"; die "stand-in did not start"; }

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
