"""The Octane graph of a catalog material, as a recipe (plain data, no Blender needed).

recipe(spec, textures) picks the Octane material type for the spec and sets values only on the
sockets the real OctaneBlender node sends, with the type that socket reads (checked against the
facts file, internal/shaderpkg/octane/octane-nodes.json, by test_recipe.py and, on the built
.blend, by the publisher's validator). blender_addon/octane_graph.py turns the recipe into nodes.

- glass and liquids (anything that transmits light): OctaneSpecularMaterial, whose Transmission
  is a colour (the Universal material's Transmission only takes a link);
- pure metals: OctaneMetallicMaterial, its reflection colour linked from an RGB colour or image
  node ("Specular color" reads a texture);
- everything else, including metals with a metal mask and car paint: OctaneUniversalMaterial.
Maps: albedo -> OctaneRGBImage (sRGB), roughness/height -> OctaneGreyscaleImage (Non-Color), each
bound to the image datablock the Principled fallback uses (OctaneBlender sends node.image).
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "internal", "shaderpkg", "octane"))
import octane_facts  # noqa: E402

RECIPE_VERSION = 2
MIN_OCTANE = "2024.1"


def linear(c):
    """sRGB -> linear, per channel (colour sockets hold scene-linear values, like Blender's)."""
    return [round(x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4, 5) for x in c]


def material_type(spec):
    if spec.get("transmission", 0) > 0:
        return "OctaneSpecularMaterial"
    if spec.get("metallic", 0) >= 1.0 and not spec.get("tex", {}).get("metal_mask"):
        return "OctaneMetallicMaterial"
    return "OctaneUniversalMaterial"


class _Recipe:
    def __init__(self, facts):
        self.facts = facts
        self.nodes, self.links = [], []

    def node(self, id_, type_, inputs=None, props=None, image=None, label=""):
        n = {"id": id_, "type": type_, "inputs": inputs or {}, "props": props or {}}
        compat = self.facts.default_compat(type_)
        if compat is not None:
            n["props"].setdefault("a_compatibility_version", compat)
        if image:
            n["image"] = image
        if label:
            n["label"] = label
        self.nodes.append(n)
        return n

    def link(self, src, dst, input_name):
        out = self.facts.output(next(n["type"] for n in self.nodes if n["id"] == src))["name"]
        self.links.append({"from": src, "output": out, "to": dst, "input": input_name})


def recipe(spec, textures, facts=None):
    """The Octane graph for a catalog spec. textures maps a role ("albedo", "rough") to the
    package-relative path of its image (e.g. "//textures/1k/oak-wood_albedo.jpg")."""
    facts = facts or octane_facts.load()
    r = _Recipe(facts)
    tex = spec.get("tex", {})
    kind = material_type(spec)
    base = linear(spec["base"])
    mat = r.node("material", kind, label=spec["name"])
    ins = mat["inputs"]

    albedo = rough = None
    if "albedo" in textures:
        albedo = r.node("albedo", "OctaneRGBImage", image={"path": textures["albedo"], "colorspace": "sRGB"},
                        label="Albedo")["id"]
    if "rough" in textures:
        rough = r.node("rough", "OctaneGreyscaleImage", image={"path": textures["rough"], "colorspace": "Non-Color"},
                       label="Roughness / height")["id"]

    if kind == "OctaneSpecularMaterial":
        tint = linear(spec.get("transmission_color", spec["base"]))
        ins["Transmission"] = [round(c * spec["transmission"], 5) for c in tint]
        ins["Roughness"] = spec.get("roughness", 0.0)
        ins["Index of refraction"] = spec.get("ior", 1.5)
    elif kind == "OctaneMetallicMaterial":
        if albedo:
            r.link(albedo, "material", "Specular color")
        else:
            r.node("color", "OctaneRGBColor", props={"a_value": base}, label="Metal colour")
            r.link("color", "material", "Specular color")
        ins["Roughness"] = spec.get("roughness", 0.3)
    else:
        if albedo:
            r.link(albedo, "material", "Albedo")
        else:
            ins["Albedo"] = base
        ins["Metallic"] = spec.get("metallic", 0.0)
        ins["Specular"] = round(spec.get("specular", 0.5) * 2.0, 5)
        ins["Roughness"] = spec.get("roughness", 0.5)
        ins["Dielectric IOR"] = spec.get("ior", 1.5)
        if spec.get("coat"):
            ins["Coating"] = [spec["coat"]] * 3
            ins["Coating roughness"] = spec.get("coat_roughness", 0.03)
        if spec.get("sheen"):
            ins["Sheen"] = [round(spec["sheen"] * c, 5) for c in base]
        if tex.get("metal_mask") and rough:
            # Bare metal where the surface is smooth: the roughness map, inverted.
            r.node("metal_mask", "OctaneGreyscaleImage", inputs={"Invert": True},
                   image={"path": textures["rough"], "colorspace": "Non-Color"}, label="Metal mask")
            r.link("metal_mask", "material", "Metallic")
            ins.pop("Metallic")
        if spec.get("emission"):
            color, power = spec["emission"]
            em = r.node("emission", "OctaneTextureEmission", label="Emission",
                        inputs={"Power": power, "Surface brightness": True})
            if tex.get("emit_from_albedo") and albedo:
                r.link(albedo, "emission", "Texture")
            else:
                em["inputs"]["Texture"] = linear(color)
            r.link("emission", "material", "Emission")
    if spec.get("anisotropy"):
        ins["Anisotropy"] = spec["anisotropy"]
    if rough:
        if tex.get("rough_map", True):
            r.link(rough, "material", "Roughness")
            ins.pop("Roughness", None)
        if tex.get("bump", 0) > 0:
            r.link(rough, "material", "Bump")
            ins["Bump height"] = round(0.01 * tex["bump"], 5)
    return {"recipe_version": RECIPE_VERSION, "renderer": "octane", "octane_release": facts.release,
            "min_octane": MIN_OCTANE, "output": {"node": "material", "target": "ALL"},
            "nodes": r.nodes, "links": r.links}


def to_json(graph):
    return json.dumps(graph, sort_keys=True, separators=(",", ":"))
