"""Inside headless Blender with the REAL bridge: the Help panel's Run Diagnostics runs the
bridge's doctor (in a worker thread) with the add-on's settings, and Copy Report takes its text.
The library the real bridge lists for an empty cache is empty.

Args after `--`: ADDON_ZIP OUT_JSON
"""
import os
import sys

import bpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_facts import run  # noqa: E402
zip_path, out_path = sys.argv[sys.argv.index("--") + 1 :][:2]
facts = {}


def main():
    from install_addon import install, modules

    modname = install(zip_path, facts)
    runtime, doctor = modules(modname, "runtime", "doctor")
    b = runtime.bridge()
    st = b.state
    runtime.start()
    facts["unpaired"] = runtime.serve(20, lambda: st.state == "unpaired")
    facts["library"] = st.library if runtime.serve(10, lambda: st.library is not None) else "no answer"
    bpy.ops.octane_bridge.connect()
    facts["paired"] = runtime.serve(30, lambda: st.paired)
    facts["copy_before"] = bpy.ops.octane_bridge.copy_report.poll()  # nothing to copy yet
    facts["run"] = sorted(bpy.ops.octane_bridge.doctor())
    facts["running"] = doctor.result()["running"]
    facts["finished"] = runtime.serve(60, lambda: not doctor.result()["running"])
    facts["doctor"] = doctor.result()
    facts["copy"] = sorted(bpy.ops.octane_bridge.copy_report())
    bpy.ops.preferences.addon_disable(module=modname)


run(main, facts, out_path)
