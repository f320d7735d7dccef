"""One version and one set of permissions across the manifest, bl_info and the hello message."""

import ast
import os
import re
import tomllib

ADDON = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(name):
    with open(os.path.join(ADDON, name), encoding="utf-8") as f:
        return f.read()


def test_manifest_bl_info_and_runtime_agree_on_the_version():
    manifest = tomllib.loads(read("blender_manifest.toml"))
    bl_info = ast.literal_eval(re.search(r"^bl_info = (\{.*?^\})", read("__init__.py"), re.S | re.M).group(1))
    runtime_version = re.search(r'^VERSION = "([^"]+)"', read("runtime.py"), re.M).group(1)
    assert manifest["version"] == runtime_version == ".".join(map(str, bl_info["version"]))
    assert bl_info["blender"] == (3, 4, 0) and manifest["blender_version_min"] == "4.2.0"


def test_manifest_declares_network_and_files_permissions():
    manifest = tomllib.loads(read("blender_manifest.toml"))
    assert manifest["schema_version"] == "1.0.0" and manifest["id"] == "octane_bridge" and manifest["type"] == "add-on"
    assert set(manifest["permissions"]) == {"network", "files"}
    for reason in manifest["permissions"].values():  # Blender: at most 64 characters, no final period
        assert 0 < len(reason) <= 64 and reason[-1].isalnum()
    assert "platforms" not in manifest  # added per platform by scripts/build-addon.sh
