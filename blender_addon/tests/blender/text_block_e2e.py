"""Inside headless Blender: a .blend whose material drags along a text block registered as a
module (use_module=True) must run no code when the add-on imports it.

Args after `--`: ADDON_ZIP WORK_DIR OUT_JSON
"""
import importlib
import os
import sys

import bpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_facts import run  # noqa: E402
zip_path, work, out_path = sys.argv[sys.argv.index("--") + 1 :][:3]
facts = {}
marker = os.path.join(work, "pwned.txt")


def main():
    pkg = os.path.join(work, "pkg")
    os.makedirs(pkg, exist_ok=True)
    text = bpy.data.texts.new("evil.py")
    text.write(f"open({marker!r}, 'w').write('ran')\n")
    text.use_module = True
    mat = bpy.data.materials.new("OB_Evil")
    mat.use_nodes = True
    node = mat.node_tree.nodes.new("ShaderNodeScript")  # makes the text a dependency of the material
    node.mode = "INTERNAL"
    node.script = text
    # a driver with a Python expression, too
    mat["x"] = 1.0
    fc = mat.driver_add('["x"]')
    fc.driver.type = "SCRIPTED"
    fc.driver.expression = f"__import__('os').system('touch {marker}')"
    blend = os.path.join(pkg, "material.blend")
    bpy.data.libraries.write(blend, {mat, text}, fake_user=True)
    bpy.data.materials.remove(mat)
    bpy.data.texts.remove(text)
    facts["marker_before_import"] = os.path.exists(marker)
    # The strongest setting a user may have: auto-run scripts on. Still nothing may run.
    bpy.context.preferences.filepaths.use_scripts_auto_execute = True
    facts["texts_before"] = [t.name for t in bpy.data.texts]

    from install_addon import install

    importer = importlib.import_module(install(zip_path, facts) + ".importer")

    facts["reply"] = importer.import_package(
        {"import_id": "evil", "shader_id": "evil", "version": "1.0.0", "material_name": "OB_Evil",
         "blend_path": blend, "package_dir": pkg}
    )
    bpy.context.view_layer.update()
    bpy.context.scene.frame_set(2)
    mat = bpy.data.materials.get("OB_Evil")
    ad = mat.animation_data if mat else None
    facts["drivers_after"] = len(ad.drivers) if ad else 0
    facts["texts_after"] = [t.name for t in bpy.data.texts]
    facts["marker_exists"] = os.path.exists(marker)


run(main, facts, out_path)
