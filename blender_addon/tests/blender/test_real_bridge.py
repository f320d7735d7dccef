"""The add-on with the real bridge binary (go build ./bridge) in headless Blender, against a
stand-in edge on loopback for pairing. With CI=true a bridge that does not build fails the test."""

import json
import os
import re
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from test_blender_addon import ROOT, RUNTIMES, addon_zip, blender_env, blender_facts, unavailable  # noqa: F401 (fixture)


@pytest.fixture(scope="session")
def real_bridge(tmp_path_factory):
    prebuilt = os.environ.get("OCTANE_REAL_BRIDGE")
    if prebuilt and os.path.isfile(prebuilt):
        return prebuilt
    go = shutil.which("go") or "/usr/local/go/bin/go"
    out = str(tmp_path_factory.mktemp("bridge") / "octane-bridge")
    p = subprocess.run([go, "build", "-o", out, "./bridge"], cwd=ROOT, capture_output=True, text=True,
                       env={**os.environ, "GOFLAGS": os.environ.get("GOFLAGS", "-mod=mod")}, timeout=600)
    if p.returncode != 0:
        unavailable("the bridge does not build: " + p.stderr[-2000:])
    return out


class FakeEdge(BaseHTTPRequestHandler):
    """/v1/devices/authorize and /v1/devices/token as in RFC 8628 (approved at the first poll);
    /healthz is ok, everything else unavailable, so the bridge stays offline without going anywhere."""

    seen: list = []

    def log_message(self, *args):
        pass

    def _json(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append((self.path, json.loads(raw or b"{}")))
        site = f"http://127.0.0.1:{self.server.server_port}"
        if self.path == "/v1/devices/authorize":
            self._json(200, {"device_code": "dc-test", "user_code": "WXYZ-2345", "verification_uri": site + "/connect",
                             "verification_uri_complete": site + "/connect?code=WXYZ-2345", "expires_in": 600, "interval": 1})
        elif self.path == "/v1/devices/token":
            self._json(200, {"api_key": "oct_live_test_secret", "device_id": "d0000000-0000-4000-8000-000000000001",
                             "user_id": "11111111-1111-4111-8111-111111111111"})
        else:
            self._json(503, {"error": {"code": "SERVICE_UNAVAILABLE", "message": "test edge", "request_id": "t"}})

    def do_GET(self):
        self.seen.append((self.path, None))
        if self.path == "/healthz":  # the edge's health check, which the doctor asks
            self._json(200, {"status": "ok"})
            return
        self._json(503, {"error": {"code": "SERVICE_UNAVAILABLE", "message": "test edge", "request_id": "t"}})


@pytest.fixture
def edge():
    FakeEdge.seen = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), FakeEdge)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


ANON_KEY = "anon-test-key"


def edge_env(tmp_path, real_bridge, edge, **extra):
    """Blender's environment for the real bridge against the stand-in edge (site, edge and Supabase
    all on it): the bridge's own files (credentials, log) in tmp_path/bridge-home and no session
    bus, so no keychain. Returns the edge's URL and the environment."""
    url = f"http://127.0.0.1:{edge.server_port}"
    return url, blender_env(tmp_path, OCTANE_BRIDGE_BIN=real_bridge, OCTANE_SITE_URL=url, OCTANE_EDGE_URL=url,
                            OCTANE_SUPABASE_URL=url, OCTANE_SUPABASE_ANON_KEY=ANON_KEY,
                            OCTANE_BRIDGE_CACHE_DIR=str(tmp_path / "bridge-home"),
                            DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent/octane-test-bus", **extra)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_real_bridge_handshake_cache_stats_and_pairing(runtime, real_bridge, addon_zip, edge, tmp_path):
    cache = tmp_path / "packages"
    url, env = edge_env(tmp_path, real_bridge, edge, OCTANE_CACHE_DIR=str(cache), OCTANE_CACHE_MAX_BYTES="50000000",
                        OCTANE_LOG_LEVEL="debug", OCTANE_DEVICE_NAME="addon test")
    out = tmp_path / "facts.json"
    f = blender_facts("real_bridge_e2e.py", [addon_zip, str(out)], out, env, timeout=240, runtime=runtime)
    # the sidebar panels (3D Viewport, and the Shader Editor's copies) all in the Octane tab
    assert f["panels"] == {n: ["NODE_EDITOR" if n.endswith("shader_editor") else "VIEW_3D", "UI", "Octane", True]
                           for n in ("OCTANEBRIDGE_PT_view3d", "OCTANEBRIDGE_PT_shader_editor", "OCTANEBRIDGE_PT_library",
                                     "OCTANEBRIDGE_PT_library_shader_editor", "OCTANEBRIDGE_PT_help",
                                     "OCTANEBRIDGE_PT_material", "OCTANEBRIDGE_PT_material_shader_editor")}, f["panels"]
    # what asks the bridge is greyed out until it runs
    assert f["asks_stopped"] == [False] * 7 and f["asks_running"] == [True] * 7, f
    # hello / status handshake
    assert f["started"] and f["unpaired"], f["hello"]
    assert f["hello"]["bridge_version"] and f["hello"]["paired"] is False
    assert f["status_ok"]
    # cache stats round trip: the bridge opened the cache the add-on named, with its cap
    assert f["cache_stats_ok"], f
    assert f["cache"]["dir"] == str(cache) and f["cache"]["max_bytes"] == 50000000
    assert f["cache"]["entries"] == 0 and f["cache"]["bytes"] == 0 and cache.is_dir()
    # pairing: the code is shown, the approval page opened, the device id taken
    assert f["pair_code_ok"] and f["pairing"]["user_code"] == "WXYZ-2345"
    assert f["pairing"]["uri"] == url + "/connect?code=WXYZ-2345"
    authorize = [body for path, body in FakeEdge.seen if path == "/v1/devices/authorize"]
    assert authorize and authorize[0]["name"] == "addon test" and authorize[0]["platform"] == "blender"
    assert f["paired_ok"] and f["device_id"] == "d0000000-0000-4000-8000-000000000001"
    assert f["opened"][:1] == [url + "/connect?code=WXYZ-2345"]
    # "Browse Shader Library": this Blender (the session's instance id) of the paired machine
    assert re.fullmatch(re.escape(url + "/?device=d0000000-0000-4000-8000-000000000001.") + "[0-9a-f-]{36}", f["opened"][-1])
    assert f["unpaired_again"], f
    assert f["exit_code"] == 0
