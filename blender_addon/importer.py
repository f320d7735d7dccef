"""Puts a package's material into the open file and onto the selection (main thread only).

``import_package(fields)`` takes the bridge's ``import`` message fields and returns the reply
(``imported`` or ``import_failed``) as a dict ready for protocol.encode.
"""

from __future__ import annotations

import json
import logging
import os
import sys

import bpy  # first: the bpy module from PyPI provides bmesh only once bpy is imported
import bmesh  # noqa: E402

from . import octane_graph
from .core import assignment, codes, compat, octane, provenance

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
        return {"type": "import_failed", "import_id": import_id, "code": codes.BLENDER_ERROR, "message": f"Blender error: {e}"}


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
        raise ImportError_(codes.BLEND_INVALID, f"Package folder not found: {package_dir}")
    package_dir = os.path.realpath(package_dir)
    if not os.path.isfile(blend_path) or not _inside(blend_path, package_dir):
        raise ImportError_(codes.BLEND_INVALID, f"Material file not found in the package: {blend_path}")
    too_new = compat.too_new(_manifest(package_dir), bpy.app.version, _octane_version())
    if too_new:
        raise ImportError_(*too_new)

    mat, reused = None, False
    if shader_id and version:
        name = provenance.find_identical(
            ((m.name, m, m.library is not None) for m in bpy.data.materials), shader_id, version
        )
        if name is not None:
            mat, reused = bpy.data.materials[name], True
    octane_note = ""
    if mat is None:
        mat = _append(blend_path, material_name, package_dir)
        octane_note = _fit_octane(mat, package_dir)
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
    message += octane_note
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


def _manifest(package_dir: str) -> dict:
    """The package's manifest.json (verified by the bridge with the rest); {} when unreadable."""
    try:
        with open(os.path.join(package_dir, "manifest.json"), encoding="utf-8") as f:
            m = json.load(f)
    except (OSError, ValueError):
        return {}
    return m if isinstance(m, dict) else {}


def _octane_version():
    """The Octane release OctaneBlender declares in its bl_info (e.g. (2024, 1, 0)); None when it
    is not installed or declares only its own plugin number, which min_octane cannot be compared to."""
    if not octane_graph.installed():
        return None
    v = compat.version((getattr(sys.modules.get("octane"), "bl_info", None) or {}).get("version"))
    return v if v and v[0] >= 2000 else None


def _append(blend_path: str, material_name: str, package_dir: str):
    before_imgs = set(bpy.data.images)
    before_texts = set(bpy.data.texts)
    before_libs = set(bpy.data.libraries)
    try:
        # Only the material (and what it uses) is read; scripts and text blocks never run.
        with bpy.data.libraries.load(blend_path, link=False) as (src, dst):
            if material_name not in src.materials:
                raise ImportError_(codes.MATERIAL_MISSING, f'The package has no material "{material_name}".')
            dst.materials = [material_name]
    except OSError as e:
        raise ImportError_(codes.BLEND_INVALID, f"Cannot read the material file: {e}") from None
    new = [m for m in dst.materials if m is not None]
    if not new:
        raise ImportError_(codes.MATERIAL_MISSING, f'The material "{material_name}" could not be read.')
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


def _node_groups(tree):
    return [n.node_tree for n in tree.nodes if getattr(n, "node_tree", None) is not None]


def _strip_scripted_drivers(mat) -> None:
    """Drops drivers with Python expressions: they would run code when the material evaluates
    (publishing refuses them too; this covers a file that slipped through). Covers the material,
    its node tree and every node group it uses, however deeply nested."""
    trees = octane.closure([mat.node_tree], _node_groups, key=lambda t: t.as_pointer())
    for idblock in [mat] + trees:
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


def _fit_octane(mat, package_dir: str) -> str:
    """Inside OctaneBlender (detected, never assumed) makes the appended material's Octane graph
    usable: rebuilds it from the ``octane_graph`` recipe when the stored nodes do not fit the
    installed release, and points every Octane image node at the package's file in the cache.
    Without OctaneBlender nothing changes (stock Blender keeps the nodes for later). Runs inside
    the import's undo step. Returns a sentence for the reply message ("" when nothing to say)."""
    if mat.node_tree is None or not octane_graph.installed():
        return ""
    try:
        return _fit_octane_graph(mat, package_dir)
    except Exception:  # never fail an import that has put its material in the file over this
        log.exception("%s: the Octane graph could not be checked", mat.name)
        return " Its Octane nodes could not be checked for this OctaneBlender version (see the log)."


