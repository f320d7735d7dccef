#!/usr/bin/env bash
# Blender add-on: plain pytest for the bpy-free modules and the bridge process, plus real
# headless Blender tests (add-on installed from its built zip, imports through a bridge process)
# in Debian's Blender 3.4 (legacy add-on) and in the current bpy from PyPI (4.2+ extension).
# With CI=true a missing Blender, bpy or bridge build fails the suite instead of skipping.
source "$(dirname "$0")/../lib.sh"
cd "$OCTANE_ROOT"
ensure_pip pytest==8.3.4 hypothesis==6.170.15
# bpy from PyPI needs exactly the Python of its Blender (3.11 for 4.2-5.0); its own venv keeps
# numpy & co. out of the system Python.
BPY_VERSION=5.0.1
venv="$OCTANE_LOCAL/bpy-venv"
if [ "$(python3 -c 'import sys; print(sys.version_info[:2] == (3, 11))')" = True ]; then
  if [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("bpy"))' 2>/dev/null)" != "$BPY_VERSION" ]; then
    log "addon: installing bpy $BPY_VERSION from PyPI into ${venv#$OCTANE_ROOT/}"
    ensure_apt python3-venv
    python3 -m venv "$venv" && "$venv/bin/python" -m pip install -q --disable-pip-version-check "bpy==$BPY_VERSION" \
      || warn "bpy $BPY_VERSION could not be installed (its tests fail with CI=true, skip otherwise)"
  fi
  export OCTANE_BPY_PYTHON="$venv/bin/python"
fi
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
