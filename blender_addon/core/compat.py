"""Whether a package fits this Blender and OctaneBlender (manifest.json's min_blender and
min_octane), before anything is appended: a shader too new fails in words, not halfway."""

from __future__ import annotations

import re

from . import codes

_VERSION = re.compile(r"^\s*(\d{1,4})(?:\.(\d{1,3}))?(?:\.(\d{1,3}))?")


def version(v) -> tuple[int, int, int] | None:
    """(major, minor, patch) of "4.2", "4.2.1", "2024.1" or a bpy.app.version-like tuple; None when unreadable."""
    if isinstance(v, (tuple, list)) and v and all(isinstance(x, int) for x in v):
        return tuple((list(v) + [0, 0, 0])[:3])
    if not isinstance(v, str):
        return None
    m = _VERSION.match(v)
    if not m:
        return None
    return tuple(int(x or 0) for x in m.groups())


def too_new(manifest: dict, blender, octane=None) -> tuple[str, str] | None:
    """(code, detail) when the package needs a newer Blender or OctaneBlender than this one.
    An unknown OctaneBlender version (or none installed: stock Blender keeps the Octane nodes and
    shows the fallback) is not a reason to refuse."""
    need, have = version(manifest.get("min_blender")), version(blender)
    if need and have and have < need:
        return codes.BLENDER_TOO_OLD, f"It needs Blender {manifest['min_blender']} or newer; this is Blender {'.'.join(map(str, have))}."
    need, have = version(manifest.get("min_octane")), version(octane)
    if need and have and have < need:
        return codes.OCTANE_TOO_OLD, f"It needs OctaneBlender {manifest['min_octane']} or newer; this is {'.'.join(map(str, have))}."
    return None
