"""Runs inside headless Blender for the end-to-end test (e2e/run.mjs).

Installs the add-on from its zip the way a user does, keeps Blender alive, and lets the Node
runner drive it over stdin/stdout:
  runner -> Blender   one JSON command per stdin line: {"id": 1, "cmd": "state"} ...
  Blender -> runner   stdout lines starting with "E2E " + JSON: {"ev": "ack"|"msg"|"reply"|"ready"|"fatal", ...}

Blender's background mode (-b) runs no event loop, so bpy.app.timers never fire; this script is
the loop instead: it drains the add-on's bridge queue (runtime.drain, what the add-on's own timer
does in a UI session) and runs the runner's commands between drains, on the main thread.

Args after `--`: ADDON_ZIP
"""
import importlib
import json
import os
import queue
import shutil
import sys
import threading
import time
import traceback

import bpy

ZIP = sys.argv[sys.argv.index("--") + 1]
# OctaneBlender's node classes rebuilt from its node definitions (the probe classes), registered
# on request to stand in for OctaneBlender (docs/packages.md, "In OctaneBlender").
OCTANE_FACTS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "internal", "shaderpkg", "octane")
_out_lock = threading.Lock()


def emit(ev, **fields):
    line = "E2E " + json.dumps({"ev": ev, "t": time.time(), **fields}, default=str)
    with _out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def install(zip_path):
    """Blender 4.2+: extension install; older Blender (Debian's 3.4): legacy add-on install."""
    if bpy.app.version >= (4, 2, 0):
        bpy.context.preferences.system.use_online_access = True
        bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
        return "bl_ext.user_default.octane_bridge"
    bpy.ops.preferences.addon_install(filepath=zip_path, overwrite=True)
    bpy.ops.preferences.addon_enable(module="octane_bridge")
    return "octane_bridge"


def octane_nodes(mat):
    """The Octane nodes of a material: idname, the image an image node shows (absolute path, or
    None when it shows none), a few values, and which nodes each feeds."""
    out = []
    for n in (mat.node_tree.nodes if mat and mat.node_tree else []):
        if not (n.bl_idname.startswith("Octane") or n.bl_idname == "NodeUndefined"):
            continue
        d = {"name": n.name, "type": n.bl_idname, "links_to": sorted({l.to_node.name for o in n.outputs for l in o.links})}
        if n.bl_idname != "NodeUndefined" and "image" in n.bl_rna.properties:
            img = n.image
            p = os.path.normpath(bpy.path.abspath(img.filepath)) if img is not None and img.filepath else None
            d["image"] = p
            d["image_exists"] = bool(p) and os.path.isfile(p)
        for key in ("Transmission", "Index of refraction", "Power"):
            sock = n.inputs.get(key)
            if sock is not None and sock.bl_idname != "NodeSocketUndefined" and hasattr(sock, "default_value"):
                v = sock.default_value
                d[key] = list(v) if hasattr(v, "__len__") else v
        out.append(d)
    return out


def cube_state():
    cube = bpy.data.objects.get("Cube")
    if cube is None:
        return {"exists": False}
    mat = cube.active_material
    props = {}
    if mat is not None:
        props = {k: mat.get(k) for k in ("octane_bridge_shader_id", "octane_bridge_version", "octane_bridge_import_id")}
        pkg = mat.get("octane_bridge")
        props["octane_bridge"] = pkg.to_dict() if hasattr(pkg, "to_dict") else pkg
    return {
        "exists": True,
        "selected": cube.select_get(),
        "active_material": mat.name if mat else None,
        # Which datablock it is: a switch keeps it, an update or an undo may not (issue 16).
        "material_ptr": mat.as_pointer() if mat else None,
        "material_mark": mat.get("e2e_mark") if mat else None,
        "material_users": sorted(o.name for o in bpy.data.objects if mat and any(s.material == mat for s in o.material_slots)),
        "provenance": props,
        "slots": [s.material.name if s.material else None for s in cube.material_slots],
        "images": sorted(bpy.path.abspath(n.image.filepath) for n in (mat.node_tree.nodes if mat and mat.node_tree else [])
                         if n.bl_idname == "ShaderNodeTexImage" and n.image),
        "octane": octane_nodes(mat),
    }


