"""Sidebar panels (3D Viewport, Shader Editor); the status-bar progress is set in runtime."""

import textwrap
import time

import bpy

from . import runtime
from .core import words

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


def text_width(context, default=60) -> int:
    """How many characters fit on a line of the region being drawn (labels cut the rest)."""
    region = getattr(context, "region", None)
    if region is None or region.width <= 1:
        return default
    prefs = context.preferences
    px_per_char = 7.5 * prefs.view.ui_scale * getattr(prefs.system, "pixel_size", 1.0)
    return max(16, int((region.width - 70) / px_per_char))  # minus margins and the icon


def wrapped(layout, text, icon="NONE", width=60):
    """Labels cut long text; plain-words messages are wrapped over several lines instead."""
    lines = textwrap.wrap(text, width) or [""]
    for i, line in enumerate(lines):
        layout.label(text=line, icon=icon if i == 0 else "BLANK1")


def draw_connection(layout, st, width=60):
    text, icon = STATE_TEXT.get(st.state, (st.state, "QUESTION"))
    wrapped(layout, text, icon, width)
    if st.message:
        wrapped(layout, st.message, width=width)
    if st.state == "pairing" and st.user_code:
        col = layout.column()
        col.scale_y = 1.4
        col.label(text=f"Code: {st.user_code}", icon="KEYINGSET")
        wrapped(layout, "Approve it in the browser page that opened.", width=width)


def draw_problem(layout, problem, width=60, skip=()):
    """A failure in words (schemas/codes.json): its sentence and the button that fixes it."""
    wrapped(layout, problem.text, "ERROR", width)
    a = problem.action
    if a is None or a.operator in skip:
        return
    if a.operator:
        layout.operator(a.operator, text=a.label)
    elif a.url:
        layout.operator("wm.url_open", text=a.label, icon="URL").url = a.url


def draw_account(layout, st, width=60):
    if st.paired:
        who = st.account or "your account"
        wrapped(layout, f"This Blender is connected to {who}", "USER", width)
        if st.device_id:
            layout.label(text=f"Device {st.device_id[:8]}")
    else:
        wrapped(layout, "Not connected: click Connect to link this Blender to your account", "USER", width)
    if st.subscription:
        text, icon = SUBSCRIPTION_TEXT.get(st.subscription, (f"Subscription: {st.subscription}", "INFO"))
        wrapped(layout, text, icon, width)


def _size(n) -> str:
    n = float(n or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def draw_cache(layout, st, width=60):
    c = st.cache
    if not c:
        wrapped(layout, "Cache use unknown: click Refresh (the bridge must be running)", width=width)
        return
    layout.label(text=f"{c.get('entries', 0)} package(s), {_size(c.get('bytes'))} of {_size(c.get('max_bytes'))}")
    if c.get("dir"):
        layout.label(text=str(c["dir"]), icon="FILE_FOLDER")


def draw_connect(layout, st):
    """Connect, or Disconnect once this Blender is paired."""
    if st.paired:
        layout.operator("octane_bridge.disconnect", icon="UNLINKED")
    else:
        layout.operator("octane_bridge.connect", icon="LINKED")


def draw_progress(layout, cur):
    pct = f"{STAGE_TEXT.get(cur.stage, cur.stage)} {int(cur.fraction * 100)}%"
    if hasattr(layout, "progress"):  # Blender 4.0+
        layout.label(text=cur.shader_name or "Shader", icon="IMPORT")
        layout.progress(factor=cur.fraction, text=pct)
    else:
        layout.label(text=cur.shader_name or "Shader", icon="IMPORT")
        layout.label(text=pct)
    if cur.stage != "importing":
        layout.operator("octane_bridge.cancel_import", icon="CANCEL").import_id = cur.import_id


class Sidebar:
    """Where every panel of the add-on is: the 3D Viewport's sidebar, Octane tab (in_shader_editor
    puts a panel in the Shader Editor's as well)."""

    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Octane"


class _OctaneBridgePanel(Sidebar):
    bl_label = "Octane Bridge"

    def draw(self, context):
        layout = self.layout
        st = runtime.bridge().state
        width = text_width(context)
        draw_connection(layout.box(), st, width)
        problem = words.connection_problem(st.state) or (words.problem(st.problem) if st.problem else None)
        if problem is not None:
            # Connect is the button right below; every other fix gets its own.
            draw_problem(layout.box(), problem, width, skip=("octane_bridge.connect",))
        draw_connect(layout.row(align=True), st)
        layout.operator("octane_bridge.browse", icon="URL")
        if st.current:
            draw_progress(layout.box(), st.current)
        if st.subscription and st.subscription != "active":
            draw_account(layout.box(), st, width)
        if st.recent:
            box = layout.box()
            box.label(text="Recent imports")
            for r in list(st.recent)[:5]:
                wrapped(box, f"{r.shader_name or r.import_id[:8]}: {r.text}", "CHECKMARK" if r.ok else "ERROR", width)
        if st.errors:
            box = layout.box()
            box.label(text="Errors")
            now = time.time()
            for at, text in list(st.errors)[:3]:
                wrapped(box, f"{int((now - at) // 60)} min ago: {text}", "ERROR", width)


class OCTANEBRIDGE_PT_view3d(_OctaneBridgePanel, bpy.types.Panel):
    bl_idname = "OCTANEBRIDGE_PT_view3d"


class OCTANEBRIDGE_PT_shader_editor(_OctaneBridgePanel, bpy.types.Panel):
    bl_idname = "OCTANEBRIDGE_PT_shader_editor"
    bl_space_type = "NODE_EDITOR"

    @classmethod
    def poll(cls, context):
        return getattr(context.space_data, "tree_type", "") == "ShaderNodeTree"


def in_shader_editor(panel):
    """The same sidebar panel in the Shader Editor, shown for shader node trees (and when the
    panel's own poll, if it has one, agrees)."""
    own = panel.__dict__.get("poll")

    def poll(cls, context):
        return getattr(context.space_data, "tree_type", "") == "ShaderNodeTree" and (own is None or own.__func__(cls, context))

    name = panel.bl_idname + "_shader_editor"
    return type(name, (panel,), {"bl_idname": name, "bl_space_type": "NODE_EDITOR", "poll": classmethod(poll)})


def register():
    pass


def unregister():
    pass


classes = (OCTANEBRIDGE_PT_view3d, OCTANEBRIDGE_PT_shader_editor)
