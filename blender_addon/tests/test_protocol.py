import json

import pytest

from core import protocol
from core.protocol import LineBuffer, ProtocolError, decode, encode


def test_encode_adds_version_and_type_and_drops_none():
    line = encode("imported", import_id="i1", material_name="M", objects=["Cube"], faces=None, reused=False, message="ok")
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    obj = json.loads(line)
    assert obj == {"v": 1, "type": "imported", "import_id": "i1", "material_name": "M", "objects": ["Cube"], "reused": False, "message": "ok"}


def test_encode_refuses_inbound_only_types():
    with pytest.raises(ProtocolError) as e:
        encode("import", import_id="x")
    assert e.value.code == "UNKNOWN_TYPE"


def test_encode_keeps_unicode_on_one_line():
    obj = json.loads(encode("import_failed", import_id="i", code="BLENDER_ERROR", message="zeile\nzwei ü"))
    assert obj["message"] == "zeile\nzwei ü"


def test_decode_import_message():
    m = decode(b'{"v":1,"type":"import","import_id":"a","shader_id":"oak","version":"1.0.0","shader_name":"Oak","material_name":"OB","blend_path":"/c/m.blend","package_dir":"/c","extra":1}')
    assert m.known and m.type == "import" and m.get("blend_path") == "/c/m.blend" and m.get("extra") == 1


def test_decode_unknown_type_is_ignored_not_an_error():
    m = decode('{"v":1,"type":"future_thing","x":1}')
    assert not m.known and m.type == "future_thing"


@pytest.mark.parametrize(
    "line,code",
    [
        (b"not json", "MALFORMED"),
        (b"[1,2]", "MALFORMED"),
        (b'{"v":2,"type":"hello"}', "UNSUPPORTED_VERSION"),
        (b'{"type":"hello"}', "UNSUPPORTED_VERSION"),
        (b'{"v":1}', "MALFORMED"),
        (b'{"v":1,"type":"import","import_id":"a"}', "MALFORMED"),
        (b'{"v":1,"type":"import","import_id":"a","material_name":"M","blend_path":7,"package_dir":"/"}', "MALFORMED"),
        (b'\xff\xfe', "MALFORMED"),
    ],
)
def test_decode_rejects_bad_lines_with_stable_codes(line, code):
    with pytest.raises(ProtocolError) as e:
        decode(line)
    assert e.value.code == code


def test_decode_rejects_oversized_line():
    with pytest.raises(ProtocolError) as e:
        decode(b'{"v":1,"type":"status","state":"' + b"x" * protocol.MAX_LINE + b'"}')
    assert e.value.code == "LINE_TOO_LONG"


def test_line_buffer_splits_partial_chunks_and_skips_blank():
    b = LineBuffer()
    assert b.feed(b'{"a":1}\n{"b"') == [b'{"a":1}']
    assert b.feed(b":2}\n\n  \n") == [b'{"b":2}']


def test_line_buffer_drops_oversized_line_and_recovers():
    b = LineBuffer()
    assert b.feed(b"x" * (protocol.MAX_LINE + 10)) == []
    assert b.feed(b"tail-of-big-line\n" + b'{"ok":1}\n') == [b'{"ok":1}']
