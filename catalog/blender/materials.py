"""The demo catalog: catalog/materials.json (one object per shader), importable without Blender.

The same file feeds the Go texture generator (internal/texgen reads "id", "metallic", "tex").
Colours are sRGB 0..1 (as a colour picker shows them); build.py converts to linear.
Keys: id, name, category, tags, desc, free, base, metallic, roughness, specular, ior,
transmission, coat, coat_roughness, sheen, anisotropy, subsurface, emission ([r,g,b], power),
tex: {kind, colors, scale, rough [min, max], bump, metal_mask, vein_width, emit_from_albedo}:
the procedural description the generator turns into 1k/2k/4k maps (a material without one is
uniform: its values are exact at every size, so it ships no maps).
"""
import json
import os

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "materials.json")
with open(PATH) as _f:
    _DOC = json.load(_f)
CATALOG = _DOC["materials"]
# Height 1 of a height map, in tile widths (texgen's normal maps use the same).
RELIEF_DEPTH = _DOC["relief_depth"]


def validate(catalog=CATALOG):
    """Catches typos before Blender spends minutes on them."""
    import re
    seen = set()
    for s in catalog:
        assert re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?", s["id"]), s["id"]
        assert s["id"] not in seen, s["id"]
        seen.add(s["id"])
        assert 0 < len(s["name"]) <= 80 and len(s["tags"]) <= 16
        assert s["category"] in {"metal", "plastic", "glass", "wood", "stone", "fabric", "car-paint", "emissive",
                                 "ceramic", "organic", "ground", "fx"}, s["category"]
        assert len(s["base"]) == 3
    return len(catalog)


if __name__ == "__main__":
    print(validate(), "materials")
