"""Puts a package's material into the open file and onto the selection (main thread only).

``import_package(fields)`` takes the bridge's ``import`` message fields and returns the reply
(``imported`` or ``import_failed``) as a dict ready for protocol.encode.
"""

from __future__ import annotations

import logging
import os

import bpy  # first: the bpy module from PyPI provides bmesh only once bpy is imported
import bmesh  # noqa: E402

from .core import assignment, provenance

log = logging.getLogger(__name__)

OCTANE_ENGINE = "octane"
ENGINE_NAMES = {"BLENDER_EEVEE": "Eevee", "BLENDER_EEVEE_NEXT": "Eevee", "CYCLES": "Cycles", "BLENDER_WORKBENCH": "Workbench"}


class ImportError_(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def import_package(fields: dict, context=None) -> dict:
    """Runs one import. Never raises: failures become an ``import_failed`` reply."""
    import_id = str(fields.get("import_id", ""))
    try:
        return _import(fields, context or bpy.context)
    except ImportError_ as e:
        return {"type": "import_failed", "import_id": import_id, "code": e.code, "message": str(e)}
    except Exception as e:  # Blender raises RuntimeError/ReferenceError for many reasons
        log.exception("import %s failed", import_id)
        return {"type": "import_failed", "import_id": import_id, "code": "BLENDER_ERROR", "message": f"Blender error: {e}"}


def _inside(path: str, root: str) -> bool:
    """``root`` must already be a realpath (computed once per import)."""
    path = os.path.realpath(path)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _import(f: dict, context) -> dict:
    import_id = str(f.get("import_id", ""))
    shader_id, version = str(f.get("shader_id", "")), str(f.get("version", ""))
    material_name = str(f.get("material_name", ""))
    blend_path, package_dir = str(f.get("blend_path", "")), str(f.get("package_dir", ""))
    if not package_dir or not os.path.isdir(package_dir):
        raise ImportError_("BLEND_INVALID", f"Package folder not found: {package_dir}")
    package_dir = os.path.realpath(package_dir)
    if not os.path.isfile(blend_path) or not _inside(blend_path, package_dir):
        raise ImportError_("BLEND_INVALID", f"Material file not found in the package: {blend_path}")

    mat, reused = None, False
    if shader_id and version:
        name = provenance.find_identical(
            ((m.name, m, m.library is not None) for m in bpy.data.materials), shader_id, version
        )
        if name is not None:
            mat, reused = bpy.data.materials[name], True
    if mat is None:
        mat = _append(blend_path, material_name, package_dir)
    mat[provenance.SHADER_ID] = shader_id
    mat[provenance.VERSION] = version
    mat[provenance.IMPORT_ID] = import_id

    plan, objects = _assign(mat, context)
    if plan.kind == "file_only":
        # A material nobody uses is dropped when the file is saved; keep it for the user.
        mat.use_fake_user = True
    message = plan.message(mat.name)
    if reused:
        message += " Reused the material already in this file."
    engine = context.scene.render.engine
    if engine != OCTANE_ENGINE:
        message += (
            f" Octane is not the active render engine ({ENGINE_NAMES.get(engine, engine)}), so Blender shows the"
            " material's Principled fallback; the Octane nodes are kept for Octane."
        )
    try:
        bpy.ops.ed.undo_push(message=f"Import {mat.name}")
    except RuntimeError:
        log.warning("undo push failed", exc_info=True)
    reply = {
        "type": "imported",
        "import_id": import_id,
        "material_name": mat.name,
        "objects": objects,
        "reused": reused,
        "message": message,
    }
    if plan.kind == "faces":
        reply["faces"] = plan.face_count
    return reply


def _append(blend_path: str, material_name: str, package_dir: str):
    before_imgs = set(bpy.data.images)
    before_texts = set(bpy.data.texts)
    before_libs = set(bpy.data.libraries)
    try:
        # Only the material (and what it uses) is read; scripts and text blocks never run.
        with bpy.data.libraries.load(blend_path, link=False) as (src, dst):
            if material_name not in src.materials:
                raise ImportError_("MATERIAL_MISSING", f'The package has no material "{material_name}".')
            dst.materials = [material_name]
    except OSError as e:
        raise ImportError_("BLEND_INVALID", f"Cannot read the material file: {e}") from None
    new = [m for m in dst.materials if m is not None]
    if not new:
        raise ImportError_("MATERIAL_MISSING", f'The material "{material_name}" could not be read.')
    mat = new[0]
    # A material must not drag text blocks along (they could be registered as modules later).
    for t in set(bpy.data.texts) - before_texts:
        bpy.data.texts.remove(t)
    _strip_scripted_drivers(mat)
    for img in set(bpy.data.images) - before_imgs:
        _resolve_image(img, package_dir)
    for lib in set(bpy.data.libraries) - before_libs:
        if lib.users == 0:
            bpy.data.libraries.remove(lib)
    return mat


def _strip_scripted_drivers(mat) -> None:
    """Drops drivers with Python expressions: they would run code when the material evaluates
    (publishing refuses them too; this covers a file that slipped through)."""
    for idblock in (mat, mat.node_tree):
        ad = getattr(idblock, "animation_data", None) if idblock is not None else None
        if ad is None:
            continue
        for fc in [fc for fc in ad.drivers if fc.driver.type == "SCRIPTED"]:
            ad.drivers.remove(fc)


def _resolve_image(img, package_dir: str) -> None:
    """Points an appended image at the package's texture (paths in the .blend are relative)."""
    if img.packed_file is not None or not img.filepath:
        return
    current = bpy.path.abspath(img.filepath)
    if os.path.isfile(current) and _inside(current, package_dir):
        return
    raw = img.filepath.replace("\\", "/")
    i = raw.find("textures/")
    candidate = os.path.join(package_dir, *raw[i:].split("/")) if i >= 0 else ""
    if candidate and os.path.isfile(candidate) and _inside(candidate, package_dir):
        img.filepath = candidate
        img.reload()
    else:
        # Never read files outside the package, even if the .blend asks for them.
        log.warning("texture %r not in the package; left unresolved", img.filepath)
        img.filepath = ""


def _view_layer(context):
    vl = getattr(context, "view_layer", None)
    if vl is None:
        vl = context.scene.view_layers[0]
    return vl


def _assign(mat, context):
    vl = _view_layer(context)
    active = vl.objects.active
    edit_mode = active is not None and active.mode == "EDIT"
    infos, by_name = [], {}
    if edit_mode:
        candidates = [o for o in vl.objects if o.mode == "EDIT"]
    else:
        candidates = [o for o in vl.objects if o.select_get(view_layer=vl)]
    for ob in candidates:
        faces = 0
        if edit_mode and ob.type == "MESH":
            bm = bmesh.from_edit_mesh(ob.data)
            faces = sum(1 for fc in bm.faces if fc.select)
        linked = ob.library is not None or (ob.data is not None and getattr(ob.data, "library", None) is not None)
        infos.append(
            assignment.ObjectInfo(ob.name, ob.type, len(ob.material_slots), ob.active_material_index, ob.mode, faces, linked)
        )
        by_name[ob.name] = ob
    plan = assignment.plan(infos, edit_mode)
    for t in plan.targets:
        ob = by_name[t.name]
        if plan.kind == "faces":
            idx = next((i for i, s in enumerate(ob.material_slots) if s.material == mat), None)
            if idx is None:
                ob.data.materials.append(mat)
                idx = len(ob.material_slots) - 1
            bm = bmesh.from_edit_mesh(ob.data)
            for fc in bm.faces:
                if fc.select:
                    fc.material_index = idx
            bmesh.update_edit_mesh(ob.data)
        elif t.slot is None:
            ob.data.materials.append(mat)
            ob.active_material_index = len(ob.material_slots) - 1
        else:
            ob.material_slots[t.slot].material = mat
    return plan, [t.name for t in plan.targets]
