"""The add-on's side of the contracts under schemas/: the same examples the Go tests check.

Every example of every schema passes its schema; the stdio examples decode and re-encode through
core/protocol.py unchanged, and the protocol's type lists and required fields agree with the
schemas, so a drift between the bridge (Go), the add-on (Python) and the schema fails here or there.
"""

import glob
import json
import os

import jsonschema
import pytest

from core import protocol

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMAS = os.path.join(ROOT, "schemas")


def _load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _schema(name):
    return _load(os.path.join(SCHEMAS, f"{name}.schema.json"))


def _examples(name):
    paths = sorted(glob.glob(os.path.join(SCHEMAS, "examples", name, "*.json")))
    assert paths, f"no examples for {name}"
    return [(os.path.basename(p), _load(p)) for p in paths]


NAMES = sorted(os.path.basename(d) for d in glob.glob(os.path.join(SCHEMAS, "examples", "*")))


def test_every_schema_has_examples():
    assert {"import_request", "delivery", "stdio-to-bridge", "stdio-to-addon"} <= set(NAMES)
    for name in NAMES:
        assert os.path.isfile(os.path.join(SCHEMAS, f"{name}.schema.json")), name


@pytest.mark.parametrize("name", NAMES)
def test_examples_pass_their_schema(name):
    schema = _schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    for file, ex in _examples(name):
        errors = [e.message for e in v.iter_errors(ex)]
        assert errors == [], f"{name}/{file}: {errors}"
        assert json.loads(json.dumps(ex)) == ex


def test_bridge_lines_decode_and_reencode_unchanged():
    for file, ex in _examples("stdio-to-addon"):
        line = json.dumps(ex).encode() + b"\n"
        m = protocol.decode(line.rstrip(b"\n"))
        assert m.known, file
        assert {"v": protocol.VERSION, "type": m.type, **m.fields} == ex, file


def test_addon_lines_encode_as_the_examples():
    for file, ex in _examples("stdio-to-bridge"):
        fields = {k: v for k, v in ex.items() if k not in ("v", "type")}
        line = protocol.encode(ex["type"], **fields)
        assert line.endswith(b"\n") and json.loads(line) == ex, file


def test_protocol_tables_match_the_schemas():
    to_addon, to_bridge = _schema("stdio-to-addon"), _schema("stdio-to-bridge")
    assert set(to_addon["properties"]["type"]["enum"]) == set(protocol.INBOUND)
    assert set(to_bridge["properties"]["type"]["enum"]) == set(protocol.OUTBOUND)
    for typ, fields in protocol.REQUIRED.items():
        # The add-on never requires a field the bridge may leave out.
        assert set(fields) <= set(to_addon["$defs"][typ]["required"]), typ


def test_a_drifted_message_fails_the_schema():
    v = jsonschema.Draft202012Validator(_schema("stdio-to-addon"))
    bad = {"v": 1, "type": "import", "import_id": "x", "material_name": "M"}  # no blend_path, package_dir, ...
    assert list(v.iter_errors(bad))
    v = jsonschema.Draft202012Validator(_schema("import_request"))
    assert list(v.iter_errors({"import_id": "x"}))
