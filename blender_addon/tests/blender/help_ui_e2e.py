"""Runs in Blender's UI (under Xvfb) with the fake bridge: the Octane tab's panels draw with a
local library and a failure in words (its fixing button), the Help panel runs the doctor and
shows its report, and Copy Report puts the report on the system clipboard.

Args after `--`: ADDON_ZIP OUT_JSON
"""
import importlib
import os
import sys
import time
import traceback
import types

import bpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_facts import run  # noqa: E402
zip_path, out_path = sys.argv[sys.argv.index("--") + 1 :][:2]
facts = {"draw_errors": [], "drawn": 0}
t0 = time.monotonic()


def main():
    from install_addon import install

    modname = install(zip_path, facts)
    runtime = importlib.import_module(modname + ".runtime")
    panels = importlib.import_module(modname + ".panels")
    library = importlib.import_module(modname + ".library")
    doctor = importlib.import_module(modname + ".doctor")
    codes = importlib.import_module(modname + ".core.codes")

    # The sidebar shows one panel set at a time; draw the bodies into a header that always draws.
    def header(self, context):
        try:
            fake = types.SimpleNamespace(layout=self.layout.column())
            panels._OctaneBridgePanel.draw(fake, context)
            library.draw_library(self.layout.column(), context)
            doctor.draw_help(self.layout.column(), context)
            facts["drawn"] += 1
        except Exception:
            facts["draw_errors"].append(traceback.format_exc())

    bpy.types.VIEW3D_HT_header.append(header)
    stage = {"n": 0}

    def redraw():
        for win in bpy.context.window_manager.windows:
            for area in win.screen.areas:
                area.tag_redraw()

    def watch():
        st = runtime.bridge().state
        if time.monotonic() - t0 > 90:
            facts["timeout"] = stage["n"]
            return finish()
        redraw()
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
        run(lambda: None, facts, out_path)
        bpy.ops.wm.quit_blender()
        return None

    bpy.app.timers.register(watch, first_interval=0.5)


try:
    main()
except Exception:
    facts["exception"] = traceback.format_exc()
    run(lambda: None, facts, out_path)
    bpy.ops.wm.quit_blender()
