"""Octane Bridge: import shaders from the Octane shader library onto the selection.

Only registration lives here (legacy add-on bl_info; Blender 4.2+ reads blender_manifest.toml).
The modules are imported inside register() so that this file imports without bpy (pytest).
"""

bl_info = {
    "name": "Octane Bridge",
    "author": "Octane Bridge",
    "version": (0, 1, 0),
    "blender": (3, 4, 0),
    "location": "3D Viewport / Shader Editor > Sidebar > Octane",
    "description": "One-click import of Octane shaders from the shader library website",
    "category": "Material",
}


def _modules():
    from . import operators, panels, preferences, runtime

    return operators, panels, preferences, runtime


def _features():
    from . import doctor, library, switching

    return library, doctor, switching


def _classes():
    operators, panels, preferences, _ = _modules()
    library, doctor, switching = _features()
    return (*preferences.classes, *operators.classes, *panels.classes, *switching.classes, *library.classes,
            *doctor.classes)


def register():
    import bpy

    _, panels, _, runtime = _modules()
    for cls in _classes():
        bpy.utils.register_class(cls)
    panels.register()
    _features()[0].register()
    runtime.register()


def unregister():
    import bpy

    _, panels, _, runtime = _modules()
    runtime.unregister()
    _features()[0].unregister()
    panels.unregister()
    for cls in reversed(_classes()):
        bpy.utils.unregister_class(cls)
