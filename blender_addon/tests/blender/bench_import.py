"""Inside headless Blender: times importer.import_package against a bare
bpy.data.libraries.load of the same .blend, each in a freshly loaded startup file, interleaved.

CPU time of the process (time.process_time): on a shared machine wall time mostly measures the
neighbours. The undo step's own cost is measured too (a push right after a bare load + assign),
because it is a fixed cost of Blender's global undo that the bare load does not pay.

Args after `--`: ROOT PACKAGE_DIR MATERIAL_NAME SHADER_ID RUNS OUT_JSON [profile]
"""
import json
import os
import statistics
import sys
import time

import bpy

args = sys.argv[sys.argv.index("--") + 1 :]
root, pkg, material, shader_id, runs, out = args[:6]
runs = int(runs)
sys.path.insert(0, root)
from blender_addon import importer  # noqa: E402  (the add-on package, imported without installing)

blend = os.path.join(pkg, "material.blend")


def fresh():
    bpy.ops.wm.read_homefile(use_empty=False)  # startup file: a selected cube, nothing imported
    assert material not in bpy.data.materials


def bare():
    with bpy.data.libraries.load(blend, link=False) as (src, dst):
        dst.materials = [material]
    assert dst.materials[0] is not None


def addon(i):
    r = importer.import_package({"import_id": f"b{i}", "shader_id": shader_id, "version": "1.0.0",
                                 "material_name": material, "blend_path": blend, "package_dir": pkg})
    assert r["type"] == "imported" and r["objects"] == ["Cube"], r


def timed(fn):
    fresh()
    t = time.process_time()
    fn()
    return (time.process_time() - t) * 1000


def undo_step():
    bare()
    bpy.context.view_layer.objects.active.material_slots[0].material = bpy.data.materials[material]
    t = time.process_time()
    bpy.ops.ed.undo_push(message="bench")
    return (time.process_time() - t) * 1000


if len(args) > 6 and args[6] == "profile":
    import cProfile
    import pstats

    fresh()
    prof = cProfile.Profile()
    prof.enable()
    addon(0)
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(25)

timed(bare), timed(lambda: addon(-1))  # warm the OS file cache and Python imports
def reuse(i):
    fresh()
    addon(f"first{i}")  # the shader is already in the file: the next import reuses it
    t = time.process_time()
    addon(i)
    return (time.process_time() - t) * 1000


bare_ms, addon_ms, undo_ms, reuse_ms = [], [], [], []
for i in range(runs):
    bare_ms.append(timed(bare))
    addon_ms.append(timed(lambda: addon(i)))
    fresh()
    undo_ms.append(undo_step())
    reuse_ms.append(reuse(i))
res = {"bare_ms": statistics.median(bare_ms), "addon_ms": statistics.median(addon_ms), "runs": runs,
       "undo_ms": statistics.median(undo_ms), "reuse_ms": statistics.median(reuse_ms), "bare_all": bare_ms, "addon_all": addon_ms}
res["ratio"] = res["addon_ms"] / res["bare_ms"]
with open(out, "w") as f:
    json.dump(res, f)
