"""Add-on preferences: site, cache, log level, and the connection controls."""

import bpy

from . import runtime


class OCTANEBRIDGE_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    site_url: bpy.props.StringProperty(
        name="Site URL",
        description="Shader library site (self-hosted or local)",
        default="http://127.0.0.1:3000",
    )
    cache_dir: bpy.props.StringProperty(
        name="Cache folder",
        description="Where downloaded shader packages are kept (empty: the bridge's default)",
        subtype="DIR_PATH",
        default="",
    )
    cache_max_gb: bpy.props.FloatProperty(
        name="Cache size cap (GB)", min=0.1, max=1000.0, default=5.0
    )
    log_level: bpy.props.EnumProperty(
        name="Log level",
        items=[(v, v.title(), "") for v in ("debug", "info", "warn", "error")],
        default="info",
    )
    auto_start: bpy.props.BoolProperty(
        name="Start the bridge with Blender",
        description="Start the bridge when Blender starts or a file is loaded",
        default=True,
    )

    def draw(self, context):
        layout = self.layout
        col = layout.column()
        col.prop(self, "site_url")
        col.prop(self, "cache_dir")
        col.prop(self, "cache_max_gb")
        col.prop(self, "log_level")
        col.prop(self, "auto_start")
        box = layout.box()
        from .panels import draw_connection

        draw_connection(box, runtime.bridge().state)
        row = box.row()
        row.operator("octane_bridge.connect", icon="LINKED")
        row.operator("octane_bridge.disconnect", icon="UNLINKED")
        row.operator("octane_bridge.browse", icon="URL")
        row = box.row()
        row.operator("octane_bridge.clear_cache", icon="TRASH")


classes = (OCTANEBRIDGE_AP_preferences,)
