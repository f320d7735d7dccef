"""Version numbers for regenerated demo packages.

Published versions are immutable, so a package that is built again (new bytes: a .blend is never
byte-identical between two Blender runs) must carry a new version, or `make dev` cannot publish
it into a database that already has the old one. Each regenerated shader gets the next patch
version after the one in catalog.json; a new shader starts at 1.0.0.
"""
import json
import os

FIRST = "1.0.0"


def read_index(path):
    """catalog.json as {shader_id: entry}; empty when there is none yet."""
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return {e["shader_id"]: e for e in json.load(f)["shaders"]}


def bump(version):
    major, minor, patch = (int(p) for p in version.split("."))
    return "%d.%d.%d" % (major, minor, patch + 1)


def next_versions(index, ids):
    """The version each of ids is built as."""
    return {i: bump(index[i]["version"]) if i in index else FIRST for i in ids}


def superseded(old, new):
    """Package paths (relative to catalog.json) the new index no longer lists."""
    keep = {e["package"] for e in new.values()}
    return sorted(e["package"] for e in old.values() if e["package"] not in keep)
