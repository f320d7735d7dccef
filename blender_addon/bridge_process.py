"""Runs the bridge program as a child process and applies its messages on the main thread.

A reader thread turns stdout lines into ``protocol.Message`` objects on a queue; it never
touches bpy. ``Bridge.drain()`` (called by a bpy.app.timers callback, or directly by tests in
background mode where timers do not fire) applies them to ``BridgeState`` and runs imports.
"""

from __future__ import annotations

import logging
import os
import platform
import queue
import subprocess
import sys
import threading
import time
import webbrowser

from .core import codes, protocol
from .core.config import safe_browser_url
from .core.protocol import ProtocolError
from .core.state import BridgeState

log = logging.getLogger(__name__)

BACKOFF_START, BACKOFF_MAX, HEALTHY_AFTER = 1.0, 30.0, 60.0
# How often Blender's main thread takes the bridge's messages (runtime._timer). Blender's event loop
# wakes every few ms anyway and an idle drain is one empty-queue poll, so 10 ms costs nothing
# visible; at 100 ms an import waited 50 ms on average for it (docs/latency.md, issue 21).
TIMER_INTERVAL = 0.01
_EXIT = object()


def platform_tag() -> str:
    """Go-style os-arch of this machine (linux-amd64, darwin-arm64, windows-amd64)."""
    osname = {"linux": "linux", "darwin": "darwin", "win32": "windows"}.get(sys.platform, sys.platform)
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{osname}-{arch}"


def ensure_executable(path: str) -> None:
    """Zip installs (legacy add-on and extension alike) drop the executable bit of bin/."""
    if sys.platform == "win32":
        return
    mode = os.stat(path).st_mode
    if mode & 0o111 != 0o111:
        os.chmod(path, mode | 0o755)


def find_binary(addon_dir: str, env=os.environ) -> str | None:
    """OCTANE_BRIDGE_BIN, else the binary shipped in the add-on's bin/<os>-<arch>/."""
    override = env.get("OCTANE_BRIDGE_BIN")
    if override:
        return override
    exe = "octane-bridge.exe" if sys.platform == "win32" else "octane-bridge"
    path = os.path.join(addon_dir, "bin", platform_tag(), exe)
    return path if os.path.isfile(path) else None


