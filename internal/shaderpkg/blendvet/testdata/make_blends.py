"""Write good and hostile material.blend test fixtures (run by blender_test.go).

    blender -b --factory-startup -noaudio --python-exit-code 1 -P make_blends.py -- OUTDIR

Each case gets OUTDIR/<case>/material.blend and textures/1k/albedo.png. The Octane graph is
built like the catalog's: probe classes from OctaneBlender's node definitions, the add-on's
recipe builder; the octane_* cases then break one validator rule each.
"""
import json
import os
import sys

import bpy

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..", "..")
sys.path.insert(0, os.path.join(ROOT, "internal", "shaderpkg", "octane"))
sys.path.insert(0, os.path.join(ROOT, "blender_addon"))
import octane_graph  # noqa: E402
import octane_probe  # noqa: E402

FACTS = octane_probe.register()
out = sys.argv[sys.argv.index("--") + 1]
COMPAT = FACTS.default_compat("OctaneUniversalMaterial")
RECIPE = {
    "recipe_version": 2, "renderer": "octane", "octane_release": FACTS.release, "min_octane": "2024.1",
    "output": {"node": "material", "target": "ALL"},
    "nodes": [
        {"id": "material", "type": "OctaneUniversalMaterial", "props": {"a_compatibility_version": COMPAT},
         "inputs": {"Roughness": 0.2, "Dielectric IOR": 1.45}},
        {"id": "albedo", "type": "OctaneRGBImage", "inputs": {},
         "image": {"path": "//textures/1k/albedo.png", "colorspace": "sRGB"}},
    ],
    "links": [{"from": "albedo", "output": "Texture out", "to": "material", "input": "Albedo"}],
}


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


def material(name, image_path, keep=False, recipe=RECIPE):
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
    octane_graph.build(nt, recipe, lambda path, cs: img)
    m["octane_graph"] = json.dumps(recipe)
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


# --- One Octane rule broken per case ------------------------------------------------------------


def octane_case(case, breaker):
    m, _ = material("OB_Good", "//textures/1k/albedo.png")
    breaker(m, m.node_tree)
    write(case, [m])


def node(nt, id_):
    return nt.nodes[octane_graph.NODE_PREFIX + id_]


class LegacyNode(bpy.types.Node):
    """A node idname no OctaneBlender release defines (it stays NodeUndefined)."""
    bl_idname = "ShaderNodeOctUniversalMat"
    bl_label = "Legacy"


class WrongSocket(bpy.types.NodeSocket):
    """The socket class the demo catalog once used for the IOR (OctaneBlender calls it ...Index4)."""
    bl_idname = "OctaneUniversalMaterialDielectricIOR"
    bl_label = "Dielectric IOR"
    default_value: bpy.props.FloatProperty(default=1.5)

    def draw(self, context, layout, node, text):
        layout.label(text=text)

    def draw_color(self, context, node):
        return (0.5, 0.5, 0.5, 1.0)


bpy.utils.register_class(LegacyNode)
bpy.utils.register_class(WrongSocket)


def unknown_node(m, nt):
    nt.nodes.new("ShaderNodeOctUniversalMat").name = "Legacy material"


def missing_input(m, nt):
    mat = node(nt, "material")
    mat.inputs.remove(mat.inputs["Bump height"])


def wrong_outputs(m, nt):
    img = node(nt, "albedo")
    img.outputs.new("OctaneMaterialOutSocket", "Material out")


def value_lost(m, nt):
    s = node(nt, "material").inputs.new("OctaneUniversalMaterialDielectricIOR", "Dielectric IOR (old)")
    s.default_value = 2.42


def value_type(m, nt):
    node(nt, "material").inputs["Coating"]["default_value"] = 0.5  # a number where a colour is read


def value_not_sent(m, nt):
    node(nt, "material").inputs["Transmission"]["default_value"] = [1.0, 1.0, 1.0]  # link-only socket


def link_pin(m, nt):
    em = nt.nodes.new("OctaneTextureEmission")
    em.name = "Stray emission"
    nt.links.new(em.outputs[0], node(nt, "material").inputs["Metallic"])


def link_foreign(m, nt):
    tex = next(n for n in nt.nodes if n.bl_idname == "ShaderNodeTexImage")
    nt.links.new(tex.outputs["Color"], node(nt, "material").inputs["Specular"])


def image_unbound(m, nt):
    node(nt, "albedo").image = None


def image_outside(m, nt):
    other = bpy.data.images.new("stray.png", 8, 8)
    other.source = "FILE"
    other.filepath = "//elsewhere/stray.png"
    node(nt, "albedo").image = other


def no_material(m, nt):
    out = nt.nodes[octane_graph.OUTPUT_NAME]
    nt.links.new(node(nt, "albedo").outputs[0], out.inputs["Surface"])


def compat_version(m, nt):
    node(nt, "material").a_compatibility_version = 12345


def recipe_differs(m, nt):
    node(nt, "material").inputs["Roughness"].default_value = 0.9


for case, breaker in [
    ("octane_unknown_node", unknown_node), ("octane_inputs", missing_input), ("octane_outputs", wrong_outputs),
    ("octane_value_lost", value_lost), ("octane_value_type", value_type), ("octane_value_not_sent", value_not_sent),
    ("octane_link_pin", link_pin), ("octane_link_foreign", link_foreign), ("octane_image_unbound", image_unbound),
    ("octane_image_outside", image_outside), ("octane_no_material", no_material),
    ("octane_compat_version", compat_version), ("octane_recipe", recipe_differs),
]:
    octane_case(case, breaker)


# Package format v2: every image points at //textures/<name> (no resolution), the name a file of
# every texture set; the test lays the set out beside the .blend. v2_resolution_path keeps a
# v1 path, which a v2 package refuses.
V2_RECIPE = json.loads(json.dumps(RECIPE))
V2_RECIPE["nodes"][1]["image"]["path"] = "//textures/albedo.png"
v2, _ = material("OB_Good", "//textures/albedo.png", recipe=V2_RECIPE)
write("v2_good", [v2])
v2res, _ = material("OB_Good", "//textures/1k/albedo.png")
write("v2_resolution_path", [v2res])
