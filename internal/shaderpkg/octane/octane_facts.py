"""OctaneBlender's node definitions, read from octane-nodes.json beside this file.

The JSON holds facts extracted from OctaneBlender's public add-on source (release and commit in
its "source" field): for each node idname its inputs in creation order (socket idname, name, pin
type, socket type, default), its outputs and properties. Everything that builds or checks an
Octane graph asks this module, so a new OctaneBlender release is one file to refresh
(docs/packages.md, "Octane graphs"). Pure Python: importable without Blender.
"""

import json
import os

FACTS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "octane-nodes.json")

# Socket kinds that hold a value; links and group titles hold none.
_VALUE_KINDS = {
    ("FloatProperty", None): "float",
    ("IntProperty", None): "int",
    ("BoolProperty", None): "bool",
    ("EnumProperty", None): "enum",
    ("StringProperty", None): "string",
}


def value_kind(inp):
    """'float', 'int', 'bool', 'enum', 'string', 'color', 'float2', 'float3', 'int2' or None for
    a socket that only takes a link (ST_LINK) or only titles a group (ST_GROUP_TITLE)."""
    dv = inp.get("default_value")
    if not dv or inp.get("socket_type") in ("ST_LINK", "ST_GROUP_TITLE"):
        return None
    prop = dv.get("prop")
    if prop == "FloatVectorProperty":
        if dv.get("subtype") == "COLOR":
            return "color"
        return "float%d" % dv.get("size", 3)
    if prop == "IntVectorProperty":
        return "int%d" % dv.get("size", 2)
    return _VALUE_KINDS.get((prop, None))


def fits(kind, value):
    """Whether a stored value has the shape the real socket property reads."""
    if kind is None:
        return False
    if kind in ("color", "float2", "float3", "int2"):
        size = 3 if kind in ("color", "float3") else 2
        if not isinstance(value, (list, tuple)) or len(value) != size:
            return False
        want = int if kind == "int2" else (int, float)
        return all(isinstance(v, want) and not isinstance(v, bool) for v in value)
    if isinstance(value, (list, tuple)):
        return False
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind in ("int", "enum", "bool"):  # Blender stores enums and (before 4.x) bools as ints
        return isinstance(value, (int, bool))
    if kind == "string":
        return isinstance(value, str)
    return False


class Facts:
    def __init__(self, data):
        self.data = data
        self.nodes = data["nodes"]
        self.output_sockets = data["output_sockets"]
        self.release = data["source"]["release"].replace("Release ", "")
        self.commit = data["source"]["commit"]

    def node(self, idname):
        return self.nodes.get(idname)

    def inputs(self, idname):
        return self.nodes[idname]["inputs"]

    def input(self, idname, name):
        for inp in self.nodes[idname]["inputs"]:
            if inp["name"] == name:
                return inp
        return None

    def output(self, idname, name=None):
        outs = self.nodes[idname]["outputs"]
        if name is None:
            return outs[0]
        return next((o for o in outs if o["name"] == name), None)

    def sent(self, idname):
        """The input names OctaneBlender's sync step sends (octane_socket_list)."""
        n = self.nodes[idname]
        if "socket_list" in n and n["socket_list"]:
            return set(n["socket_list"])
        return {i["name"] for i in n["inputs"] if i.get("socket_type") != "ST_GROUP_TITLE"}

    def input_pin(self, idname, socket_idname):
        for inp in self.nodes[idname]["inputs"]:
            if inp["idname"] == socket_idname:
                return inp.get("pin_type")
        return None

    def output_pin(self, socket_idname):
        s = self.output_sockets.get(socket_idname)
        return s["pin_type"] if s else None

    def is_material(self, idname):
        n = self.nodes.get(idname)
        return bool(n) and any(o["pin_type"] == "PT_MATERIAL" for o in n["outputs"])

    def is_image(self, idname):
        n = self.nodes.get(idname)
        return bool(n) and bool(n.get("image_node"))

    def compat_versions(self, idname):
        """Compatibility versions this release knows for a node, or None when it has none."""
        n = self.nodes[idname]
        prop = n.get("properties", {}).get("a_compatibility_version")
        if prop is None:
            return None
        known = {v for _label, v in n.get("compatibility_modes", [])}
        known.add(prop["default"])
        return known

    def default_compat(self, idname):
        prop = self.nodes[idname].get("properties", {}).get("a_compatibility_version")
        return prop["default"] if prop else None


_cache = {}


def load(path=FACTS_FILE):
    if path not in _cache:
        with open(path, encoding="utf-8") as f:
            _cache[path] = Facts(json.load(f))
    return _cache[path]
