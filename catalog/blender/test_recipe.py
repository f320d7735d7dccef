"""Checks the Octane recipes of the whole catalog without Blender: python3 -m unittest."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import materials  # noqa: E402
import octane_graph  # noqa: E402


class RecipeTest(unittest.TestCase):
    def test_catalog_is_big_and_varied(self):
        self.assertGreaterEqual(materials.validate(), 48)
        cats = {s["category"] for s in materials.CATALOG}
        for c in ("metal", "plastic", "glass", "wood", "stone", "fabric", "car-paint", "emissive", "ceramic"):
            self.assertIn(c, cats)

    def test_every_recipe_is_consistent(self):
        for spec in materials.CATALOG:
            tex = {"albedo": "//textures/1k/a.jpg", "rough": "//textures/1k/r.jpg"} if "tex" in spec else {}
            g = octane_graph.recipe(spec, tex)
            ids = {n["id"]: n for n in g["nodes"]}
            self.assertEqual(g["output"], {"node": "material", "target": "ALL"}, spec["id"])
            self.assertEqual(ids["material"]["type"], "OctaneUniversalMaterial")
            for n in g["nodes"]:
                self.assertIn(n["type"], octane_graph.NODE_INPUTS, spec["id"])
                known = {name for name, _, _ in octane_graph.NODE_INPUTS[n["type"]]}
                for k in n.get("inputs", {}):
                    self.assertIn(k, known, "%s: %s.%s" % (spec["id"], n["type"], k))
                if n["type"].endswith("Image"):
                    self.assertTrue(n["props"]["a_filename"].startswith("//textures/"), spec["id"])
            for link in g["links"]:
                self.assertIn(link["from"], ids)
                to = ids[link["to"]]
                known = {name for name, _, _ in octane_graph.NODE_INPUTS[to["type"]]}
                self.assertIn(link["input"], known, spec["id"])
            if spec.get("emission"):
                self.assertTrue(any(l["input"] == "Emission" for l in g["links"]), spec["id"])
            if spec.get("transmission"):
                self.assertGreater(max(ids["material"]["inputs"]["Transmission"]), 0, spec["id"])

    def test_socket_idnames_follow_octaneblender(self):
        self.assertEqual(octane_graph.socket_idname("OctaneUniversalMaterial", "Albedo"), "OctaneUniversalMaterialAlbedo")
        self.assertEqual(octane_graph.socket_idname("OctaneUniversalMaterial", "Dielectric IOR"),
                         "OctaneUniversalMaterialDielectricIOR")


if __name__ == "__main__":
    unittest.main()
