"""Inside headless Blender: the add-on's imports when OctaneBlender is present, with the probe
classes built from OctaneBlender's node definitions (internal/shaderpkg/octane) standing in for it.

Args after `--`: ADDON_ZIP WORK_DIR OUT_JSON MODE [PACKAGES_DIR]
  MODE "replay":  hand-made packages. A graph whose Octane nodes stayed undefined is imported first
                  without the stand-in (nothing changes), then with it (rebuilt from the recipe,
                  one undo step); a fitting graph whose image nodes show nothing or a file outside
                  the package gets the recipe's files from the package.
  MODE "catalog": PACKAGES_DIR holds packages built by catalog/blender/build.py (a textured, a
                  glass and an emissive shader); each is imported with the stand-in registered.
"""
import importlib
import json
import os
import shutil
import sys

import bpy

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "internal", "shaderpkg", "octane"))
from blend_data import write_png  # noqa: E402
from e2e_facts import run  # noqa: E402
import octane_facts  # noqa: E402
import octane_probe  # noqa: E402

args = sys.argv[sys.argv.index("--") + 1:]
zip_path, work, out_path, mode = args[:4]
facts = {}
FACTS = octane_facts.load()
PREFIX = "Octane "


def rel(path):
    return path.replace(os.sep, "/")


def node_facts(nt):
    """What an assertion needs about every node of a tree (values of the inputs the tests set)."""
    out = {}
    for n in nt.nodes:
        d = {"type": n.bl_idname,
             "undefined_sockets": sum(1 for x in list(n.inputs) + list(n.outputs) if x.bl_idname == "NodeSocketUndefined")}
        img = getattr(n, "image", None) if n.bl_idname != "NodeUndefined" else None
        if img is not None:
            p = os.path.realpath(bpy.path.abspath(img.filepath)) if img.filepath else ""
            d["image"] = p
            d["image_exists"] = bool(p) and os.path.isfile(p)
            d["colorspace"] = img.colorspace_settings.name
        if n.bl_idname == "ShaderNodeOutputMaterial":
            d["target"] = n.target
        values = {}
        for s in n.inputs:
            if s.bl_idname != "NodeSocketUndefined" and hasattr(s, "default_value") and s.name in WATCH:
                v = s.default_value
                values[s.name] = [round(x, 5) for x in v] if hasattr(v, "__len__") and not isinstance(v, str) else (
                    round(v, 5) if isinstance(v, float) else v)
        if values:
            d["values"] = values
        if hasattr(n, "a_compatibility_version"):
            d["compat"] = n.a_compatibility_version
        out[n.name] = d
    return out


WATCH = {"Metallic", "Dielectric IOR", "Bump height", "Power", "Surface brightness", "Invert", "Transmission",
         "Index of refraction", "Roughness", "Texture", "Albedo", "Specular"}


def links_of(nt):
    return sorted([l.from_node.name, l.from_socket.name, l.to_node.name, l.to_socket.name] for l in nt.links)


# ---------------------------------------------------------------------------------------------
# Hand-made packages


class OctaneRetiredSocket(bpy.types.NodeSocket):
    """A socket class of an OctaneBlender that is not installed here."""
    bl_idname = "OctaneRetiredSocket"
    bl_label = "Retired"
    default_value: bpy.props.FloatProperty()

    def draw(self, context, layout, node, text):
        layout.label(text=text)

    def draw_color(self, context, node):
        return (0.5, 0.5, 0.5, 1.0)


class OctaneRetiredNode(bpy.types.Node):
    """A node class of an OctaneBlender that is not installed here (its files keep the nodes,
    which stay NodeUndefined in any other Blender)."""
    bl_idname = "OctaneRetiredNode"
    bl_label = "Retired Octane node"
    image: bpy.props.PointerProperty(type=bpy.types.Image)

    def init(self, context):
        for name in ("Albedo", "Roughness", "Bump", "Emission", "Texture"):
            self.inputs.new("OctaneRetiredSocket", name)
        self.outputs.new("OctaneRetiredSocket", "out")


