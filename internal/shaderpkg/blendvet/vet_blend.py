"""Vet material.blend files from shader packages in headless Blender.

    blender -b --factory-startup -noaudio --disable-autoexec --python-exit-code 1 \
        -P vet_blend.py -- REPORT.json BLEND [BLEND...]

Each .blend is opened with scripts disabled and inspected, never rendered. REPORT.json gets one
entry per file: {"file", "materials", "images": [{"name", "path"}], "problems": [{"code",
"datablock", "message"}]}. The Go side (this folder's Go package) turns problems into
rejections and cross-checks image paths against the package's manifest.

OctaneBlender's node classes are stood in by probes built from its real node definitions
(octane_probe.py, written beside this script), registered before any file is opened, so each
material's Octane graph is bound and validated (octane_check.py) as OctaneBlender would see it.
"""
import json
import os
import sys

import bpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import codes  # noqa: E402  (schemas/codes.json, written beside this script)
import octane_check  # noqa: E402
import octane_probe  # noqa: E402

FACTS = octane_probe.register()

# Datablock collections that may not appear in a material package at all.
FORBIDDEN = {
    "libraries": (codes.LINKED_LIBRARY, "links to another .blend file"),
    "texts": None,  # handled separately (modules rejected, plain text reported)
    "fonts": (codes.EXTERNAL_DATA, "contains a font"),
    "sounds": (codes.EXTERNAL_DATA, "contains a sound"),
    "movieclips": (codes.EXTERNAL_DATA, "contains a movie clip"),
    "cache_files": (codes.EXTERNAL_DATA, "contains a cache file"),
    "volumes": (codes.EXTERNAL_DATA, "contains a volume"),
    "objects": (codes.UNEXPECTED_DATA, "contains an object; a package holds one material only"),
    "meshes": (codes.UNEXPECTED_DATA, "contains a mesh; a package holds one material only"),
    "worlds": (codes.UNEXPECTED_DATA, "contains a world; a package holds one material only"),
}


def vet(path):
    rep = {"file": path, "materials": [], "images": [], "problems": []}

    def problem(code, datablock, message):
        rep["problems"].append({"code": code, "datablock": datablock, "message": message})

    bpy.ops.wm.open_mainfile(filepath=path, load_ui=False, use_scripts=False)
    if bpy.context.preferences.filepaths.use_scripts_auto_execute:
        problem(codes.VET_UNSAFE, "", "Blender was started with script auto-execution enabled; refusing to vet")
        return rep
    pkg_dir = os.path.dirname(os.path.abspath(path))

    for attr, rule in FORBIDDEN.items():
        if rule is None:
            continue
        for idb in getattr(bpy.data, attr):
            problem(rule[0], "%s \"%s\"" % (attr[:-1], idb.name), rule[1])

    for t in bpy.data.texts:
        if t.use_module:
            problem(codes.SCRIPT_MODULE, "text \"%s\"" % t.name,
                    "text block is registered as a module, so it would run as Python when the file is opened")
        else:
            problem(codes.TEXT_BLOCK, "text \"%s\"" % t.name, "contains a text block; packages carry no scripts")

    # Scripted drivers run Python expressions; plain (non-scripted) drivers are harmless.
    for coll in ("materials", "node_groups", "images", "scenes", "objects", "meshes", "worlds", "textures"):
        for idb in getattr(bpy.data, coll):
            trees = [idb]
            if getattr(idb, "node_tree", None) is not None:
                trees.append(idb.node_tree)
            for owner in trees:
                ad = getattr(owner, "animation_data", None)
                if not ad:
                    continue
                for d in ad.drivers:
                    if d.driver.type == "SCRIPTED":
                        problem(codes.SCRIPTED_DRIVER, "%s \"%s\"" % (coll[:-1], idb.name),
                                "has a scripted driver on %s (expression %r)" % (d.data_path, d.driver.expression[:80]))

    for m in bpy.data.materials:
        rep["materials"].append(m.name)
        if not m.use_nodes or m.node_tree is None:
            problem(codes.NO_NODES, "material \"%s\"" % m.name, "material does not use nodes")
            continue
        targets = {n.target for n in m.node_tree.nodes if n.bl_idname == "ShaderNodeOutputMaterial"}
        for want, why in (("ALL", "the Octane graph"), ("CYCLES", "the Cycles fallback"), ("EEVEE", "the EEVEE fallback")):
            if want not in targets:
                problem(codes.MISSING_OUTPUT, "material \"%s\"" % m.name,
                        "has no Material Output with target %s (%s)" % (want, why))
        for n in m.node_tree.nodes:
            if n.bl_idname == "ShaderNodeScript":
                problem(codes.SCRIPT_NODE, "material \"%s\" node \"%s\"" % (m.name, n.name), "contains an OSL script node")
        for p in octane_check.check(octane_check.snapshot(m), FACTS, pkg_dir):
            problem(p["code"], p["datablock"], p["message"])
    for g in bpy.data.node_groups:
        for n in g.nodes:
            if n.bl_idname == "ShaderNodeScript":
                problem(codes.SCRIPT_NODE, "node group \"%s\" node \"%s\"" % (g.name, n.name), "contains an OSL script node")

    for img in bpy.data.images:
        db = "image \"%s\"" % img.name
        if img.source in ("GENERATED", "VIEWER"):
            continue
        if img.packed_file is not None:
            problem(codes.PACKED_IMAGE, db, "is packed into the .blend; textures must be files under textures/")
            continue
        if img.source not in ("FILE", "TILED"):
            problem(codes.EXTERNAL_DATA, db, "uses unsupported image source %s" % img.source)
            continue
        raw = img.filepath
        rep["images"].append({"name": img.name, "path": raw})
        if not raw.startswith("//"):
            problem(codes.PATH_OUTSIDE, db, "uses an absolute path %r; paths must be relative (//textures/...)" % raw)
            continue
        rel = raw[2:].replace("\\", "/")
        full = os.path.normpath(os.path.join(pkg_dir, rel))
        if os.path.commonpath([full, pkg_dir]) != pkg_dir or rel.startswith("/"):
            problem(codes.PATH_OUTSIDE, db, "points outside the package: %r" % raw)
            continue
        if not rel.startswith("textures/"):
            problem(codes.PATH_OUTSIDE, db, "points to %r; textures must be under textures/" % rel)
            continue
        if not os.path.isfile(full):
            problem(codes.MISSING_TEXTURE, db, "points to %s, which is not in the package" % rel)
    if len(rep["materials"]) != 1:
        problem(codes.MATERIAL_COUNT, "", "contains %d materials; a package holds exactly one" % len(rep["materials"]))
    return rep


def main():
    argv = sys.argv[sys.argv.index("--") + 1:]
    out, blends = argv[0], argv[1:]
    reports = []
    for b in blends:
        try:
            reports.append(vet(b))
        except Exception as e:  # a file Blender cannot open is a rejection, not a crash
            reports.append({"file": b, "materials": [], "images": [],
                            "problems": [{"code": codes.BLEND_UNREADABLE, "datablock": "",
                                          "message": "Blender cannot open it: %s" % str(e)[:200]}]})
    with open(out, "w") as f:
        json.dump(reports, f, indent=1)


main()
