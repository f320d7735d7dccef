"""Connection and import state shown in the panels, updated from bridge messages.

``BridgeState.apply`` is the only writer; it runs on Blender's main thread (drain()).
It returns the messages that need Blender work (``import``) so the caller can act on them.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from . import codes
from .protocol import Message

RECENT_MAX = 10
ERRORS_MAX = 10
# A switch or update the bridge has not answered in this long failed (an older bridge that does not
# know request_import answers nothing the add-on can tie to it); its import then has its own progress.
REQUEST_ANSWER_SECONDS = 60.0

STATES = ("stopped", "starting", "unpaired", "pairing", "connecting", "online", "offline", "error")

# Plain-words text for the bridge's and the add-on's error codes (schemas/codes.json, "blender");
# unknown codes show the bridge's message.
ERROR_TEXT = {code: e["blender"] for code, e in codes.ENTRIES.items() if e.get("blender")}
STAGE_TEXT = {
    "queued": "queued",
    "downloading": "downloading",
    "verifying": "verifying",
    "extracting": "unpacking",
    "importing": "importing",
}


@dataclass
class CurrentImport:
    import_id: str
    shader_name: str = ""
    stage: str = "queued"
    fraction: float = 0.0


@dataclass
class RecentImport:
    import_id: str
    shader_name: str
    ok: bool
    text: str
    at: float


@dataclass
class Request:
    """A switch or update this Blender asked for (``request_import``), until its import ends."""

    id: str
    purpose: str  # "switch" | "update"
    shader: str
    material: str
    resolution: str = ""
    version: str = ""
    import_id: str = ""
    status: str = "requested"  # requested -> running (the bridge answered with the import) -> done | failed
    text: str = ""
    code: str = ""
    at: float = field(default_factory=time.time)

    @property
    def active(self) -> bool:
        return self.status in ("requested", "running")

    def describe(self) -> str:
        """What is being done, in words ("Switching to 2k", "Updating to v1.1.0")."""
        if self.purpose == "switch":
            return f"Switching to {self.resolution}" if self.resolution else "Switching resolution"
        return f"Updating to v{self.version}" if self.version else "Updating to the newest version"


@dataclass
class BridgeState:
    state: str = "stopped"
    message: str = ""
    device_id: str = ""
    paired: bool = False
    bridge_version: str = ""
    user_code: str = ""
    verification_uri: str = ""
    current: CurrentImport | None = None
    recent: deque = field(default_factory=lambda: deque(maxlen=RECENT_MAX))
    errors: deque = field(default_factory=lambda: deque(maxlen=ERRORS_MAX))
    cache: dict = field(default_factory=dict)
    # The local library (the bridge's `library` answer): shaders in the cache, newest use first;
    # None until the bridge has answered once.
    library: list | None = None
    # The code of the latest failure (its sentence and fixing action: core/words.py); "" after a success.
    problem: str = ""
    # Account: the bridge may send `account` (e-mail) and `subscription` (status) with hello or
    # status; without them the add-on learns "inactive" from a SUBSCRIPTION_REQUIRED failure.
    account: str = ""
    subscription: str = ""
    # Switches and updates asked for from the panel, by request id (newest last).
    requests: dict = field(default_factory=dict)
    # The bridge's ``shader_info`` answers, by shader slug: latest version, its texture sets, entitled.
    shaders: dict = field(default_factory=dict)
    shader_asks: dict = field(default_factory=dict)  # shader_info request id -> slug

    def _account_fields(self, f: dict) -> None:
        if isinstance(f.get("account"), str):
            self.account = f["account"]
        if isinstance(f.get("subscription"), str):
            self.subscription = f["subscription"]

    def apply(self, msg: Message, now: float | None = None) -> Message | None:
        """Updates the state; returns the message when it asks for main-thread work."""
        now = time.time() if now is None else now
        if not msg.known:
            return None
        t, f = msg.type, msg.fields
        if t == "hello":
            self.bridge_version = str(f.get("bridge_version", ""))
            self.paired = bool(f.get("paired"))
            self.device_id = str(f.get("device_id") or self.device_id)
            if self.state in ("stopped", "starting", "error"):
                self.state = "connecting" if self.paired else "unpaired"
                self.message = ""
            self._account_fields(f)
        elif t == "status":
            st = f.get("state")
            self.state = st if st in STATES else "error"
            self.message = str(f.get("message") or "")
            if f.get("device_id"):
                self.device_id = str(f["device_id"])
            if self.state != "pairing":
                self.user_code = ""
            self._account_fields(f)
        elif t == "pair_code":
            self.state = "pairing"
            self.user_code = str(f["user_code"])
            self.verification_uri = str(f.get("verification_uri_complete") or "")
        elif t == "paired":
            self.paired = True
            self.device_id = str(f["device_id"])
            self.user_code = ""
            if self.state in ("stopped", "starting", "unpaired", "pairing"):
                self.state = "connecting"  # `paired` also answers a pair request when already online
        elif t == "unpaired":
            self.paired = False
            self.device_id = ""
            self.account = self.subscription = ""
            self.state = "unpaired"
        elif t == "progress":
            cur = self.current
            if cur is None or cur.import_id != f["import_id"]:
                cur = self.current = CurrentImport(f["import_id"])
            cur.shader_name = str(f.get("shader_name") or cur.shader_name)
            cur.stage = str(f.get("stage") or cur.stage)
            try:
                cur.fraction = min(1.0, max(0.0, float(f.get("fraction", cur.fraction))))
            except (TypeError, ValueError):
                pass
        elif t == "import":
            self.current = CurrentImport(f["import_id"], str(f.get("shader_name") or ""), "importing", 1.0)
            return msg
        elif t == "request_import":
            req = self.requests.get(_request_id(f))
            if req is not None and isinstance(f.get("import_id"), str) and f["import_id"]:
                req.import_id, req.status = f["import_id"], "running"
        elif t == "shader_info":
            self.shader_asks.pop(_request_id(f), None)
            if isinstance(f.get("shader"), str) and f["shader"]:
                self.shaders[f["shader"]] = dict(f)
        elif t == "error" and _request_id(f) in self.shader_asks:
            # The library could not say (offline, removed shader): the panel says so, no alarm.
            self.shaders[self.shader_asks.pop(_request_id(f))] = {"error": self.error_text(f.get("code"), f.get("message"))}
        elif t == "import_status" and f["status"] == "cancelled" and not f.get("code"):
            self.cancelled(f["import_id"], str(f.get("message") or "Cancelled."), now)
        elif t == "import_status":
            status = f["status"]
            if status in ("failed", "error", "cancelled", "expired"):
                if f.get("code") == codes.SUBSCRIPTION_REQUIRED:
                    self.subscription = "inactive"
                text = self.error_text(f.get("code"), f.get("message"))
                self.finish(f["import_id"], False, text, now, f.get("code"))
        elif t == "cache_stats":
            self.cache = dict(f)
        elif t == "library":
            entries = f.get("entries")
            self.library = [e for e in entries if isinstance(e, dict) and isinstance(e.get("sha256"), str)] \
                if isinstance(entries, list) else []
        elif t == "error" and _request_id(f) in self.requests:
            # A request_import or shader_info the server refused: shown with that request.
            req = self.requests[_request_id(f)]
            req.status, req.code, req.text = "failed", str(f.get("code") or ""), self.error_text(f.get("code"), f.get("message"))
            if f.get("code") == codes.SUBSCRIPTION_REQUIRED:
                self.subscription = "inactive"
        elif t == "error":
            if f.get("code") == codes.SUBSCRIPTION_REQUIRED:
                self.subscription = "inactive"
            self.add_error(self.error_text(f.get("code"), f.get("message")), now)
            if isinstance(f.get("code"), str) and f["code"] in ERROR_TEXT:
                self.problem = f["code"]
        return None

    def progress_text(self) -> str:
        """One line for the status bar while an import runs ("" when none)."""
        cur = self.current
        if cur is None:
            return ""
        stage = STAGE_TEXT.get(cur.stage, cur.stage)
        return f"Octane: {cur.shader_name or 'shader'} {stage} {int(round(cur.fraction * 100))}%"

    def finish(self, import_id: str, ok: bool, text: str, now: float | None = None, code=None) -> None:
        """Records an import's outcome once (the add-on's own result or the bridge's)."""
        now = time.time() if now is None else now
        if ok:
            self.problem = ""
        elif isinstance(code, str) and code in ERROR_TEXT:
            self.problem = code
        self._request_ended(import_id, ok, text, code)
        name = ""
        if self.current and self.current.import_id == import_id:
            name = self.current.shader_name
            self.current = None
        if any(r.import_id == import_id for r in self.recent):
            return
        self.recent.appendleft(RecentImport(import_id, name, ok, text, now))
        if not ok:
            self.add_error(text, now)

    def request(self, req: Request) -> None:
        """Records a switch or update just sent to the bridge."""
        self.requests[req.id] = req

    def request_for(self, material: str, now: float | None = None) -> Request | None:
        """The newest switch or update of a material (to show while it runs, or why it failed)."""
        for req in reversed(list(self.requests.values())):
            if req.material == material:
                if req.status == "requested" and (time.time() if now is None else now) - req.at > REQUEST_ANSWER_SECONDS:
                    req.status, req.text = "failed", "The bridge did not answer. Restart it (Disconnect, Connect) or update the add-on, then try again."
                return req
        return None

    def _request_ended(self, import_id: str, ok: bool, text: str, code) -> None:
        for req in self.requests.values():
            if req.import_id == import_id and req.active:
                req.status, req.text, req.code = ("done" if ok else "failed"), text, str(code or "")

    def cancelled(self, import_id: str, text: str, now: float | None = None) -> None:
        """An import cancelled in Blender or on the site: listed with the recent ones, not an error."""
        self._request_ended(import_id, False, text, None)
        name = ""
        if self.current and self.current.import_id == import_id:
            name, self.current = self.current.shader_name, None
        if not any(r.import_id == import_id for r in self.recent):
            self.recent.appendleft(RecentImport(import_id, name, False, text, time.time() if now is None else now))

    def add_error(self, text: str, now: float | None = None) -> None:
        self.errors.appendleft((time.time() if now is None else now, text))

    @staticmethod
    def error_text(code, message) -> str:
        if code in ERROR_TEXT:
            return ERROR_TEXT[code]
        return str(message or code or "Unknown error")


def _request_id(f: dict) -> str:
    """The request an answer belongs to: ``id`` (request_import, shader_info) or ``re`` (error)."""
    for k in ("id", "re"):
        if isinstance(f.get(k), str) and f[k]:
            return f[k]
    return ""
