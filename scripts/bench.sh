#!/usr/bin/env bash
# `make bench`: runs every scripts/bench/*.sh (each appends JSON lines), then writes
# .local/reports/bench.json and prints a table. Parts that do not exist yet have no benchmark.
source "$(dirname "$0")/lib.sh"
cd "$OCTANE_ROOT"
"$OCTANE_ROOT/scripts/setup.sh"
use_services pg s3 stripe
"$OCTANE_ROOT/scripts/db.sh" template
rm -f "$OCTANE_LOCAL/reports/bench.jsonl"
for b in "$OCTANE_ROOT"/scripts/bench/*.sh; do
  [ -e "$b" ] || continue
  log "bench $(basename "$b" .sh)"
  bash "$b" || warn "benchmark $(basename "$b") failed"
done
touch "$OCTANE_LOCAL/reports/bench.jsonl"
python3 - "$OCTANE_LOCAL/reports" <<'PY'
import json, os, sys
d = sys.argv[1]
rows = [json.loads(l) for l in open(os.path.join(d, "bench.jsonl")) if l.strip()]
json.dump({"results": rows}, open(os.path.join(d, "bench.json"), "w"), indent=2)
print("%-48s %14s %-8s %10s %10s" % ("benchmark", "value", "unit", "target", "baseline"))
for r in rows:
    f = lambda v: "-" if v is None else ("%.4g" % v if isinstance(v, float) else str(v))
    print("%-48s %14s %-8s %10s %10s" % (r["name"], f(r["value"]), r["unit"], f(r.get("target")), f(r.get("baseline"))))
PY
