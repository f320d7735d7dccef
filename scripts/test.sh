#!/usr/bin/env bash
# `make test`: installs what is missing, starts the backing services it needs, builds a fresh
# template database, runs every suite in scripts/suites/ and prints one summary line.
# Services this script started are stopped again when it ends.
source "$(dirname "$0")/lib.sh"
cd "$OCTANE_ROOT"

"$OCTANE_ROOT/scripts/setup.sh"

use_services pg s3 stripe
"$OCTANE_ROOT/scripts/db.sh" template

rm -f "$OCTANE_LOCAL"/reports/suites/*.json
only="${SUITES:-}"   # e.g. SUITES="go pgtap" make test
for suite in "$OCTANE_ROOT"/scripts/suites/*.sh; do
  name="$(basename "$suite" .sh)"; name="${name#[0-9][0-9]-}"
  if [ -n "$only" ] && [[ " $only " != *" $name "* ]]; then continue; fi
  log "suite $name"
  start=$(date +%s)
  if ! bash "$suite"; then
    # A suite that died before reporting still counts as a failure.
    [ -f "$OCTANE_LOCAL/reports/suites/$name.json" ] || report_suite "$name" 0 1 0
  fi
  log "suite $name took $(( $(date +%s) - start ))s"
done

python3 - "$OCTANE_LOCAL/reports" <<'PY'
import json, os, sys
d = sys.argv[1]
suites = []
for f in sorted(os.listdir(os.path.join(d, "suites"))):
    with open(os.path.join(d, "suites", f)) as fh:
        suites.append(json.load(fh))
with open(os.path.join(d, "tests.json"), "w") as fh:
    json.dump({"suites": suites}, fh, indent=2)
print()
print("%-12s %8s %8s %8s" % ("suite", "passed", "failed", "skipped"))
for s in suites:
    print("%-12s %8d %8d %8d" % (s["name"], s["passed"], s["failed"], s["skipped"]))
p = sum(s["passed"] for s in suites); f = sum(s["failed"] for s in suites); k = sum(s["skipped"] for s in suites)
print()
print("%d passed, %d failed" % (p, f) + (", %d skipped" % k if k else ""))
sys.exit(1 if f or not suites else 0)
PY
