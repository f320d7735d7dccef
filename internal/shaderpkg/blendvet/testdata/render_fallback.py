"""Render the material of a package's material.blend in stock Cycles and report brightness.

    blender -b --factory-startup -noaudio --disable-autoexec --python-exit-code 1 \
        -P render_fallback.py -- BLEND OUT.json [--strip-fallback]

--strip-fallback deletes the CYCLES/EEVEE outputs first, leaving only the Octane (ALL) graph,
which stock Blender cannot render: the sphere must then come out black. That control run proves
the brightness check can fail.
"""
import json
import math
import os
import sys
import tempfile

import bpy

argv = sys.argv[sys.argv.index("--") + 1:]
blend, out = argv[0], argv[1]
strip = "--strip-fallback" in argv

with bpy.data.libraries.load(blend, link=False) as (src, dst):
    dst.materials = list(src.materials)
mat = dst.materials[0]
if strip:
    for n in list(mat.node_tree.nodes):
        if n.bl_idname == "ShaderNodeOutputMaterial" and n.target in ("CYCLES", "EEVEE"):
            mat.node_tree.nodes.remove(n)

sc = bpy.context.scene
for ob in list(sc.objects):
    bpy.data.objects.remove(ob)
sc.render.engine = "CYCLES"
sc.cycles.device = "CPU"
sc.cycles.samples = 8
sc.cycles.use_denoising = False
sc.render.resolution_x = sc.render.resolution_y = 48
sc.render.threads_mode = "FIXED"
sc.render.threads = 1
sc.view_settings.view_transform = "Standard"
sc.world = bpy.data.worlds.new("W")
sc.world.color = (0.0, 0.0, 0.0)

bpy.ops.mesh.primitive_uv_sphere_add(radius=1.0)
sphere = bpy.context.active_object
sphere.data.materials.append(mat)
light = bpy.data.objects.new("L", bpy.data.lights.new("L", "SUN"))
light.data.energy = 4.0
light.rotation_euler = (math.radians(30), 0, math.radians(30))
sc.collection.objects.link(light)
cam = bpy.data.objects.new("C", bpy.data.cameras.new("C"))
cam.location = (0, -4.5, 0)
cam.rotation_euler = (math.radians(90), 0, 0)
sc.collection.objects.link(cam)
sc.camera = cam

path = os.path.join(tempfile.mkdtemp(), "fallback.png")
sc.render.filepath = path
sc.render.image_settings.file_format = "PNG"
bpy.ops.render.render(write_still=True)
img = bpy.data.images.load(path)
w, h = img.size
px = list(img.pixels)
# Mean of the central square (inside the sphere's silhouette).
vals = []
for y in range(h // 3, 2 * h // 3):
    for x in range(w // 3, 2 * w // 3):
        i = (y * w + x) * 4
        vals.append((px[i] + px[i + 1] + px[i + 2]) / 3)
with open(out, "w") as f:
    json.dump({"mean": sum(vals) / len(vals), "material": mat.name}, f)
