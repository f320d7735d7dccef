"""Installs and enables the add-on from its zip the way a user does, in whichever Blender runs:
Blender 4.2+ as an extension (Get Extensions > Install from Disk, after allowing online access in
Preferences > System > Network), older Blender as a legacy add-on (Install add-on). Returns the
module name the add-on got."""
import importlib

import bpy


def install(zip_path: str, facts: dict, allow_online: bool = True) -> str:
    facts["blender"] = bpy.app.version_string
    if bpy.app.version >= (4, 2, 0):
        facts["online_access_at_start"] = bpy.app.online_access
        if allow_online:
            bpy.context.preferences.system.use_online_access = True
        facts["install"] = sorted(bpy.ops.extensions.package_install_files(
            filepath=zip_path, repo="user_default", enable_on_install=True))
        facts["as"] = "extension"
        return "bl_ext.user_default.octane_bridge"
    bpy.ops.preferences.addon_install(filepath=zip_path, overwrite=True)
    facts["install"] = sorted(bpy.ops.preferences.addon_enable(module="octane_bridge"))
    facts["as"] = "legacy"
    return "octane_bridge"


def modules(modname: str, *names: str) -> list:
    """The installed add-on's modules by dotted name below it ("runtime", "core.state", ...)."""
    return [importlib.import_module(f"{modname}.{n}") for n in names]