class Bridge:
    """One bridge child process plus the state it reports. Main-thread API except the reader."""

    def __init__(self, command, hello: dict, import_handler, open_url=None, background=False):
        self.command = list(command) if command else None
        self.hello = dict(hello)
        self.import_handler = import_handler  # fields -> reply dict (importer.import_package)
        self.open_url = open_url or (lambda url: None if background else webbrowser.open(url))
        self.state = BridgeState()
        self.replies: list[dict] = []  # what the add-on answered to imports (tests, panel)
        self._q: queue.Queue = queue.Queue()
        self._proc: subprocess.Popen | None = None
        self._write_lock = threading.Lock()
        self._wanted = False
        self._backoff = BACKOFF_START
        self._restart_at: float | None = None
        self._started_at = 0.0

    # lifecycle -------------------------------------------------------------------------------
    def start(self) -> bool:
        self._wanted = True
        self._restart_at = None
        if self.running:
            return True
        if not self.command or not os.path.isfile(self.command[0]):
            self.state.state = "error"
            self.state.message = self.state.error_text(codes.BRIDGE_MISSING, None)
            return False
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
        try:
            ensure_executable(self.command[0])
            self._proc = subprocess.Popen(
                self.command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                creationflags=flags,
            )
        except OSError as e:
            self.state.state = "error"
            self.state.message = f"Cannot start the bridge: {e}"
            self._schedule_restart()
            return False
        self._started_at = time.monotonic()
        self.state.state = "starting"
        proc = self._proc
        threading.Thread(target=self._read, args=(proc,), name="octane-bridge-reader", daemon=True).start()
        threading.Thread(target=self._read_stderr, args=(proc,), name="octane-bridge-stderr", daemon=True).start()
        self.send("hello", **self.hello)
        return True

    def stop(self, timeout: float = 3.0) -> None:
        """Asks the bridge to exit (shutdown, then stdin closed), kills it if it lingers."""
        self._wanted = False
        self._restart_at = None
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            self._write(proc, protocol.encode("shutdown"))
            proc.stdin.close()
        except (OSError, ValueError):
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
        self.state.state = "stopped"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # I/O ---------------------------------------------------------------------------------------
    def send(self, type_: str, **fields) -> bool:
        proc = self._proc
        if proc is None:
            return False
        try:
            self._write(proc, protocol.encode(type_, **fields))
            return True
        except (OSError, ValueError):
            return False

    def _write(self, proc, line: bytes) -> None:
        with self._write_lock:
            proc.stdin.write(line)
            proc.stdin.flush()

    def _read(self, proc) -> None:
        buf = protocol.LineBuffer()
        out = proc.stdout
        while True:
            chunk = out.read1(65536) if hasattr(out, "read1") else out.read(65536)
            if not chunk:
                break
            for line in buf.feed(chunk):
                try:
                    self._q.put(protocol.decode(line))
                except ProtocolError as e:
                    log.warning("bridge sent a bad line (%s): %s", e.code, e)
        self._q.put((_EXIT, proc))

    def _read_stderr(self, proc) -> None:
        for line in proc.stderr:
            log.debug("bridge: %s", line.decode("utf-8", "replace").rstrip())

    # main thread ---------------------------------------------------------------------------------
    def drain(self, limit: int = 100) -> int:
        """Applies queued messages (main thread only). Returns how many were handled."""
        n = 0
        while n < limit:
            try:
                item = self._q.get_nowait()
            except queue.Empty:
                break
            n += 1
            if isinstance(item, tuple) and item[0] is _EXIT:
                self._on_exit(item[1])
                continue
            self._handle(item)
        if self._restart_at is not None and time.monotonic() >= self._restart_at and self._wanted:
            self.start()
        return n

    def _handle(self, msg) -> None:
        work = self.state.apply(msg)
        if msg.type in ("hello", "import_status"):
            self.send("library", action="list")  # the local library: at start and after each import
        if msg.type == "pair_code" and self.state.verification_uri:
            uri = self.state.verification_uri
            if safe_browser_url(uri, self.hello.get("site_url", ""), self.hello.get("edge_url", "")):
                self.open_url(uri)
            else:
                log.warning("not opening the pairing page %r: only https or the configured local site", uri[:200])
                self.state.verification_uri = ""
                self.state.message = "The pairing page address is not https; it was not opened. Check the site address in the preferences."
        if work is None:
            return
        reply = self.import_handler(dict(work.fields))
        self.replies.append(reply)
        fields = {k: v for k, v in reply.items() if k != "type"}
        self.send(reply["type"], **fields)
        ok = reply["type"] == "imported"
        text = reply.get("message", "") if ok else self.state.error_text(reply.get("code"), reply.get("message"))
        self.state.finish(str(work.get("import_id")), ok, text, code=reply.get("code"))

    def _on_exit(self, proc) -> None:
        if proc is not self._proc and self._proc is not None:
            return  # an old process; a new one already runs
        code = proc.wait()
        self._proc = None
        self.state.current = None  # a restarted bridge sends progress again for what it resumes
        if not self._wanted:
            self.state.state = "stopped"
            return
        self.state.state = "error"
        self.state.message = f"The bridge stopped (exit code {code}); restarting."
        if time.monotonic() - self._started_at > HEALTHY_AFTER:
            self._backoff = BACKOFF_START
        self._schedule_restart()

    def _schedule_restart(self) -> None:
        self._restart_at = time.monotonic() + self._backoff
        self._backoff = min(BACKOFF_MAX, self._backoff * 2)
