"""Sidebar panels (3D Viewport, Shader Editor) and the status-bar progress text."""

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


def draw_connection(layout, st):
    text, icon = STATE_TEXT.get(st.state, (st.state, "QUESTION"))
    layout.label(text=text, icon=icon)
    if st.message:
        layout.label(text=st.message)
    if st.state == "pairing" and st.user_code:
        layout.label(text=f"Code: {st.user_code}", icon="KEYINGSET")


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
        if st.recent:
            box = layout.box()
            box.label(text="Recent imports")
            for r in list(st.recent)[:5]:
                box.label(text=f"{r.shader_name or r.import_id[:8]}: {r.text}"[:120], icon="CHECKMARK" if r.ok else "ERROR")
        if st.errors:
            box = layout.box()
            box.label(text="Errors")
            now = time.time()
            for at, text in list(st.errors)[:3]:
                box.label(text=f"{int((now - at) // 60)} min ago: {text}"[:120], icon="ERROR")


class OCTANEBRIDGE_PT_view3d(_OctaneBridgePanel, bpy.types.Panel):
    bl_idname = "OCTANEBRIDGE_PT_view3d"
    bl_space_type = "VIEW_3D"


class OCTANEBRIDGE_PT_shader_editor(_OctaneBridgePanel, bpy.types.Panel):
    bl_idname = "OCTANEBRIDGE_PT_shader_editor"
    bl_space_type = "NODE_EDITOR"

    @classmethod
    def poll(cls, context):
        return getattr(context.space_data, "tree_type", "") == "ShaderNodeTree"


def draw_status_bar(self, context):
    b = runtime._session.get("bridge")
    cur = b.state.current if b else None
    if cur:
        self.layout.label(
            text=f"Octane: {cur.shader_name or 'shader'} {STAGE_TEXT.get(cur.stage, cur.stage).lower()} {int(cur.fraction * 100)}%",
            icon="IMPORT",
        )


def register():
    bpy.types.STATUSBAR_HT_header.append(draw_status_bar)


def unregister():
    bpy.types.STATUSBAR_HT_header.remove(draw_status_bar)


classes = (OCTANEBRIDGE_PT_view3d, OCTANEBRIDGE_PT_shader_editor)
