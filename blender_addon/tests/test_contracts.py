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
    assert protocol.ENVELOPE == {"re": "string"} and to_addon["properties"]["re"] == {"type": "string"}
    assert set(protocol.FIELDS) == set(to_addon["$defs"])
    shapes = {}
    for typ, fields in protocol.FIELDS.items():
        assert fields == _fields_rule(to_addon, to_addon["$defs"][typ], typ, shapes), typ
    assert protocol.SHAPES == shapes


def _json_types(schema, prop):
    """The JSON types a property's schema allows."""
    if "type" in prop:
        return prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
    if "$ref" in prop:
        return _json_types(schema, schema["$defs"][prop["$ref"].split("/")[-1]])
    if "oneOf" in prop:
        return sorted({t for p in prop["oneOf"] for t in _json_types(schema, p)})
    values = [prop["const"]] if "const" in prop else prop["enum"]
    name = {str: "string", bool: "boolean", int: "integer", float: "number", type(None): "null"}
    return sorted({name[type(v)] for v in values})


def _fields_rule(schema, obj, where, shapes):
    """protocol.FIELDS's rule for each field of one object, read off the schema; the objects
    inside go to shapes as <where>.<field>."""
    out = {}
    for name, prop in obj.get("properties", {}).items():
        kinds = _json_types(schema, prop)
        if "object" in kinds and "properties" in prop:
            assert prop.get("additionalProperties") is False, f"{where}.{name}: SHAPES are closed"
            shapes[f"{where}.{name}"] = _fields_rule(schema, prop, f"{where}.{name}", shapes)
            kinds = [f"object:{where}.{name}" if k == "object" else k for k in kinds]
        if "array" in kinds and "items" in prop:
            items = prop["items"]
            inner = f"{where}.{name}" if "properties" in items else _json_types(schema, items)[0]
            if "properties" in items:
                assert items.get("additionalProperties") is False, f"{where}.{name}: SHAPES are closed"
                shapes[inner] = _fields_rule(schema, items, inner, shapes)
            kinds = [f"array:{inner}" if k == "array" else k for k in kinds]
        nonempty = prop.get("minLength", 0) >= 1 or ("enum" in prop and "" not in prop["enum"] and kinds == ["string"])
        out[name] = "|".join(kinds) + ("*" if name in obj.get("required", []) else "") + ("+" if nonempty else "")
    return out


UNKNOWN = "zz_not_in_the_schema"


def _edits(root, doc, path=()):
    """Every field of doc, nested ones too, missing, null and of another JSON type, each array's
    first item null and of another type, and an unknown key in each object: the Go tests' walk
    (schemas/schematest.Edits). Yields (what, edited, the field's name)."""
    def edit(change):
        out = json.loads(json.dumps(root))
        at = out
        for k in path:
            at = at[k]
        change(at)
        return out

    def other(v):
        return 7 if isinstance(v, str) or v is None else "7"

    if isinstance(doc, dict):
        yield f"an unknown key in {path}", edit(lambda o: o.__setitem__(UNKNOWN, True)), UNKNOWN
        for k, v in doc.items():
            yield f"{path + (k,)} missing", edit(lambda o, k=k: o.pop(k)), k
            yield f"{path + (k,)} null", edit(lambda o, k=k: o.__setitem__(k, None)), k
            yield f"{path + (k,)} mistyped", edit(lambda o, k=k, v=v: o.__setitem__(k, other(v))), k
            yield from _edits(root, v, path + (k,))
    elif isinstance(doc, list) and doc:
        name = path[-1]
        yield f"{path}[0] null", edit(lambda o: o.__setitem__(0, None)), name
        yield f"{path}[0] mistyped", edit(lambda o: o.__setitem__(0, other(doc[0]))), name
        yield from _edits(root, doc[0], path + (0,))


def test_the_addon_reader_agrees_with_the_schema():
    """protocol.decode refuses exactly what stdio-to-addon.schema.json refuses of a message's
    fields, nested ones too: a required one missing or null, one of another JSON type, an unknown
    key in a closed object; with MALFORMED (UNSUPPORTED_VERSION for v) naming the field. Unknown
    top-level keys pass both."""
    v = jsonschema.Draft202012Validator(_schema("stdio-to-addon"))
    refused = 0
    for file, ex in _examples("stdio-to-addon"):
        for what, edited, field in _edits(ex, ex):
            schema_ok = not list(v.iter_errors(edited))
            try:
                protocol.decode(json.dumps(edited).encode())
                reader_ok, err = True, None
            except protocol.ProtocolError as e:
                reader_ok, err = False, e
            assert schema_ok == reader_ok, f"{file}, {what}: schema {'accepts' if schema_ok else 'refuses'}, reader {err or 'accepts'}"
            if err is not None:
                refused += 1
                assert err.code in ("MALFORMED", "UNSUPPORTED_VERSION"), (file, what, err.code)
                assert field in str(err) or (field == "v" and "version" in str(err)), (file, what, str(err))
    assert refused > 100


def test_a_drifted_message_fails_the_schema():
    v = jsonschema.Draft202012Validator(_schema("stdio-to-addon"))
    bad = {"v": 1, "type": "import", "import_id": "x", "material_name": "M"}  # no blend_path, package_dir, ...
    assert list(v.iter_errors(bad))
    v = jsonschema.Draft202012Validator(_schema("import_request"))
    assert list(v.iter_errors({"import_id": "x"}))
