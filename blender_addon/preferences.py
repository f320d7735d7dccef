"""Add-on preferences: site, cache, log level, and the connection controls."""

import bpy

from . import runtime
from .core import config


def _settings_changed(self, context):
    # The bridge reads its settings from hello only: restart it so a change applies now.
    b = runtime._session.get("bridge")
    if b is not None and b.running:
        runtime.restart(context)


class OCTANEBRIDGE_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    site_url: bpy.props.StringProperty(
        name="Site URL",
        description="Shader library site (self-hosted or local)",
        default=config.DEFAULT_SITE_URL,
        update=_settings_changed,
    )
    cache_dir: bpy.props.StringProperty(
        name="Cache folder",
        description="Where downloaded shader packages are kept (empty: the bridge's default)",
        subtype="DIR_PATH",
        default="",
        update=_settings_changed,
    )
    cache_max_gb: bpy.props.FloatProperty(
        name="Cache size cap (GB)",
        description="Least recently used packages are removed above this size",
        min=0.1,
        max=1000.0,
        default=5.0,
        update=_settings_changed,
    )
    log_level: bpy.props.EnumProperty(
        name="Log level",
        items=[(v, v.title(), "") for v in config.LOG_LEVELS],
        default="info",
        update=_settings_changed,
    )
    auto_start: bpy.props.BoolProperty(
        name="Start the bridge with Blender",
        description="Start the bridge when Blender starts or a file is loaded",
        default=True,
    )

    def draw(self, context):
        from .panels import draw_account, draw_cache, draw_connect, draw_connection, text_width

        layout = self.layout
        env = runtime.env()
        col = layout.column()
        for prop, hello_field in (("site_url", "site_url"), ("cache_dir", "cache_dir"),
                                  ("cache_max_gb", "cache_max_bytes"), ("log_level", "log_level")):
            row = col.row()
            var = env.source(hello_field)
            row.enabled = var is None
            row.prop(self, prop)
            if var:
                col.label(text=f"{var}={env.values[hello_field]} for this session", icon="INFO")
        col.prop(self, "auto_start")
        if not runtime.online_allowed():
            col.label(text="Online access is disabled (Preferences > System > Network): the bridge stays off.", icon="ERROR")

        st = runtime.bridge().state
        box = layout.box()
        box.label(text="Connection", icon="LINKED")
        width = text_width(context, 100)
        draw_connection(box, st, width)
        draw_account(box, st, width)
        row = box.row()
        draw_connect(row, st)
        row.operator("octane_bridge.browse", icon="URL")
        row.operator("octane_bridge.account", icon="USER")

        box = layout.box()
        box.label(text="Cache", icon="FILE_FOLDER")
        draw_cache(box, st, width)
        row = box.row()
        row.operator("octane_bridge.cache_stats", icon="FILE_REFRESH")
        row.operator("octane_bridge.clear_cache", icon="TRASH")


classes = (OCTANEBRIDGE_AP_preferences,)
