"""scripts/release.sh (`make release`): the bridge built for every platform with a production
delivery key, the add-on zips and Blender's extensions listing laid out as the bucket holds them,
checked by Blender's own extension tooling, and published to the local S3 (versitygw)."""

import base64
import datetime
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
import zipfile

import pytest

from test_blender_addon import ROOT, unavailable
from test_extension_build import blender_ext_cli, blender_listing

PLATFORMS = {"linux-amd64": "linux-x64", "linux-arm64": "linux-arm64", "darwin-amd64": "macos-x64",
             "darwin-arm64": "macos-arm64", "windows-amd64": "windows-x64"}
VERSION = [l.split('"')[1] for l in open(os.path.join(ROOT, "blender_addon", "blender_manifest.toml"))
           if l.startswith("version = ")][0]
# This machine as Go and Blender name it (the release's bridge and extension for it run here).
HOST = {("linux", "x86_64"): "linux-amd64", ("linux", "aarch64"): "linux-arm64"}.get((sys.platform, os.uname().machine))
DEV_KEYS = [l.split("=", 1)[1].strip() for l in open(os.path.join(ROOT, ".env.example"))
            if l.startswith("MANIFEST_PUBLIC_KEYS=")][0]

# The local S3 as scripts/lib.sh configures it.
S3 = {"endpoint": os.environ.get("S3_ENDPOINT", "http://127.0.0.1:9000"), "region": os.environ.get("S3_REGION", "us-east-1"),
      "access": os.environ.get("S3_ACCESS_KEY", "octanelocal"), "secret": os.environ.get("S3_SECRET_KEY", "octanelocalsecret"),
      "bucket": os.environ.get("S3_BUCKET", "octane-packages")}


