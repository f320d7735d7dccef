"""The Octane graph validator: does a package's material render in OctaneBlender?

snapshot(mat) reads a material's node tree in a Blender where the probe classes are registered
(octane_probe.py), so stored nodes and sockets are bound exactly as OctaneBlender binds them;
check(snap, facts, pkg_dir) is pure Python and returns problems as dicts {code, datablock,
message}. Rules (the "vetting" codes of schemas/codes.json, read through codes.py):

OCTANE_UNKNOWN_NODE    a node OctaneBlender does not define (it stays NodeUndefined)
OCTANE_INPUTS          a node's inputs are not the real node's full input list, in order
OCTANE_OUTPUTS         a node's outputs are not the real node's outputs
OCTANE_VALUE_LOST      a value stored in a socket OctaneBlender does not define
OCTANE_VALUE_NOT_SENT  a value stored in a socket the sync step never sends (link-only, titles)
OCTANE_VALUE_TYPE      a value whose type the real socket does not read (a number in a colour)
OCTANE_LINK_PIN        a link between different pin types
OCTANE_LINK_FOREIGN    a link between an Octane node and a Blender node (other than the output)
OCTANE_IMAGE_UNBOUND   an image node without an image datablock (OctaneBlender sends node.image)
OCTANE_IMAGE_OUTSIDE   an image node's file is not a texture of the package
OCTANE_NO_MATERIAL     the ALL output is not fed by an Octane material node
OCTANE_COMPAT_VERSION  a compatibility version the release does not know
OCTANE_RECIPE          the octane_graph recipe is missing, unreadable or says something else
"""

import json
import os

import codes
import octane_facts

RECIPE_VERSION = 2
NODE_PREFIX = "Octane "
UNDEFINED_NODE = "NodeUndefined"
UNDEFINED_SOCKET = "NodeSocketUndefined"


def _plain(v):
    if hasattr(v, "to_list"):
        return v.to_list()
    if hasattr(v, "to_dict"):
        return v.to_dict()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def snapshot(mat):
    """A material's node tree as plain data (needs bpy; nothing is changed)."""
    nt = mat.node_tree
    nodes = []
    for n in nt.nodes:
        entry = {"name": n.name, "idname": n.bl_idname, "inputs": [], "outputs": [], "props": {}}
        for k in n.keys():
            v = n[k]
            entry["props"][k] = v.name if hasattr(v, "filepath") else _plain(v)
        img = getattr(n, "image", None) if n.bl_idname != "ShaderNodeTexImage" else None
        if img is not None:
            entry["image"] = {"name": img.name, "path": img.filepath, "colorspace": img.colorspace_settings.name}
        if n.bl_idname == "ShaderNodeOutputMaterial":
            entry["target"] = n.target
        for s in n.inputs:
            sock = {"idname": s.bl_idname, "name": s.name}
            if s.bl_idname.startswith("Octane") or s.bl_idname == UNDEFINED_SOCKET:
                if "default_value" in s.keys():
                    sock["value"] = _plain(s["default_value"])
            entry["inputs"].append(sock)
        for s in n.outputs:
            entry["outputs"].append({"idname": s.bl_idname, "name": s.name})
        nodes.append(entry)
    links = [{"from_node": l.from_node.name, "from_socket": l.from_socket.name, "from_idname": l.from_socket.bl_idname,
              "to_node": l.to_node.name, "to_socket": l.to_socket.name, "to_idname": l.to_socket.bl_idname}
             for l in nt.links]
    return {"material": mat.name, "recipe": mat.get("octane_graph"), "nodes": nodes, "links": links}


def _octane(node, facts):
    return node["idname"] == UNDEFINED_NODE or facts.node(node["idname"]) is not None


