"""The Octane graph of a package's material, built from its ``octane_graph`` recipe.

A recipe (JSON in the material's custom property ``octane_graph``, recipe_version 2) lists the
Octane nodes by id and idname, the values set on their inputs (by socket name), node properties,
the image each image node shows (a package-relative path) and the links by socket name. The same
function builds the graph in the catalog generator and rebuilds it in the add-on when the stored
nodes do not fit the installed OctaneBlender; only OctaneBlender's own node API is used
(``nodes.new(idname)``, ``inputs[name].default_value``, ``node.image``), never its internals.

Tree nodes built from a recipe are named ``Octane <id>``; the ALL output is ``Octane Output``.
No relative imports: the catalog generator loads this file by path.
"""

import json

import bpy

RECIPE_PROPERTY = "octane_graph"
RECIPE_VERSION = 2
NODE_PREFIX = "Octane "
OUTPUT_NAME = "Octane Output"


def recipe_of(mat):
    """The material's recipe as a dict, or None when it has none (or an unreadable one)."""
    raw = mat.get(RECIPE_PROPERTY)
    if not raw:
        return None
    try:
        r = json.loads(raw)
    except (TypeError, ValueError):
        return None
    return r if isinstance(r, dict) and r.get("recipe_version") == RECIPE_VERSION else None


def installed():
    """True when OctaneBlender's node classes are registered in this Blender (detected, never
    assumed: a stock Blender keeps Octane nodes as NodeUndefined)."""
    # Node classes registered from Python are not attributes of bpy.types (getattr finds
    # nothing even while OctaneBlender is enabled); Blender's RNA lookup finds them.
    return bpy.types.Node.bl_rna_get_subclass_py("OctaneUniversalMaterial") is not None


def missing_types(recipe):
    """The recipe's node idnames this Blender does not define (a rebuild needs none missing)."""
    types = sorted({n["type"] for n in recipe["nodes"]})
    return [t for t in types if bpy.types.Node.bl_rna_get_subclass(t) is None]


def _layout(recipe):
    """Columns right to left from the output: a node sits one column left of its furthest user."""
    depth = {recipe["output"]["node"]: 0}
    for _ in recipe["nodes"]:
        for link in recipe["links"]:
            if link["to"] in depth:
                depth[link["from"]] = max(depth.get(link["from"], 0), depth[link["to"]] + 1)
    return depth


def build(nt, recipe, image_for, x=-300, y=900):
    """Creates the recipe's nodes in node tree ``nt`` and wires the root to an ALL output.
    ``image_for(path, colorspace)`` returns the image datablock for a package-relative path."""
    made = {}
    depth = _layout(recipe)
    rows = {}
    for n in recipe["nodes"]:
        node = nt.nodes.new(n["type"])
        node.name = NODE_PREFIX + n["id"]
        node.label = n.get("label", "")
        col = depth.get(n["id"], 1)
        node.location = (x - 360 * col, y - 260 * rows.get(col, 0))
        rows[col] = rows.get(col, 0) + 1
        for k, v in n.get("props", {}).items():
            setattr(node, k, v)
        for k, v in n.get("inputs", {}).items():
            node.inputs[k].default_value = v
        if "image" in n:
            node.image = image_for(n["image"]["path"], n["image"].get("colorspace", "sRGB"))
        made[n["id"]] = node
    for link in recipe["links"]:
        src = made[link["from"]]
        out = src.outputs[link["output"]] if "output" in link else src.outputs[0]
        nt.links.new(out, made[link["to"]].inputs[link["input"]])
    output = nt.nodes.new("ShaderNodeOutputMaterial")
    output.name = OUTPUT_NAME
    output.label = "Octane Output (ALL)"
    output.target = "ALL"
    output.location = (x + 300, y)
    nt.links.new(made[recipe["output"]["node"]].outputs[0], output.inputs["Surface"])
    return output


def mismatches(nt, recipe):
    """Why the stored Octane graph does not fit this Blender's Octane classes, as sentences
    (empty when it fits): a node that stayed undefined, another idname, a socket whose class this
    release does not define, a recipe input or link the live node does not have, an ALL output
    not fed by the recipe's output node."""
    out = []
    for n in recipe["nodes"]:
        node = nt.nodes.get(NODE_PREFIX + n["id"])
        if node is None:
            out.append("node %s is missing" % n["id"])
            continue
        if node.bl_idname != n["type"]:
            out.append("node %s is %s, not %s" % (n["id"], node.bl_idname, n["type"]))
            continue
        undefined = [s.name for s in list(node.inputs) + list(node.outputs) if s.bl_idname == "NodeSocketUndefined"]
        if undefined:
            out.append("node %s has sockets this release does not define (%s)" % (n["id"], ", ".join(undefined[:3])))
        for name in n.get("inputs", {}):
            sock = node.inputs.get(name)
            if sock is None or sock.bl_idname == "NodeSocketUndefined" or not hasattr(sock, "default_value"):
                out.append("node %s has no input %r" % (n["id"], name))
    for link in recipe["links"]:
        dst = nt.nodes.get(NODE_PREFIX + link["to"])
        sock = dst.inputs.get(link["input"]) if dst is not None else None
        if sock is None or not any(l.from_node.name == NODE_PREFIX + link["from"] for l in sock.links):
            out.append("link %s -> %s.%s is missing" % (link["from"], link["to"], link["input"]))
    output = nt.nodes.get(OUTPUT_NAME)
    root = NODE_PREFIX + recipe["output"]["node"]
    if output is None or output.bl_idname != "ShaderNodeOutputMaterial":
        out.append("the ALL output is missing")
    elif not any(l.from_node.name == root for l in output.inputs["Surface"].links):
        out.append("the ALL output is not fed by node %s" % recipe["output"]["node"])
    return out


def replace(nt, recipe, image_for):
    """Swaps the stored Octane graph (the recipe's nodes and the ALL output) for one built from
    the recipe by ``build``, where the stored ALL output stood. All or nothing: if building fails,
    what was built is removed, the stored graph is left as it was and the exception propagates."""
    names = {NODE_PREFIX + n["id"] for n in recipe["nodes"]} | {OUTPUT_NAME}
    old = [n for n in nt.nodes if n.name in names or (n.bl_idname == "ShaderNodeOutputMaterial" and n.target == "ALL")]
    anchor = nt.nodes.get(OUTPUT_NAME) or next((n for n in old if n.bl_idname == "ShaderNodeOutputMaterial"), None)
    x, y = (anchor.location.x - 300, anchor.location.y) if anchor is not None else (-300, 900)
    stored = []
    for i, node in enumerate(old):
        stored.append((node, node.name))
        node.name = "Stored %d %s" % (i, node.name)
    before = {n.name for n in nt.nodes}
    try:
        output = build(nt, recipe, image_for, x=x, y=y)
    except Exception:
        for node in [n for n in nt.nodes if n.name not in before]:
            nt.nodes.remove(node)
        for node, name in stored:
            node.name = name
        raise
    for node, _ in stored:
        nt.nodes.remove(node)
    return output
