"""Sidebar panels (3D Viewport, Shader Editor); the status-bar progress is set in runtime."""

import textwrap
import time

import bpy

from . import runtime

STATE_TEXT = {
    "stopped": ("Not running", "CANCEL"),
    "starting": ("Starting…", "TIME"),
    "unpaired": ("Not connected to an account", "UNLINKED"),
    "pairing": ("Waiting for approval in the browser", "TIME"),
    "connecting": ("Connecting…", "TIME"),
    "online": ("Online: imports arrive here", "CHECKMARK"),
    "offline": ("Offline: retrying", "ERROR"),
    "error": ("Problem", "ERROR"),
}
STAGE_TEXT = {
    "queued": "Queued",
    "downloading": "Downloading",
    "verifying": "Verifying",
    "extracting": "Unpacking",
    "importing": "Importing",
}


SUBSCRIPTION_TEXT = {
    "active": ("Subscription active", "CHECKMARK"),
    "trialing": ("Subscription: trial", "CHECKMARK"),
    "past_due": ("Subscription: payment overdue", "ERROR"),
    "inactive": ("Subscription not active: renew it on the site", "ERROR"),
    "canceled": ("Subscription cancelled", "ERROR"),
}


def wrapped(layout, text, icon="NONE", width=60):
    """Labels cut long text; plain-words messages are wrapped over several lines instead."""
    lines = textwrap.wrap(text, width) or [""]
    for i, line in enumerate(lines):
        layout.label(text=line, icon=icon if i == 0 else "BLANK1")


def draw_connection(layout, st):
    text, icon = STATE_TEXT.get(st.state, (st.state, "QUESTION"))
    layout.label(text=text, icon=icon)
    if st.message:
        wrapped(layout, st.message)
    if st.state == "pairing" and st.user_code:
        col = layout.column()
        col.scale_y = 1.4
        col.label(text=f"Code: {st.user_code}", icon="KEYINGSET")
        layout.label(text="Approve it in the browser page that opened.")


def draw_account(layout, st):
    if st.paired:
        who = st.account or "your account"
        layout.label(text=f"This Blender is connected to {who}", icon="USER")
        if st.device_id:
            layout.label(text=f"Device {st.device_id[:8]}")
    else:
        layout.label(text="Not connected: click Connect to link this Blender to your account", icon="USER")
    if st.subscription:
        text, icon = SUBSCRIPTION_TEXT.get(st.subscription, (f"Subscription: {st.subscription}", "INFO"))
        layout.label(text=text, icon=icon)


def _size(n) -> str:
    n = float(n or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def draw_cache(layout, st):
    c = st.cache
    if not c:
        layout.label(text="Cache use unknown: click Refresh (the bridge must be running)")
        return
    layout.label(text=f"{c.get('entries', 0)} package(s), {_size(c.get('bytes'))} of {_size(c.get('max_bytes'))}")
    if c.get("dir"):
        layout.label(text=str(c["dir"]), icon="FILE_FOLDER")


def draw_progress(layout, cur):
    label = f"{cur.shader_name or 'Shader'}: {STAGE_TEXT.get(cur.stage, cur.stage)}"
    if hasattr(layout, "progress"):  # Blender 4.0+
        layout.progress(factor=cur.fraction, text=f"{label} {int(cur.fraction * 100)}%")
    else:
        layout.label(text=f"{label} {int(cur.fraction * 100)}%", icon="IMPORT")


class _OctaneBridgePanel:
    bl_region_type = "UI"
    bl_category = "Octane"
    bl_label = "Octane Bridge"

    def draw(self, context):
        layout = self.layout
        st = runtime.bridge().state
        draw_connection(layout.box(), st)
        row = layout.row(align=True)
        if st.paired:
            row.operator("octane_bridge.disconnect", icon="UNLINKED")
        else:
            row.operator("octane_bridge.connect", icon="LINKED")
        layout.operator("octane_bridge.browse", icon="URL")
        if st.current:
            draw_progress(layout.box(), st.current)
        if st.subscription and st.subscription != "active":
            draw_account(layout.box(), st)
        if st.recent:
            box = layout.box()
            box.label(text="Recent imports")
            for r in list(st.recent)[:5]:
                wrapped(box, f"{r.shader_name or r.import_id[:8]}: {r.text}", "CHECKMARK" if r.ok else "ERROR", 48)
        if st.errors:
            box = layout.box()
            box.label(text="Errors")
            now = time.time()
            for at, text in list(st.errors)[:3]:
                wrapped(box, f"{int((now - at) // 60)} min ago: {text}", "ERROR", 48)


class OCTANEBRIDGE_PT_view3d(_OctaneBridgePanel, bpy.types.Panel):
    bl_idname = "OCTANEBRIDGE_PT_view3d"
    bl_space_type = "VIEW_3D"


class OCTANEBRIDGE_PT_shader_editor(_OctaneBridgePanel, bpy.types.Panel):
    bl_idname = "OCTANEBRIDGE_PT_shader_editor"
    bl_space_type = "NODE_EDITOR"

    @classmethod
    def poll(cls, context):
        return getattr(context.space_data, "tree_type", "") == "ShaderNodeTree"


def register():
    pass


def unregister():
    pass


classes = (OCTANEBRIDGE_PT_view3d, OCTANEBRIDGE_PT_shader_editor)
