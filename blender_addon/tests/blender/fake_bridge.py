#!/usr/bin/env python3
"""A stand-in bridge speaking protocol v1 over stdio, for the add-on's tests.

Env: FAKE_BRIDGE_LOG (every received message is appended as a JSON line),
FAKE_BRIDGE_IMPORTS (a JSON file: a list of `import` messages; each is sent after the add-on
answered the previous one, preceded by a `progress` message and FAKE_BRIDGE_DELAY seconds), FAKE_BRIDGE_EXIT_CODE (exit with
this code right after answering hello, to test restarts), FAKE_BRIDGE_LIBRARY (a JSON file: the
local library's entries, each with the `import` fields sent when the add-on applies it),
FAKE_BRIDGE_REQUESTS (a JSON file: a list of {"match": {...}, "import": {...}}: a `request_import`
whose fields include every `match` field is answered with an import id, then that `import` with
apply = {mode: purpose, material}; no match answers an INVALID_INPUT error), FAKE_BRIDGE_SHADERS
(a JSON file: slug -> the `shader_info` answer; an unknown slug answers NOT_FOUND).
"""
import json
import os
import sys
import time


def send(obj):
    # None is left out, as the bridge omits an empty re or code (the add-on refuses null there).
    sys.stdout.write(json.dumps({"v": 1, **{k: v for k, v in obj.items() if v is not None}}) + "\n")
    sys.stdout.flush()


FAKE_DOCTOR = """octane-bridge fake-1 (fake)
servers
  [ok  ] edge                   http://127.0.0.1:8788 → 200 in 3 ms via direct
  [FAIL] supabase realtime      http://127.0.0.1:54399 unreachable
1 check(s) failed"""


def _load(var, default):
    if not os.environ.get(var):
        return default
    with open(os.environ[var]) as f:
        return json.load(f)


def main():
    if sys.argv[1:] == ["doctor"]:  # the add-on's Help panel runs `<bridge> doctor`
        print(FAKE_DOCTOR)
        sys.exit(1)
    log_path = os.environ.get("FAKE_BRIDGE_LOG")
    imports = []
    if os.environ.get("FAKE_BRIDGE_IMPORTS"):
        with open(os.environ["FAKE_BRIDGE_IMPORTS"]) as f:
            imports = json.load(f)
    pending = list(imports)
    requests, shaders, asked = _load("FAKE_BRIDGE_REQUESTS", []), _load("FAKE_BRIDGE_SHADERS", {}), [0]

    def next_import():
        if pending:
            msg = pending.pop(0)
            send({"type": "progress", "import_id": msg["import_id"], "shader_name": msg.get("shader_name", ""),
                  "stage": "downloading", "fraction": 0.5, "bytes": 5, "total": 10})
            if os.environ.get("FAKE_BRIDGE_DELAY"):  # let a UI drain show the progress first
                time.sleep(float(os.environ["FAKE_BRIDGE_DELAY"]))
            send({"type": "import", **msg})

    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        if log_path:
            with open(log_path, "a") as f:
                f.write(json.dumps(msg) + "\n")
        t = msg.get("type")
        if t == "hello":
            send({"type": "hello", "bridge_version": "fake-1", "protocol": 1, "paired": True, "device_id": "dev-fake"})
            # Robustness: an unknown type and a broken line must not disturb the add-on.
            send({"type": "from_the_future", "x": 1})
            sys.stdout.write("this is not json\n")
            sys.stdout.flush()
            if os.environ.get("FAKE_BRIDGE_EXIT_CODE"):
                sys.exit(int(os.environ["FAKE_BRIDGE_EXIT_CODE"]))
            send({"type": "status", "state": "online", "device_id": "dev-fake"})
            next_import()
        elif t in ("imported", "import_failed"):
            send({"type": "import_status", "import_id": msg["import_id"],
                  "status": "completed" if t == "imported" else "failed", "code": msg.get("code")})
            next_import()
        elif t == "pair" and os.environ.get("FAKE_BRIDGE_ALREADY_PAIRED") == "1":
            send({"type": "paired", "device_id": "dev-fake"})  # what the real bridge answers when paired
        elif t == "pair":
            send({"type": "pair_code", "user_code": "WDJB-MJHT", "verification_uri_complete": "http://127.0.0.1:3000/device?code=WDJB-MJHT", "expires_in": 600})
        elif t == "unpair":
            send({"type": "unpaired"})
        elif t == "cache":
            send({"type": "cache_stats", "entries": 3 if msg.get("action") == "stats" else 0, "bytes": 3 << 20,
                  "max_bytes": int(msg.get("max", 0)) or 5 << 30, "dir": "/fake/cache"})
        elif t == "library":
            library = []
            if os.environ.get("FAKE_BRIDGE_LIBRARY"):
                with open(os.environ["FAKE_BRIDGE_LIBRARY"]) as f:
                    library = json.load(f)
            if msg.get("action") == "list":
                send({"type": "library", "re": msg.get("id"), "entries": [e["entry"] for e in library]})
            else:
                entry = next((e for e in library if e["entry"]["sha256"] == msg.get("sha256")
                              and e["entry"].get("resolution") == msg.get("resolution")), None)
                if entry is None or entry.get("import") is None:  # gone from the cache since it was listed
                    send({"type": "import_status", "import_id": msg["import_id"], "status": "failed",
                          "code": "LIBRARY_ENTRY_MISSING", "message": "not in the cache"})
                else:
                    send({"type": "import", "import_id": msg["import_id"], **entry["import"]})
        elif t == "request_import":
            want = next((r for r in requests if all(msg.get(k) == v for k, v in r["match"].items())), None)
            if want is None:
                send({"type": "error", "re": msg.get("id"), "code": "INVALID_INPUT", "message": "no such resolution"})
                continue
            asked[0] += 1
            import_id = f"req-{asked[0]}"
            send({"type": "request_import", "re": msg.get("id"), "import_id": import_id})
            pending.append({**want["import"], "import_id": import_id,
                            "apply": {"mode": msg["purpose"], "material": msg["material"]}})
            next_import()
        elif t == "shader_info":
            if msg.get("shader") in shaders:
                send({"type": "shader_info", "re": msg.get("id"), **shaders[msg["shader"]]})
            else:
                send({"type": "error", "re": msg.get("id"), "code": "NOT_FOUND", "message": "no such shader"})
        elif t == "shutdown":
            return
        else:
            send({"type": "error", "code": "UNKNOWN_TYPE", "message": f"unknown type {t}"})


if __name__ == "__main__":
    main()
