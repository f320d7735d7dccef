"""The one bridge of this Blender session and its glue to Blender (timers, handlers).

Blender instantiates operators and panels itself, so they cannot receive the bridge through a
constructor; this module holds it for the session (created on register, stopped on unregister).
"""

from __future__ import annotations

import os


import bpy

from . import bridge_process, importer

ADDON_DIR = os.path.dirname(os.path.abspath(__file__))
VERSION = "0.1.0"

_session: dict = {}  # {"bridge": Bridge}; the only session-wide state, reset on unregister


def prefs(context=None):
    context = context or bpy.context
    addon = context.preferences.addons.get(__package__)
    return addon.preferences if addon else None


def online_allowed() -> bool:
    # Blender 4.2+ has a global "Allow Online Access" switch; older versions have no switch.
    return getattr(bpy.app, "online_access", True)


def hello_fields(context=None) -> dict:
    p = prefs(context)
    fields = {
        "addon_version": VERSION,
        "blender_version": bpy.app.version_string,
        "platform": bridge_process.platform_tag(),
        "site_url": (p.site_url if p else "http://127.0.0.1:3000").rstrip("/"),
    }
    if p:
        if p.cache_dir:
            fields["cache_dir"] = bpy.path.abspath(p.cache_dir)
        fields["cache_max_bytes"] = int(p.cache_max_gb * (1 << 30))
        fields["log_level"] = p.log_level
    return fields


def bridge() -> bridge_process.Bridge:
    """The session's bridge object (created on first use; not started)."""
    b = _session.get("bridge")
    if b is None:
        binary = bridge_process.find_binary(ADDON_DIR)
        b = bridge_process.Bridge(
            [binary] if binary else None,
            hello_fields(),
            importer.import_package,
            background=bpy.app.background,
        )
        _session["bridge"] = b
    return b


def start(context=None) -> bool:
    b = bridge()
    if not online_allowed():
        b.state.state = "error"
        b.state.message = b.state.error_text("ONLINE_ACCESS_DISABLED", None)
        return False
    b.hello = hello_fields(context)
    return b.start()


def drain(limit: int = 100) -> int:
    """Applies pending bridge messages now (main thread). Tests call this in background mode."""
    b = _session.get("bridge")
    if b is None:
        return 0
    n = b.drain(limit)
    if n and not bpy.app.background:
        _redraw()
    return n


def _redraw() -> None:
    for win in bpy.context.window_manager.windows:
        for area in win.screen.areas:
            if area.type in {"VIEW_3D", "NODE_EDITOR", "PREFERENCES", "STATUSBAR"}:
                area.tag_redraw()


def _timer():
    if "bridge" not in _session:
        return None
    try:
        drain()
    except Exception:  # a timer that raises is unregistered by Blender; keep draining
        import logging

        logging.getLogger(__name__).exception("drain failed")
    return bridge_process.TIMER_INTERVAL


@bpy.app.handlers.persistent
def _on_load_post(*_args):
    p = prefs()
    if p and p.auto_start and not bridge().running:
        start()


def _auto_start():
    p = prefs()
    if p and p.auto_start:
        start()
    return None


def register() -> None:
    bridge()
    bpy.app.handlers.load_post.append(_on_load_post)
    if not bpy.app.background:
        # Timers do not fire in background mode; there callers use drain() directly, and the
        # bridge is only started on request (headless renders should not go online by themselves).
        bpy.app.timers.register(_timer, first_interval=0.2, persistent=True)
        bpy.app.timers.register(_auto_start, first_interval=0.5)




def unregister() -> None:
    if _on_load_post in bpy.app.handlers.load_post:
        bpy.app.handlers.load_post.remove(_on_load_post)
    for fn in (_timer, _auto_start):
        if bpy.app.timers.is_registered(fn):
            bpy.app.timers.unregister(fn)
    b = _session.pop("bridge", None)
    if b is not None:
        b.stop()
