"""The Help panel's diagnostics in real headless Blender (3.4, bpy 4.2 LTS, bpy 5.x): the real
bridge's doctor with the add-on's settings, against a stand-in edge whose Realtime is down."""

import json
import os

import pytest

from test_blender_addon import HERE, RUNTIMES, addon_zip, blender_env, run_blender  # noqa: F401 (fixture)
from test_real_bridge import edge, real_bridge  # noqa: F401 (fixtures: the pairing edge, /healthz ok, Supabase down)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_help_panel_runs_the_bridges_doctor_and_copies_its_report(runtime, real_bridge, addon_zip, edge, tmp_path):
    url = f"http://127.0.0.1:{edge.server_port}"
    packages = tmp_path / "packages"
    env = blender_env(tmp_path, OCTANE_BRIDGE_BIN=real_bridge, OCTANE_SITE_URL=url, OCTANE_EDGE_URL=url,
                      OCTANE_SUPABASE_URL=url, OCTANE_SUPABASE_ANON_KEY="anon-test-key", OCTANE_CACHE_DIR=str(packages),
                      OCTANE_BRIDGE_CACHE_DIR=str(tmp_path / "bridge-home"), HTTPS_PROXY="http://me:pw@proxy.invalid:3128",
                      NO_PROXY="127.0.0.1", DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent/octane-test-bus")
    out = tmp_path / "facts.json"
    run_blender(os.path.join(HERE, "doctor_e2e.py"), [addon_zip, str(out)], env, timeout=240, runtime=runtime)
    f = json.loads(out.read_text())
    assert "exception" not in f, f["exception"]
    assert f["unpaired"] and f["paired"] and f["library"] == []
    assert f["copy_before"] is False and f["run"] == ["FINISHED"] and f["running"] is True and f["finished"]
    d = f["doctor"]
    report = d["report"]
    assert d["ok"] is False and report.startswith("octane-bridge "), report
    for want in (f"[ok  ] edge                   {url} → 200", "[FAIL] supabase auth", "[FAIL] supabase realtime",
                 "[ok  ] clock", "[ok  ] certificates", f"[ok  ] cache folder           {tmp_path / 'bridge-home'}",
                 f"[ok  ] package cache          {packages}", "MB free", "keychain", f"paired with {url}",
                 "http://***@proxy.invalid:3128", "check(s) failed"):
        assert want in report, f"{want!r} not in\n{report}"
    assert "anon-test-key" not in report and "pw@" not in report and "oct_live_test_secret" not in report
    assert f["copy"] == ["FINISHED"]


def test_ui_draws_the_library_help_and_a_fix_and_copies_the_report(addon_zip, tmp_path):
    """Blender 3.4's UI under Xvfb: what only a window system does (icons, the clipboard)."""
    import shutil
    import subprocess
    import zipfile

    from test_blender_addon import PACKAGE, blender_bin

    xvfb = shutil.which("xvfb-run")
    if not xvfb:
        if os.environ.get("CI") == "true":
            pytest.fail("xvfb-run not found (Debian package xvfb)")
        pytest.skip("xvfb-run not installed")
    pkg = tmp_path / "pkg"
    zipfile.ZipFile(PACKAGE).extractall(pkg)
    m = json.loads((pkg / "manifest.json").read_text())
    entry = {"sha256": "a" * 64, "shader_id": m["shader_id"], "version": m["version"], "name": m["name"],
             "material_name": m["material_name"], "preview_path": str(pkg / "preview.webp"),
             "resolutions": m["texture_resolutions"], "bytes": 1000, "used_at": 1796212800}
    (tmp_path / "library.json").write_text(json.dumps([{"entry": entry, "import": None}]))
    out = tmp_path / "facts.json"
    env = blender_env(tmp_path, OCTANE_BRIDGE_BIN=os.path.join(HERE, "fake_bridge.py"), FAKE_BRIDGE_LIBRARY=str(tmp_path / "library.json"))
    cmd = [xvfb, "-a", "-s", "-screen 0 1280x800x24", blender_bin(), "--factory-startup", "-noaudio",
           "-P", os.path.join(HERE, "help_ui_e2e.py"), "--", addon_zip, str(out)]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert out.exists(), p.stdout[-3000:] + p.stderr[-3000:]
    f = json.loads(out.read_text())
    assert "exception" not in f and "timeout" not in f, f
    assert f["draw_errors"] == [] and f["drawn"] > 3
    assert f["icons"] == [True]  # the preview became an icon in the UI
    assert f["doctor_run"] == ["FINISHED"] and f["doctor"]["ok"] is False and "[FAIL] supabase realtime" in f["doctor"]["report"]
    assert f["copy"] == ["FINISHED"] and f["clipboard"] == f["doctor"]["report"]
    assert "Traceback" not in p.stderr, p.stderr[-3000:]
