"""Inside Blender: the add-on with the REAL bridge binary (OCTANE_BRIDGE_BIN): hello/status
handshake, cache stats round trip, pairing against a stand-in edge (the code shown, the page
opened, the device id taken), Browse with that device, disconnect, and a clean stop.

Args after `--`: ADDON_ZIP OUT_JSON
"""
import os
import sys

import bpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_facts import run  # noqa: E402
zip_path, out_path = sys.argv[sys.argv.index("--") + 1 :][:2]
facts = {}
ASKS = ("disconnect", "cache_stats", "clear_cache", "library_refresh", "library_apply", "switch_resolution",
        "update_material")


def main():
    from install_addon import install, modules

    modname = install(zip_path, facts)
    runtime, *features = modules(modname, "runtime", "panels", "library", "doctor", "switching")
    b = runtime.bridge()
    st = b.state
    # Every panel is in the Octane tab; the operators that ask the bridge are greyed out until it runs.
    facts["panels"] = {c.__name__: [c.bl_space_type, c.bl_region_type, c.bl_category, c.is_registered]
                       for m in features for c in m.classes
                       if issubclass(c, bpy.types.Panel)}
    facts["asks_stopped"] = [getattr(bpy.ops.octane_bridge, n).poll() for n in ASKS]
    facts["started"] = runtime.start()
    facts["asks_running"] = [getattr(bpy.ops.octane_bridge, n).poll() for n in ASKS]
    facts["unpaired"] = runtime.serve(20, lambda: st.state == "unpaired" and bool(st.bridge_version))
    facts["hello"] = {"bridge_version": st.bridge_version, "paired": st.paired, "state": st.state, "message": st.message}

    bpy.ops.octane_bridge.cache_stats()
    facts["cache_stats_ok"] = runtime.serve(10, lambda: bool(st.cache))
    facts["cache"] = dict(st.cache)

    b.send("status")
    st.state = "starting"  # the bridge's status answer puts it back
    facts["status_ok"] = runtime.serve(10, lambda: st.state == "unpaired")

    bpy.ops.octane_bridge.connect()
    facts["pair_code_ok"] = runtime.serve(20, lambda: bool(st.user_code))
    facts["pairing"] = {"state": st.state, "user_code": st.user_code, "uri": st.verification_uri}
    facts["paired_ok"] = runtime.serve(30, lambda: st.paired)
    facts["device_id"] = st.device_id
    bpy.ops.octane_bridge.browse()
    facts["opened"] = list(runtime._session.get("opened", []))

    bpy.ops.octane_bridge.disconnect()
    facts["unpaired_again"] = runtime.serve(15, lambda: not st.paired and st.state == "unpaired")
    facts["errors"] = [text for _, text in st.errors]

    proc = b._proc
    bpy.ops.preferences.addon_disable(module=modname)
    facts["exit_code"] = proc.wait(10) if proc else None


run(main, facts, out_path)
