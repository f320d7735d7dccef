#!/usr/bin/env bash
# Web app: Vitest (lib + client components), then the Playwright e2e tests that pass against
# the local stack (stand-in :54321, edge :8787) when E2E is enabled (see docs/frontend.md).
set -uo pipefail
OCTANE_ROOT="${OCTANE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
OCTANE_LOCAL="${OCTANE_LOCAL:-$OCTANE_ROOT/.local}"
export OCTANE_ROOT OCTANE_LOCAL
source "$OCTANE_ROOT/scripts/lib.sh"
mkdir -p "$OCTANE_LOCAL/reports/suites"

cd "$OCTANE_ROOT/frontend" || exit 1
report="$OCTANE_LOCAL/reports/web-vitest.json"
rm -f "$report"
VITEST_JSON="$report" "$OCTANE_ROOT/node_modules/.bin/vitest" run
rc=$?
read -r passed failed skipped < <(node -e '
  const fs = require("fs"); const f = process.argv[1];
  if (!fs.existsSync(f)) { console.log("0 1 0"); process.exit(0); }
  const r = JSON.parse(fs.readFileSync(f, "utf8"));
  console.log(r.numPassedTests, r.numFailedTests, r.numPendingTests + r.numTodoTests);
' "$report")
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi

# Counted so that CI fails on them: `make lint`'s web half (route types, tsc, ESLint with Next.js's
# rules and the layer rules, warnings included), and lib/database.types.ts against the migrations.
if npm run --silent lint; then passed=$((passed + 1)); else echo "web: lint failed (npm run lint -w frontend)"; failed=$((failed + 1)); fi
if bash "$OCTANE_ROOT/scripts/types.sh" --check; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

if [ "${WEB_E2E:-1}" != "0" ] && [ -f "$OCTANE_ROOT/frontend/tests/e2e/run.mjs" ]; then
  e2e_report="$OCTANE_LOCAL/reports/web-e2e.json"
  rm -f "$e2e_report"
  E2E_REPORT="$e2e_report" node "$OCTANE_ROOT/frontend/tests/e2e/run.mjs" site edge
  e2e_rc=$?
  if [ -f "$e2e_report" ]; then
    read -r p f s < <(node -e 'const r=require(process.argv[1]);console.log(r.passed,r.failed,r.skipped)' "$e2e_report")
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  fi
  if [ "$e2e_rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then failed=$((failed + 1)); fi
fi

# Threat 39, dependency integrity: every npm package is pinned by a sha512 integrity in
# package-lock.json and setup installs with npm ci (scripts/check-npm-lock.mjs).
if node "$OCTANE_ROOT/scripts/check-npm-lock.mjs" "$OCTANE_ROOT"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

report_suite web "$passed" "$failed" "$skipped"
echo "web: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
