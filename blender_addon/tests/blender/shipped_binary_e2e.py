"""Inside Blender: installs a per-platform zip (no OCTANE_BRIDGE_BIN) and checks that the add-on
finds, starts and talks to the bridge binary shipped in bin/<os>-<arch>/.

Args after `--`: ADDON_ZIP OUT_JSON [refuse]  ("refuse": the zip is for another platform)
"""
import os
import stat
import sys

import bpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_facts import run  # noqa: E402
args = sys.argv[sys.argv.index("--") + 1 :]
zip_path, out_path = args[:2]
facts = {}


def main():
    from install_addon import install, modules

    try:
        modname = install(zip_path, facts)
    except Exception as e:  # Blender refuses with RuntimeError (the operator reports an error)
        facts["install_error"] = str(e)
        return
    facts["enabled"] = modname in bpy.context.preferences.addons
    ext = os.environ.get("BLENDER_USER_EXTENSIONS", "")
    facts["extension_dir_exists"] = bool(ext) and os.path.isdir(os.path.join(ext, "user_default", "octane_bridge"))
    if not facts["enabled"]:
        return
    runtime, bp = modules(modname, "runtime", "bridge_process")
    binary = bp.find_binary(runtime.ADDON_DIR)
    facts["binary"] = binary and os.path.relpath(binary, runtime.ADDON_DIR)
    facts["started"] = runtime.start()
    facts["executable"] = bool(binary) and bool(os.stat(binary).st_mode & stat.S_IXUSR)
    b = runtime.bridge()
    facts["online"] = runtime.serve(20, lambda: b.state.state == "online")
    facts["bridge_version"] = b.state.bridge_version
    # changing a setting restarts the bridge with a new hello (it reads settings from hello only)
    pid = b._proc.pid
    runtime.prefs().log_level = "warn"
    facts["restarted"] = b.running and b._proc.pid != pid
    facts["online_after_restart"] = runtime.serve(20, lambda: b.state.state == "online")
    bpy.ops.preferences.addon_disable(module=modname)


run(main, facts, out_path)
