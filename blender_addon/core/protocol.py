"""Add-on <-> bridge stdio protocol v1 (docs/bridge-protocol.md; messages: schemas/stdio-to-*.schema.json).

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

# The fields of each inbound message, as schemas/stdio-to-addon.schema.json defines them (and
# test_contracts.py checks): their JSON types joined by "|", then "*" when the message must carry
# the field and "+" when a string must not be empty. "array:X" is an array of X (a JSON type or a
# SHAPES entry), "object:X" a SHAPES entry. Fields not listed are ignored.
FIELDS = {
    "hello": {"bridge_version": "string*+", "protocol": "integer*", "paired": "boolean*", "device_id": "string"},
    "status": {"state": "string*+", "device_id": "string", "message": "string", "account": "string",
               "subscription": "string+"},
    "pair_code": {"user_code": "string*+", "verification_uri_complete": "string*+", "expires_in": "integer*"},
    "paired": {"device_id": "string*+"},
    "unpaired": {},
    "progress": {"import_id": "string*+", "shader_name": "string", "stage": "string*+", "fraction": "number*",
                 "bytes": "integer", "total": "integer"},
    "import": {"import_id": "string*+", "shader_id": "string*+", "version": "string*+", "shader_name": "string*+",
               "material_name": "string*+", "blend_path": "string*+", "package_dir": "string*+",
               "textures_dir": "string|null+", "resolution": "string|null", "apply": "object:import.apply"},
    "import_status": {"import_id": "string*+", "status": "string*+", "code": "string", "message": "string"},
    "cache_stats": {"entries": "integer*", "bytes": "integer*", "max_bytes": "integer*", "dir": "string*"},
    "library": {"entries": "array:library.entries*"},
    "error": {"code": "string*", "message": "string*"},
    "request_import": {"import_id": "string*+"},
    "shader_info": {"shader": "string*+", "name": "string", "latest_version": "string|null*",
                    "versions": "array:string|null", "texture_sets": "array:shader_info.texture_sets|null*",
                    "entitled": "boolean*"},
}

# The objects inside messages (<message type>.<field>): closed, an unknown key is refused.
SHAPES = {
    "import.apply": {"mode": "string*+", "material": "string+"},
    "library.entries": {"sha256": "string*", "resolution": "string", "shader_id": "string*+", "version": "string*+",
                        "name": "string*", "material_name": "string*+", "preview_path": "string",
                        "resolutions": "array:string*", "min_blender": "string", "min_octane": "string",
                        "bytes": "integer*", "used_at": "integer*"},
    "shader_info.texture_sets": {"resolution": "string*", "size": "integer*"},
}

# The envelope's optional field: the request id an answer echoes.
ENVELOPE = {"re": "string"}

_JSON_TYPES = {
    "string": lambda x: isinstance(x, str),
    "integer": lambda x: type(x) is int,  # not bool, which is an int in Python
    "number": lambda x: type(x) in (int, float),
    "boolean": lambda x: type(x) is bool,
    "array": lambda x: isinstance(x, list),
    "object": lambda x: isinstance(x, dict),
    "null": lambda x: x is None,
}


def _check_fields(where: str, fields: dict, spec: dict, closed: bool = False) -> None:
    """Refuses, naming the field, what the schema refuses: a required field missing, a field of
    another JSON type (null included, where the schema does not allow it), an empty string, and
    in a closed object an unknown key."""
    if closed:
        for name in fields:
            if name not in spec:
                raise ProtocolError(codes.MALFORMED, f"{where}: unknown field {name}")
    for name, rule in spec.items():
        if name not in fields:
            if "*" in rule:
                raise ProtocolError(codes.MALFORMED, f"{where}: missing {name}")
            continue
        value, at = fields[name], f"{where}: {name}" if ": " not in where else f"{where}.{name}"
        kinds = rule.rstrip("*+").split("|")
        kind = next((k for k in kinds if _JSON_TYPES[k.partition(":")[0]](value)), None)
        if kind is None:
            raise ProtocolError(codes.MALFORMED, f"{at} must be {' or '.join(kinds)}")
        if "+" in rule and value == "":
            raise ProtocolError(codes.MALFORMED, f"{at} is empty")
        base, _, inner = kind.partition(":")
        for i, item in enumerate(value if base == "array" and inner else ()):
            _check_value(f"{at}[{i}]", item, inner)
        if base == "object" and inner:
            _check_value(at, value, inner)
    # The schema's one conditional: switching or updating names the material to change.
    if spec is SHAPES["import.apply"] and fields.get("mode") in ("switch", "update") and "material" not in fields:
        raise ProtocolError(codes.MALFORMED, f"{where}: missing material")


def _check_value(at: str, value, kind: str) -> None:
    if kind in _JSON_TYPES:
        if not _JSON_TYPES[kind](value):
            raise ProtocolError(codes.MALFORMED, f"{at} must be {kind}")
    elif not isinstance(value, dict):
        raise ProtocolError(codes.MALFORMED, f"{at} must be object")
    else:
        _check_fields(at, value, SHAPES[kind], closed=True)


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
    _check_fields(type_, obj, ENVELOPE)
    _check_fields(type_, fields, FIELDS[type_])
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
