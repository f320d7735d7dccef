"""Switch resolution and Update to vX.Y.Z for a material already in the file (issue 16).

The operators only ask: they send ``request_import`` to the bridge, which asks the edge with this
device's credential (the same entitlement-checked, signed path as an import from the site) and
then runs the import as usual; the import arrives with ``apply`` = switch or update and the
importer changes the material in place (importer._switch, importer._update), one undo step.
The panel shows the active object's active material: shader, version, resolution, the
resolutions with their download sizes, the newest version (``shader_info``), and the request's
progress or failure in words (schemas/codes.json).
"""

from __future__ import annotations

import uuid

import bpy

from . import operators, panels, runtime
from .core import compat, provenance, words
from .core.state import Request


def material_of(context, name: str = ""):
    """The named material, else the active object's active material; None when there is none."""
    if name:
        return bpy.data.materials.get(name)
    ob = getattr(context, "object", None) or getattr(context, "active_object", None)
    return ob.active_material if ob is not None else None


def imported(mat) -> dict | None:
    """What the material records about its shader: shader_id, version, resolution, name and the
    sizes of its version's texture sets; None for a material that did not come from the library."""
    if mat is None or mat.library is not None:
        return None
    pv = provenance.provenance(mat)
    if pv is None:
        return None
    pkg = mat.get(provenance.PACKAGE)
    sizes = pkg.get("sizes") if pkg is not None and hasattr(pkg, "get") else None
    name = pkg.get("name") if pkg is not None and hasattr(pkg, "get") else None
    return {"shader_id": pv[0], "version": pv[1], "resolution": provenance.resolution(mat),
            "name": name if isinstance(name, str) else "",
            "sizes": {str(k): float(v) for k, v in sizes.items()} if hasattr(sizes, "items") else {}}


def resolutions(info: dict, shader: dict | None) -> list:
    """(resolution, bytes or None) the material's version offers, ascending: its own record, else
    the library's answer when that is about the same version."""
    sizes = dict(info["sizes"])
    if not sizes and shader and shader.get("latest_version") == info["version"]:
        sizes = {s["resolution"]: s.get("size") for s in shader.get("texture_sets") or [] if isinstance(s, dict)}
    return sorted(sizes.items(), key=lambda kv: _res_number(kv[0]))


def newer_version(info: dict, shader: dict | None) -> str:
    """The library's newest version when it is newer than the material's ("" otherwise)."""
    latest = (shader or {}).get("latest_version")
    if not isinstance(latest, str) or not latest:
        return ""
    have, new = compat.version(info["version"]), compat.version(latest)
    return latest if have is not None and new is not None and new > have else ""


def _res_number(res: str) -> int:
    try:
        return int(res.rstrip("k"))
    except ValueError:
        return 0


def _ask(purpose: str, mat, info: dict, resolution: str = "", version: str = "") -> str:
    """Sends request_import; returns "" or why it could not be sent."""
    b = runtime.bridge()
    req = Request(uuid.uuid4().hex[:12], purpose, info["shader_id"], mat.name, resolution, version)
    if not b.send("request_import", id=req.id, shader=req.shader, version=version or None,
                  resolution=resolution or None, purpose=purpose, material=mat.name):
        return operators.NOT_RUNNING
    b.state.request(req)
    return ""


def ask_shader_info(slug: str) -> bool:
    """Asks the library about a shader once per session, while online (the answer fills
    state.shaders)."""
    b = runtime.bridge()
    if slug in b.state.shaders or not b.running or b.state.state != "online":
        return False
    rid = uuid.uuid4().hex[:12]
    if b.send("shader_info", id=rid, shader=slug):
        b.state.shaders[slug] = None  # asked; the answer (or its error) replaces it
        b.state.shader_asks[rid] = slug
        return True
    return False


class _MaterialOperator(operators.NeedsBridge):
    changes = True  # the operator's import changes the material (switch, update)
    material: bpy.props.StringProperty(
        name="Material", description="The material to change (default: the active object's active material)",
        options={"SKIP_SAVE"})

    def target(self, context):
        mat = material_of(context, self.material)
        info = imported(mat)
        if info is None:
            self.report({"ERROR"}, "The active material did not come from the shader library.")
        elif self.changes and getattr(context, "mode", "OBJECT").startswith("EDIT"):
            # Edit Mode's undo steps are the mesh's: the change could not be undone.
            self.report({"ERROR"}, "Leave Edit Mode first, so that Undo can revert the change.")
            info = None
        return mat, info


class OCTANEBRIDGE_OT_switch_resolution(_MaterialOperator, bpy.types.Operator):
    """Show this material's textures at another resolution: only that texture set is downloaded, and the
    same material (on every object and slot) shows it; one undo step"""

    bl_idname = "octane_bridge.switch_resolution"
    bl_label = "Switch Resolution"

    resolution: bpy.props.StringProperty(name="Resolution", description="e.g. 2k", options={"SKIP_SAVE"})

    def execute(self, context):
        mat, info = self.target(context)
        if info is None:
            return {"CANCELLED"}
        if not self.resolution:
            self.report({"ERROR"}, "Choose a resolution, e.g. 2k.")
            return {"CANCELLED"}
        if self.resolution == info["resolution"]:
            self.report({"INFO"}, f'"{mat.name}" already shows its {self.resolution} textures.')
            return {"CANCELLED"}
        why = _ask("switch", mat, info, resolution=self.resolution, version=info["version"])
        if why:
            self.report({"ERROR"}, why)
            return {"CANCELLED"}
        self.report({"INFO"}, f'Switching "{mat.name}" to {self.resolution}')
        return {"FINISHED"}


