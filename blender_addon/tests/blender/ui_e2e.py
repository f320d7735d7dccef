"""Runs in Blender's UI (under Xvfb): nothing is called by hand. The add-on, once enabled, starts
the bridge from its own timer, drains its messages from bpy.app.timers, imports onto the selected
cube, shows progress in the status bar, draws its panels; quitting Blender stops the bridge.

Args after `--`: ADDON_ZIP OUT_JSON IMPORTS
"""
import os
import sys
import time
import types

import bpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_facts import draw_in_header, quit_ui, run_ui  # noqa: E402
zip_path, out_path, n_imports = sys.argv[sys.argv.index("--") + 1 :][:3]
n_imports = int(n_imports)
facts = {"status_texts": [], "draw_errors": [], "drawn": []}
t0 = time.monotonic()


def main():
    from install_addon import install, modules

    modname = install(zip_path, facts)
    runtime, panels, switching, state_mod = modules(modname, "runtime", "panels", "switching", "core.state")
    facts["running_right_after_enable"] = runtime.bridge().running  # started later, by a timer

    real_set = runtime._set_status_text

    def record(text):
        facts["status_texts"].append(text)
        real_set(text)

    runtime._set_status_text = record

    def draw(layout, context):
        panels._OctaneBridgePanel.draw(types.SimpleNamespace(layout=layout.column()), context)
        st = runtime.bridge().state
        panels.draw_account(layout.column(), st)
        panels.draw_cache(layout.column(), st)
        if st.current:
            panels.draw_progress(layout.column(), st.current)
        facts["drawn"].append(st.state)
        if switching.imported(context.object.active_material if context.object else None):
            switching.draw_material(layout.column(), context)  # the Shader panel
            facts.setdefault("drawn_shader", []).append(st.request_for("OB_OakWood") is not None)

    draw_in_header(draw, facts)

    def watch():
        b = runtime._session.get("bridge")
        done = b is not None and len(b.replies) >= n_imports
        if not done and time.monotonic() - t0 < 60:
            runtime.redraw()
            return 0.3  # software GL under Xvfb: redraws are slow, keep the main thread free
        facts["replies"] = b.replies if b else None
        facts["state"] = b.state.state if b else None
        facts["recent"] = [[r.import_id, r.ok, r.text] for r in b.state.recent] if b else []
        facts["cube_material"] = bpy.data.objects["Cube"].active_material.name
        facts["seconds"] = time.monotonic() - t0
        facts["pid"] = b._proc.pid if b and b._proc else None
        # the Shader panel with a newer version and a refused switch (the fake bridge has no library)
        b.state.shaders["oak-wood"] = {"shader": "oak-wood", "latest_version": "9.0.0", "entitled": False,
                                       "texture_sets": [{"resolution": "1k", "size": 1 << 20}]}
        b.state.request(state_mod.Request("ui-1", "switch", "oak-wood", "OB_OakWood", "4k", status="failed",
                                          code="CHECKSUM_MISMATCH", text="damaged"))
        # the add-on's preferences, expanded in a preferences window: their draw() runs
        bpy.context.preferences.active_section = "ADDONS"
        bpy.context.window_manager.addon_search = "Octane"
        bpy.ops.preferences.addon_expand(module=modname)
        bpy.ops.screen.userpref_show()
        bpy.app.timers.register(finish, first_interval=1.0)
        return None

    def finish():
        bpy.ops.wm.redraw_timer(type="DRAW_WIN_SWAP", iterations=1)
        facts["windows"] = len(bpy.context.window_manager.windows)
        quit_ui(facts, out_path)
        return None

    bpy.app.timers.register(watch, first_interval=0.5)


run_ui(main, facts, out_path)
