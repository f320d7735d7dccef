"""A headless Blender session driven from outside, for end-to-end tests (docs/addon.md).

    blender -b --factory-startup -P headless_session.py -- --zip octane_bridge-0.1.0.zip \
        --state /tmp/state.json [--connect] [--until-imports N] [--timeout 300] [--stop-file PATH]

Installs the add-on from its zip the way a user does (extension on 4.2+, legacy add-on before),
starts the bridge (configure it with the OCTANE_* variables), optionally clicks Connect, and pumps
the bridge's messages (background mode has no timers). Every change is written atomically to the
state file as JSON: connection state, pairing code, device id, library URL, current import,
recent imports, the replies sent to the bridge, errors, and each selected object's active material
with its provenance. Exits 0 after N replies, when the stop file appears, or at the timeout
(exit 3), disabling the add-on (which stops the bridge).
"""
import argparse
import importlib
import json
import os
import sys
import time

import bpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def snapshot(runtime) -> dict:
    b = runtime.bridge()
    st = b.state
    objects = {}
    for ob in bpy.context.view_layer.objects:
        if ob.select_get() or ob.mode == "EDIT":
            mat = ob.active_material
            objects[ob.name] = mat and {
                "material": mat.name,
                "shader_id": mat.get("octane_bridge_shader_id"),
                "version": mat.get("octane_bridge_version"),
                "import_id": mat.get("octane_bridge_import_id"),
            }
    cur = st.current
    return {
        "state": st.state, "message": st.message, "paired": st.paired, "device_id": st.device_id,
        "user_code": st.user_code, "verification_uri": st.verification_uri, "bridge_version": st.bridge_version,
        "library_url": runtime.library_url(), "running": b.running,
        "current": cur and {"import_id": cur.import_id, "shader_name": cur.shader_name, "stage": cur.stage, "fraction": cur.fraction},
        "recent": [{"import_id": r.import_id, "ok": r.ok, "text": r.text} for r in st.recent],
        "replies": list(b.replies), "errors": [text for _, text in st.errors], "cache": st.cache,
        "selected": objects,
    }


def write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1, default=str)
    os.replace(tmp, path)


def main(argv) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--zip", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--connect", action="store_true")
    ap.add_argument("--until-imports", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--stop-file", default="")
    a = ap.parse_args(argv)
    from install_addon import install

    modname = install(a.zip, {})
    runtime = importlib.import_module(modname + ".runtime")
    b = runtime.bridge()
    runtime.start()
    end = time.monotonic() + a.timeout
    last, connected, code = None, False, 3
    while time.monotonic() < end:
        runtime.drain()
        if a.connect and not connected and b.state.bridge_version and not b.state.paired:
            bpy.ops.octane_bridge.connect()
            connected = True
        snap = snapshot(runtime)
        if snap != last:
            write(a.state, snap)
            last = snap
        if (a.until_imports and len(b.replies) >= a.until_imports) or (a.stop_file and os.path.exists(a.stop_file)):
            code = 0
            break
        time.sleep(0.02)
    snap = snapshot(runtime)
    bpy.ops.preferences.addon_disable(module=modname)
    write(a.state, {**snap, "running": b.running, "exited": code})
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else []))