def replay_recipe():
    mat_t, em_t = "OctaneUniversalMaterial", "OctaneTextureEmission"
    return {
        "recipe_version": 2, "renderer": "octane", "octane_release": FACTS.release, "min_octane": "2024.1",
        "output": {"node": "material", "target": "ALL"},
        "nodes": [
            {"id": "material", "type": mat_t, "label": "Replay",
             "inputs": {"Metallic": 0.25, "Dielectric IOR": 1.6, "Bump height": 0.02},
             "props": {"a_compatibility_version": FACTS.default_compat(mat_t)}},
            {"id": "albedo", "type": "OctaneRGBImage", "label": "Albedo", "inputs": {}, "props": {},
             "image": {"path": "//textures/1k/replay_albedo.png", "colorspace": "sRGB"}},
            {"id": "rough", "type": "OctaneGreyscaleImage", "label": "Roughness", "inputs": {"Invert": True}, "props": {},
             "image": {"path": "//textures/1k/replay_rough.png", "colorspace": "Non-Color"}},
            {"id": "emission", "type": em_t, "label": "Emission", "inputs": {"Power": 4.0, "Surface brightness": True},
             "props": {}},
        ],
        "links": [
            {"from": "albedo", "output": FACTS.output("OctaneRGBImage")["name"], "to": "material", "input": "Albedo"},
            {"from": "rough", "output": FACTS.output("OctaneGreyscaleImage")["name"], "to": "material", "input": "Roughness"},
            {"from": "rough", "output": FACTS.output("OctaneGreyscaleImage")["name"], "to": "material", "input": "Bump"},
            {"from": "albedo", "output": FACTS.output("OctaneRGBImage")["name"], "to": "emission", "input": "Texture"},
            {"from": "emission", "output": FACTS.output(em_t)["name"], "to": "material", "input": "Emission"},
        ],
    }


def fallback(nt, albedo_img):
    p = nt.nodes.new("ShaderNodeBsdfPrincipled")
    p.name = "Fallback Principled"
    tex = nt.nodes.new("ShaderNodeTexImage")
    tex.name = "Fallback albedo"
    tex.image = albedo_img
    nt.links.new(tex.outputs["Color"], p.inputs["Base Color"])
    o = nt.nodes.new("ShaderNodeOutputMaterial")
    o.name, o.target = "Fallback Output CYCLES", "CYCLES"
    nt.links.new(p.outputs["BSDF"], o.inputs["Surface"])


def new_material(name, recipe, shader_id):
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    mat.node_tree.nodes.clear()
    mat["octane_graph"] = json.dumps(recipe, sort_keys=True)
    mat["octane_bridge"] = {"shader_id": shader_id, "version": "1.0.0"}
    return mat


def write_package(mat, pkg, path_remap="RELATIVE_ALL"):
    blend = os.path.join(pkg, "material.blend")
    bpy.data.libraries.write(blend, {mat}, path_remap=path_remap, fake_user=True)
    imgs = {n.image for n in mat.node_tree.nodes if getattr(n, "image", None) is not None}
    bpy.data.materials.remove(mat)
    for img in imgs:
        bpy.data.images.remove(img)
    return blend


def v2_recipe():
    """The replay recipe of a format v2 package: its images are //textures/<name> (no resolution)."""
    r = replay_recipe()
    for n in r["nodes"]:
        if "image" in n:
            n["image"]["path"] = n["image"]["path"].replace("/1k/", "/")
    return r


def make_retired_package(pkg, name="OB_Replay", recipe=None, sets=None):
    """Octane nodes of classes this Blender will not know at import (OctaneRetiredNode), under the
    names a recipe build gives them, wired as the recipe says; the recipe names real classes.
    With ``sets`` (format v2): the maps go to sets/1k and sets/2k, the .blend names //textures/<name>."""
    tex = os.path.join(sets, "1k") if sets else os.path.join(pkg, "textures", "1k")
    write_png(os.path.join(tex, "replay_albedo.png"), (0.8, 0.3, 0.1, 1.0))
    write_png(os.path.join(tex, "replay_rough.png"), (0.4, 0.4, 0.4, 1.0))
    if sets:
        write_png(os.path.join(sets, "2k", "replay_albedo.png"), (0.9, 0.4, 0.2, 1.0))
        write_png(os.path.join(sets, "2k", "replay_rough.png"), (0.5, 0.5, 0.5, 1.0))
    recipe = recipe or replay_recipe()
    bpy.utils.register_class(OctaneRetiredSocket)
    bpy.utils.register_class(OctaneRetiredNode)
    mat = new_material(name, recipe, name.lower())
    nt = mat.node_tree
    albedo = bpy.data.images.load(os.path.join(tex, "replay_albedo.png"))
    if sets:
        albedo.filepath = "//textures/replay_albedo.png"
    fallback(nt, albedo)
    made = {}
    for n in recipe["nodes"]:
        node = nt.nodes.new("OctaneRetiredNode")
        node.name = PREFIX + n["id"]
        made[n["id"]] = node
    made["albedo"].image = albedo
    for link in recipe["links"]:
        nt.links.new(made[link["from"]].outputs[0], made[link["to"]].inputs[link["input"]])
    out = nt.nodes.new("ShaderNodeOutputMaterial")
    out.name, out.target, out.location = "Octane Output", "ALL", (500, 900)
    nt.links.new(made["material"].outputs[0], out.inputs["Surface"])
    os.makedirs(pkg, exist_ok=True)
    blend = write_package(mat, pkg, "NONE" if sets else "RELATIVE_ALL")
    bpy.utils.unregister_class(OctaneRetiredNode)
    bpy.utils.unregister_class(OctaneRetiredSocket)
    return blend


