"""scripts/build-addon.sh: per-platform zips carrying the bridge, the Blender extensions listing
(checked against Blender's own validator and `server-generate`), and installs of those zips."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile

import pytest

from test_blender_addon import HERE, ROOT, RUNTIMES, addon_zip, blender_env, bpy_python, blender_facts  # noqa: F401 (fixture)

FAKE = os.path.join(HERE, "fake_bridge.py")
BUILDS = {"linux-amd64": "octane-bridge", "darwin-arm64": "octane-bridge", "windows-amd64": "octane-bridge.exe"}
HOST = {"linux": "linux-x64"}.get(sys.platform)


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The add-on built against three bridge builds; the linux one is the fake bridge script, so
    an installed linux zip really runs what it ships."""
    tmp = tmp_path_factory.mktemp("build")
    for goos_arch, exe in BUILDS.items():
        d = tmp / "bin" / goos_arch
        d.mkdir(parents=True)
        if goos_arch == "linux-amd64":
            shutil.copy(FAKE, d / exe)
        else:
            (d / exe).write_bytes(b"binary for " + goos_arch.encode())
        (d / "README.txt").write_text("not shipped")
    out = tmp / "dist"
    out.mkdir()
    (out / "octane_bridge-0.0.1-linux-x64.zip").write_bytes(b"stale")  # from an older build
    p = subprocess.run([os.path.join(ROOT, "scripts", "build-addon.sh")], capture_output=True, text=True,
                       env={**os.environ, "ADDON_DIST": str(out), "BRIDGE_BIN_DIR": str(tmp / "bin")})
    assert p.returncode == 0, p.stderr
    return out


def test_one_zip_per_platform_plus_a_universal_zip(dist):
    assert sorted(os.listdir(dist)) == ["index.json", "octane_bridge-0.1.0-linux-x64.zip", "octane_bridge-0.1.0-macos-arm64.zip",
                                        "octane_bridge-0.1.0-windows-x64.zip", "octane_bridge-0.1.0.zip"]
    for platform, goos_arch in (("linux-x64", "linux-amd64"), ("macos-arm64", "darwin-arm64"), ("windows-x64", "windows-amd64")):
        with zipfile.ZipFile(dist / f"octane_bridge-0.1.0-{platform}.zip") as z:
            bins = [n for n in z.namelist() if "/bin/" in n]
            assert bins == [f"octane_bridge/bin/{goos_arch}/{BUILDS[goos_arch]}"]
            assert (z.getinfo(bins[0]).external_attr >> 16) & 0o777 == 0o755
            manifest = tomllib.loads(z.read("octane_bridge/blender_manifest.toml").decode())
            assert manifest["platforms"] == [platform]
            assert set(manifest["permissions"]) == {"network", "files"}
            assert all(n.startswith("octane_bridge/") for n in z.namelist())
            assert not [n for n in z.namelist() if "/tests/" in n or n.endswith(".pyc")]
            assert "octane_bridge/__init__.py" in z.namelist()  # bl_info: the legacy install path
    with zipfile.ZipFile(dist / "octane_bridge-0.1.0.zip") as z:
        assert sorted(n for n in z.namelist() if "/bin/" in n) == sorted(
            f"octane_bridge/bin/{k}/{v}" for k, v in BUILDS.items())
        assert "platforms" not in tomllib.loads(z.read("octane_bridge/blender_manifest.toml").decode())


