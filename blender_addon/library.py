"""The local library: the shaders already in the bridge's cache, shown with their previews and
applied to the selection without the web or a network.

The bridge lists the cache entries that carry their signed delivery (``library`` list) and, on
``library`` apply, checks the entry against its signed file list again and sends the same
``import`` message as a download; the add-on imports it like any other (one undo step,
provenance, reuse of the material already in the file).
"""

from __future__ import annotations

import os
import uuid

import bpy
import bpy.utils.previews

from . import operators, panels, runtime

# Preview images by cache entry (sha256); created on register, freed on unregister.
_previews: dict = {}
MAX_SHOWN = 40


def preview(entry: dict):
    """The entry's preview image (bpy.utils.previews), loaded once; None when it has none."""
    pcoll = _previews.get("main")
    path = entry.get("preview_path") or ""
    if pcoll is None or not path or not os.path.isfile(path):
        return None
    key = entry["sha256"]
    return pcoll.get(key) or pcoll.load(key, path, "IMAGE")


def preview_icon(entry: dict) -> int:
    """The icon id of an entry's preview (0 when it has none, and in background mode, which draws no icons)."""
    item = preview(entry)
    return item.icon_id if item is not None else 0


def describe(entry: dict) -> str:
    """One line under the name: version, texture resolutions, size."""
    parts = [f"v{entry.get('version', '?')}"]
    res = [r for r in entry.get("resolutions") or [] if isinstance(r, str)]
    if res:
        parts.append(" / ".join(res))
    parts.append(panels._size(entry.get("bytes")))
    return ", ".join(parts)


def find(sha256: str, resolution: str = "") -> dict | None:
    """The listed entry; a v2 package has one entry per texture set, sharing the base's sha256."""
    for e in runtime.bridge().state.library or []:
        if e.get("sha256") == sha256 and (e.get("resolution") or "") == resolution:
            return e
    return None


class OCTANEBRIDGE_OT_library_refresh(operators.BridgeCommand, bpy.types.Operator):
    """List the shaders already downloaded to this computer"""

    bl_idname = "octane_bridge.library_refresh"
    bl_label = "Refresh Library"
    message = "library"
    fields = {"action": "list"}


class OCTANEBRIDGE_OT_library_apply(operators.NeedsBridge, bpy.types.Operator):
    """Put this shader on the selected objects from the local copy (works offline)"""

    bl_idname = "octane_bridge.library_apply"
    bl_label = "Apply"

    sha256: bpy.props.StringProperty(options={"HIDDEN", "SKIP_SAVE"})
    resolution: bpy.props.StringProperty(options={"HIDDEN", "SKIP_SAVE"})  # a v2 entry's texture set

    def execute(self, context):
        entry = find(self.sha256, self.resolution)
        if entry is None:
            self.report({"ERROR"}, "That shader is not in the local library; click Refresh Library.")
            return {"CANCELLED"}
        import_id = "library-" + uuid.uuid4().hex[:12]
        b = runtime.bridge()
        if not b.send("library", action="apply", sha256=self.sha256, resolution=self.resolution or None, import_id=import_id):
            self.report({"ERROR"}, operators.NOT_RUNNING)
            return {"CANCELLED"}
        self.report({"INFO"}, f"Applying {entry.get('name') or entry.get('shader_id')} from the local library")
        return {"FINISHED"}


class OCTANEBRIDGE_PT_library(panels.Sidebar, bpy.types.Panel):
    bl_idname = "OCTANEBRIDGE_PT_library"
    bl_label = "Local Library"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        draw_library(self.layout, context)


OCTANEBRIDGE_PT_library_shader_editor = panels.in_shader_editor(OCTANEBRIDGE_PT_library)


def draw_library(layout, context):
    st = runtime.bridge().state
    width = panels.text_width(context)
    layout.operator("octane_bridge.library_refresh", icon="FILE_REFRESH")
    if st.library is None:
        panels.wrapped(layout, "Start the bridge to see the shaders already on this computer.", width=width)
        return
    if not st.library:
        panels.wrapped(layout, "No shaders on this computer yet. Imported shaders stay here and apply without the internet.",
                       width=width)
        return
    for entry in st.library[:MAX_SHOWN]:
        box = layout.box()
        row = box.row()
        icon = preview_icon(entry)
        if icon:
            row.template_icon(icon_value=icon, scale=3.0)
        col = row.column()
        col.label(text=entry.get("name") or entry.get("shader_id", ""))
        col.label(text=describe(entry))
        op = col.operator("octane_bridge.library_apply", icon="MATERIAL")
        op.sha256, op.resolution = entry["sha256"], entry.get("resolution") or ""
    if len(st.library) > MAX_SHOWN:
        layout.label(text=f"{len(st.library) - MAX_SHOWN} more not shown (most recently used first)")


def register():
    _previews["main"] = bpy.utils.previews.new()


def unregister():
    pcoll = _previews.pop("main", None)
    if pcoll is not None:
        bpy.utils.previews.remove(pcoll)


classes = (OCTANEBRIDGE_OT_library_refresh, OCTANEBRIDGE_OT_library_apply, OCTANEBRIDGE_PT_library,
           OCTANEBRIDGE_PT_library_shader_editor)
