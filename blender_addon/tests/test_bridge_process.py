"""bridge_process (no bpy) against the fake bridge: handshake, robustness, imports, restart, stop."""

import importlib
import json
import os
import sys
import time
import types

import pytest

ADDON = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAKE = os.path.join(ADDON, "tests", "blender", "fake_bridge.py")


@pytest.fixture(scope="module")
def bp():
    # Load the module as part of a package without running the add-on's __init__ (it needs bpy).
    pkg = types.ModuleType("octane_bridge_nobpy")
    pkg.__path__ = [ADDON]
    sys.modules["octane_bridge_nobpy"] = pkg
    return importlib.import_module("octane_bridge_nobpy.bridge_process")


def pump(bridge, until, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        bridge.drain(limit=1)
        if until():
            return True
        time.sleep(0.01)
    return False


def test_handshake_ignores_unknown_and_broken_lines_and_runs_imports(bp, tmp_path, monkeypatch):
    log = tmp_path / "log.jsonl"
    imports = tmp_path / "imports.json"
    imports.write_text(json.dumps([
        {"import_id": "i1", "shader_id": "oak", "version": "1.0.0", "shader_name": "Oak", "material_name": "OB", "blend_path": "/x/m.blend", "package_dir": "/x"},
        {"import_id": "i2", "shader_id": "oak", "version": "1.0.0", "shader_name": "Oak", "material_name": "OB", "blend_path": "/x/m.blend", "package_dir": "/x"},
    ]))
    monkeypatch.setenv("FAKE_BRIDGE_LOG", str(log))
    monkeypatch.setenv("FAKE_BRIDGE_IMPORTS", str(imports))
    handled = []

    def handler(fields):
        handled.append(fields["import_id"])
        if fields["import_id"] == "i2":
            return {"type": "import_failed", "import_id": "i2", "code": "MATERIAL_MISSING", "message": "no"}
        return {"type": "imported", "import_id": fields["import_id"], "material_name": "OB", "objects": ["Cube"], "reused": False, "message": "ok"}

    b = bp.Bridge([FAKE], {"addon_version": "0.1.0", "site_url": "http://127.0.0.1:3000"}, handler, background=True)
    try:
        assert b.start()
        assert pump(b, lambda: len(b.state.recent) == 2), b.state
        assert handled == ["i1", "i2"]
        assert b.state.state == "online" and b.state.device_id == "dev-fake" and b.state.paired
        assert {r.import_id: r.ok for r in b.state.recent} == {"i1": True, "i2": False}
        b.send("status")
        opened = []
        b.open_url = opened.append
        b.send("pair")
        assert pump(b, lambda: b.state.user_code == "WDJB-MJHT")
        assert opened == ["http://127.0.0.1:3000/device?code=WDJB-MJHT"]
        assert pump(b, lambda: any("status" in e[1] for e in b.state.errors))  # UNKNOWN_TYPE error from the fake
    finally:
        b.stop()
    assert not b.running and b.state.state == "stopped"
    sent = [json.loads(l) for l in log.read_text().splitlines()]
    assert [m["type"] for m in sent if m["type"] != "library"][:3] == ["hello", "imported", "import_failed"]
    # the local library is asked for when the bridge has said hello and after each import
    assert sent[1] == {"v": 1, "type": "library", "action": "list"} and [m["type"] for m in sent].count("library") >= 3
    assert sent[0]["v"] == 1 and sent[0]["addon_version"] == "0.1.0"
    assert next(m for m in sent if m["type"] == "import_failed")["code"] == "MATERIAL_MISSING"
    assert sent[-1]["type"] == "shutdown"


def test_restarts_with_backoff_after_crash(bp, monkeypatch):
    monkeypatch.setenv("FAKE_BRIDGE_EXIT_CODE", "3")
    monkeypatch.setattr(bp, "BACKOFF_START", 0.05)
    b = bp.Bridge([FAKE], {}, lambda f: None, background=True)
    b._backoff = 0.05
    starts, delays = [], []
    real_start, real_schedule = b.start, b._schedule_restart
    b.start = lambda: (starts.append(time.monotonic()), real_start())[1]
    b._schedule_restart = lambda: (delays.append(b._backoff), real_schedule())[1]
    try:
        b.start()
        assert pump(b, lambda: len(starts) >= 3, timeout=15)
        assert "exit code 3" in b.state.message
        assert delays[:2] == [0.05, 0.1]  # the wait doubles
        assert starts[1] - starts[0] >= 0.05 and starts[2] - starts[1] >= 0.1
    finally:
        b.stop()
    assert not b.running


def test_missing_binary_is_a_plain_error(bp, tmp_path):
    b = bp.Bridge([str(tmp_path / "nope")], {}, lambda f: None, background=True)
    assert not b.start()
    assert b.state.state == "error" and "Reinstall" in b.state.message


def test_find_binary_prefers_env_then_shipped_platform_binary(bp, tmp_path):
    assert bp.find_binary(str(tmp_path), {"OCTANE_BRIDGE_BIN": "/x/bridge"}) == "/x/bridge"
    assert bp.find_binary(str(tmp_path), {}) is None
    d = tmp_path / "bin" / bp.platform_tag()
    d.mkdir(parents=True)
    (d / "octane-bridge").write_text("")
    assert bp.find_binary(str(tmp_path), {}) == str(d / "octane-bridge")


@pytest.mark.skipif(sys.platform == "win32", reason="no executable bit on Windows")
def test_shipped_binary_gets_its_executable_bit_back(bp, tmp_path):
    # zip installs drop the mode bits: start() must still run the shipped bridge
    exe = tmp_path / "octane-bridge"
    exe.write_text(open(FAKE).read())
    exe.chmod(0o644)
    b = bp.Bridge([str(exe)], {}, lambda f: None, background=True)
    try:
        assert b.start()
        assert pump(b, lambda: b.state.state == "online")
    finally:
        b.stop()
    assert exe.stat().st_mode & 0o777 == 0o755


def test_pairing_page_is_opened_only_when_https_or_the_configured_local_site(bp):
    import json

    from octane_bridge_nobpy.core.protocol import decode

    def pair_code(uri):
        return decode(json.dumps({"v": 1, "type": "pair_code", "user_code": "WDJB-MJHT", "verification_uri_complete": uri, "expires_in": 600}))

    b = bp.Bridge(None, {"site_url": "http://127.0.0.1:3000", "edge_url": "http://127.0.0.1:8787"}, lambda f: None, background=True)
    opened = []
    b.open_url = opened.append
    for uri in ("https://library.example/connect?code=WDJB-MJHT", "http://127.0.0.1:3000/connect?code=WDJB-MJHT"):
        b._handle(pair_code(uri))
    assert opened == ["https://library.example/connect?code=WDJB-MJHT", "http://127.0.0.1:3000/connect?code=WDJB-MJHT"]
    for uri in ("http://evil.example/connect", "file:///etc/passwd", "javascript:alert(1)", "http://127.0.0.1:9/x"):
        b._handle(pair_code(uri))
        assert b.state.verification_uri == "" and "not opened" in b.state.message
        assert b.state.user_code == "WDJB-MJHT"  # the code is still shown to type in by hand
    assert len(opened) == 2
