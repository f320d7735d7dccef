"""Checks the Octane recipes of the whole catalog against OctaneBlender's node definitions,
without Blender: python3 -m unittest test_recipe. (The built .blend files are checked by the
publisher's validator in headless Blender: internal/shaderpkg/octane/octane_check.py.)"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import materials  # noqa: E402
import octane_recipe  # noqa: E402
from octane_recipe import octane_facts  # noqa: E402

FACTS = octane_facts.load()
ALL_MAPS = [name for name, _cs in octane_recipe.MAPS.values()]
TEXTURES = octane_recipe.texture_paths(ALL_MAPS)


def set_files(spec):
    """The maps internal/texgen makes for a spec (texgen.Material.Files restated, so every wiring
    is exercised without Go; the build wires whatever the generated folder holds, and the
    validator checks the built .blend files)."""
    tex = spec.get("tex")
    if not tex:
        return []
    f = ["albedo.jpg", "roughness.jpg"]
    if tex.get("bump", 0) > 0:
        f += ["normal.png", "height.png"]
    if tex.get("metal_mask"):
        f.append("metallic.jpg")
    if tex.get("bump", 0) >= 0.3 and (spec.get("metallic", 0) < 1 or tex.get("metal_mask")):
        f.append("ao.jpg")
    return f


def recipes():
    for spec in materials.CATALOG:
        yield spec, octane_recipe.recipe(spec, octane_recipe.texture_paths(set_files(spec)), materials.RELIEF_DEPTH)


class RecipeTest(unittest.TestCase):
    def test_catalog_is_big_and_varied(self):
        self.assertGreaterEqual(materials.validate(), 48)
        cats = {s["category"] for s in materials.CATALOG}
        for c in ("metal", "plastic", "glass", "wood", "stone", "fabric", "car-paint", "emissive", "ceramic"):
            self.assertIn(c, cats)

    def test_values_sit_in_sockets_the_real_node_sends_with_their_type(self):
        for spec, g in recipes():
            for n in g["nodes"]:
                self.assertIsNotNone(FACTS.node(n["type"]), "%s: %s" % (spec["id"], n["type"]))
                sent = FACTS.sent(n["type"])
                for name, value in n["inputs"].items():
                    where = "%s: %s.%s" % (spec["id"], n["type"], name)
                    inp = FACTS.input(n["type"], name)
                    self.assertIsNotNone(inp, where + " is not a real input")
                    self.assertIn(name, sent, where + " is not sent")
                    kind = octane_facts.value_kind(inp)
                    self.assertIsNotNone(kind, where + " only takes a link")
                    self.assertTrue(octane_facts.fits(kind, value), "%s: %r is not a %s" % (where, value, kind))
                for prop in n["props"]:
                    self.assertIn(prop, FACTS.node(n["type"])["properties"], "%s: %s.%s" % (spec["id"], n["type"], prop))
                versions = FACTS.compat_versions(n["type"])
                if versions is not None:
                    self.assertIn(n["props"]["a_compatibility_version"], versions, spec["id"])

    def test_links_join_equal_pin_types(self):
        for spec, g in recipes():
            types = {n["id"]: n["type"] for n in g["nodes"]}
            for link in g["links"]:
                out = FACTS.output(types[link["from"]], link["output"])
                inp = FACTS.input(types[link["to"]], link["input"])
                where = "%s: %s -> %s.%s" % (spec["id"], link["from"], link["to"], link["input"])
                self.assertIsNotNone(out, where)
                self.assertIsNotNone(inp, where)
                self.assertEqual(out["pin_type"], inp["pin_type"], where)
                self.assertNotIn(link["input"], next(n for n in g["nodes"] if n["id"] == link["to"])["inputs"],
                                 where + ": linked and valued at once")

    def test_material_type_suits_the_category(self):
        for spec, g in recipes():
            root = next(n for n in g["nodes"] if n["id"] == g["output"]["node"])
            self.assertTrue(FACTS.is_material(root["type"]), spec["id"])
            if spec.get("transmission"):
                # The Universal material's Transmission only takes a link: glass must not be a black mirror.
                self.assertEqual(root["type"], "OctaneSpecularMaterial", spec["id"])
                self.assertGreater(max(root["inputs"]["Transmission"]), 0, spec["id"])
                self.assertAlmostEqual(root["inputs"]["Index of refraction"], spec.get("ior", 1.5), msg=spec["id"])
            elif spec.get("metallic", 0) >= 1 and not spec.get("tex", {}).get("metal_mask"):
                self.assertEqual(root["type"], "OctaneMetallicMaterial", spec["id"])
            else:
                self.assertEqual(root["type"], "OctaneUniversalMaterial", spec["id"])
                self.assertAlmostEqual(root["inputs"]["Dielectric IOR"], spec.get("ior", 1.5), msg=spec["id"])
            if spec.get("coat"):
                self.assertEqual(len(root["inputs"]["Coating"]), 3, spec["id"])
            if spec.get("emission"):
                self.assertIn({"from": "emission", "output": "Emission out", "to": "material", "input": "Emission"},
                              g["links"], spec["id"])

    def test_image_nodes_show_package_textures(self):
        for spec, g in recipes():
            for n in g["nodes"]:
                if FACTS.is_image(n["type"]):
                    self.assertIn(n["image"]["path"], TEXTURES.values(), spec["id"])
                    self.assertRegex(n["image"]["path"], r"^//textures/[a-z]+\.(jpg|png)$", spec["id"])
                    want = "sRGB" if n["id"] == "albedo" else "Non-Color"
                    self.assertEqual(n["image"]["colorspace"], want, spec["id"] + " " + n["id"])
                    self.assertNotIn("a_filename", n["props"], spec["id"])
            if "tex" in spec:
                fed = {l["input"] for l in g["links"]}
                self.assertTrue(fed & {"Albedo", "Specular color"}, spec["id"] + ": albedo map not wired")
                self.assertIn("Roughness", fed, spec["id"])
                if spec["tex"].get("bump", 0) > 0:
                    self.assertIn("Normal", fed, spec["id"])
                    self.assertIn("Displacement", fed, spec["id"])
                if spec["tex"].get("metal_mask"):
                    self.assertIn({"from": "metallic", "output": "Texture out", "to": "material", "input": "Metallic"},
                                  g["links"], spec["id"])
                # Every map of the set feeds the graph.
                images = {n["id"] for n in g["nodes"] if FACTS.is_image(n["type"])}
                self.assertEqual(images, set(octane_recipe.texture_paths(set_files(spec))), spec["id"])
                self.assertTrue(images <= {l["from"] for l in g["links"]}, spec["id"])

    def test_builder_and_validator_read_this_recipe_version(self):
        # The recipe is written here, built by the add-on and checked by the validator: three
        # programs that ship separately, so each names the version; they must agree.
        import ast
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
        for rel in ("blender_addon/octane_graph.py", "internal/shaderpkg/octane/octane_check.py"):
            with open(os.path.join(root, rel)) as f:
                tree = ast.parse(f.read())
            found = [n.value.value for n in tree.body if isinstance(n, ast.Assign)
                     and any(getattr(t, "id", "") == "RECIPE_VERSION" for t in n.targets)]
            self.assertEqual(found, [octane_recipe.RECIPE_VERSION], rel)

    def test_colours_are_linear(self):
        self.assertEqual(octane_recipe.linear((1.0, 0.5, 0.0)), [1.0, 0.21404, 0.0])


if __name__ == "__main__":
    unittest.main()
