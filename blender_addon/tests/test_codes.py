"""The add-on, and the Python the publisher runs in Blender, read the failure vocabulary from
schemas/codes.json and spell no code themselves."""

import ast
import glob
import importlib.util
import json
import os
import re
import shutil
import subprocess
import zipfile

from core import codes
from core.state import ERROR_TEXT, BridgeState

ADDON = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(ADDON)
CODE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")


def _file_codes():
    with open(os.path.join(ROOT, "schemas", "codes.json"), encoding="utf-8") as f:
        return {e["code"]: e for e in json.load(f)["codes"]}


def test_the_module_is_the_file():
    want = _file_codes()
    assert codes.ENTRIES == want
    for code in want:
        assert getattr(codes, code) == code
    assert ERROR_TEXT == {c: e["blender"] for c, e in want.items() if "blender" in e}
    assert BridgeState.error_text(codes.DISK_FULL, "raw") == want["DISK_FULL"]["blender"]
    assert codes.retryable(codes.DOWNLOAD_FAILED) and not codes.retryable(codes.HASH_MISMATCH)


# The loaders: the add-on's, and the one the vetting scripts that run in Blender use.
LOADERS = {os.path.join(ADDON, "core", "codes.py"), os.path.join(ROOT, "internal", "shaderpkg", "octane", "codes.py")}


def _sources():
    """The add-on's modules, the publisher's vetting scripts and the catalog's Blender scripts."""
    for top in (ADDON, os.path.join(ROOT, "internal", "shaderpkg")):
        for root, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if d not in ("tests", "__pycache__", "bin")]
            for f in files:
                if f.endswith(".py"):
                    yield os.path.join(root, f)
    yield from sorted(glob.glob(os.path.join(ROOT, "catalog", "blender", "*.py")))


def _as_code(node, parents) -> bool:
    """A literal in a code's place: {"code": X}, code=X, ImportError_(X), problem(X), == a code."""
    p = parents.get(node)
    if isinstance(p, ast.Dict):
        i = next((i for i, v in enumerate(p.values) if v is node), None)
        k = p.keys[i] if i is not None else None
        return isinstance(k, ast.Constant) and k.value == "code"
    if isinstance(p, ast.keyword):
        return p.arg == "code"
    if isinstance(p, ast.Call) and p.args and p.args[0] is node:
        f = p.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        return name.endswith("Error") or name.endswith("Error_") or name in ("error_text", "problem")
    if isinstance(p, ast.Compare):
        return "code" in ast.unparse(p).lower()
    return False


def _violations(tree, where, known):
    parents = {c: n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) >= 3 and CODE.match(node.value):
            if node.value in known:
                out.append(f"{where}:{node.lineno}: {node.value!r} is a code: spell it codes.{node.value}")
            elif _as_code(node, parents):
                out.append(f"{where}:{node.lineno}: {node.value!r} is used as a code but schemas/codes.json does not list it")
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "codes":
            if CODE.match(node.attr) and node.attr not in known and node.attr != "ENTRIES":
                out.append(f"{where}:{node.lineno}: codes.{node.attr} is not in schemas/codes.json")
    return out


def test_no_code_string_outside_the_file():
    known = _file_codes()
    out, seen = [], set()
    for path in _sources():
        if path in LOADERS:
            continue
        with open(path, encoding="utf-8") as f:
            out += _violations(ast.parse(f.read()), os.path.relpath(path, ROOT), known)
        seen.add(os.path.relpath(path, ROOT))
    assert len(seen) >= 10
    for rel in ("internal/shaderpkg/blendvet/vet_blend.py", "internal/shaderpkg/octane/octane_check.py", "catalog/blender/build.py"):
        assert rel in seen
    assert out == []


def test_the_vetting_scripts_read_the_file(tmp_path):
    # Go writes codes.py and the file side by side for a Blender run (package octane's WriteScripts).
    shutil.copy(os.path.join(ROOT, "internal", "shaderpkg", "octane", "codes.py"), tmp_path / "codes.py")
    shutil.copy(os.path.join(ROOT, "schemas", "codes.json"), tmp_path / "codes.json")
    spec = importlib.util.spec_from_file_location("vet_codes", tmp_path / "codes.py")
    vet_codes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vet_codes)
    want = _file_codes()
    assert {c for c in vars(vet_codes) if CODE.match(c)} == set(want)
    assert vet_codes.OCTANE_RECIPE == "OCTANE_RECIPE" and want["OCTANE_RECIPE"]["from"] == ["vetting"]


def test_the_scan_finds_made_up_codes():
    src = '''
raise ImportError_("MADE_UP", "x")
problem("MADE_UP_PROBLEM", "", "x")
reply = {"type": "import_failed", "code": "ALSO_MADE_UP"}
ok = msg.get("code") == "COMPARED"
codes.NOT_IN_THE_FILE
space = "VIEW_3D"
text = "NOT_FOUND"
'''
    got = _violations(ast.parse(src), "x.py", _file_codes())
    assert sorted(g.split(": ", 1)[1] for g in got) == sorted([
        "'MADE_UP' is used as a code but schemas/codes.json does not list it",
        "'MADE_UP_PROBLEM' is used as a code but schemas/codes.json does not list it",
        "'ALSO_MADE_UP' is used as a code but schemas/codes.json does not list it",
        "'COMPARED' is used as a code but schemas/codes.json does not list it",
        "codes.NOT_IN_THE_FILE is not in schemas/codes.json",
        "'NOT_FOUND' is a code: spell it codes.NOT_FOUND",
    ])


def test_the_zip_carries_the_file(tmp_path):
    (tmp_path / "bin").mkdir()
    env = {**os.environ, "ADDON_DIST": str(tmp_path / "out"), "BRIDGE_BIN_DIR": str(tmp_path / "bin")}
    subprocess.run([os.path.join(ROOT, "scripts", "build-addon.sh")], check=True, env=env, capture_output=True)
    (zip_path,) = [p for p in (tmp_path / "out").iterdir() if p.suffix == ".zip"]
    with zipfile.ZipFile(zip_path) as z, open(os.path.join(ROOT, "schemas", "codes.json"), "rb") as f:
        assert z.read("octane_bridge/core/codes.json") == f.read()
