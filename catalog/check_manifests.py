#!/usr/bin/env python3
"""Check every package in a catalog folder: manifest.json valid against the JSON Schema (a v2
manifest's texture sets as catalog.json lists them, and any set zip present the one it lists),
and schema rejects a few hostile manifests (so the schema is not vacuous).

    check_manifests.py SCHEMA CATALOG_DIR
"""
import copy
import hashlib
import json
import os
import sys
import zipfile

try:
    import jsonschema
except ImportError:
    if os.environ.get("CI") == "true":
        print("check_manifests: python3-jsonschema is required in CI", file=sys.stderr)
        sys.exit(1)
    print("check_manifests: jsonschema not installed (pip install jsonschema); skipped", file=sys.stderr)
    sys.exit(0)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    schema = json.load(open(sys.argv[1]))
    cat = sys.argv[2]
    v = jsonschema.Draft202012Validator(schema)
    index = json.load(open(os.path.join(cat, "catalog.json")))
    bad = 0
    first = None
    for e in index["shaders"]:
        with zipfile.ZipFile(os.path.join(cat, e["package"])) as z:
            m = json.loads(z.read("manifest.json"))
        first = first or m
        errs = list(v.iter_errors(m))
        if m.get("schema_version") == 2:
            listed = [{k: t[k] for k in ("resolution", "sha256", "size")} for t in m.get("texture_sets", [])]
            if listed != e.get("texture_sets", []):
                errs.append(type("E", (), {"message": "catalog.json's texture_sets differ from the manifest's"}))
            for t in m.get("texture_sets", []):
                path = os.path.join(cat, e["package"][:-len(".zip")], "textures-%s.zip" % t["resolution"])
                if os.path.exists(path) and sha256(path) != t["sha256"]:
                    errs.append(type("E", (), {"message": "%s is not the set the manifest lists" % path}))
        for err in errs:
            print("%s: %s" % (e["package"], err.message), file=sys.stderr)
        bad += bool(errs)
    shaders = {e["shader_id"] for e in index["shaders"]}
    if len(shaders) < 48:
        print("catalog has %d shaders, want at least 48" % len(shaders), file=sys.stderr)
        bad += 1
    hostile = {
        "traversal path": lambda m: m["files"].append({"path": "../evil.png", "sha256": "0" * 64, "size": 1}),
        "unknown field": lambda m: m.update(evil=True),
        "schema version 2": lambda m: m.update(schema_version=2),
        "uppercase hash": lambda m: m["files"][0].update(sha256="A" * 64),
        "no preview": lambda m: m.update(files=[f for f in m["files"] if f["path"] != "preview.webp"]),
    }
    for name, edit in hostile.items():
        m = copy.deepcopy(first)
        edit(m)
        if v.is_valid(m):
            print("schema accepts a manifest with " + name, file=sys.stderr)
            bad += 1
    print("check_manifests: %d packages, %d problems" % (len(index["shaders"]), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
