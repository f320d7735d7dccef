"""Inside headless Blender: scripted drivers hidden in node groups nested three deep inside a
material are stripped when the add-on imports it (a plain driver stays); nothing runs.

Args after `--`: ADDON_ZIP WORK_DIR OUT_JSON
"""
import importlib
import os
import sys

import bpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_facts import run  # noqa: E402
zip_path, work, out_path = sys.argv[sys.argv.index("--") + 1:][:3]
facts = {}
marker = os.path.join(work, "pwned.txt")
EVIL = f"__import__('os').system('touch {marker}') or 1.0"


def group(name, child=None):
    ng = bpy.data.node_groups.new(name, "ShaderNodeTree")
    v = ng.nodes.new("ShaderNodeValue")
    v.name = "Value"
    if child is not None:
        g = ng.nodes.new("ShaderNodeGroup")
        g.node_tree = child
    return ng


def scripted(idblock, path):
    fc = idblock.driver_add(path)
    fc.driver.type = "SCRIPTED"
    fc.driver.expression = EVIL
    return fc


def drivers(idblock, kind=None):
    ad = idblock.animation_data
    return 0 if ad is None else sum(1 for fc in ad.drivers if kind is None or fc.driver.type == kind)


NAMES = ("NG_Outer", "NG_Inner", "NG_Innermost")


def main():
    pkg = os.path.join(work, "pkg")
    os.makedirs(pkg, exist_ok=True)
    innermost = group("NG_Innermost")
    inner = group("NG_Inner", innermost)
    outer = group("NG_Outer", inner)
    mat = bpy.data.materials.new("OB_Nested")
    mat.use_nodes = True
    g = mat.node_tree.nodes.new("ShaderNodeGroup")
    g.node_tree = outer
    mat["x"] = 1.0
    scripted(mat, '["x"]')
    for ng in (outer, inner, innermost):
        scripted(ng, 'nodes["Value"].outputs[0].default_value')
    innermost["y"] = 1.0
    plain = innermost.driver_add('["y"]')
    plain.driver.type = "AVERAGE"
    facts["drivers_before"] = {"OB_Nested": drivers(mat), **{n: drivers(bpy.data.node_groups[n]) for n in NAMES}}
    blend = os.path.join(pkg, "material.blend")
    bpy.data.libraries.write(blend, {mat, outer, inner, innermost}, fake_user=True)
    bpy.data.materials.remove(mat)
    for n in NAMES:
        bpy.data.node_groups.remove(bpy.data.node_groups[n])
    bpy.context.preferences.filepaths.use_scripts_auto_execute = True

    from install_addon import install

    importer = importlib.import_module(install(zip_path, facts) + ".importer")
    facts["reply"] = importer.import_package(
        {"import_id": "nested", "shader_id": "nested", "version": "1.0.0", "material_name": "OB_Nested",
         "blend_path": blend, "package_dir": pkg})
    bpy.context.view_layer.update()
    bpy.context.scene.frame_set(2)
    mat = bpy.data.materials["OB_Nested"]
    facts["scripted_after"] = {"OB_Nested": drivers(mat, "SCRIPTED"),
                               **{n: drivers(bpy.data.node_groups[n], "SCRIPTED") for n in NAMES}}
    facts["plain_after"] = drivers(bpy.data.node_groups["NG_Innermost"], "AVERAGE")
    facts["marker_exists"] = os.path.exists(marker)


run(main, facts, out_path)
