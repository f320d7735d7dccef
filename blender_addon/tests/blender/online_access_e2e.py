"""Inside Blender 4.2+: with "Allow Online Access" off the add-on keeps the bridge off and says
why; once the user allows it, Connect starts the bridge.

Args after `--`: ADDON_ZIP OUT_JSON
"""
import importlib
import os
import sys

import bpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_facts import run  # noqa: E402
zip_path, out_path = sys.argv[sys.argv.index("--") + 1 :][:2]
facts = {}


def main():
    from install_addon import install

    modname = install(zip_path, facts, allow_online=False)
    runtime = importlib.import_module(modname + ".runtime")
    b = runtime.bridge()
    facts["online_access"] = bpy.app.online_access
    try:
        facts["connect_offline"] = sorted(bpy.ops.octane_bridge.connect())
    except RuntimeError as e:  # in background mode an operator's ERROR report raises
        facts["connect_offline"] = ["CANCELLED"]
        facts["connect_report"] = str(e)
    facts["running_offline"] = b.running
    facts["state_offline"], facts["message_offline"] = b.state.state, b.state.message
    bpy.context.preferences.system.use_online_access = True
    facts["connect_online"] = sorted(bpy.ops.octane_bridge.connect())
    facts["online"] = runtime.serve(15, lambda: b.state.state == "online")
    bpy.ops.preferences.addon_disable(module=modname)


run(main, facts, out_path)
