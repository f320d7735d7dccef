"""Probe classes: OctaneBlender's node and socket classes rebuilt from the facts file.

Registered in a stock Blender, they make Blender bind stored Octane nodes and sockets exactly as
OctaneBlender would: a node whose idname the release defines becomes that node again, a socket
whose idname it does not define stays NodeSocketUndefined, and a node's init() creates the real
node's full input list in order. They carry data only (no drawing, no rendering). Used by the
catalog generator (to create the nodes), the publisher's validator and the add-on's tests (as a
stand-in for OctaneBlender). Never shipped in the add-on.
"""

import bpy

import octane_facts


def _prop(spec):
    """A bpy property from a facts property description, or None when it cannot be declared
    statically (enums whose items OctaneBlender computes at run time)."""
    p = spec.get("prop")
    d = spec.get("default")
    if p == "FloatProperty":
        return bpy.props.FloatProperty(default=d or 0.0)
    if p == "IntProperty":
        return bpy.props.IntProperty(default=d or 0)
    if p == "BoolProperty":
        return bpy.props.BoolProperty(default=bool(d))
    if p == "StringProperty":
        return bpy.props.StringProperty(default=d or "", subtype=spec.get("subtype", "NONE"))
    if p == "FloatVectorProperty":
        size = spec.get("size", 3)
        kw = {"subtype": "COLOR"} if spec.get("subtype") == "COLOR" else {}
        return bpy.props.FloatVectorProperty(size=size, default=tuple(d or [0.0] * size), **kw)
    if p == "IntVectorProperty":
        size = spec.get("size", 2)
        return bpy.props.IntVectorProperty(size=size, default=tuple(d or [0] * size))
    if p == "EnumProperty":
        items = spec.get("items")
        if not items:
            return None
        enum_items = [(name, name, "", value) for name, value in items]
        names = [name for name, _ in items]
        return bpy.props.EnumProperty(items=enum_items, default=d if d in names else names[0])
    if p == "PointerProperty" and spec.get("type") == "bpy.types.Image":
        return bpy.props.PointerProperty(type=bpy.types.Image)
    return None


def _draw(self, context, layout, node, text):
    layout.label(text=text)


def _draw_color(self, context, node):
    return (0.6, 0.6, 0.6, 1.0)


def _socket_class(idname, label, default_spec):
    ann = {}
    if default_spec:
        prop = _prop(default_spec)
        if prop is not None:
            ann["default_value"] = prop
    return type(idname, (bpy.types.NodeSocket,), {
        "bl_idname": idname, "bl_label": label, "__annotations__": ann,
        "draw": _draw, "draw_color": _draw_color,
    })


def _node_class(idname, spec):
    ann = {}
    for name, p in list(spec.get("inherited_properties", {}).items()) + list(spec.get("properties", {}).items()):
        prop = _prop(p)
        if prop is not None:
            ann[name] = prop
    inputs = [(i["idname"], i["name"], bool(i.get("deprecated"))) for i in spec["inputs"]]
    outputs = [(o["idname"], o["name"]) for o in spec["outputs"]]

    def init(self, context):
        for sid, name, deprecated in inputs:
            s = self.inputs.new(sid, name)
            s.hide = deprecated
        for sid, name in outputs:
            self.outputs.new(sid, name)

    return type(idname, (bpy.types.Node,), {
        "bl_idname": idname, "bl_label": spec.get("label", idname), "__annotations__": ann,
        "init": init,
        "poll": classmethod(lambda cls, ntree: ntree.bl_idname == "ShaderNodeTree"),
    })


def classes(f=None):
    f = f or octane_facts.load()
    out, seen = [], set()
    for idname, spec in f.nodes.items():
        for inp in spec["inputs"]:
            if inp["idname"] not in seen:
                seen.add(inp["idname"])
                out.append(_socket_class(inp["idname"], inp["name"], inp.get("default_value")))
        for o in spec["outputs"]:
            if o["idname"] not in seen:
                seen.add(o["idname"])
                out.append(_socket_class(o["idname"], o["name"], None))
    for idname, spec in f.nodes.items():
        out.append(_node_class(idname, spec))
    return out


_registered = []


def register(f=None):
    """Registers every probe class once; returns the facts used."""
    f = f or octane_facts.load()
    if not _registered:
        for cls in classes(f):
            bpy.utils.register_class(cls)
            _registered.append(cls)
    return f


def unregister():
    while _registered:
        bpy.utils.unregister_class(_registered.pop())
