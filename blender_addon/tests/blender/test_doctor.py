"""The Help panel's diagnostics in real headless Blender (3.4, bpy 4.2 LTS, bpy 5.x): the real
bridge's doctor with the add-on's settings, against a stand-in edge whose Realtime is down."""

import json
import os

import pytest

from test_blender_addon import HERE, RUNTIMES, addon_zip, blender_env, blender_facts  # noqa: F401 (fixture)
from test_real_bridge import ANON_KEY, edge, edge_env, real_bridge  # noqa: F401 (fixtures: the pairing edge, /healthz ok, Supabase down)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_help_panel_runs_the_bridges_doctor_and_copies_its_report(runtime, real_bridge, addon_zip, edge, tmp_path):
    packages = tmp_path / "packages"
    url, env = edge_env(tmp_path, real_bridge, edge, OCTANE_CACHE_DIR=str(packages),
                        HTTPS_PROXY="http://me:pw@proxy.invalid:3128", NO_PROXY="127.0.0.1")
    out = tmp_path / "facts.json"
    f = blender_facts("doctor_e2e.py", [addon_zip, str(out)], out, env, timeout=240, runtime=runtime)
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
    assert ANON_KEY not in report and "pw@" not in report and "oct_live_test_secret" not in report
    assert f["copy"] == ["FINISHED"]


def test_ui_draws_the_library_help_and_a_fix_and_copies_the_report(addon_zip, tmp_path):
    """Blender 3.4's UI under Xvfb: what only a window system does (icons, the clipboard)."""
    import zipfile

    from test_blender_addon import PACKAGE, run_blender_ui

    pkg = tmp_path / "pkg"
    zipfile.ZipFile(PACKAGE).extractall(pkg)
    m = json.loads((pkg / "manifest.json").read_text())
    entry = {"sha256": "a" * 64, "shader_id": m["shader_id"], "version": m["version"], "name": m["name"],
             "material_name": m["material_name"], "preview_path": str(pkg / "preview.webp"),
             "resolutions": m["texture_resolutions"], "bytes": 1000, "used_at": 1796212800}
    (tmp_path / "library.json").write_text(json.dumps([{"entry": entry, "import": None}]))
    out = tmp_path / "facts.json"
    env = blender_env(tmp_path, OCTANE_BRIDGE_BIN=os.path.join(HERE, "fake_bridge.py"), FAKE_BRIDGE_LIBRARY=str(tmp_path / "library.json"))
    p, f = run_blender_ui("help_ui_e2e.py", [addon_zip, str(out)], out, env)
    assert "timeout" not in f, f
    assert f["draw_errors"] == [] and f["drawn"] > 3
    assert f["icons"] == [True]  # the preview became an icon in the UI
    assert f["doctor_run"] == ["FINISHED"] and f["doctor"]["ok"] is False and "[FAIL] supabase realtime" in f["doctor"]["report"]
    assert f["copy"] == ["FINISHED"] and f["clipboard"] == f["doctor"]["report"]
    assert "Traceback" not in p.stderr, p.stderr[-3000:]