class OCTANEBRIDGE_OT_update_material(_MaterialOperator, bpy.types.Operator):
    """Replace this material by a newer version of its shader on every object and slot that shows it,
    keeping its name and resolution; one undo step"""

    bl_idname = "octane_bridge.update_material"
    bl_label = "Update Material"

    version: bpy.props.StringProperty(
        name="Version", description="e.g. 1.1.0 (default: the newest published version)", options={"SKIP_SAVE"})

    def execute(self, context):
        mat, info = self.target(context)
        if info is None:
            return {"CANCELLED"}
        shader = runtime.bridge().state.shaders.get(info["shader_id"]) or {}
        version = self.version or newer_version(info, shader) or ""
        # Keep the resolution when the new version has it; else the account's default decides.
        offered = {s.get("resolution") for s in shader.get("texture_sets") or [] if isinstance(s, dict)}
        res = info["resolution"] if info["resolution"] and (not offered or info["resolution"] in offered) else ""
        why = _ask("update", mat, info, resolution=res, version=version)
        if why:
            self.report({"ERROR"}, why)
            return {"CANCELLED"}
        self.report({"INFO"}, f'Updating "{mat.name}"' + (f" to v{version}" if version else ""))
        return {"FINISHED"}


class OCTANEBRIDGE_OT_shader_info(_MaterialOperator, bpy.types.Operator):
    """Ask the shader library for this material's newest version and its resolutions"""

    bl_idname = "octane_bridge.shader_info"
    bl_label = "Check for Updates"
    changes = False

    def execute(self, context):
        mat, info = self.target(context)
        if info is None:
            return {"CANCELLED"}
        runtime.bridge().state.shaders.pop(info["shader_id"], None)
        if not ask_shader_info(info["shader_id"]):
            self.report({"ERROR"}, "The bridge is not online: click Connect, or check the connection.")
            return {"CANCELLED"}
        return {"FINISHED"}


def draw_material(layout, context):
    st = runtime.bridge().state
    width = panels.text_width(context)
    mat = material_of(context)
    info = imported(mat)
    if info is None:
        panels.wrapped(layout, "The active material did not come from the shader library.", width=width)
        return
    ask_shader_info(info["shader_id"])
    shader = st.shaders.get(info["shader_id"])
    col = layout.column(align=True)
    col.label(text=info["name"] or (shader or {}).get("name") or info["shader_id"], icon="MATERIAL")
    col.label(text=f"Material {mat.name}")
    col.label(text=f"Version {info['version']}")
    col.label(text=f"Resolution {info['resolution'] or 'one (not switchable)'}")
    req = st.request_for(mat.name)
    busy = req is not None and req.active
    offered = resolutions(info, shader)
    if len(offered) > 1:
        box = layout.box()
        box.label(text="Switch Resolution")
        grid = box.column(align=True)
        grid.enabled = not busy
        for res, size in offered:
            label = f"{res}  ({panels._size(size)} download)" if size else res
            if res == info["resolution"]:
                grid.label(text=f"{res}: shown now", icon="CHECKMARK")
                continue
            op = grid.operator("octane_bridge.switch_resolution", text=label, icon="IMAGE_DATA")
            op.resolution, op.material = res, mat.name
    newer = newer_version(info, shader)
    if newer:
        row = layout.row()
        row.enabled = not busy
        op = row.operator("octane_bridge.update_material", text=f"Update to v{newer}", icon="FILE_REFRESH")
        op.version, op.material = newer, mat.name
        if shader and shader.get("entitled") is False:
            panels.wrapped(layout, "Your subscription does not include this shader: updating needs it.", width=width)
    elif isinstance(shader, dict) and shader.get("error"):
        panels.wrapped(layout, shader["error"], "ERROR", width)
    elif info["shader_id"] in st.shaders and shader is None:
        layout.label(text="Checking for a newer version…", icon="TIME")
    elif shader:
        layout.label(text="This is the newest version.", icon="CHECKMARK")
    if req is not None:
        draw_request(layout.box(), req, st, width)


def draw_request(layout, req, st, width):
    """The switch or update of this material: its progress while it runs, then how it ended."""
    if req.active:
        cur = st.current if st.current and st.current.import_id == req.import_id and req.import_id else None
        stage = panels.STAGE_TEXT.get(cur.stage, cur.stage) if cur else "Asking the library"
        text = f"{req.describe()}: {stage}"
        if cur is not None and hasattr(layout, "progress"):
            layout.progress(factor=cur.fraction, text=f"{text} {int(cur.fraction * 100)}%")
        else:
            layout.label(text=text + (f" {int(cur.fraction * 100)}%" if cur else "…"), icon="TIME")
    elif req.status == "failed" and req.code:
        panels.draw_problem(layout, words.problem(req.code, req.text), width)
    elif req.status == "failed":  # cancelled
        panels.wrapped(layout, req.text or f"{req.describe()}: stopped.", "CANCEL", width)
    else:
        panels.wrapped(layout, req.text or f"{req.describe()}: done.", "CHECKMARK", width)


class OCTANEBRIDGE_PT_material(panels.Sidebar, bpy.types.Panel):
    bl_idname = "OCTANEBRIDGE_PT_material"
    bl_label = "Shader"

    @classmethod
    def poll(cls, context):
        return imported(material_of(context)) is not None

    def draw(self, context):
        draw_material(self.layout, context)


OCTANEBRIDGE_PT_material_shader_editor = panels.in_shader_editor(OCTANEBRIDGE_PT_material)


classes = (OCTANEBRIDGE_OT_switch_resolution, OCTANEBRIDGE_OT_update_material, OCTANEBRIDGE_OT_shader_info,
           OCTANEBRIDGE_PT_material, OCTANEBRIDGE_PT_material_shader_editor)
