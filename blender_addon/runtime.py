"""The one bridge of this Blender session and its glue to Blender (timers, handlers).

Blender instantiates operators and panels itself, so they cannot receive the bridge through a
constructor; this module holds it for the session (created on register, stopped on unregister).
"""

from __future__ import annotations

import atexit
import logging
import os
import time
import uuid

import bpy

from . import bridge_process, importer
from .core import codes, config

ADDON_DIR = os.path.dirname(os.path.abspath(__file__))
VERSION = "0.1.0"
LOG_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR}

log = logging.getLogger(__package__)

# {"bridge": Bridge, "env": EnvConfig, "status_text": str}: the only session-wide state, set on
# register and dropped on unregister.
_session: dict = {}


def prefs(context=None):
    context = context or bpy.context
    addon = context.preferences.addons.get(__package__)
    return addon.preferences if addon else None


def env() -> config.EnvConfig:
    """OCTANE_* variables as read when the add-on was enabled."""
    e = _session.get("env")
    if e is None:
        e = _session["env"] = config.from_env(os.environ)
    return e


def online_allowed() -> bool:
    # Blender 4.2+ has a global "Allow Online Access" switch; older versions have no switch.
    return getattr(bpy.app, "online_access", True)


def _prefs_values(p) -> dict | None:
    if p is None:
        return None
    return {
        "site_url": p.site_url,
        "cache_dir": bpy.path.abspath(p.cache_dir) if p.cache_dir else "",
        "cache_max_bytes": int(p.cache_max_gb * (1 << 30)),
        "log_level": p.log_level,
    }


def hello_fields(context=None) -> dict:
    fields = config.hello_fields(
        _prefs_values(prefs(context)), env(), VERSION, bpy.app.version_string, bridge_process.platform_tag()
    )
    fields.update(instance_id=instance_id(), blend_file=blend_file())
    return fields


def instance_id() -> str:
    """This Blender session's id: the import target the site lists and "Browse Shader Library"
    names. Kept across bridge restarts, so imports queued for this Blender still arrive."""
    return _session.setdefault("instance_id", str(uuid.uuid4()))


def blend_file() -> str:
    """The open .blend file's name ("" when unsaved): what tells this Blender apart on the site."""
    try:
        return bpy.path.basename(bpy.data.filepath)
    except AttributeError:  # bpy.data is restricted while the add-on registers
        return ""


def site_url(context=None) -> str:
    return hello_fields(context)["site_url"]


def library_url(context=None) -> str:
    """<site>/?device=<id>.<instance>: the library with this Blender preselected as the import target."""
    b = _session.get("bridge")
    return config.library_url(site_url(context), b.state.device_id if b else "", instance_id())


def open_url(url: str) -> None:
    """Opens a page in the browser (recorded in the session so headless tests can check it)."""
    _session.setdefault("opened", []).append(url)
    if not bpy.app.background:
        bpy.ops.wm.url_open(url=url)


def bridge() -> bridge_process.Bridge:
    """The session's bridge object (created on first use; not started)."""
    b = _session.get("bridge")
    if b is None:
        binary = bridge_process.find_binary(ADDON_DIR)
        b = bridge_process.Bridge(
            [binary] if binary else None,
            hello_fields(),
            importer.import_package,
            open_url=open_url,
        )
        for w in env().warnings:
            b.state.add_error(w)
        _session["bridge"] = b
    return b


def start(context=None) -> bool:
    b = bridge()
    if not online_allowed():
        b.state.state = "error"
        b.state.message = b.state.error_text(codes.ONLINE_ACCESS_DISABLED, None)
        return False
    b.hello = hello_fields(context)
    _apply_log_level(b.hello.get("log_level", "info"))
    ok = b.start()
    override = os.environ.get("OCTANE_BRIDGE_BIN")
    if not ok and override and not os.path.isfile(override):
        b.state.message = f"OCTANE_BRIDGE_BIN names a file that does not exist: {override}"
    return ok


def restart(context=None) -> bool:
    """Stops and starts the bridge so it reads the new settings (it takes them from hello only)."""
    b = _session.get("bridge")
    if b is not None and b.running:
        b.stop()
    return start(context)


def _apply_log_level(level: str) -> None:
    log.setLevel(LOG_LEVELS.get(level, logging.INFO))