def make_old_layout_package(pkg):
    """A node under the real idname (OctaneSpecularMaterial) whose stored sockets are of a class
    this release does not define: it binds to the installed class, its sockets stay undefined."""
    os.makedirs(pkg, exist_ok=True)
    recipe = {
        "recipe_version": 2, "renderer": "octane", "octane_release": FACTS.release, "min_octane": "2024.1",
        "output": {"node": "material", "target": "ALL"},
        "nodes": [{"id": "material", "type": "OctaneSpecularMaterial", "label": "Water",
                   "inputs": {"Transmission": [0.9, 0.95, 1.0], "Index of refraction": 1.333},
                   "props": {"a_compatibility_version": FACTS.default_compat("OctaneSpecularMaterial")}}],
        "links": [],
    }

    def init(self, context):
        for name in ("Transmission", "Index of refraction"):
            self.inputs.new("OctaneRetiredSocket", name)
        self.outputs.new("OctaneRetiredSocket", "out")

    old_cls = type("OctaneSpecularMaterial", (bpy.types.Node,), {
        "bl_idname": "OctaneSpecularMaterial", "bl_label": "Specular (old layout)", "init": init})
    bpy.utils.register_class(OctaneRetiredSocket)
    bpy.utils.register_class(old_cls)
    mat = new_material("OB_OldLayout", recipe, "old-layout")
    nt = mat.node_tree
    node = nt.nodes.new("OctaneSpecularMaterial")
    node.name = PREFIX + "material"
    out = nt.nodes.new("ShaderNodeOutputMaterial")
    out.name, out.target = "Octane Output", "ALL"
    nt.links.new(node.outputs[0], out.inputs["Surface"])
    blend = write_package(mat, pkg)
    bpy.utils.unregister_class(old_cls)
    bpy.utils.unregister_class(OctaneRetiredSocket)
    return blend


def make_fitting_package(pkg, outside, octane_graph):
    """A graph that fits (built by octane_graph from its recipe) whose image nodes show: the
    fallback's image (albedo), an image of a file outside the package (rough), nothing (mask),
    and nothing with a recipe path that leaves the package (escape)."""
    tex = os.path.join(pkg, "textures", "1k")
    write_png(os.path.join(tex, "fit_albedo.png"), (0.2, 0.5, 0.8, 1.0))
    write_png(os.path.join(tex, "fit_rough.png"), (0.6, 0.6, 0.6, 1.0))
    write_png(os.path.join(outside, "secret.png"), (1.0, 0.0, 1.0, 1.0))
    mat_t = "OctaneUniversalMaterial"
    grey = FACTS.output("OctaneGreyscaleImage")["name"]
    recipe = {
        "recipe_version": 2, "renderer": "octane", "octane_release": FACTS.release, "min_octane": "2024.1",
        "output": {"node": "material", "target": "ALL"},
        "nodes": [
            {"id": "material", "type": mat_t, "inputs": {"Dielectric IOR": 1.45},
             "props": {"a_compatibility_version": FACTS.default_compat(mat_t)}},
            {"id": "albedo", "type": "OctaneRGBImage", "image": {"path": "//textures/1k/fit_albedo.png", "colorspace": "sRGB"}},
            {"id": "rough", "type": "OctaneGreyscaleImage", "image": {"path": "//textures/1k/fit_rough.png", "colorspace": "Non-Color"}},
            {"id": "mask", "type": "OctaneGreyscaleImage", "inputs": {"Invert": True},
             "image": {"path": "textures/1k/fit_rough.png", "colorspace": "Non-Color"}},
            {"id": "escape", "type": "OctaneGreyscaleImage",
             "image": {"path": "//../" + os.path.basename(outside) + "/secret.png", "colorspace": "Non-Color"}},
        ],
        "links": [
            {"from": "albedo", "output": FACTS.output("OctaneRGBImage")["name"], "to": "material", "input": "Albedo"},
            {"from": "rough", "output": grey, "to": "material", "input": "Roughness"},
            {"from": "mask", "output": grey, "to": "material", "input": "Metallic"},
        ],
    }
    mat = new_material("OB_Fit", recipe, "fit")
    albedo = bpy.data.images.load(os.path.join(tex, "fit_albedo.png"))
    secret = bpy.data.images.load(os.path.join(outside, "secret.png"))
    shown = {"//textures/1k/fit_albedo.png": albedo, "//textures/1k/fit_rough.png": secret}
    octane_graph.build(mat.node_tree, recipe, lambda path, _cs: shown.get(path))
    fallback(mat.node_tree, albedo)
    return write_package(mat, pkg)