class Driver:
    def __init__(self, runtime, modname):
        self.runtime = runtime
        self.modname = modname
        self.bridge = runtime.bridge()
        self.cmds = queue.Queue()
        self.running = True
        self.seen_replies = 0
        self._spy()

    def _spy(self):
        """Reports every bridge message and the moment each import's material was assigned."""
        b = self.bridge
        orig_handle, orig_import = b._handle, b.import_handler

        def handle(msg):
            if msg.type != "import":
                emit("msg", type=msg.type, fields=dict(msg.fields))
            return orig_handle(msg)

        def import_handler(fields):
            t0 = time.time()
            reply = orig_import(fields)
            emit("reply", reply=reply, received=t0, assigned=time.time(), import_fields=fields, cube=cube_state())
            return reply

        b._handle = handle
        b.import_handler = import_handler

    def snapshot(self):
        st = self.bridge.state
        proc = self.bridge._proc
        return {
            "state": st.state, "message": st.message, "paired": st.paired, "device_id": st.device_id,
            "account": st.account, "subscription": st.subscription,
            "user_code": st.user_code, "verification_uri": st.verification_uri,
            "errors": [text for _, text in st.errors],
            "recent": [{"import_id": r.import_id, "ok": r.ok, "text": r.text} for r in st.recent],
            "cache": dict(st.cache), "running": self.bridge.running, "bridge_pid": proc.pid if proc else None,
            "opened": list(self.runtime._session.get("opened", [])), "cube": cube_state(),
            "instance_id": self.runtime.instance_id(), "blend_file": self.runtime.blend_file(),
            "current": st.current.import_id if st.current else None,
            "materials": sorted(m.name for m in bpy.data.materials),
        }

    def reader(self):
        for line in sys.stdin:
            line = line.strip()
            if line:
                try:
                    self.cmds.put(json.loads(line))
                except ValueError:
                    emit("error", message=f"bad command line {line[:200]!r}")
        self.cmds.put({"cmd": "quit"})  # the runner went away

    def run_cmd(self, c):
        name = c.get("cmd")
        if name == "state":
            return self.snapshot()
        if name == "connect":
            return {"result": sorted(bpy.ops.octane_bridge.connect())}
        if name == "stop_bridge":
            self.bridge.stop()
            return {"running": self.bridge.running}
        if name == "start_bridge":
            return {"started": self.runtime.start()}
        if name == "kill_bridge":
            proc = self.bridge._proc
            if proc:
                proc.kill()
            return {"killed": bool(proc)}
        if name == "clear_cache":
            return {"sent": self.bridge.send("cache", action="clear")}
        if name == "cache_stats":
            self.bridge.state.cache = {}
            return {"sent": self.bridge.send("cache", action="stats")}
        if name == "reset_cube":
            # Forget imported materials so the next import appends again (cold path in Blender).
            cube = bpy.data.objects["Cube"]
            for s in cube.material_slots:
                s.material = bpy.data.materials.get("Material")
            for m in list(bpy.data.materials):
                if m.get("octane_bridge_shader_id"):
                    bpy.data.materials.remove(m)
            for img in list(bpy.data.images):
                if img.users == 0:
                    bpy.data.images.remove(img)
            return self.select_cube()
        if name == "select_cube":
            return self.select_cube()
        if name == "share_material":
            # A second object showing the cube's active material: a switch or an update must keep it.
            cube = bpy.data.objects["Cube"]
            obj = bpy.data.objects.get(c["object"])
            if obj is None:
                obj = bpy.data.objects.new(c["object"], bpy.data.meshes.new(c["object"]))
                bpy.context.scene.collection.objects.link(obj)
            obj.data.materials.clear()
            obj.data.materials.append(cube.active_material)
            # A mark only this datablock carries: a switch keeps it (same material), an update cannot.
            cube.active_material["e2e_mark"] = c.get("mark", "")
            bpy.ops.ed.undo_push(message=f"share with {obj.name}")
            return {"cube": cube_state(), "users": [o.name for o in bpy.data.objects if any(s.material == cube.active_material for s in o.material_slots)]}
        if name == "switch_resolution":
            # The panel's Switch Resolution button for a material (issue 16): request_import to the bridge.
            return {"result": sorted(bpy.ops.octane_bridge.switch_resolution(resolution=c["resolution"], material=c.get("material", "")))}
        if name == "update_material":
            # The panel's Update to vX.Y.Z button.
            return {"result": sorted(bpy.ops.octane_bridge.update_material(version=c.get("version", ""), material=c.get("material", "")))}
        if name == "undo":
            # Edit > Undo once (works in background mode; the add-on pushes one step per import).
            result = sorted(bpy.ops.ed.undo())
            return {"result": result, "cube": cube_state()}
        if name == "octane_standin":
            if OCTANE_FACTS_DIR not in sys.path:
                sys.path.insert(0, OCTANE_FACTS_DIR)
            probe = importlib.import_module("octane_probe")
            if c.get("on", True):
                probe.register()
            else:
                probe.unregister()
            return {"installed": importlib.import_module(self.modname + ".octane_graph").installed()}
        if name == "library":
            # The local library as the add-on lists it (Refresh Library), once the bridge answered.
            st = self.bridge.state
            st.library = None
            result = sorted(bpy.ops.octane_bridge.library_refresh())
            self.runtime.serve(15, until=lambda: st.library is not None)
            return {"result": result, "library": st.library}
        if name == "library_apply":
            return {"result": sorted(bpy.ops.octane_bridge.library_apply(sha256=c["sha256"], resolution=c.get("resolution") or ""))}
        if name == "bridge_network":
            # Restarts the bridge in a network namespace of its own (unshare -rn: no interface but
            # a dead loopback), or back in this machine's network: the network cut for this
            # Blender only, while the servers keep running for the rest of the run.
            self.bridge.stop()
            base = self.bridge.command[-1:]
            self.bridge.command = ([shutil.which("unshare") or "/usr/bin/unshare", "-rn", "--"] if c.get("cut") else []) + base
            return {"started": self.runtime.start(), "command": self.bridge.command}
        if name == "save_as":
            # Names this Blender on the site: the add-on tells the bridge the file (save_post).
            bpy.ops.wm.save_as_mainfile(filepath=c["path"])
            return {"blend_file": self.runtime.blend_file()}
        if name == "browse":
            return {"result": sorted(bpy.ops.octane_bridge.browse())}
        if name == "cancel_import":
            # The Cancel Import button under the running import.
            return {"result": sorted(bpy.ops.octane_bridge.cancel_import(import_id=c.get("import_id", "")))}
        if name == "quit":
            self.running = False
            return {}
        raise ValueError(f"unknown command {name!r}")

    def select_cube(self):
        if bpy.context.object and bpy.context.object.mode != "OBJECT":
            bpy.ops.object.mode_set(mode="OBJECT")
        for o in bpy.context.view_layer.objects:
            o.select_set(o.name == "Cube")
        bpy.context.view_layer.objects.active = bpy.data.objects["Cube"]
        return {"cube": cube_state()}

    def loop(self):
        threading.Thread(target=self.reader, name="e2e-stdin", daemon=True).start()
        emit("ready", addon=self.modname, blender=bpy.app.version_string, **self.snapshot())
        while self.running:
            self.runtime.drain()
            try:
                c = self.cmds.get(timeout=0.01)
            except queue.Empty:
                continue
            try:
                emit("ack", id=c.get("id"), ok=True, **(self.run_cmd(c) or {}))
            except Exception as e:  # report, keep serving
                emit("ack", id=c.get("id"), ok=False, error=f"{type(e).__name__}: {e}", trace=traceback.format_exc())
            self.runtime.drain()
        self.bridge.stop()


def main():
    modname = install(ZIP)
    runtime = importlib.import_module(modname + ".runtime")
    d = Driver(runtime, modname)
    d.select_cube()
    if not d.bridge.running:
        runtime.start()
    d.loop()


try:
    main()
except Exception:
    emit("fatal", trace=traceback.format_exc())
    sys.exit(1)
