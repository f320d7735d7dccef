"""Test data made inside Blender for the e2e scripts."""
import os

import bpy


def write_png(path, rgba, size=4):
    """A size x size PNG of one colour (r, g, b, a), written through Blender the way a texture is."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    img = bpy.data.images.new(os.path.basename(path), size, size)
    img.pixels = list(rgba) * (size * size)
    img.filepath_raw = path
    img.file_format = "PNG"
    img.save()
    bpy.data.images.remove(img)
