"""Octane node graph for a catalog material, written without OctaneBlender installed.

Two records of the same graph go into every material.blend:

1. Real nodes with OctaneBlender's Python idnames (OctaneUniversalMaterial, OctaneRGBImage, ...)
   created from stand-in classes registered only while the generator runs. A stock Blender keeps
   them as NodeUndefined with their ID properties and links intact; OctaneBlender, which registers
   the real classes, sees its own nodes (verified with stand-ins on Blender 3.4.1, see
   docs/decisions.md, "Shader packages").
2. A JSON recipe in the material's custom property "octane_graph" (same nodes, inputs, values and
   links, plus the OctaneBlender node ids), so the add-on can rebuild the graph through the real
   OctaneBlender API when the stand-in socket layout does not match an OctaneBlender version.

Both feed a Material Output whose target is ALL, the output Octane reads.
"""

import json

try:
    import bpy
except ImportError:  # importable without Blender for tests of the recipe
    bpy = None

RECIPE_VERSION = 1
# OctaneBlender 2024.1 "Latest" compatibility version of the Universal material (research notes).
COMPAT_VERSION = 14000013

# Node idname -> list of (input name, kind, default). Input names follow OctaneBlender's socket
# labels; kinds decide the stand-in socket type.
NODE_INPUTS = {
    "OctaneUniversalMaterial": [
        ("Transmission", "color", (0.0, 0.0, 0.0)),
        ("Albedo", "color", (0.7, 0.7, 0.7)),
        ("Metallic", "float", 0.0),
        ("Specular", "float", 1.0),
        ("Roughness", "float", 0.063),
        ("Anisotropy", "float", 0.0),
        ("Dielectric IOR", "float", 1.5),
        ("Coating", "float", 0.0),
        ("Coating roughness", "float", 0.063),
        ("Sheen", "color", (0.0, 0.0, 0.0)),
        ("Sheen roughness", "float", 0.2),
        ("Opacity", "float", 1.0),
        ("Bump", "link", None),
        ("Normal", "link", None),
        ("Emission", "link", None),
    ],
    "OctaneRGBImage": [("Power", "float", 1.0), ("Gamma", "float", 2.2)],
    "OctaneGreyscaleImage": [("Power", "float", 1.0), ("Gamma", "float", 1.0), ("Invert", "bool", False)],
    "OctaneTextureEmission": [("Texture", "color", (1.0, 1.0, 1.0)), ("Power", "float", 1.0)],
}
NODE_OUTPUTS = {
    "OctaneUniversalMaterial": "Material out",
    "OctaneRGBImage": "Texture out",
    "OctaneGreyscaleImage": "Texture out",
    "OctaneTextureEmission": "Emission out",
}


def socket_idname(node_idname, input_name):
    # OctaneBlender names socket classes <Node><Input>, e.g. OctaneUniversalMaterialAlbedo.
    return node_idname + "".join(w[:1].upper() + w[1:] for w in input_name.split())


def _classes():
    """Stand-in classes. They only need to carry data: no drawing, no rendering."""
    classes = []
    kinds = {
        "color": lambda d: bpy.props.FloatVectorProperty(subtype="COLOR", size=3, min=0.0, default=d),
        "float": lambda d: bpy.props.FloatProperty(default=d),
        "bool": lambda d: bpy.props.BoolProperty(default=d),
        "link": None,
    }
    for node_id, inputs in NODE_INPUTS.items():
        for name, kind, default in inputs:
            ann = {}
            if kinds[kind]:
                ann["default_value"] = kinds[kind](default)
            classes.append(type(socket_idname(node_id, name), (bpy.types.NodeSocket,), {
                "bl_idname": socket_idname(node_id, name),
                "bl_label": name,
                "__annotations__": ann,
                "draw": lambda self, context, layout, node, text: layout.label(text=text),
                "draw_color": lambda self, context, node: (0.5, 0.5, 0.5, 1.0),
            }))
        out_id = node_id + "OutSocket"
        classes.append(type(out_id, (bpy.types.NodeSocket,), {
            "bl_idname": out_id,
            "bl_label": NODE_OUTPUTS[node_id],
            "draw": lambda self, context, layout, node, text: layout.label(text=text),
            "draw_color": lambda self, context, node: (0.9, 0.6, 0.2, 1.0),
        }))

        init = _make_init(node_id)

        ann = {
            "octane_node_type": bpy.props.StringProperty(default=node_id),
            "a_filename": bpy.props.StringProperty(default=""),
            "a_compatibility_version": bpy.props.IntProperty(default=COMPAT_VERSION),
        }
        classes.append(type(node_id, (bpy.types.Node,), {
            "bl_idname": node_id,
            "bl_label": node_id.replace("Octane", "Octane "),
            "__annotations__": ann,
            "init": init,
            "poll": classmethod(lambda cls, ntree: ntree.bl_idname == "ShaderNodeTree"),
        }))
    return classes


