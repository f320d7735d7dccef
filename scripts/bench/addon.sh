#!/usr/bin/env bash
# Add-on import overhead: importer.import_package (append, reuse check, assignment, provenance,
# one undo step) against a bare bpy.data.libraries.load of the same .blend, in headless Blender 3.4,
# each run in a freshly loaded startup file, interleaved, median of RUNS (default 15) each.
# Times are CPU time of the Blender process (time.process_time): the machine is shared, and wall
# time there measures the neighbours (docs/decisions.md, "Blender add-on"). Target: ratio <= 1.2.
source "$(dirname "$0")/../lib.sh"
cd "$OCTANE_ROOT"
command -v blender >/dev/null || die "blender not found (Debian package blender)"
runs="${RUNS:-15}"
shader="${BENCH_SHADER:-oak-wood}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/pkg" "$OCTANE_LOCAL/reports"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
  "catalog/demo/$(python3 -c 'import json, sys; print(next(s["package"] for s in json.load(open("catalog/demo/catalog.json"))["shaders"] if s["shader_id"] == sys.argv[1]))' "$shader")" "$work/pkg"
material="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["material_name"])' "$work/pkg/manifest.json")"
blender -b --factory-startup -noaudio --python-exit-code 1 -P blender_addon/tests/blender/bench_import.py -- \
  "$OCTANE_ROOT" "$work/pkg" "$material" "$shader" "$runs" "$work/out.json" ${PROFILE:+profile} >"$work/blender.log" 2>&1 \
  || { tail -40 "$work/blender.log" >&2; die "addon bench failed"; }
[ -n "${PROFILE:-}" ] && sed -n '/function calls/,/^$/p;/ncalls/,/^$/p' "$work/blender.log" | head -40 >&2
python3 - "$work/out.json" "$OCTANE_LOCAL/reports/bench.jsonl" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
lines = [
    {"name": "addon import vs bare libraries.load", "value": round(r["ratio"], 3), "unit": "x", "target": 1.2,
     "baseline": round(r["bare_ms"], 3)},
    {"name": "addon import, undo step share", "value": round(r["undo_ms"], 3), "unit": "ms", "target": None,
     "baseline": round(r["addon_ms"], 3)},
    # the same shader again (more objects): reuses the material, no file read
    {"name": "addon re-import (reuse) vs bare libraries.load", "value": round(r["reuse_ms"] / r["bare_ms"], 3), "unit": "x",
     "target": 1.2, "baseline": round(r["bare_ms"], 3)},
]
with open(sys.argv[2], "a") as f:
    for line in lines:
        f.write(json.dumps(line) + "\n")
print(f"addon import {r['addon_ms']:.2f} ms vs bare libraries.load {r['bare_ms']:.2f} ms (CPU, median of {r['runs']}): "
      f"{r['ratio']:.2f}x (target 1.2x); of which the undo step {r['undo_ms']:.2f} ms; re-import (reuse) {r['reuse_ms']:.2f} ms")
PY
