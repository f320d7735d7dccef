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
Maps (a package's texture set, internal/texgen): albedo -> OctaneRGBImage (sRGB), times the AO
map when there is one (OctaneMultiplyTexture); normal -> OctaneRGBImage (Non-Color) -> Normal;
roughness, metallic -> OctaneGreyscaleImage (Non-Color); height -> OctaneGreyscaleImage ->
OctaneTextureDisplacement -> Displacement. Each image node is bound to the image datablock the
Principled fallback uses (OctaneBlender sends node.image), whose path is //textures/<name>.
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


# Maps by role: the file a texture set holds for it (internal/texgen names them) and the colour
# space its image datablock reads it in.
MAPS = {
    "albedo": ("albedo.jpg", "sRGB"),
    "roughness": ("roughness.jpg", "Non-Color"),
    "normal": ("normal.png", "Non-Color"),
    "height": ("height.png", "Non-Color"),
    "metallic": ("metallic.jpg", "Non-Color"),
    "ao": ("ao.jpg", "Non-Color"),
}


def texture_paths(files):
    """role -> package-relative path ("//textures/<name>") for the set file names given."""
    return {role: "//textures/" + name for role, (name, _cs) in MAPS.items() if name in files}


def recipe(spec, textures, relief_depth=0.02, facts=None):
    """The Octane graph for a catalog spec. textures maps a role of MAPS to the package-relative
    path of its image ("//textures/albedo.jpg"); relief_depth is a height of 1 in tile widths
    (catalog/materials.json), the displacement's height in metres on a 1 m tile."""
    facts = facts or octane_facts.load()
    r = _Recipe(facts)
    tex = spec.get("tex", {})
    kind = material_type(spec)
    base = linear(spec["base"])
    mat = r.node("material", kind, label=spec["name"])
    ins = mat["inputs"]

    def image(role, label):
        if role not in textures:
            return None
        path = textures[role]
        colorspace = MAPS[role][1]
        t = "OctaneRGBImage" if role in ("albedo", "normal") else "OctaneGreyscaleImage"
        return r.node(role, t, image={"path": path, "colorspace": colorspace}, label=label)["id"]

    albedo = image("albedo", "Albedo")
    rough = image("roughness", "Roughness")
    normal = image("normal", "Normal (tangent space)")
    height = image("height", "Height")
    metal = image("metallic", "Metallic")
    ao = image("ao", "Ambient occlusion")
    colour = albedo
    if albedo and ao:
        # Crevices get less light: the AO darkens the base colour (Octane has no AO input).
        r.node("albedo_ao", "OctaneMultiplyTexture", label="Albedo x AO")
        r.link(albedo, "albedo_ao", "Texture 1")
        r.link(ao, "albedo_ao", "Texture 2")
        colour = "albedo_ao"

    if kind == "OctaneSpecularMaterial":
        tint = linear(spec.get("transmission_color", spec["base"]))
        ins["Transmission"] = [round(c * spec["transmission"], 5) for c in tint]
        ins["Roughness"] = spec.get("roughness", 0.0)
        ins["Index of refraction"] = spec.get("ior", 1.5)
    elif kind == "OctaneMetallicMaterial":
        if colour:
            r.link(colour, "material", "Specular color")
        else:
            r.node("color", "OctaneRGBColor", props={"a_value": base}, label="Metal colour")
            r.link("color", "material", "Specular color")
        ins["Roughness"] = spec.get("roughness", 0.3)
    else:
        if colour:
            r.link(colour, "material", "Albedo")
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
        if metal:
            r.link(metal, "material", "Metallic")  # bare metal where the map is white
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
        r.link(rough, "material", "Roughness")
        ins.pop("Roughness", None)
    if normal:
        r.link(normal, "material", "Normal")
    if height:
        # The height map raises the surface (mid grey stays put) by up to the material's relief.
        r.node("displacement", "OctaneTextureDisplacement", label="Displacement",
               inputs={"Height": round(relief_depth * tex.get("bump", 0), 6), "Mid level": 0.5})
        r.link(height, "displacement", "Texture")
        r.link("displacement", "material", "Displacement")
    return {"recipe_version": RECIPE_VERSION, "renderer": "octane", "octane_release": facts.release,
            "min_octane": MIN_OCTANE, "output": {"node": "material", "target": "ALL"},
            "nodes": r.nodes, "links": r.links}


def to_json(graph):
    return json.dumps(graph, sort_keys=True, separators=(",", ":"))