def check(snap, facts=None, pkg_dir=None):
    facts = facts or octane_facts.load()
    problems = []
    mat = snap["material"]

    def problem(code, node, socket, message):
        where = 'material "%s"' % mat
        if node:
            where += ' node "%s"' % node
        if socket:
            where += ' socket "%s"' % socket
        problems.append({"code": code, "datablock": where, "message": message})

    by_name = {n["name"]: n for n in snap["nodes"]}
    for n in snap["nodes"]:
        if n["idname"] == UNDEFINED_NODE:
            problem(codes.OCTANE_UNKNOWN_NODE, n["name"], "",
                    "is a node OctaneBlender %s does not define, so it would be dropped" % facts.release)
            continue
        spec = facts.node(n["idname"])
        if spec is None:
            continue
        want = [(i["idname"], i["name"]) for i in spec["inputs"]]
        have = [(s["idname"], s["name"]) for s in n["inputs"]]
        if have != want:
            missing = [name for sid, name in want if (sid, name) not in have]
            extra = [name for sid, name in have if (sid, name) not in want]
            detail = []
            if missing:
                detail.append("lacks %s" % ", ".join(repr(m) for m in missing[:6]) + (" and %d more" % (len(missing) - 6) if len(missing) > 6 else ""))
            if extra:
                detail.append("has inputs the real node does not: %s" % ", ".join(repr(e) for e in extra[:6]))
            if not detail:
                detail.append("has the real inputs in another order")
            problem(codes.OCTANE_INPUTS, n["name"], "", "%s (%s) %s; the real node has %d inputs"
                    % (spec["label"], n["idname"], "; ".join(detail), len(want)))
        want_out = [o["idname"] for o in spec["outputs"]]
        have_out = [s["idname"] for s in n["outputs"]]
        if have_out != want_out:
            problem(codes.OCTANE_OUTPUTS, n["name"], "", "has outputs %s; the real node has %s" % (have_out, want_out))
        sent = facts.sent(n["idname"])
        known = {i["idname"]: i for i in spec["inputs"]}
        for s in n["inputs"]:
            if "value" not in s:
                continue
            inp = known.get(s["idname"])
            if inp is None or s["idname"] == UNDEFINED_SOCKET:
                problem(codes.OCTANE_VALUE_LOST, n["name"], s["name"],
                        "holds a value in a socket OctaneBlender does not define, so the value is lost")
                continue
            kind = octane_facts.value_kind(inp)
            if kind is None or s["name"] not in sent:
                problem(codes.OCTANE_VALUE_NOT_SENT, n["name"], s["name"],
                        "holds a value, but OctaneBlender sends no value for a socket named %r (%s)"
                        % (s["name"], "it only takes a link" if kind is None else "the real socket is %r" % inp["name"]))
            elif not octane_facts.fits(kind, s["value"]):
                problem(codes.OCTANE_VALUE_TYPE, n["name"], s["name"],
                        "holds %r, but the real socket reads a %s" % (s["value"], kind))
        versions = facts.compat_versions(n["idname"])
        if versions is not None and "a_compatibility_version" in n["props"]:
            v = n["props"]["a_compatibility_version"]
            if v not in versions:
                problem(codes.OCTANE_COMPAT_VERSION, n["name"], "",
                        "compatibility version %r is not one OctaneBlender %s knows (%s)"
                        % (v, facts.release, ", ".join(str(x) for x in sorted(versions))))
        if facts.is_image(n["idname"]):
            img = n.get("image")
            if img is None:
                problem(codes.OCTANE_IMAGE_UNBOUND, n["name"], "",
                        "has no image datablock; OctaneBlender sends the file of node.image, so it renders without its texture")
            elif pkg_dir is not None and not _in_package(img["path"], pkg_dir):
                problem(codes.OCTANE_IMAGE_OUTSIDE, n["name"], "",
                        "shows %r, which is not a texture file in the package" % img["path"])

    for l in snap["links"]:
        src, dst = by_name.get(l["from_node"]), by_name.get(l["to_node"])
        if src is None or dst is None:
            continue
        so, do = _octane(src, facts), _octane(dst, facts)
        if not so and not do:
            continue
        if so and dst["idname"] == "ShaderNodeOutputMaterial":
            continue  # judged below with the output's target
        if so != do:
            problem(codes.OCTANE_LINK_FOREIGN, l["to_node"], l["to_socket"],
                    "links %s node %r to %s node %r; OctaneBlender only follows links between its own nodes"
                    % ("an Octane" if so else "a Blender", l["from_node"], "an Octane" if do else "a Blender", l["to_node"]))
            continue
        if src["idname"] == UNDEFINED_NODE or dst["idname"] == UNDEFINED_NODE:
            continue
        a = facts.output_pin(l["from_idname"])
        b = facts.input_pin(dst["idname"], l["to_idname"])
        if a and b and a != "PT_UNKNOWN" and b != "PT_UNKNOWN" and a != b:
            problem(codes.OCTANE_LINK_PIN, l["to_node"], l["to_socket"],
                    "takes %s from %r (%s); OctaneBlender drops links between different pin types" % (b, l["from_node"], a))

    outs = [n for n in snap["nodes"] if n["idname"] == "ShaderNodeOutputMaterial" and n.get("target") == "ALL"]
    fed = [l for l in snap["links"] if any(l["to_node"] == o["name"] for o in outs) and l["to_socket"] == "Surface"]
    if not any(facts.is_material(by_name[l["from_node"]]["idname"]) for l in fed if l["from_node"] in by_name):
        problem(codes.OCTANE_NO_MATERIAL, outs[0]["name"] if outs else "", "Surface" if outs else "",
                "the Material Output with target ALL (the one OctaneBlender renders) is not fed by an Octane material node")

    problems.extend(_check_recipe(snap, facts, problem))
    return problems


