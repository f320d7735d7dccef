"""Pure logic for a package's Octane graph inside the add-on (no bpy).

The importer (blender_addon/importer.py) uses these to find the files a recipe names without ever
leaving the package folder, and to walk node groups without looping on a cycle.
"""

from __future__ import annotations

import os
import re

_DRIVE = re.compile(r"^[A-Za-z]:")


def package_file(package_dir: str, rel_path) -> str | None:
    """The real path of a file a recipe names package-relative (``//textures/1k/a.jpg`` as the
    .blend writes it, or ``textures/1k/a.jpg``), or None when the name is not a plain relative
    path or would leave ``package_dir`` (absolute, drive letter, ``..``, a symlink out)."""
    if not isinstance(rel_path, str) or not package_dir:
        return None
    p = rel_path.replace("\\", "/")
    if p.startswith("//"):
        p = p[2:]
    if not p or p.startswith("/") or _DRIVE.match(p) or "\0" in p:
        return None
    parts = [x for x in p.split("/") if x not in ("", ".")]
    if not parts or ".." in parts:
        return None
    root = os.path.realpath(package_dir)
    real = os.path.realpath(os.path.join(root, *parts))
    if not real.startswith(root.rstrip(os.sep) + os.sep):
        return None
    return real


def set_texture_name(path) -> str | None:
    """The texture-set file a v2 image path names: ``<name>`` of ``//textures/<name>`` (as the .blend
    writes it, or wherever appending rebased it: ``/any/dir/textures/<name>``), or None when the
    path does not end in ``textures/<name>`` with a plain file name."""
    if not isinstance(path, str) or "\0" in path:
        return None
    parts = path.replace("\\", "/").split("/")
    if len(parts) < 2 or parts[-2] != "textures":
        return None
    name = parts[-1]
    if name in ("", ".", "..") or _DRIVE.match(name):
        return None
    return name


def set_file(textures_dir: str, name) -> str | None:
    """The real path of texture-set file ``name`` in ``textures_dir`` (a v2 import's set folder), or
    None when the name is not a plain file name or would leave the folder."""
    if not isinstance(name, str) or not textures_dir or set_texture_name("textures/" + name) != name:
        return None
    root = os.path.realpath(textures_dir)
    real = os.path.realpath(os.path.join(root, name))
    if not real.startswith(root.rstrip(os.sep) + os.sep):
        return None
    return real


def image_specs(recipe) -> dict:
    """node id -> (package-relative path, colour space) for each recipe node that shows an image."""
    out = {}
    for n in (recipe or {}).get("nodes", []):
        img = n.get("image") if isinstance(n, dict) else None
        if isinstance(img, dict) and isinstance(img.get("path"), str) and isinstance(n.get("id"), str):
            cs = img.get("colorspace")
            out[n["id"]] = (img["path"], cs if isinstance(cs, str) and cs else "sRGB")
    return out


def node_types(recipe) -> list:
    """The node idnames a recipe uses, sorted and without repeats."""
    return sorted({n["type"] for n in (recipe or {}).get("nodes", []) if isinstance(n, dict) and isinstance(n.get("type"), str)})


def closure(roots, children, key=id) -> list:
    """Every item reachable from ``roots`` through ``children(item)`` (roots included), each once,
    in breadth-first order; ``key`` tells items apart (a cycle of node groups ends)."""
    seen, out, queue = set(), [], [r for r in roots if r is not None]
    while queue:
        item = queue.pop(0)
        k = key(item)
        if k in seen:
            continue
        seen.add(k)
        out.append(item)
        queue.extend(c for c in children(item) if c is not None)
    return out


def summary(reasons, limit: int = 3) -> str:
    """A short sentence listing why a stored graph was rebuilt (the first few reasons)."""
    reasons = list(reasons)
    if not reasons:
        return ""
    head = "; ".join(reasons[:limit])
    more = len(reasons) - limit
    return head + (f" (and {more} more)" if more > 0 else "")