def do_import(importer, blend, pkg, name, shader_id, import_id):
    return importer.import_package({"import_id": import_id, "shader_id": shader_id, "version": "1.0.0",
                                    "material_name": name, "blend_path": blend, "package_dir": pkg})


def replay():
    bpy.context.preferences.filepaths.use_scripts_auto_execute = False
    pkg = os.path.join(work, "cache", "replay", "1.0.0")
    blend = make_retired_package(pkg)
    # a recipe this release cannot build (an input the real node does not have), for step 4;
    # written now, while no stand-in is registered (classes are never unregistered under live nodes)
    bad = replay_recipe()
    bad["nodes"][0]["inputs"]["No such input"] = 1.0
    pkg3 = os.path.join(work, "cache", "bad", "1.0.0")
    blend3 = make_retired_package(pkg3, "OB_Bad", bad)
    pkg4 = os.path.join(work, "cache", "old-layout", "1.0.0")
    blend4 = make_old_layout_package(pkg4)
    pkg5, sets5 = os.path.join(work, "cache", "v2", "1.0.0"), os.path.join(work, "cache", "v2-sets")
    blend5 = make_retired_package(pkg5, "OB_V2", v2_recipe(), sets=sets5)
    from install_addon import install, modules

    importer, octane_graph = modules(install(zip_path, facts), "importer", "octane_graph")

    # 1. stock Blender: nothing Octane-related changes
    facts["installed_without"] = octane_graph.installed()
    facts["reply_without"] = do_import(importer, blend, pkg, "OB_Replay", "replay", "r0")
    mat = bpy.data.materials["OB_Replay"]
    facts["nodes_without"] = node_facts(mat.node_tree)
    facts["links_without"] = links_of(mat.node_tree)
    bpy.data.materials.remove(mat)

    # 2. with the stand-in: the undefined nodes are replaced by the recipe's, in the import's undo step
    octane_probe.register()
    facts["installed_with"] = octane_graph.installed()
    cube = bpy.data.objects["Cube"]
    cube.select_set(True)
    bpy.context.view_layer.objects.active = cube
    bpy.ops.ed.undo_push(message="before import")
    facts["cube_before"] = [s.material.name if s.material else None for s in cube.material_slots]
    facts["materials_before"] = sorted(m.name for m in bpy.data.materials)
    facts["reply_with"] = do_import(importer, blend, pkg, "OB_Replay", "replay", "r1")
    name = facts["reply_with"].get("material_name", "OB_Replay")
    mat = bpy.data.materials[name]
    facts["recipe"] = json.loads(mat["octane_graph"])
    facts["nodes_with"] = node_facts(mat.node_tree)
    facts["links_with"] = links_of(mat.node_tree)
    facts["mismatches_after"] = octane_graph.mismatches(mat.node_tree, octane_graph.recipe_of(mat))
    facts["cube_after"] = [s.material.name if s.material else None for s in cube.material_slots]
    bpy.ops.ed.undo()
    cube = bpy.data.objects["Cube"]
    facts["cube_after_undo"] = [s.material.name if s.material else None for s in cube.material_slots]
    facts["materials_after_undo"] = sorted(m.name for m in bpy.data.materials)
    bpy.ops.ed.redo()
    mat = bpy.data.materials.get(name)
    facts["nodes_after_redo"] = node_facts(mat.node_tree) if mat else None

    # 3. a graph that fits: no rebuild; image nodes showing nothing or another file get the package's
    pkg2 = os.path.join(work, "cache", "fit", "1.0.0")
    outside = os.path.join(work, "cache", "outside")
    blend2 = make_fitting_package(pkg2, outside, octane_graph)
    facts["reply_fit"] = do_import(importer, blend2, pkg2, "OB_Fit", "fit", "f1")
    mat = bpy.data.materials[facts["reply_fit"]["material_name"]]
    facts["nodes_fit"] = node_facts(mat.node_tree)
    facts["pkg_fit"] = os.path.realpath(pkg2)
    facts["pkg"] = os.path.realpath(pkg)
    facts["images_loaded"] = sorted(os.path.realpath(bpy.path.abspath(i.filepath)) for i in bpy.data.images if i.filepath)

    # 4. a recipe this release cannot build (an input the real node does not have): the stored
    #    graph stays exactly as it was, nothing half-built is left
    facts["reply_bad"] = do_import(importer, blend3, pkg3, "OB_Bad", "bad", "b1")
    mat = bpy.data.materials[facts["reply_bad"]["material_name"]]
    facts["nodes_bad"] = node_facts(mat.node_tree)
    facts["links_bad"] = links_of(mat.node_tree)

    # 5. a node of the right class with a socket layout this release does not have: rebuilt
    facts["reply_layout"] = do_import(importer, blend4, pkg4, "OB_OldLayout", "old-layout", "l1")
    mat = bpy.data.materials[facts["reply_layout"]["material_name"]]
    facts["nodes_layout"] = node_facts(mat.node_tree)
    facts["links_layout"] = links_of(mat.node_tree)

    # 6. format v2: the rebuilt image nodes show the texture set's files; a switch re-points them
    v2 = {"import_id": "v1", "shader_id": "ob_v2", "version": "1.0.0", "material_name": "OB_V2", "blend_path": blend5,
          "package_dir": pkg5, "textures_dir": os.path.join(sets5, "1k"), "resolution": "1k"}
    facts["reply_v2"] = importer.import_package(v2)
    mat = bpy.data.materials[facts["reply_v2"]["material_name"]]
    facts["nodes_v2"] = node_facts(mat.node_tree)
    facts["sets_v2"] = os.path.realpath(sets5)
    facts["reply_v2_switch"] = importer.import_package(dict(v2, import_id="v2", textures_dir=os.path.join(sets5, "2k"),
                                                            resolution="2k", apply={"mode": "switch", "material": mat.name}))
    facts["nodes_v2_switch"] = node_facts(mat.node_tree)