def _make_init(node_id):
    def init(self, context):
        for name, _kind, _default in NODE_INPUTS[node_id]:
            self.inputs.new(socket_idname(node_id, name), name)
        self.outputs.new(node_id + "OutSocket", NODE_OUTPUTS[node_id])
    return init


_registered = []


def register():
    for cls in _classes():
        bpy.utils.register_class(cls)
        _registered.append(cls)


def unregister():
    while _registered:
        bpy.utils.unregister_class(_registered.pop())


def recipe(spec, textures):
    """The Octane graph for a spec as plain data. textures maps role -> relative path
    (e.g. {"albedo": "//textures/1k/albedo.jpg", "rough": "//textures/1k/rough.jpg"})."""
    nodes = []
    links = []
    mat = {"id": "material", "type": "OctaneUniversalMaterial",
           "props": {"a_compatibility_version": COMPAT_VERSION}, "inputs": {}}
    ins = mat["inputs"]
    if spec.get("transmission", 0) > 0:
        t = spec["transmission"]
        tint = spec.get("transmission_color", spec["base"])
        ins["Transmission"] = [round(c * t, 4) for c in tint]
        ins["Albedo"] = [0.0, 0.0, 0.0]
    else:
        ins["Albedo"] = list(spec["base"])
    ins["Metallic"] = spec.get("metallic", 0.0)
    ins["Roughness"] = spec.get("roughness", 0.5)
    ins["Dielectric IOR"] = spec.get("ior", 1.5)
    ins["Specular"] = spec.get("specular", 0.5) * 2.0
    if spec.get("anisotropy"):
        ins["Anisotropy"] = spec["anisotropy"]
    if spec.get("coat"):
        ins["Coating"] = spec["coat"]
        ins["Coating roughness"] = spec.get("coat_roughness", 0.03)
    if spec.get("sheen"):
        ins["Sheen"] = [spec["sheen"]] * 3
    nodes.append(mat)
    if "albedo" in textures:
        nodes.append({"id": "albedo", "type": "OctaneRGBImage",
                      "props": {"a_filename": textures["albedo"]}, "inputs": {"Gamma": 2.2}})
        links.append({"from": "albedo", "to": "material", "input": "Albedo"})
    if "rough" in textures:
        nodes.append({"id": "rough", "type": "OctaneGreyscaleImage",
                      "props": {"a_filename": textures["rough"]}, "inputs": {"Gamma": 1.0}})
        if spec.get("tex", {}).get("rough_map", True):
            links.append({"from": "rough", "to": "material", "input": "Roughness"})
        nodes.append({"id": "bump", "type": "OctaneGreyscaleImage",
                      "props": {"a_filename": textures["rough"]},
                      "inputs": {"Power": spec.get("tex", {}).get("bump", 0.2)}})
        links.append({"from": "bump", "to": "material", "input": "Bump"})
    if spec.get("emission"):
        color, power = spec["emission"]
        nodes.append({"id": "emission", "type": "OctaneTextureEmission",
                      "inputs": {"Texture": list(color), "Power": power}})
        links.append({"from": "emission", "to": "material", "input": "Emission"})
    return {"recipe_version": RECIPE_VERSION, "renderer": "octane", "min_octane": "2024.1",
            "output": {"node": "material", "target": "ALL"}, "nodes": nodes, "links": links}


def build(nt, graph, x=-900, y=600):
    """Create the recipe's nodes in node tree nt and wire the root to an ALL output."""
    made = {}
    for i, n in enumerate(graph["nodes"]):
        node = nt.nodes.new(n["type"])
        node.name = "Octane " + n["id"]
        node.label = n["type"]
        node.location = (x if n["id"] == "material" else x - 320, y - (0 if n["id"] == "material" else 220 * (i - 1)))
        for k, v in n.get("props", {}).items():
            setattr(node, k, v)
        for k, v in n.get("inputs", {}).items():
            sock = node.inputs[k]
            if hasattr(sock, "default_value"):
                sock.default_value = v
        made[n["id"]] = node
    for l in graph["links"]:
        nt.links.new(made[l["from"]].outputs[0], made[l["to"]].inputs[l["input"]])
    out = nt.nodes.new("ShaderNodeOutputMaterial")
    out.name = "Octane Output"
    out.label = "Octane Output (ALL)"
    out.target = "ALL"
    out.location = (x + 300, y)
    nt.links.new(made[graph["output"]["node"]].outputs[0], out.inputs["Surface"])
    return out


def to_json(graph):
    return json.dumps(graph, sort_keys=True, separators=(",", ":"))
