"""Add-on <-> bridge stdio protocol v1 (docs/bridge-protocol.md; messages: schemas/stdio.schema.json).

Newline-delimited JSON, UTF-8, one object per line, at most 1 MiB per line. Every message
carries ``v`` (1) and ``type``. Unknown fields are ignored; unknown types are reported by
``decode`` as ``Message(known=False)`` so the caller can skip them without failing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from . import codes

VERSION = 1
MAX_LINE = 1 << 20

# Bridge -> add-on message types this add-on understands.
INBOUND = frozenset(
    {
        "hello",
        "status",
        "pair_code",
        "paired",
        "unpaired",
        "progress",
        "import",
        "import_status",
        "cache_stats",
        "library",
        "request_import",
        "shader_info",
        "error",
    }
)

# Add-on -> bridge message types.
OUTBOUND = frozenset(
    {"hello", "pair", "unpair", "status", "cache", "library", "shutdown", "imported", "import_failed",
     "cancel", "scene", "request_import", "shader_info"}
)

# Fields an inbound message must carry to be usable.
REQUIRED = {
    "import": ("import_id", "material_name", "blend_path", "package_dir"),
    "progress": ("import_id",),
    "import_status": ("import_id", "status"),
    "pair_code": ("user_code",),
    "paired": ("device_id",),
    "status": ("state",),
    "error": ("code",),
}


class ProtocolError(ValueError):
    """A line that is not a valid v1 message. ``code`` is stable."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Message:
    type: str
    fields: dict = field(default_factory=dict)
    known: bool = True

    def get(self, key, default=None):
        return self.fields.get(key, default)


def encode(type_: str, **fields) -> bytes:
    """One outbound message as a UTF-8 line ending in a newline."""
    if type_ not in OUTBOUND:
        raise ProtocolError(codes.UNKNOWN_TYPE, f"not an add-on message: {type_!r}")
    obj = {"v": VERSION, "type": type_}
    obj.update({k: v for k, v in fields.items() if v is not None})
    line = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
    if len(line) > MAX_LINE:
        raise ProtocolError(codes.LINE_TOO_LONG, "message exceeds 1 MiB")
    return line


def _not_json(name: str):
    """NaN, Infinity and -Infinity are Python extensions, not JSON."""
    raise ValueError(f"{name} is not JSON")


def decode(line: bytes | str) -> Message:
    """Parses one inbound line. Raises ProtocolError for malformed input."""
    if isinstance(line, str):
        line = line.encode("utf-8")
    if len(line) > MAX_LINE:
        raise ProtocolError(codes.LINE_TOO_LONG, "line exceeds 1 MiB")
    try:
        obj = json.loads(line.decode("utf-8"), parse_constant=_not_json)
    except (UnicodeDecodeError, ValueError) as e:
        raise ProtocolError(codes.MALFORMED, f"not JSON: {e}") from None
    except RecursionError:  # deeply nested arrays: the json module recurses per level
        raise ProtocolError(codes.MALFORMED, "JSON nested too deeply") from None
    if not isinstance(obj, dict):
        raise ProtocolError(codes.MALFORMED, "not a JSON object")
    # The integer 1, as the bridge reads it: not true, not 1.0 (both equal 1 in Python).
    if type(obj.get("v")) is not int or obj["v"] != VERSION:
        raise ProtocolError(codes.UNSUPPORTED_VERSION, f"protocol version {obj.get('v')!r}")
    type_ = obj.get("type")
    if not isinstance(type_, str) or not type_:
        raise ProtocolError(codes.MALFORMED, "missing type")
    fields = {k: v for k, v in obj.items() if k not in ("v", "type")}
    if type_ not in INBOUND:
        return Message(type_, fields, known=False)
    for name in REQUIRED.get(type_, ()):
        if not isinstance(fields.get(name), str) or not fields[name]:
            raise ProtocolError(codes.MALFORMED, f"{type_}: missing {name}")
    return Message(type_, fields)


class LineBuffer:
    """Splits a byte stream into lines, refusing lines over MAX_LINE (they are dropped)."""

    def __init__(self):
        self._buf = bytearray()
        self._dropping = False

    def feed(self, data: bytes) -> list[bytes]:
        out = []
        self._buf += data
        while True:
            i = self._buf.find(b"\n")
            if i < 0:
                if len(self._buf) > MAX_LINE:
                    self._buf.clear()
                    self._dropping = True
                return out
            line = bytes(self._buf[:i])
            del self._buf[: i + 1]
            if self._dropping:
                self._dropping = False
                continue
            if len(line) > MAX_LINE:
                continue
            if line.strip():
                out.append(line)
