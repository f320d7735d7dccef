"""Diagnostics where the artist is: the Help panel runs the bridge's ``doctor`` command (the same
binary the add-on starts, in a worker thread) and shows its report, with a button that copies it
for a support request.

The report covers the edge and Realtime (reachable or not), proxy and CA settings, the clock
offset to the server, the keychain, the cache folder and its free space; it never holds secrets.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time

import bpy

from . import panels, runtime
from .core import codes

TIMEOUT = 60.0
# Environment the doctor reads, from the add-on's hello fields (what the bridge is told).
ENV_OF_FIELD = {
    "site_url": "OCTANE_SITE_URL",
    "edge_url": "OCTANE_EDGE_URL",
    "supabase_url": "OCTANE_SUPABASE_URL",
    "supabase_anon_key": "OCTANE_SUPABASE_ANON_KEY",
    "cache_dir": "OCTANE_CACHE_DIR",
}

# The latest run: {"running": bool, "report": str, "ok": bool | None, "at": float}. Written by the
# worker thread (a whole new dict, swapped in), read by the panel.
_last: dict = {"running": False, "report": "", "ok": None, "at": 0.0}


def result() -> dict:
    return dict(_last)


def doctor_env(hello: dict, base=os.environ) -> dict:
    env = dict(base)
    for field, var in ENV_OF_FIELD.items():
        if hello.get(field):
            env[var] = str(hello[field])
    return env


def run(command: list, env: dict, timeout: float = TIMEOUT) -> dict:
    """Runs ``<bridge> doctor`` and returns the outcome (never raises)."""
    try:
        p = subprocess.run([*command, "doctor"], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout, creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
    except (OSError, subprocess.TimeoutExpired) as e:
        return {"running": False, "report": f"The diagnostics could not run: {e}", "ok": False, "at": time.time()}
    report = p.stdout.decode("utf-8", "replace").rstrip()
    err = p.stderr.decode("utf-8", "replace").strip()
    if err and not report:
        report = err
    return {"running": False, "report": report, "ok": p.returncode == 0, "at": time.time()}


def start() -> bool:
    """Runs the doctor in a worker thread (it waits on the network for up to a few seconds per check)."""
    global _last
    b = runtime.bridge()
    if _last["running"]:
        return True
    if not b.command or not os.path.isfile(b.command[0]):
        _last = {"running": False, "report": b.state.error_text(codes.BRIDGE_MISSING, None),
                 "ok": False, "at": time.time()}
        return False
    command, env = list(b.command), doctor_env(runtime.hello_fields())
    _last = {**_last, "running": True}

    def work():
        global _last
        _last = run(command, env)

    threading.Thread(target=work, name="octane-bridge-doctor", daemon=True).start()
    if not bpy.app.background:
        bpy.app.timers.register(_redraw_when_done, first_interval=0.5)
    return True


def _redraw_when_done():
    if _last["running"]:
        return 0.5
    runtime.redraw()
    return None


class OCTANEBRIDGE_OT_doctor(bpy.types.Operator):
    """Check the connection to the servers, proxy and certificates, clock, keychain and cache folder"""

    bl_idname = "octane_bridge.doctor"
    bl_label = "Run Diagnostics"

    def execute(self, context):
        if not start():
            self.report({"ERROR"}, _last["report"])
            return {"CANCELLED"}
        return {"FINISHED"}


class OCTANEBRIDGE_OT_copy_report(bpy.types.Operator):
    """Copy the diagnostics report, to paste into a support request"""

    bl_idname = "octane_bridge.copy_report"
    bl_label = "Copy Report"

    @classmethod
    def poll(cls, context):
        return bool(_last["report"]) and not _last["running"]

    def execute(self, context):
        context.window_manager.clipboard = _last["report"]
        self.report({"INFO"}, "The diagnostics report is on the clipboard")
        return {"FINISHED"}


class OCTANEBRIDGE_PT_help(panels.Sidebar, bpy.types.Panel):
    bl_idname = "OCTANEBRIDGE_PT_help"
    bl_label = "Help"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        draw_help(self.layout, context)


def draw_help(layout, context):
    width = panels.text_width(context)
    row = layout.row(align=True)
    row.operator("octane_bridge.doctor", icon="CONSOLE")
    row.operator("octane_bridge.copy_report", icon="COPYDOWN")
    last = _last
    if last["running"]:
        layout.label(text="Checking…", icon="TIME")
        return
    if not last["report"]:
        panels.wrapped(layout, "Run Diagnostics when imports do not arrive: it checks the servers, proxy, "
                               "clock, keychain and cache folder.", width=width)
        return
    box = layout.box()
    box.label(text="All checks passed" if last["ok"] else "Some checks failed", icon="CHECKMARK" if last["ok"] else "ERROR")
    for line in last["report"].splitlines():
        failed = "[FAIL]" in line
        panels.wrapped(box, line.strip(), "ERROR" if failed else "NONE", width)


classes = (OCTANEBRIDGE_OT_doctor, OCTANEBRIDGE_OT_copy_report, OCTANEBRIDGE_PT_help)
