#!/usr/bin/env bash
# Supabase stand-in benchmarks: p50/p95 delivery latency of trigger-sent realtime.send() messages to
# supabase-js clients holding 1,000 open private channels (loopback), and REST req/s of a catalog
# query. Appends to .local/reports/bench.jsonl.
source "$(dirname "$0")/../lib.sh"
cd "$OCTANE_ROOT"
ensure_npm
start_standin standin-bench

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
