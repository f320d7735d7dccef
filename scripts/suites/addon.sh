#!/usr/bin/env bash
# Blender add-on: plain pytest for the bpy-free modules and the bridge process, plus real
# headless Blender tests (add-on installed from its built zip, imports through a bridge process).
# With CI=true a missing Blender fails the suite instead of skipping.
source "$(dirname "$0")/../lib.sh"
cd "$OCTANE_ROOT"
ensure_pip pytest==8.3.4
report="$OCTANE_LOCAL/reports/addon-junit.xml"
rm -f "$report"
log "addon: pytest blender_addon/tests"
timeout 600 python3 -m pytest -p no:cacheprovider -q --junitxml="$report" blender_addon/tests || true
read -r passed failed skipped < <(python3 - "$report" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print(0, 1, 0); sys.exit()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
t = sum(int(s.get("tests", 0)) for s in suites)
f = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
k = sum(int(s.get("skipped", 0)) for s in suites)
print(t - f - k, f if t else 1, k)
PY
)
report_suite addon "$passed" "$failed" "$skipped"
echo "addon: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
