"""Recognises a material that came from a given shader version, so imports reuse it.

Imported materials carry ``octane_bridge_shader_id`` and ``octane_bridge_version`` (set by the
add-on); packages also ship ``octane_bridge = {shader_id, version}`` on the material.
"""

from __future__ import annotations

SHADER_ID = "octane_bridge_shader_id"
VERSION = "octane_bridge_version"
IMPORT_ID = "octane_bridge_import_id"
PACKAGE = "octane_bridge"


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


def find_identical(materials, shader_id: str, version: str):
    """First (name, props) whose provenance is exactly (shader_id, version); its name or None.

    ``materials`` yields (name, props, is_linked); linked materials are never reused because
    they cannot be edited and belong to another file.
    """
    for name, props, linked in materials:
        if linked:
            continue
        if provenance(props) == (shader_id, version):
            return name
    return None
