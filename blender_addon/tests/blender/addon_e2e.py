"""Runs inside headless Blender: installs the add-on from its zip like a user, drives imports
from the (fake or real) bridge, and writes what it saw as JSON facts for pytest to assert on.

Args after `--`: ADDON_ZIP PACKAGE_DIR OUT_JSON
"""
import importlib
import os
import sys
import time

import bpy  # first: the bpy module from PyPI provides bmesh only once bpy is imported
import bmesh  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_facts import run  # noqa: E402
zip_path, package_dir, out_path = sys.argv[sys.argv.index("--") + 1 :][:3]
facts = {}


def pump(bridge, runtime, until, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        runtime.drain(limit=1)  # one message at a time: the test changes the selection between imports
        if until():
            return True
        time.sleep(0.01)
    return False


def slot_materials(name):
    return [s.material.name if s.material else None for s in bpy.data.objects[name].material_slots]


def main():
    from install_addon import install

    modname = install(zip_path, facts)
    addon = importlib.import_module(modname)
    runtime = importlib.import_module(modname + ".runtime")

    facts["installed_at"] = os.path.dirname(addon.__file__)
    facts["enabled"] = modname in bpy.context.preferences.addons
    bridge = runtime.bridge()
    facts["running_after_enable"] = bridge.running  # OCTANE_AUTOSTART=1 in background mode
    facts["started"] = runtime.start()
    facts["online"] = pump(bridge, runtime, lambda: bridge.state.state == "online")
    facts["device_id"] = bridge.state.device_id

    # Blender records an undo step when a file loads; headless scripts start without one.
    bpy.ops.ed.undo_push(message="initial")
    cube = bpy.data.objects["Cube"]
    facts["cube_slots_before"] = slot_materials("Cube")

    def next_reply(n):
        ok = pump(bridge, runtime, lambda: len(bridge.replies) >= n)
        return bridge.replies[n - 1] if ok else None

    # 1. object mode, the selected cube's active slot
    r1 = next_reply(1)
    facts["reply1"] = r1
    facts["cube_slots_after1"] = slot_materials("Cube")
    mat = bpy.data.materials.get(r1["material_name"]) if r1 else None
    if mat:
        facts["props"] = {k: mat.get(k) for k in ("octane_bridge_shader_id", "octane_bridge_version", "octane_bridge_import_id")}
        imgs = [n.image for n in mat.node_tree.nodes if n.bl_idname == "ShaderNodeTexImage" and n.image]
        facts["images"] = [bpy.path.abspath(i.filepath) for i in imgs]
        facts["images_exist"] = [os.path.isfile(bpy.path.abspath(i.filepath)) for i in imgs]
        facts["images_have_pixels"] = [i.size[0] > 0 for i in imgs]
        facts["outputs"] = sorted(n.target for n in mat.node_tree.nodes if n.bl_idname == "ShaderNodeOutputMaterial")

    # undo removes the assignment
    bpy.ops.ed.undo()
    facts["cube_slots_after_undo"] = slot_materials("Cube")

    # 2 and 3: the second import of the same shader reuses the material
    facts["reply2"] = next_reply(2)
    facts["reply3"] = next_reply(3)
    facts["material_names_after3"] = sorted(m.name for m in bpy.data.materials)

    # 4. an object without slots gets one; a camera is skipped
    bpy.ops.mesh.primitive_plane_add()
    plane = bpy.context.view_layer.objects.active
    plane.name = "Plane"
    cam = bpy.data.objects["Camera"]
    cam.select_set(True)
    bpy.data.objects["Cube"].select_set(False)
    facts["plane_slots_before"] = slot_materials("Plane")
    facts["reply4"] = next_reply(4)
    facts["plane_slots_after4"] = slot_materials("Plane")

    # 5. edit mode: the selected faces of the cube
    for o in bpy.context.view_layer.objects:
        o.select_set(False)
    cube = bpy.data.objects["Cube"]
    cube.material_slots[0].material = bpy.data.materials["Material"]
    cube.select_set(True)
    bpy.context.view_layer.objects.active = cube
    bpy.ops.object.mode_set(mode="EDIT")
    bm = bmesh.from_edit_mesh(cube.data)
    bm.faces.ensure_lookup_table()
    for i, f in enumerate(bm.faces):
        f.select_set(i in (0, 3))
    bmesh.update_edit_mesh(cube.data)
    facts["reply5"] = next_reply(5)
    bpy.ops.object.mode_set(mode="OBJECT")
    facts["cube_slots_after5"] = slot_materials("Cube")
    facts["face_material_indices"] = [p.material_index for p in cube.data.polygons]

    # 6. nothing selected: added to the file, the user is told
    for o in bpy.context.view_layer.objects:
        o.select_set(False)
    facts["reply6"] = next_reply(6)
    m6 = bpy.data.materials.get(facts["reply6"]["material_name"]) if facts["reply6"] else None
    facts["file_only_fake_user"] = bool(m6 and m6.use_fake_user)

    # 7. a material the package does not have: import_failed goes back to the bridge
    facts["reply7"] = next_reply(7)
    pump(bridge, runtime, lambda: any(r.import_id == "i7" for r in bridge.state.recent), timeout=5)
    facts["recent"] = [[r.import_id, r.ok] for r in bridge.state.recent]

    # Browse / Account open the site configured by OCTANE_SITE_URL, with this device preselected.
    bpy.ops.octane_bridge.browse()
    bpy.ops.octane_bridge.account()
    facts["opened"] = list(runtime._session.get("opened", []))
    # Cache stats round trip through the bridge.
    bpy.ops.octane_bridge.cache_stats()
    facts["cache_stats"] = pump(bridge, runtime, lambda: bool(bridge.state.cache), timeout=10) and dict(bridge.state.cache)

    # loading a file starts a stopped bridge again (load_post; OCTANE_AUTOSTART=1 in background)
    bridge.stop()
    facts["running_after_stop"] = bridge.running
    bpy.ops.wm.read_homefile()
    facts["running_after_load"] = bridge.running
    facts["online_after_load"] = pump(bridge, runtime, lambda: bridge.state.state == "online", timeout=10)

    # disabling the add-on stops the bridge
    proc = bridge._proc
    bpy.ops.preferences.addon_disable(module=modname)
    facts["bridge_exit_code"] = proc.wait(10) if proc else None


run(main, facts, out_path)