def _in_package(path, pkg_dir):
    if not path.startswith("//"):
        return False
    rel = path[2:].replace("\\", "/")
    full = os.path.normpath(os.path.join(pkg_dir, rel))
    root = os.path.normpath(pkg_dir)
    return rel.startswith("textures/") and full.startswith(root + os.sep) and os.path.isfile(full)


def _close(a, b):
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= 1e-4 * max(1.0, abs(a))
    return a == b


def _check_recipe(snap, facts, problem):
    """The recipe must say exactly what the tree says: same nodes, values and links."""
    raw = snap.get("recipe")
    if not raw:
        problem(codes.OCTANE_RECIPE, "", "", 'has no "octane_graph" recipe')
        return []
    try:
        r = json.loads(raw)
        nodes, links = r["nodes"], r["links"]
    except (TypeError, ValueError, KeyError):
        problem(codes.OCTANE_RECIPE, "", "", 'has an "octane_graph" recipe that is not valid JSON of the recipe format')
        return []
    if r.get("recipe_version") != RECIPE_VERSION:
        problem(codes.OCTANE_RECIPE, "", "", "has recipe version %r; this validator reads %d" % (r.get("recipe_version"), RECIPE_VERSION))
        return []
    by_name = {n["name"]: n for n in snap["nodes"]}
    listed = set()
    for rn in nodes:
        name = NODE_PREFIX + rn["id"]
        listed.add(name)
        n = by_name.get(name)
        if n is None:
            problem(codes.OCTANE_RECIPE, name, "", "is in the recipe but not in the node tree")
            continue
        if n["idname"] != rn["type"]:
            problem(codes.OCTANE_RECIPE, name, "", "is %s in the tree but %s in the recipe" % (n["idname"], rn["type"]))
            continue
        socks = {s["name"]: s for s in n["inputs"]}
        for k, v in rn.get("inputs", {}).items():
            s = socks.get(k)
            if s is None or not _close(s.get("value"), v):
                problem(codes.OCTANE_RECIPE, name, k, "holds %r in the tree but %r in the recipe" % (s and s.get("value"), v))
        for k, v in rn.get("props", {}).items():
            if not _close(n["props"].get(k), v):
                problem(codes.OCTANE_RECIPE, name, "", "property %s is %r in the tree but %r in the recipe" % (k, n["props"].get(k), v))
        if "image" in rn and (n.get("image") or {}).get("path") != rn["image"]["path"]:
            problem(codes.OCTANE_RECIPE, name, "", "shows %r in the tree but %r in the recipe"
                    % ((n.get("image") or {}).get("path"), rn["image"]["path"]))
    for n in snap["nodes"]:
        if _octane(n, facts) and n["name"] not in listed:
            problem(codes.OCTANE_RECIPE, n["name"], "", "is an Octane node the recipe does not list")
    tree_links = {(l["from_node"], l["to_node"], l["to_socket"]) for l in snap["links"]
                  if l["from_node"] in listed and l["to_node"] in listed}
    recipe_links = {(NODE_PREFIX + l["from"], NODE_PREFIX + l["to"], l["input"]) for l in links}
    for a, b, s in sorted(recipe_links - tree_links):
        problem(codes.OCTANE_RECIPE, b, s, "the recipe links it from %r; the tree does not" % a)
    for a, b, s in sorted(tree_links - recipe_links):
        problem(codes.OCTANE_RECIPE, b, s, "the tree links it from %r; the recipe does not" % a)
    return []
