"""Recognises a material that came from a given shader version, so imports reuse it.

Imported materials carry ``octane_bridge_shader_id`` and ``octane_bridge_version`` (set by the
add-on); packages also ship ``octane_bridge = {shader_id, version}`` on the material, which the
add-on completes with the texture ``resolution`` it imported (the panel's switch starts there).
"""

from __future__ import annotations

SHADER_ID = "octane_bridge_shader_id"
VERSION = "octane_bridge_version"
IMPORT_ID = "octane_bridge_import_id"
PACKAGE = "octane_bridge"
# On an image datablock of a v2 package: the texture-set file it shows (a switch re-points it).
TEXTURE = "octane_bridge_texture"


def provenance(props) -> tuple[str, str] | None:
    """(shader_id, version) from a material's custom properties (a mapping), or None."""
    sid, ver = props.get(SHADER_ID), props.get(VERSION)
    if isinstance(sid, str) and isinstance(ver, str) and sid and ver:
        return sid, ver
    pkg = props.get(PACKAGE)
    if pkg is not None:
        try:
            sid, ver = pkg.get("shader_id"), pkg.get("version")
        except AttributeError:
            return None
        if isinstance(sid, str) and isinstance(ver, str) and sid and ver:
            return sid, ver
    return None


def resolution(props) -> str:
    """The texture resolution a material was imported at ("" for none or unknown: v1, untextured)."""
    pkg = props.get(PACKAGE)
    try:
        r = pkg.get("resolution") if pkg is not None else None
    except AttributeError:
        return ""
    return r if isinstance(r, str) else ""


def find_identical(materials, shader_id: str, version: str, res: str | None = None):
    """First (name, props) whose provenance is exactly (shader_id, version) and, when ``res`` is
    given (a v2 import), whose resolution is ``res``; its name or None.

    ``materials`` yields (name, props, is_linked); linked materials are never reused because
    they cannot be edited and belong to another file.
    """
    for name, props, linked in materials:
        if linked:
            continue
        if provenance(props) == (shader_id, version) and (res is None or resolution(props) == res):
            return name
    return None