def s3(method, key="", query=None):
    """One SigV4-signed request to the local S3 (path-style), independent of the Go client the
    release uses: returns (status, body)."""
    u = urllib.parse.urlparse(S3["endpoint"])
    path = "/" + S3["bucket"] + ("/" + urllib.parse.quote(key) if key else "")
    qs = "&".join(f"{urllib.parse.quote(k, safe='')}={urllib.parse.quote(v, safe='')}" for k, v in sorted((query or {}).items()))
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload = hashlib.sha256(b"").hexdigest()
    headers = {"host": u.netloc, "x-amz-content-sha256": payload, "x-amz-date": amz_date}
    signed = ";".join(sorted(headers))
    canonical = "\n".join([method, path, qs, *(f"{k}:{headers[k]}" for k in sorted(headers)), "", signed, payload])
    scope = f"{day}/{S3['region']}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + S3["secret"]).encode()
    for part in (day, S3["region"], "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = f"AWS4-HMAC-SHA256 Credential={S3['access']}/{scope}, SignedHeaders={signed}, Signature={sig}"
    req = urllib.request.Request(S3["endpoint"] + path + ("?" + qs if qs else ""), method=method,
                                 headers={k: v for k, v in headers.items() if k != "host"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def list_keys(prefix):
    status, body, _ = s3("GET", query={"list-type": "2", "prefix": prefix + "/"})
    assert status == 200, body
    ns = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
    return sorted(e.text for e in ET.fromstring(body).findall(".//s3:Contents/s3:Key", ns))


def require_s3():
    u = urllib.parse.urlparse(S3["endpoint"])
    try:
        socket.create_connection((u.hostname, u.port or 80), timeout=1).close()
    except OSError:
        unavailable(f"S3 (versitygw) at {S3['endpoint']} is not running (make test, or scripts/services.sh start s3)")


def release(tmp, *args, keys):
    env = {**os.environ, "RELEASE_DIST": str(tmp), "BRIDGE_TRUSTED_KEYS": keys, "S3_ENDPOINT": S3["endpoint"], "S3_REGION": S3["region"],
           "S3_ACCESS_KEY": S3["access"], "S3_SECRET_KEY": S3["secret"], "S3_BUCKET": S3["bucket"]}
    env.pop("BRIDGE_PLATFORMS", None)
    return subprocess.run([os.path.join(ROOT, "scripts", "release.sh"), *args], capture_output=True, text=True, env=env, timeout=900)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """One real release (every platform) into a fresh bucket prefix, removed afterwards."""
    require_s3()
    tmp = tmp_path_factory.mktemp("release")
    prefix = f"test/release-{uuid.uuid4().hex[:12]}/addon"
    os.environ["RELEASE_PREFIX"] = prefix
    keys = "prod-1:" + base64.b64encode(os.urandom(32)).decode()
    try:
        p = release(tmp, keys=keys)
    finally:
        del os.environ["RELEASE_PREFIX"]
    try:
        assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
        yield {"dist": tmp, "addon": tmp / "addon", "prefix": prefix, "stdout": p.stdout, "keys": keys}
    finally:
        for key in list_keys(prefix):
            s3("DELETE", key)


def test_release_refuses_the_development_key(tmp_path):
    p = release(tmp_path, "--dry-run", keys=DEV_KEYS)
    assert p.returncode != 0 and "development key" in p.stderr, p.stderr
    assert not list((tmp_path / "bin").glob("*/octane-bridge*")) and not list(tmp_path.glob("addon/*/*.zip"))
    p = release(tmp_path, "--dry-run", keys="")
    assert p.returncode != 0 and "BRIDGE_TRUSTED_KEYS" in p.stderr, p.stderr


def test_release_takes_s3_only_from_its_caller(tmp_path):
    """scripts/lib.sh defaults S3 to the local versitygw; a release never inherits that."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("S3_")}
    env.update(RELEASE_DIST=str(tmp_path), BRIDGE_TRUSTED_KEYS="prod-1:" + base64.b64encode(os.urandom(32)).decode())
    p = subprocess.run([os.path.join(ROOT, "scripts", "release.sh"), "--dry-run"], capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode != 0 and "set S3_BUCKET" in p.stderr, p.stderr


def test_release_ships_every_platform_with_the_production_key(published):
    addon = published["addon"]
    zips = sorted(os.listdir(addon / VERSION))
    assert zips == sorted([f"octane_bridge-{VERSION}.zip"] + [f"octane_bridge-{VERSION}-{p}.zip" for p in PLATFORMS.values()])
    for goos_arch, platform in PLATFORMS.items():
        exe = "octane-bridge.exe" if goos_arch.startswith("windows") else "octane-bridge"
        with zipfile.ZipFile(addon / VERSION / f"octane_bridge-{VERSION}-{platform}.zip") as z:
            assert [n for n in z.namelist() if "/bin/" in n] == [f"octane_bridge/bin/{goos_arch}/{exe}"]
            data = z.read(f"octane_bridge/bin/{goos_arch}/{exe}")
            # Pinned as given (-X main.trustedKeys); the development key is never among them (the
            # binary knows its public half only to refuse it: docs/security.md row 9).
            assert published["keys"].encode() in data and f"trustedKeys={DEV_KEYS}".encode() not in data
    with zipfile.ZipFile(addon / VERSION / f"octane_bridge-{VERSION}.zip") as z:
        assert len([n for n in z.namelist() if "/bin/" in n]) == len(PLATFORMS)
    if HOST:
        out = subprocess.run([str(published["dist"] / "bin" / HOST / "octane-bridge"), "version"],
                             capture_output=True, text=True, check=True).stdout
        assert "trusted keys: prod-1" in out and VERSION in out, out
    files = json.loads((addon / "files.json").read_text())
    assert files == {"version": VERSION, "latest": f"{VERSION}/octane_bridge-{VERSION}.zip", "zips": [f"{VERSION}/{z}" for z in zips]}


def test_blender_validates_the_release_and_generates_the_same_listing(published, tmp_path):
    addon = published["addon"]
    # Blender's server-generate lists the zips of one folder; ours sit one folder below index.json.
    theirs = blender_listing(addon / VERSION, tmp_path)
    ours = json.loads((addon / "index.json").read_text())
    for e in ours["data"]:
        assert e["archive_url"].startswith(f"./{VERSION}/"), e["archive_url"]
        e["archive_url"] = "./" + e["archive_url"].removeprefix(f"./{VERSION}/")
    key = lambda e: e["archive_url"]  # noqa: E731
    assert sorted(theirs["data"], key=key) == sorted(ours["data"], key=key)
    assert {k: v for k, v in theirs.items() if k != "data"} == {k: v for k, v in ours.items() if k != "data"}


def test_blender_installs_from_the_release_listing(published, tmp_path):
    """Blender's own client syncs the listing and installs this machine's build through the
    relative, versioned archive_url, checking size and hash."""
    if HOST is None:
        pytest.skip("Blender's client installs the build of this platform; the release has linux builds only for this check")
    py, cli = blender_ext_cli()
    url = (published["addon"] / "index.json").as_uri()
    local = tmp_path / "extensions"
    local.mkdir()
    p = subprocess.run([py, cli, "sync", f"--remote-url={url}", f"--local-dir={local}"], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    p = subprocess.run([py, cli, "install", "octane_bridge", f"--remote-url={url}", f"--local-dir={local}", "--local-cache=0",
                        "--blender-version=5.0.1", "--python-version=3.11.0", "--temp-prefix-and-suffix=./.tmp",
                        "--output-type=JSON"], capture_output=True, text=True)
    assert p.returncode == 0 and "Installed" in p.stdout, p.stdout[-2000:] + p.stderr
    assert os.listdir(local / "octane_bridge" / "bin") == [HOST]


def test_release_objects_land_in_the_bucket(published):
    addon, prefix = published["addon"], published["prefix"]
    local = sorted(str(p.relative_to(addon)) for p in addon.rglob("*") if p.is_file())
    assert list_keys(prefix) == [f"{prefix}/{rel}" for rel in local]
    for rel in local:
        status, body, headers = s3("GET", f"{prefix}/{rel}")
        assert status == 200, (rel, body[:200])
        assert hashlib.sha256(body).hexdigest() == hashlib.sha256((addon / rel).read_bytes()).hexdigest(), rel
        assert headers.get("Content-Type") == ("application/zip" if rel.endswith(".zip") else "application/json"), (rel, headers)
    out = published["stdout"]
    assert out.index(f"{prefix}/index.json") > max(out.index(f"{prefix}/{rel}") for rel in local if rel.endswith(".zip"))
    assert f"verified {len(local)} objects" in out
