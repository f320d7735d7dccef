#!/usr/bin/env bash
# Blender add-on: plain pytest for the bpy-free modules and the bridge process, plus real
# headless Blender tests (add-on installed from its built zip, imports through a bridge process)
# in Debian's Blender 3.4 (legacy add-on) and in bpy 4.2 LTS and 5.x from PyPI (extensions).
# With CI=true a missing Blender, bpy or bridge build fails the suite instead of skipping.
source "$(dirname "$0")/../lib.sh"
cd "$OCTANE_ROOT"
ensure_pip pytest==8.3.4 hypothesis==6.170.15
# Blender 4.2 LTS and the newest 5.x as bpy modules from PyPI (scripts/lib.sh).
ensure_bpy
# The real bridge for the tests that run it (tests/blender/test_real_bridge.py).
bridge_bin="$OCTANE_LOCAL/bin/octane-bridge-test"
if go build -o "$bridge_bin" ./bridge 2>"$OCTANE_LOCAL/log/addon-bridge-build.log"; then
  export OCTANE_REAL_BRIDGE="$bridge_bin"
else
  warn "addon: the bridge does not build (see .local/log/addon-bridge-build.log)"
  rm -f "$bridge_bin"
fi
report="$OCTANE_LOCAL/reports/addon-junit.xml"
rm -f "$report"
log "addon: pytest blender_addon/tests"
# 900 s: the release test (tests/blender/test_release.py) cross-compiles five bridges, cold in a fresh CI.
timeout 900 python3 -m pytest -p no:cacheprovider -q --junitxml="$report" blender_addon/tests || true
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