def drain(limit: int = 100) -> int:
    """Applies pending bridge messages now (main thread). Tests call this in background mode."""
    b = _session.get("bridge")
    if b is None:
        return 0
    n = b.drain(limit)
    if not bpy.app.background:
        _update_ui(n > 0)
    return n


def serve(timeout: float, until=None, interval: float = 0.02) -> bool:
    """Background mode (``blender -b``) has no event loop, so timers never fire: a script that
    wants imports to happen calls this to drain messages until ``until()`` is true or the time is up."""
    end = time.monotonic() + timeout
    while True:
        drain()
        if until is not None and until():
            return True
        if time.monotonic() >= end:
            return False
        time.sleep(interval)


def _update_ui(changed: bool) -> None:
    b = _session.get("bridge")
    text = b.state.progress_text() if b else ""
    if text != _session.get("status_text", ""):
        _session["status_text"] = text
        _set_status_text(text or None)
    if changed:
        redraw()


def redraw() -> None:
    """Redraws the areas that show the add-on (the sidebars' panels, its preferences) in every window."""
    for win in bpy.context.window_manager.windows:
        for area in win.screen.areas:
            if area.type in {"VIEW_3D", "NODE_EDITOR", "PREFERENCES"}:
                area.tag_redraw()


def _set_status_text(text) -> None:
    """Progress in the status bar of every window while an import runs; None restores it."""
    for win in bpy.context.window_manager.windows:
        try:
            with bpy.context.temp_override(window=win, screen=win.screen):
                win.workspace.status_text_set(text)
        except (AttributeError, RuntimeError, TypeError):  # temp_override is 3.2+; UI only
            log.debug("status text not set", exc_info=True)


def _timer():
    if "bridge" not in _session:
        return None
    try:
        drain()
    except Exception:  # a timer that raises is unregistered by Blender; keep draining
        log.exception("drain failed")
    return bridge_process.TIMER_INTERVAL


@bpy.app.handlers.persistent
def _on_load_post(*_args):
    p = prefs()
    if p and p.auto_start and not bridge().running and _wants_autostart():
        start()


@bpy.app.handlers.persistent
def _on_file_change(*_args):
    """Another file is open (opened, saved as, new): the site's picker shows its name."""
    b = _session.get("bridge")
    if b is not None:
        b.hello["blend_file"] = blend_file()
        if b.running:
            b.send("scene", blend_file=b.hello["blend_file"])


@bpy.app.handlers.persistent
def _on_undo(*_args):
    importer.reload_undone_images()


def _wants_autostart() -> bool:
    # Headless renders (blender -b) should not go online by themselves; OCTANE_AUTOSTART=1 asks.
    return not bpy.app.background or os.environ.get("OCTANE_AUTOSTART") == "1"


def _auto_start():
    p = prefs()
    if p and p.auto_start:
        start()
    return None


def _at_exit() -> None:
    # Blender disables add-ons on a normal quit; this covers exits that skip it.
    b = _session.get("bridge")
    if b is not None:
        b.stop(timeout=1.0)


def register() -> None:
    _session["env"] = config.from_env(os.environ)
    bridge()
    bpy.app.handlers.load_post.append(_on_load_post)
    bpy.app.handlers.load_post.append(_on_file_change)
    bpy.app.handlers.save_post.append(_on_file_change)
    bpy.app.handlers.undo_post.append(_on_undo)
    bpy.app.handlers.redo_post.append(_on_undo)
    atexit.register(_at_exit)
    if not bpy.app.background:
        bpy.app.timers.register(_timer, first_interval=0.2, persistent=True)
        bpy.app.timers.register(_auto_start, first_interval=0.5)
    elif _wants_autostart():
        start()  # timers do not fire in background mode: the script calls serve()/drain()


def unregister() -> None:
    if _on_load_post in bpy.app.handlers.load_post:
        bpy.app.handlers.load_post.remove(_on_load_post)
    for handlers in (bpy.app.handlers.load_post, bpy.app.handlers.save_post):
        if _on_file_change in handlers:
            handlers.remove(_on_file_change)
    for handlers in (bpy.app.handlers.undo_post, bpy.app.handlers.redo_post):
        if _on_undo in handlers:
            handlers.remove(_on_undo)
    atexit.unregister(_at_exit)
    for fn in (_timer, _auto_start):
        if bpy.app.timers.is_registered(fn):
            bpy.app.timers.unregister(fn)
    if _session.get("status_text"):
        _set_status_text(None)
    b = _session.get("bridge")
    if b is not None:
        b.stop()
    _session.clear()