def catalog():
    src = args[4]
    octane_probe.register()
    from install_addon import install

    importer = importlib.import_module(install(zip_path, facts) + ".importer")
    facts["imports"] = {}
    for slug in sorted(os.listdir(src)):
        meta = json.load(open(os.path.join(src, slug, "meta.json")))
        pkg = os.path.join(work, "cache", slug, meta["version"])
        shutil.copytree(os.path.join(src, slug), pkg)
        # format v2 source folders: the maps of each resolution in textures/<res>/, the .blend names
        # //textures/<name>: the smallest set stands in for the bridge's texture set folder
        tdir = os.path.join(pkg, "textures")
        res = sorted(os.listdir(tdir), key=lambda r: int(r[:-1]))[0] if os.path.isdir(tdir) else None
        reply = importer.import_package({
            "import_id": "c-" + slug, "shader_id": slug, "version": meta["version"], "material_name": meta["material_name"],
            "blend_path": os.path.join(pkg, "material.blend"), "package_dir": pkg,
            "textures_dir": os.path.join(tdir, res) if res else None, "resolution": res})
        entry = {"reply": reply, "pkg": os.path.realpath(pkg)}
        mat = bpy.data.materials.get(reply.get("material_name", ""))
        if mat is not None:
            entry["nodes"] = node_facts(mat.node_tree)
            entry["links"] = links_of(mat.node_tree)
            entry["recipe"] = json.loads(mat["octane_graph"])
        facts["imports"][slug] = entry


run(replay if mode == "replay" else catalog, facts, out_path)
# bpy 4.2 (the module) crashes in its interpreter teardown while the stand-in's node classes are
# registered under nodes in undo steps, and unregistering them first crashes Blender 3.4: the
# facts are written, so leave without the teardown.
sys.stdout.flush()
os._exit(0)
