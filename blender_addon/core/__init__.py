"""Pure-Python logic of the add-on: no bpy here, so plain pytest covers it."""