def test_index_lists_the_platform_zips_with_size_and_hash(dist):
    index = json.loads((dist / "index.json").read_text())
    assert index["version"] == "v1" and index["blocklist"] == []
    by_platform = {tuple(e["platforms"]): e for e in index["data"]}
    assert set(by_platform) == {("linux-x64",), ("macos-arm64",), ("windows-x64",)}
    for (platform,), e in by_platform.items():
        data = (dist / e["archive_url"].removeprefix("./")).read_bytes()
        assert e["archive_size"] == len(data) and e["archive_hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert e["id"] == "octane_bridge" and e["type"] == "add-on" and e["blender_version_min"] == "4.2.0"
        assert e["schema_version"] == "1.0.0" and e["license"] == ["SPDX:GPL-3.0-or-later"]
        assert set(e["permissions"]) == {"network", "files"} and e["tagline"] and e["maintainer"]


def blender_ext_cli():
    py = bpy_python()
    out = subprocess.run([py, "-c", "import bpy, os; print(os.path.join(bpy.utils.system_resource('SCRIPTS'), "
                          "'addons_core', 'bl_pkg', 'cli', 'blender_ext.py'))"],
                         capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    assert os.path.isfile(out), out
    return py, out


def blender_listing(zips, tmp_path):
    """Blender's own extension tool over a folder of our zips: every zip validates; returns the
    index.json its server-generate writes for the platform zips, to compare with ours."""
    py, cli = blender_ext_cli()
    for z in sorted(zips.glob("*.zip")):
        p = subprocess.run([py, cli, "validate", str(z)], capture_output=True, text=True)
        assert p.returncode == 0 and "Success" in p.stdout, (z.name, p.stdout, p.stderr)
    repo = tmp_path / "repo"
    repo.mkdir()
    for z in zips.glob("*-*-*.zip"):
        shutil.copy(z, repo)
    p = subprocess.run([py, cli, "server-generate", f"--repo-dir={repo}"], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    return json.loads((repo / "index.json").read_text())


def test_blender_validates_every_zip_and_generates_the_same_listing(dist, tmp_path):
    theirs = blender_listing(dist, tmp_path)
    ours = json.loads((dist / "index.json").read_text())
    key = lambda e: e["archive_url"]  # noqa: E731
    assert sorted(theirs["data"], key=key) == sorted(ours["data"], key=key)
    assert {k: v for k, v in theirs.items() if k != "data"} == {k: v for k, v in ours.items() if k != "data"}


@pytest.mark.skipif(HOST is None, reason="the shipped test bridge is a linux build")
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_platform_zip_installs_and_runs_its_shipped_bridge(runtime, dist, tmp_path):
    out = tmp_path / "facts.json"
    log = tmp_path / "bridge.jsonl"
    facts = blender_facts("shipped_binary_e2e.py", [str(dist / f"octane_bridge-0.1.0-{HOST}.zip"), str(out)], out,
                blender_env(tmp_path, FAKE_BRIDGE_LOG=str(log)), runtime=runtime)
    assert facts["enabled"] and facts["binary"] == os.path.join("bin", "linux-amd64", "octane-bridge")
    assert facts["started"] and facts["executable"] and facts["online"] and facts["bridge_version"] == "fake-1"
    assert facts["restarted"] and facts["online_after_restart"]
    hellos = [m for m in map(json.loads, log.read_text().splitlines()) if m["type"] == "hello"]
    assert [h.get("log_level") for h in hellos] == ["info", "warn"]


def test_extension_for_another_platform_is_refused(dist, tmp_path):
    out = tmp_path / "facts.json"
    facts = blender_facts("shipped_binary_e2e.py", [str(dist / "octane_bridge-0.1.0-windows-x64.zip"), str(out)], out,
                blender_env(tmp_path), runtime="bpy")
    # Blender: "This platform (linux-x64) isn't one of (windows-x64)"; nothing is installed.
    assert facts["as"] == "extension" and facts["enabled"] is False and facts["extension_dir_exists"] is False, facts


def test_online_access_off_keeps_the_bridge_off(addon_zip, tmp_path):
    out = tmp_path / "facts.json"
    facts = blender_facts("online_access_e2e.py", [addon_zip, str(out)], out,
                blender_env(tmp_path, OCTANE_BRIDGE_BIN=FAKE, FAKE_BRIDGE_ALREADY_PAIRED="1"), runtime="bpy")
    assert facts["online_access"] is False and facts["connect_offline"] == ["CANCELLED"]
    assert facts["running_offline"] is False and facts["state_offline"] == "error"
    assert "Online access is disabled" in facts["message_offline"] and "Online access is disabled" in facts["connect_report"]
    assert facts["connect_online"] == ["FINISHED"] and facts["online"] is True
