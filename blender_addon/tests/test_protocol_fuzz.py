"""Property tests (Hypothesis) for the add-on's side of the stdio protocol: the decoder and the
line buffer see whatever the bridge process writes, so they must never raise anything but
ProtocolError, never accept what a strict reading refuses, and split lines the same way however
the bytes arrive. Deterministic (derandomize) so that CI runs the same examples every time."""

import json
import math
import os

# Hypothesis keeps caches in a folder; keep it under .local, not in the work tree's root.
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".local", "hypothesis"),
)

from hypothesis import HealthCheck, Phase, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from core import protocol  # noqa: E402
from core.protocol import LineBuffer, ProtocolError, decode, encode  # noqa: E402

CODES = {"MALFORMED", "UNSUPPORTED_VERSION", "LINE_TOO_LONG"}

settings.register_profile(
    "octane",
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],  # no explain phase: it writes patch files
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("octane")

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
json_values = st.recursive(json_scalars, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4), max_leaves=12)
inbound_types = st.sampled_from(sorted(protocol.INBOUND)) | st.text(max_size=12)


def _no_constants(name):
    raise ValueError(name)


def strict_reference(line: bytes):
    """What a strict reader (the Go bridge's rules) accepts: UTF-8, one JSON object (no NaN or
    Infinity), v the integer 1 (not true, not 1.0), a non-empty string type, and for the known
    types the required fields as non-empty strings. Returns (type, fields, known) or None."""
    if len(line) > protocol.MAX_LINE:
        return None
    try:
        obj = json.loads(line.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(obj, dict) or type(obj.get("v")) is not int or obj["v"] != 1:
        return None
    t = obj.get("type")
    if not isinstance(t, str) or not t:
        return None
    fields = {k: v for k, v in obj.items() if k not in ("v", "type")}
    if t not in protocol.INBOUND:
        return t, fields, False
    if "re" in fields and not isinstance(fields["re"], str):
        return None
    for name, rule in protocol.FIELDS[t].items():
        if name not in fields:
            if "*" in rule:
                return None
            continue
        kinds = [k.partition(":") for k in rule.rstrip("*+").split("|")]
        if not any(_IS[base](fields[name]) for base, _, _ in kinds) or ("+" in rule and fields[name] == ""):
            return None
        for base, _, inner in kinds:  # what is inside arrays and objects: test_contracts.py's walk
            if inner and _IS[base](fields[name]):
                try:
                    for item in fields[name] if base == "array" else [fields[name]]:
                        protocol._check_value(name, item, inner)
                except ProtocolError:
                    return None
    return t, fields, True


_IS = {"string": lambda x: type(x) is str, "integer": lambda x: type(x) is int, "boolean": lambda x: type(x) is bool,
       "number": lambda x: type(x) in (int, float), "array": lambda x: type(x) is list, "object": lambda x: type(x) is dict,
       "null": lambda x: x is None}
_GOOD = {"string": "x", "integer": 1, "number": 0.5, "boolean": True, "array": [], "object": {}, "null": None}


def complete(type_, fields):
    """fields with every field type_ requires added (a value of its first JSON type)."""
    for name, rule in protocol.FIELDS.get(type_, {}).items():
        if "*" in rule:
            fields.setdefault(name, _GOOD[rule.split("|")[0].rstrip("*+").partition(":")[0]])
    return fields


def check_decode(line: bytes):
    want = strict_reference(line)
    try:
        m = decode(line)
    except ProtocolError as e:
        assert e.code in CODES, e.code
        assert want is None, f"decode refused a line the strict reading accepts: {line[:200]!r} ({e.code})"
        return None
    assert want is not None, f"decode accepted a line the strict reading refuses: {line[:200]!r}"
    assert (m.type, m.fields, m.known) == want
    return m


@given(st.binary(max_size=512))
@example(b"[" * 100_000)
@example(b'{"v":1,"type":"status","state":"x","deep":' + b"[" * 50_000 + b"]" * 50_000 + b"}")
@example(b'{"v":true,"type":"status","state":"x"}')
@example(b'{"v":1.0,"type":"status","state":"x"}')
@example(b'{"v":1,"type":"progress","import_id":"a","fraction":NaN}')
@example(b'{"v":1,"type":"progress","import_id":"a","fraction":-Infinity}')
@example(b'{"v":1,"type":"status","state":"x"} {"v":1}')
@example(b'\xef\xbb\xbf{"v":1,"type":"status","state":"x"}')
@example(b'{"v":1,"type":"status","state":"\xed\xa0\x80"}')
@example(b'{"v":1,"type":"status","state":"\\ud800"}')
@example(b'{"v":1,"type":"import","import_id":"a","material_name":"M","blend_path":"","package_dir":"/c"}')
def test_decode_of_any_bytes_raises_only_protocol_errors(line):
    check_decode(line)


@given(st.dictionaries(st.text(max_size=10), json_values, max_size=6), st.sampled_from([1, 1, 1, 0, 2, True, 1.0, "1", None]), inbound_types)
def test_decode_of_json_objects_matches_the_strict_reading(extra, v, type_):
    obj = dict(extra)
    obj["v"] = v
    obj["type"] = type_
    check_decode(json.dumps(complete(type_, obj)).encode("utf-8"))


@given(st.sampled_from(sorted(protocol.OUTBOUND & protocol.INBOUND)), st.text(min_size=1), st.dictionaries(st.text(min_size=1, max_size=10).filter(lambda k: k not in ("v", "type")), json_values, max_size=5))
def test_encode_then_decode_round_trips(type_, state, fields):
    fields = {k: v for k, v in fields.items() if v is not None and k not in protocol.FIELDS[type_] and k != "re"}
    fields = complete(type_, dict(fields, state=state))
    line = encode(type_, **fields)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    m = decode(line.rstrip(b"\n"))
    assert m.type == type_ and m.fields == fields


@given(st.sampled_from(sorted(protocol.OUTBOUND)), st.dictionaries(st.text(min_size=1, max_size=10).filter(lambda k: k not in ("v", "type")), json_values, max_size=5))
def test_encode_always_writes_one_line_of_strict_json(type_, fields):
    line = encode(type_, **fields)
    assert line.endswith(b"\n") and line.count(b"\n") == 1 and len(line) <= protocol.MAX_LINE + 1
    obj = json.loads(line.decode("utf-8"), parse_constant=_no_constants)
    assert obj["v"] == 1 and obj["type"] == type_
    assert obj == {"v": 1, "type": type_, **{k: v for k, v in fields.items() if v is not None}}


# --- the line buffer ---------------------------------------------------------------------------

SIZES = [0, 1, 2, 17, protocol.MAX_LINE - 1, protocol.MAX_LINE, protocol.MAX_LINE + 1, protocol.MAX_LINE + 70]


@st.composite
def streams(draw):
    """A byte stream of lines (small, empty, blank, near and over 1 MiB, invalid UTF-8), maybe
    ending without a newline, and the points where the pipe happens to split it."""
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        size = draw(st.sampled_from(SIZES) | st.integers(0, 40))
        fill = draw(st.sampled_from([b"a", b"\xff", b" ", b"{", b"\xc3\xa9", b"\r"]))
        body = (fill * (size // len(fill) + 1))[:size]
        lines.append(body)
    data = b"\n".join(lines) + draw(st.sampled_from([b"\n", b"", b"\ntail"]))
    cuts = sorted(set(draw(st.lists(st.integers(0, len(data)), max_size=8))))
    return data, cuts


def reference_lines(data: bytes):
    """Complete lines (newline-terminated) of at most MAX_LINE bytes, blank ones skipped."""
    parts = data.split(b"\n")[:-1]
    return [p for p in parts if len(p) <= protocol.MAX_LINE and p.strip()]


@settings(max_examples=60)
@given(streams())
@example((b'{"a":1}\n{"b":2}\n' * 500, [3, 7000]))
@example((b"x" * (protocol.MAX_LINE + 1) + b"\nok\n", [protocol.MAX_LINE, protocol.MAX_LINE + 1]))
@example((b"x" * protocol.MAX_LINE + b"\nok\n", [1, protocol.MAX_LINE]))
def test_line_buffer_is_independent_of_how_the_pipe_splits(stream):
    data, cuts = stream
    want = reference_lines(data)
    whole = LineBuffer().feed(data)
    assert whole == want
    buf, got, prev = LineBuffer(), [], 0
    for c in cuts + [len(data)]:
        got += buf.feed(data[prev:c])
        prev = c
        # Never keeps more than one line's limit between chunks.
        assert len(buf._buf) <= protocol.MAX_LINE
    assert got == want
    assert all(b"\n" not in line and len(line) <= protocol.MAX_LINE for line in got)


@settings(max_examples=40)
@given(st.lists(st.dictionaries(st.sampled_from(["state", "message", "x"]), st.text(max_size=30), min_size=1), min_size=1, max_size=30), st.integers(1, 64))
def test_many_messages_per_chunk_come_out_in_order(bodies, chunk):
    data = b"".join(encode("status", **dict(b, state=b.get("state") or "s")) for b in bodies)
    buf, msgs = LineBuffer(), []
    for i in range(0, len(data), chunk):
        msgs += [decode(line) for line in buf.feed(data[i : i + chunk])]
    assert [m.fields for m in msgs] == [dict(b, state=b.get("state") or "s") for b in bodies]


def test_a_huge_line_fed_in_pieces_is_dropped_with_bounded_memory():
    buf = LineBuffer()
    piece = b"y" * 65536
    for _ in range(40):  # 2.5 MiB without a newline
        assert buf.feed(piece) == []
        assert len(buf._buf) <= protocol.MAX_LINE
    assert buf.feed(b'end of the huge line\n{"v":1,"type":"status","state":"online"}\n') == [b'{"v":1,"type":"status","state":"online"}']


def test_floats_in_fields_are_finite():
    m = decode(b'{"v":1,"type":"progress","import_id":"a","stage":"downloading","fraction":0.5}')
    assert math.isfinite(m.get("fraction"))
