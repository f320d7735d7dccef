"""Write good and hostile material.blend test fixtures (run by blendvet_blender_test.go).

    blender -b --factory-startup -noaudio --python-exit-code 1 -P make_blends.py -- OUTDIR

Each case gets OUTDIR/<case>/material.blend and textures/1k/albedo.png.
"""
import json
import os
import sys

import bpy

out = sys.argv[sys.argv.index("--") + 1]


def texture(case_dir):
    tdir = os.path.join(case_dir, "textures", "1k")
    os.makedirs(tdir, exist_ok=True)
    img = bpy.data.images.new("albedo_src", 8, 8)
    img.pixels = [0.9, 0.2, 0.1, 1.0] * 64
    img.filepath_raw = os.path.join(tdir, "albedo.png")
    img.file_format = "PNG"
    img.save()
    bpy.data.images.remove(img)


def reset():
    for coll in (bpy.data.materials, bpy.data.images, bpy.data.texts):
        for idb in list(coll):
            coll.remove(idb)


def material(name, image_path, keep=False):
    if not keep:
        reset()
    m = bpy.data.materials.new(name)
    m.use_nodes = True
    nt = m.node_tree
    nt.nodes.clear()
    p = nt.nodes.new("ShaderNodeBsdfPrincipled")
    p.inputs["Base Color"].default_value = (0.8, 0.3, 0.1, 1.0)
    img = bpy.data.images.new("albedo.png", 8, 8)
    img.source = "FILE"
    img.filepath = image_path
    tn = nt.nodes.new("ShaderNodeTexImage")
    tn.image = img
    for target in ("CYCLES", "EEVEE"):
        o = nt.nodes.new("ShaderNodeOutputMaterial")
        o.target = target
        nt.links.new(p.outputs[0], o.inputs["Surface"])
    # Stand-in for the Octane graph: an ALL output fed by an emission (never used by Cycles here).
    e = nt.nodes.new("ShaderNodeEmission")
    o = nt.nodes.new("ShaderNodeOutputMaterial")
    o.target = "ALL"
    nt.links.new(e.outputs[0], o.inputs["Surface"])
    m["octane_graph"] = json.dumps({"recipe_version": 1, "nodes": [], "links": []})
    return m, p


def write(case, ids):
    d = os.path.join(out, case)
    os.makedirs(d, exist_ok=True)
    texture(d)
    bpy.data.libraries.write(os.path.join(d, "material.blend"), set(ids), path_remap="NONE", fake_user=True)


good, _ = material("OB_Good", "//textures/1k/albedo.png")
write("good", [good])

mod, _ = material("OB_Good", "//textures/1k/albedo.png")
txt = bpy.data.texts.new("autorun.py")
txt.write("import os\nos.system('touch /tmp/octane-vet-pwned')\n")
txt.use_module = True
write("script_module", [mod, txt])

drv, p = material("OB_Good", "//textures/1k/albedo.png")
fc = p.inputs["Roughness"].driver_add("default_value")
fc.driver.type = "SCRIPTED"
fc.driver.expression = "__import__('os').getpid() % 2"
write("scripted_driver", [drv])

trav, _ = material("OB_Good", "//../../../../etc/passwd.png")
write("traversal", [trav])

absolute, _ = material("OB_Good", "/etc/hosts.png")
write("absolute_path", [absolute])

missing, _ = material("OB_Good", "//textures/1k/missing.png")
write("missing_texture", [missing])

two_a, _ = material("OB_Good", "//textures/1k/albedo.png")
two_b, _ = material("OB_Other", "//textures/1k/albedo.png", keep=True)
write("two_materials", [two_a, two_b])