def _fit_octane_graph(mat, package_dir: str) -> str:
    nt = mat.node_tree
    recipe = octane_graph.recipe_of(mat)
    note = ""
    if recipe is not None:
        try:
            reasons = octane_graph.mismatches(nt, recipe)
        except (KeyError, TypeError, AttributeError) as e:
            reasons = [f"the recipe cannot be compared ({e})"]
        if reasons:
            note = _rebuild_octane(mat, recipe, package_dir, reasons)
    _repoint_octane_images(nt, recipe, package_dir)
    return note


def _rebuild_octane(mat, recipe, package_dir: str, reasons) -> str:
    why = octane.summary(reasons)
    try:
        missing = octane_graph.missing_types(recipe)
    except (KeyError, TypeError) as e:
        log.warning("%s: the Octane graph does not fit this OctaneBlender (%s) and its recipe is unreadable (%s)", mat.name, why, e)
        return " Its Octane nodes do not fit this OctaneBlender version and could not be rebuilt."
    if missing:
        log.warning("%s: the Octane graph does not fit this OctaneBlender (%s), and it has no %s; kept as stored",
                    mat.name, why, ", ".join(missing))
        return " Its Octane nodes do not fit this OctaneBlender version, which lacks " + ", ".join(missing) + "."
    log.info("%s: rebuilding the Octane graph from its recipe: %s", mat.name, why)
    try:
        octane_graph.replace(mat.node_tree, recipe, lambda path, cs: _package_image(package_dir, path, cs))
    except Exception as e:  # a recipe this release cannot take (bad input name, value shape, ...)
        log.warning("%s: the Octane graph could not be rebuilt (%s: %s); kept as stored", mat.name, type(e).__name__, e)
        return " Its Octane nodes do not fit this OctaneBlender version and could not be rebuilt."
    left = octane_graph.mismatches(mat.node_tree, recipe)
    if left:
        log.warning("%s: the rebuilt Octane graph still differs from its recipe: %s", mat.name, octane.summary(left))
    return " Rebuilt its Octane nodes for this OctaneBlender version."


def _is_octane_image_node(node) -> bool:
    """An Octane node whose class has an ``image`` pointer (OctaneBlender's image nodes send the
    file of that image datablock). Blender's own image nodes are left to _resolve_image."""
    if node.bl_idname.startswith("ShaderNode") or node.bl_idname == "NodeUndefined":
        return False
    prop = node.bl_rna.properties.get("image")
    return prop is not None and prop.type == "POINTER" and getattr(prop.fixed_type, "identifier", "") == "Image"


def _image_in_package(img, package_dir: str) -> bool:
    if img.packed_file is not None:
        return True
    if not img.filepath:
        return False
    path = bpy.path.abspath(img.filepath)
    return os.path.isfile(path) and _inside(path, package_dir)


def _repoint_octane_images(nt, recipe, package_dir: str) -> None:
    """Octane image nodes normally show the fallback's image datablocks, which _resolve_image
    already pointed at the cache; a node whose image is unset or elsewhere gets the file its
    recipe names, inside the package (never outside)."""
    specs = octane.image_specs(recipe) if recipe is not None else {}
    for node in nt.nodes:
        if not _is_octane_image_node(node):
            continue
        img = node.image
        if img is not None and _image_in_package(img, package_dir):
            continue
        nid = node.name[len(octane_graph.NODE_PREFIX):] if node.name.startswith(octane_graph.NODE_PREFIX) else None
        spec = specs.get(nid)
        found = _package_image(package_dir, *spec) if spec else None
        if found is not None:
            node.image = found
        else:
            log.warning("Octane node %r shows no image in the package (%s)", node.name,
                        spec[0] if spec else "the recipe names none")


def _package_image(package_dir: str, rel_path: str, colorspace: str = "sRGB"):
    """The image datablock for a package-relative file: one already showing that file, else the
    file loaded with the recipe's colour space. None when the name leaves the package or the
    file is not there."""
    path = octane.package_file(package_dir, rel_path)
    if path is None or not os.path.isfile(path):
        log.warning("recipe image %r is not a file in the package", rel_path)
        return None
    for img in bpy.data.images:
        if img.library is None and img.packed_file is None and img.filepath and \
                os.path.realpath(bpy.path.abspath(img.filepath)) == path:
            return img
    img = bpy.data.images.load(path, check_existing=False)
    try:
        img.colorspace_settings.name = colorspace
    except TypeError:  # a colour space this Blender's OCIO config does not have
        log.warning("colour space %r unknown here; %s keeps %s", colorspace, img.name, img.colorspace_settings.name)
    return img


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
