"""Version numbers for regenerated demo packages.

Published versions are immutable, so a package that is built again (new bytes: a .blend is never
byte-identical between two Blender runs) must carry a new version, or `make dev` cannot publish
it into a database that already has the old one. Each regenerated shader gets the next patch
version after its newest in catalog.json, or the next minor one when it moves from package
format v1 to v2 (texture sets); a new shader starts at 1.0.0. catalog.json may list a shader
twice (its v1 version, kept so v1 keeps importing, and its v2 version).
"""
import json
import os

FIRST = "1.0.0"


def _key(version):
    return tuple(int(p) for p in version.split("."))


def read_rows(path):
    """catalog.json's rows; empty when there is none yet."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return json.load(f)["shaders"]


def read_index(path):
    """catalog.json as {shader_id: its newest entry}; empty when there is none yet."""
    index = {}
    for e in read_rows(path):
        if e["shader_id"] not in index or _key(e["version"]) > _key(index[e["shader_id"]]["version"]):
            index[e["shader_id"]] = e
    return index


def bump(version, minor=False):
    major, mi, patch = _key(version)
    return "%d.%d.0" % (major, mi + 1) if minor else "%d.%d.%d" % (major, mi, patch + 1)


def next_versions(index, ids, v2=()):
    """The version each of ids is built as; v2: the ids built as format v2 packages."""
    out = {}
    for i in ids:
        if i not in index:
            out[i] = FIRST
        else:
            out[i] = bump(index[i]["version"], minor=i in v2 and index[i].get("schema_version", 1) < 2)
    return out


def superseded(old_rows, new_rows):
    """Package paths (relative to catalog.json) the new rows no longer list."""
    keep = {e["package"] for e in new_rows}
    return sorted({e["package"] for e in old_rows} - keep)
