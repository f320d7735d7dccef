"""Inside headless Blender: v2 packages (base + one texture set per resolution, built here from a
generated material), imported at 1k, switched to 2k and updated to a newer version from the
add-on's operators, through a bridge process (fake_bridge.py answers request_import and
shader_info). Writes what it saw as JSON facts.

Args after `--`: ADDON_ZIP WORK_DIR OUT_JSON
The packages are built first (build mode writes WORK_DIR/packages.json: the import messages the
test hands the fake bridge); then a second run imports (run mode).
"""
import json
import os
import sys

import bpy

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from blend_data import write_png  # noqa: E402
from e2e_facts import run  # noqa: E402

args = sys.argv[sys.argv.index("--") + 1:]
zip_path, work, out_path, mode = args[:4]
facts = {}
SLUG, MATERIAL = "checker", "OB_Checker"
SETS = {"1k": 4, "2k": 8}  # resolution -> pixel size of its (tiny) maps
NAMES = ("albedo.png", "roughness.png")


def build_version(version):
    """pkg-<version>/{material.blend, manifest.json} and sets-<version>/<res>/<names>; the .blend's
    images are //textures/<name> (no resolution), one of them inside a node group."""
    pkg, sets = os.path.join(work, f"pkg-{version}"), os.path.join(work, f"sets-{version}")
    texture_sets = []
    for res, size in SETS.items():
        files = []
        for i, name in enumerate(NAMES):
            p = os.path.join(sets, res, name)
            v = 0.2 + 0.3 * i
            write_png(p, (v, v, v, 1.0), size)
            files.append({"path": name, "sha256": "0" * 64, "size": os.path.getsize(p)})
        texture_sets.append({"resolution": res, "sha256": "0" * 64, "size": 1000 * size, "files": files})
    mat = bpy.data.materials.new(MATERIAL)
    mat.use_nodes = True
    nt = mat.node_tree
    bsdf = nt.nodes["Principled BSDF"]
    images = {}
    for name in NAMES:
        img = bpy.data.images.load(os.path.join(sets, "1k", name))
        img.filepath = "//textures/" + name
        images[name] = img
    albedo = nt.nodes.new("ShaderNodeTexImage")
    albedo.name, albedo.image = "albedo", images["albedo.png"]
    nt.links.new(albedo.outputs["Color"], bsdf.inputs["Base Color"])
    group = bpy.data.node_groups.new("NG_Rough", "ShaderNodeTree")
    inner = group.nodes.new("ShaderNodeTexImage")
    inner.name, inner.image = "rough", images["roughness.png"]
    gnode = nt.nodes.new("ShaderNodeGroup")
    gnode.node_tree = group
    mat["octane_bridge"] = {"shader_id": SLUG, "version": version}
    mat["built_as"] = version
    os.makedirs(pkg, exist_ok=True)
    blend = os.path.join(pkg, "material.blend")
    bpy.data.libraries.write(blend, {mat}, path_remap="NONE", fake_user=True)
    manifest = {"schema_version": 2, "shader_id": SLUG, "version": version, "name": "Checker",
                "material_name": MATERIAL, "min_blender": "3.4", "min_octane": "2024.1",
                "files": [{"path": "material.blend", "sha256": "0" * 64, "size": os.path.getsize(blend)}],
                "texture_sets": texture_sets}
    with open(os.path.join(pkg, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    bpy.data.materials.remove(mat)
    bpy.data.node_groups.remove(group)
    for img in images.values():
        bpy.data.images.remove(img)
    return {res: {"shader_id": SLUG, "version": version, "shader_name": "Checker", "material_name": MATERIAL,
                  "blend_path": blend, "package_dir": pkg, "textures_dir": os.path.join(sets, res), "resolution": res}
            for res in SETS}


def build():
    packages = {v: build_version(v) for v in ("1.0.0", "1.1.0")}
    with open(os.path.join(work, "packages.json"), "w") as f:
        json.dump(packages, f)
    facts["built"] = sorted(packages)


def slots():
    return {o.name: [s.material.name if s.material else None for s in o.material_slots]
            for o in bpy.data.objects if o.type == "MESH"}


def material_facts():
    mat = bpy.data.materials.get(MATERIAL)
    if mat is None:
        return None
    imgs = {}
    for tree in [mat.node_tree] + [n.node_tree for n in mat.node_tree.nodes if n.bl_idname == "ShaderNodeGroup"]:
        for n in tree.nodes:
            if n.bl_idname == "ShaderNodeTexImage" and n.image:
                imgs[n.name] = {"path": os.path.realpath(bpy.path.abspath(n.image.filepath)),
                                "size": list(n.image.size), "image": n.image.name}
    pkg = mat.get("octane_bridge")
    return {"pointer": mat.as_pointer(), "images": imgs, "built_as": mat.get("built_as"),
            "octane_bridge": pkg.to_dict() if pkg is not None else None,
            "version": mat.get("octane_bridge_version"), "import_id": mat.get("octane_bridge_import_id")}


def state_of(runtime):
    st = runtime.bridge().state
    return {"requests": [{"purpose": r.purpose, "status": r.status, "import_id": r.import_id, "code": r.code,
                          "text": r.text, "resolution": r.resolution, "version": r.version}
                         for r in st.requests.values()],
            "shaders": st.shaders}


def main():
    from install_addon import install, modules

    modname = install(zip_path, facts)
    runtime, importer, switching = modules(modname, "runtime", "importer", "switching")
    b = runtime.bridge()
    runtime.start()
    facts["online"] = runtime.serve(30, lambda: b.state.state == "online")
    bpy.ops.ed.undo_push(message="initial")

    # 1. the web import at 1k onto the selected cube
    facts["reply1"] = b.replies[0] if runtime.serve(30, lambda: len(b.replies) >= 1) else None
    facts["after_import"] = material_facts()
    # a second object shows it in two slots (and another material between them)
    bpy.ops.mesh.primitive_plane_add()
    plane = bpy.context.view_layer.objects.active
    plane.name = "Plane"
    mat = bpy.data.materials[MATERIAL]
    plane.data.materials.append(mat)
    plane.data.materials.append(bpy.data.materials["Material"])
    plane.data.materials.append(mat)
    bpy.context.view_layer.objects.active = bpy.data.objects["Cube"]
    bpy.ops.ed.undo_push(message="slots")
    facts["slots_before"] = slots()

    # the panel's data: the library's answer about the shader
    facts["shader_info_op"] = sorted(bpy.ops.octane_bridge.shader_info())
    runtime.serve(30, lambda: isinstance(b.state.shaders.get(SLUG), dict))
    info = switching.imported(bpy.data.materials[MATERIAL])
    facts["panel"] = {"info": info, "resolutions": switching.resolutions(info, b.state.shaders.get(SLUG)),
                      "newer": switching.newer_version(info, b.state.shaders.get(SLUG))}

    # 2. Switch resolution to 2k: same datablock, every slot keeps it, images at the 2k files
    facts["switch_op"] = sorted(bpy.ops.octane_bridge.switch_resolution(resolution="2k"))
    facts["reply2"] = b.replies[1] if runtime.serve(30, lambda: len(b.replies) >= 2) else None
    facts["after_switch"] = material_facts()
    facts["slots_after_switch"] = slots()
    facts["state_after_switch"] = state_of(runtime)
    bpy.ops.ed.undo()
    facts["after_switch_undo"] = material_facts()
    facts["slots_after_switch_undo"] = slots()
    bpy.ops.ed.redo()
    facts["after_switch_redo"] = material_facts()

    # 3. Update to the newer version (the newest the library names), keeping the resolution
    facts["update_op"] = sorted(bpy.ops.octane_bridge.update_material())
    facts["reply3"] = b.replies[2] if runtime.serve(30, lambda: len(b.replies) >= 3) else None
    facts["after_update"] = material_facts()
    facts["slots_after_update"] = slots()
    facts["materials_after_update"] = sorted(m.name for m in bpy.data.materials)
    facts["image_files_after_update"] = sorted(os.path.realpath(bpy.path.abspath(i.filepath))
                                               for i in bpy.data.images if i.filepath)
    bpy.ops.ed.undo()
    facts["after_update_undo"] = material_facts()
    facts["slots_after_update_undo"] = slots()
    bpy.ops.ed.redo()

    # 4. a resolution the version does not have: the request fails in words
    facts["switch_8k_op"] = sorted(bpy.ops.octane_bridge.switch_resolution(resolution="8k"))
    runtime.serve(10, lambda: b.state.request_for(MATERIAL).status == "failed")
    facts["state_after_8k"] = state_of(runtime)

    # Edit Mode: a switch is refused (its undo steps are the mesh's, they could not revert it)
    bpy.context.view_layer.objects.active = bpy.data.objects["Cube"]
    bpy.ops.object.mode_set(mode="EDIT")
    try:
        facts["switch_in_edit_mode"] = sorted(bpy.ops.octane_bridge.switch_resolution(resolution="1k"))
    except RuntimeError as e:
        facts["switch_in_edit_mode"] = str(e)
    bpy.ops.object.mode_set(mode="OBJECT")
    facts["requests_after_edit_mode"] = len(b.state.requests)

    # 5. the material to change is gone: import_failed with its code, nothing else changes
    pkgs = json.load(open(os.path.join(work, "packages.json")))
    gone = dict(pkgs["1.1.0"]["1k"], import_id="x1", apply={"mode": "switch", "material": "OB_Gone"})
    facts["reply_gone"] = importer.import_package(gone)
    facts["after_gone"] = material_facts()
    # a material of another shader is never changed
    other = bpy.data.materials.new("Other")
    other["octane_bridge_shader_id"], other["octane_bridge_version"] = "other", "1.0.0"
    facts["reply_other"] = importer.import_package(dict(gone, apply={"mode": "update", "material": "Other"}))
    facts["bridge_sent"] = [r for r in b.replies]
    bpy.ops.preferences.addon_disable(module=modname)


def demo():
    """A real v2 package of the demo catalog (args: the import fields as JSON, sets by resolution
    as JSON): imported at the first resolution, switched to the second, with the stand-in for
    OctaneBlender registered (its Octane image nodes must follow too), then undone."""
    sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "internal", "shaderpkg", "octane"))
    import octane_probe

    fields, sets = json.loads(args[4]), json.loads(args[5])
    octane_probe.register()
    from install_addon import install, modules

    (importer,) = modules(install(zip_path, facts), "importer")
    first, second = list(sets)[:2]
    bpy.ops.ed.undo_push(message="initial")

    def images(name):
        mat = bpy.data.materials[name]
        out = {}
        for n in mat.node_tree.nodes:
            img = getattr(n, "image", None) if n.bl_idname != "NodeUndefined" else None
            if img is not None:
                p = os.path.realpath(bpy.path.abspath(img.filepath))
                out[n.name] = {"path": p, "exists": os.path.isfile(p), "size": list(img.size), "type": n.bl_idname}
        return out

    facts["reply"] = importer.import_package(dict(fields, import_id="d1", textures_dir=sets[first], resolution=first))
    name = facts["reply"].get("material_name")
    facts["first"] = images(name)
    facts["reply_switch"] = importer.import_package(dict(fields, import_id="d2", textures_dir=sets[second], resolution=second,
                                                         apply={"mode": "switch", "material": name}))
    facts["second"] = images(name)
    bpy.ops.ed.undo()
    facts["undone"] = images(name)
    facts["resolutions"] = [first, second]


if mode == "build":
    run(build, facts, out_path)
elif mode == "demo":
    run(demo, facts, out_path)
    sys.stdout.flush()
    os._exit(0)  # as octane_import_e2e.py: no interpreter teardown under the stand-in's classes
else:
    run(main, facts, out_path)
