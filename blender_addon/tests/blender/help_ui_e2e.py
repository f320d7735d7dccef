"""Runs in Blender's UI (under Xvfb) with the fake bridge: the Octane tab's panels draw with a
local library and a failure in words (its fixing button), the Help panel runs the doctor and
shows its report, and Copy Report puts the report on the system clipboard.

Args after `--`: ADDON_ZIP OUT_JSON
"""
import os
import sys
import time
import types

import bpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_facts import draw_in_header, quit_ui, run_ui  # noqa: E402
zip_path, out_path = sys.argv[sys.argv.index("--") + 1 :][:2]
facts = {"draw_errors": [], "drawn": 0}
t0 = time.monotonic()


def main():
    from install_addon import install, modules

    runtime, panels, library, doctor, codes = modules(install(zip_path, facts), "runtime", "panels", "library",
                                                      "doctor", "core.codes")

    def draw(layout, context):
        panels._OctaneBridgePanel.draw(types.SimpleNamespace(layout=layout.column()), context)
        library.draw_library(layout.column(), context)
        doctor.draw_help(layout.column(), context)
        facts["drawn"] += 1

    draw_in_header(draw, facts)
    stage = {"n": 0}

    def watch():
        st = runtime.bridge().state
        if time.monotonic() - t0 > 90:
            facts["timeout"] = stage["n"]
            return finish()
        runtime.redraw()
        if stage["n"] == 0 and st.state == "online" and st.library:
            st.problem = codes.DISK_FULL  # a failure in words with its button, drawn in the main panel
            facts["icons"] = [library.preview_icon(e) > 0 for e in st.library]
            facts["doctor_run"] = sorted(bpy.ops.octane_bridge.doctor())
            stage["n"] = 1
        elif stage["n"] == 1 and not doctor.result()["running"] and facts["drawn"] > 3:
            facts["doctor"] = doctor.result()
            facts["copy"] = sorted(bpy.ops.octane_bridge.copy_report())
            facts["clipboard"] = bpy.context.window_manager.clipboard
            stage["n"] = 2
            bpy.app.timers.register(finish, first_interval=1.0)
            return None
        return 0.3

    def finish():
        quit_ui(facts, out_path)
        return None

    bpy.app.timers.register(watch, first_interval=0.5)


run_ui(main, facts, out_path)
