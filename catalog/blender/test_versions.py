import json
import os
import tempfile
import unittest

import versions


def entry(sid, version):
    return {"shader_id": sid, "version": version, "package": "packages/%s-%s.zip" % (sid, version)}


class Versions(unittest.TestCase):
    def test_regenerated_shaders_get_the_next_patch_and_new_ones_start_at_1_0_0(self):
        index = {"oak": entry("oak", "1.0.0"), "gold": entry("gold", "2.3.9")}
        self.assertEqual(versions.next_versions(index, ["oak", "gold", "jade"]),
                         {"oak": "1.0.1", "gold": "2.3.10", "jade": "1.0.0"})

    def test_only_regenerated_shaders_change(self):
        index = {"oak": entry("oak", "1.0.0"), "gold": entry("gold", "1.0.4")}
        self.assertEqual(versions.next_versions(index, ["gold"]), {"gold": "1.0.5"})

    def test_moving_to_format_v2_bumps_the_minor_version(self):
        index = {"oak": entry("oak", "1.0.1"), "gold": entry("gold", "1.0.4")}
        self.assertEqual(versions.next_versions(index, ["oak", "gold"], v2={"oak"}), {"oak": "1.1.0", "gold": "1.0.5"})
        index["oak"] = dict(entry("oak", "1.1.0"), schema_version=2)
        self.assertEqual(versions.next_versions(index, ["oak"], v2={"oak"}), {"oak": "1.1.1"})

    def test_the_index_holds_a_shaders_newest_row(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "catalog.json")
            with open(path, "w") as f:
                json.dump({"shaders": [dict(entry("oak", "1.1.0"), schema_version=2), entry("oak", "1.0.1")]}, f)
            self.assertEqual(versions.read_index(path)["oak"]["version"], "1.1.0")
            self.assertEqual(len(versions.read_rows(path)), 2)

    def test_superseded_lists_the_packages_the_new_index_dropped(self):
        old = [entry("oak", "1.0.0"), entry("gold", "1.0.4")]
        new = [entry("oak", "1.0.1"), entry("gold", "1.0.4")]
        self.assertEqual(versions.superseded(old, new), ["packages/oak-1.0.0.zip"])
        self.assertEqual(versions.superseded(new, new), [])

    def test_read_index(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "catalog.json")
            self.assertEqual(versions.read_index(path), {})
            with open(path, "w") as f:
                json.dump({"shaders": [entry("oak", "1.0.2")]}, f)
            self.assertEqual(versions.read_index(path)["oak"]["version"], "1.0.2")

    def test_the_committed_catalog_reads(self):
        here = os.path.dirname(os.path.abspath(__file__))
        index = versions.read_index(os.path.join(here, "..", "demo", "catalog.json"))
        self.assertGreaterEqual(len(index), 48)
        for sid, v in versions.next_versions(index, list(index)).items():
            self.assertNotEqual(v, index[sid]["version"])


if __name__ == "__main__":
    unittest.main()
