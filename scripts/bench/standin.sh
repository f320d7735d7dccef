#!/usr/bin/env bash
# Supabase stand-in benchmarks: p50/p95 delivery latency of trigger-sent realtime.send() messages to
# supabase-js clients holding 1,000 open private channels (loopback), and REST req/s of a catalog
# query. Appends to .local/reports/bench.jsonl.
source "$(dirname "$0")/../lib.sh"
cd "$OCTANE_ROOT"
ensure_npm
bin="$OCTANE_LOCAL/bin/supabase-standin"
go build -o "$bin" ./supabase/local

db="standin_bench_$$"
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
LOG_LEVEL=warn "$bin" -addr "127.0.0.1:$port" >"$OCTANE_LOCAL/log/standin-bench.log" 2>&1 &
pid=$!
wait_port 127.0.0.1 "$port" 20 || die "stand-in did not start"

log "standin bench: 1,000 private channels, trigger-sent messages; REST catalog query"
node supabase/local/conformance/bench/standin-bench.mjs 2>/dev/null \
  | python3 -c 'import json,sys
for l in sys.stdin:
    d = json.loads(l); t = d.get("target")
    print(d["name"], d["value"], d["unit"], "null" if t is None else t)' \
  | while read -r name value unit target; do
      bench_result "$name" "$value" "$unit" "$target" null
      echo "$name = $value $unit"
    done
