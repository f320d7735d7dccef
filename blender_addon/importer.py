"""Puts a package's material into the open file and onto the selection (main thread only).

``import_package(fields)`` takes the bridge's ``import`` message fields and returns the reply
(``imported`` or ``import_failed``) as a dict ready for protocol.encode. Its ``apply`` says what to
do (docs/addon.md, "Switch and update"): ``assign`` (default) appends the material and assigns it
to the selection; ``switch`` re-points the images of a material already in the file at another
texture set of the same version; ``update`` replaces a material with a newer version's, keeping
every user. Each is one undo step.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Files:
    """Where an import's files are: the package folder and, for a v2 package, its texture set's
    folder (``textures_dir``, "" for v1). Both are realpaths; nothing outside them is ever read."""

    package_dir: str
    textures_dir: str = ""

    def holds(self, path: str) -> bool:
        return _inside(path, self.package_dir) or bool(self.textures_dir and _inside(path, self.textures_dir))

    def texture(self, path) -> tuple:
        """(real path or None, set file name or None) of a texture the .blend or the recipe names:
        v2 ``//textures/<name>`` is ``<textures_dir>/<name>``; v1 paths are package-relative."""
        if self.textures_dir:
            name = octane.set_texture_name(path)
            return (octane.set_file(self.textures_dir, name), name) if name else (None, None)
        return octane.package_file(self.package_dir, path), None


def _files(f: dict) -> Files:
    package_dir = str(f.get("package_dir") or "")
    if not package_dir or not os.path.isdir(package_dir):
        raise ImportError_(codes.BLEND_INVALID, f"Package folder not found: {package_dir}")
    textures_dir = f.get("textures_dir") or ""
    if textures_dir and (not isinstance(textures_dir, str) or not os.path.isdir(textures_dir)):
        raise ImportError_(codes.BLEND_INVALID, f"Texture folder not found: {textures_dir}")
    return Files(os.path.realpath(package_dir), os.path.realpath(textures_dir) if textures_dir else "")


def _import(f: dict, context) -> dict:
    import_id = str(f.get("import_id", ""))
    shader_id, version = str(f.get("shader_id", "")), str(f.get("version", ""))
    material_name = str(f.get("material_name", ""))
    blend_path = str(f.get("blend_path", ""))
    files = _files(f)
    if not os.path.isfile(blend_path) or not _inside(blend_path, files.package_dir):
        raise ImportError_(codes.BLEND_INVALID, f"Material file not found in the package: {blend_path}")
    manifest = _manifest(files.package_dir)
    too_new = compat.too_new(manifest, bpy.app.version, _octane_version())
    if too_new:
        raise ImportError_(*too_new)
    apply = f.get("apply") if isinstance(f.get("apply"), dict) else {}
    mode = apply.get("mode") or "assign"
    stamp = Stamp(shader_id, version, _resolution(f, manifest), import_id, str(f.get("shader_name") or ""),
                  _set_sizes(manifest))
    if mode == "switch":
        return _switch(_target(apply, shader_id), files, stamp)
    if mode == "update":
        return _update(_target(apply, shader_id), blend_path, material_name, files, stamp)
    if mode != "assign":
        raise ImportError_(codes.MALFORMED, f"Unknown apply mode: {mode}")

    mat, reused = None, False
    if shader_id and version:
        mat, reused = _identical(shader_id, version, stamp.resolution if files.textures_dir else None), True
    octane_note = ""
    if mat is None:
        mat, reused = _append(blend_path, material_name, files), False
        octane_note = _fit_octane(mat, files)
    stamp.put(mat)

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
    _undo_step(f"Import {mat.name}")
    reply = _reply(import_id, mat, objects, reused, message)
    if plan.kind == "faces":
        reply["faces"] = plan.face_count
    return reply


@dataclass
class Stamp:
    """What an imported material records about where it came from (core/provenance.py)."""

    shader_id: str
    version: str
    resolution: str
    import_id: str
    shader_name: str = ""
    sizes: dict | None = None  # resolution -> bytes of its texture set (the panel's Switch list)

    def put(self, mat) -> None:
        mat[provenance.SHADER_ID] = self.shader_id
        mat[provenance.VERSION] = self.version
        mat[provenance.IMPORT_ID] = self.import_id
        old = mat.get(provenance.PACKAGE)
        pkg = old.to_dict() if hasattr(old, "to_dict") else {}
        pkg.update(shader_id=self.shader_id, version=self.version, resolution=self.resolution)
        if self.shader_name:
            pkg["name"] = self.shader_name
        # floats: ID properties hold 32-bit integers only, a 4k set may be larger
        pkg["sizes"] = {r: float(n) for r, n in (self.sizes or {}).items()}
        mat[provenance.PACKAGE] = pkg


def _resolution(f: dict, manifest: dict) -> str:
    """The texture resolution of this import: the delivery's (v2), else a v1 package's only one."""
    r = f.get("resolution")
    if isinstance(r, str) and r:
        return r
    v1 = manifest.get("texture_resolutions")
    return v1[0] if isinstance(v1, list) and len(v1) == 1 and isinstance(v1[0], str) else ""


def _set_sizes(manifest: dict) -> dict:
    """resolution -> size of each texture set a v2 manifest lists."""
    out = {}
    for s in manifest.get("texture_sets") or []:
        if isinstance(s, dict) and isinstance(s.get("resolution"), str) and isinstance(s.get("size"), int):
            out[s["resolution"]] = s["size"]
    return out


def _identical(shader_id: str, version: str, res):
    name = provenance.find_identical(
        ((m.name, m, m.library is not None) for m in bpy.data.materials), shader_id, version, res
    )
    return bpy.data.materials[name] if name is not None else None


def _target(apply: dict, shader_id: str):
    """The material a switch or update changes: in this file, editable, from this shader."""
    name = apply.get("material")
    mat = bpy.data.materials.get(name) if isinstance(name, str) and name else None
    if mat is None or mat.library is not None:
        raise ImportError_(codes.MATERIAL_NOT_IN_FILE, f'The material "{name}" is not in this file any more.')
    got = provenance.provenance(mat)
    if got is None or got[0] != shader_id:
        raise ImportError_(codes.MATERIAL_NOT_IN_FILE, f'The material "{name}" is not from this shader.')
    return mat


def _undo_step(message: str) -> None:
    try:
        bpy.ops.ed.undo_push(message=message)
    except RuntimeError:
        log.warning("undo push failed", exc_info=True)


# Edit Mode keeps its own undo steps (the mesh's), which do not hold materials or images.
EDIT_MODE_NOTE = " It was made in Edit Mode, where Undo cannot revert it: switch or update again to go back."


def _in_edit_mode() -> bool:
    return any(o.mode == "EDIT" for o in _view_layer(bpy.context).objects)


def _reply(import_id: str, mat, objects, reused: bool, message: str) -> dict:
    return {"type": "imported", "import_id": import_id, "material_name": mat.name, "objects": objects,
            "reused": reused, "message": message}


def _users(mat) -> list:
    """The objects that show the material in one of their slots."""
    return sorted(o.name for o in bpy.data.objects if any(s.material == mat for s in o.material_slots))


def _trees(mat) -> list:
    """The material's node tree and every node group it uses, however deeply nested, each once."""
    return octane.closure([mat.node_tree], _node_groups, key=lambda t: t.as_pointer())


def _groups(mat) -> list:
    return [t for t in _trees(mat) if t != mat.node_tree and t.library is None]


def _material_images(mat) -> list:
    """Every image datablock the material's node tree (and the node groups it uses) shows."""
    out = {}
    for tree in _trees(mat):
        for node in tree.nodes:
            img = getattr(node, "image", None) if node.bl_idname != "NodeUndefined" else None
            if isinstance(img, bpy.types.Image):
                out[img.as_pointer()] = img
    return list(out.values())


# image name -> the file whose pixels it holds, for the texture-set images this session loaded.
_loaded: dict = {}


def _load(img, path: str) -> None:
    img.filepath = path
    img.reload()
    _loaded[img.name] = path


def reload_undone_images() -> int:
    """After an undo or redo: a texture-set image whose file the step changed back gets its
    pixels from that file again (Blender 3.x restores the path but keeps the pixels it had).
    Only images whose path differs from what they last loaded are read; returns how many."""
    n = 0
    for img in bpy.data.images:
        was = _loaded.get(img.name)
        if was is None or img.get(provenance.TEXTURE) is None or img.library is not None:
            continue
        path = bpy.path.abspath(img.filepath)
        if path != was:
            img.reload()
            _loaded[img.name] = path
            n += 1
    return n


def _switch(mat, files: Files, stamp: Stamp) -> dict:
    """Same material datablock, every slot keeps it: its set images now show the new folder's files."""
    if not files.textures_dir:
        raise ImportError_(codes.BLEND_INVALID, "The switch brought no texture set.")
    moves = []
    for img in _material_images(mat):
        name = img.get(provenance.TEXTURE)
        if not isinstance(name, str):
            continue
        path = octane.set_file(files.textures_dir, name)
        if path is None or not os.path.isfile(path):
            raise ImportError_(codes.BLEND_INVALID, f"The {stamp.resolution} texture set has no {name}.")
        moves.append((img, path))
    for img, path in moves:  # all checked first: a failed switch changes nothing
        _load(img, path)
    stamp.put(mat)
    _undo_step(f"Switch {mat.name} to {stamp.resolution}")
    return _reply(stamp.import_id, mat, _users(mat), True,
                  f'"{mat.name}" now shows its {stamp.resolution} textures ({len(moves)} image(s)).'
                  + (EDIT_MODE_NOTE if _in_edit_mode() else ""))


def _update(old, blend_path: str, material_name: str, files: Files, stamp: Stamp) -> dict:
    """The newer version's material takes the old one's place in every slot and its name."""
    new = _identical(stamp.shader_id, stamp.version, stamp.resolution if files.textures_dir else None)
    note = ""
    if new is old:
        return _reply(stamp.import_id, old, _users(old), True, f'"{old.name}" already is version {stamp.version}.')
    if new is None:
        new = _append(blend_path, material_name, files)
        note = _fit_octane(new, files)
    name, fake, images, groups = old.name, old.use_fake_user, _material_images(old), _groups(old)
    old.user_remap(new)
    bpy.data.materials.remove(old)
    # The old version's node groups and textures, now used by nothing (outer groups first).
    for group in groups:
        if group.users == 0:
            bpy.data.node_groups.remove(group)
    for img in images:
        if img.users == 0:
            bpy.data.images.remove(img)
    new.name = name
    new.use_fake_user = new.use_fake_user or fake
    stamp.put(new)
    _undo_step(f"Update {name} to {stamp.version}")
    return _reply(stamp.import_id, new, _users(new), False, f'"{name}" updated to version {stamp.version}.{note}'
                  + (EDIT_MODE_NOTE if _in_edit_mode() else ""))


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


def _append(blend_path: str, material_name: str, files: Files):
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
        _resolve_image(img, files)
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
    for idblock in [mat] + _trees(mat):
        ad = getattr(idblock, "animation_data", None) if idblock is not None else None
        if ad is None:
            continue
        for fc in [fc for fc in ad.drivers if fc.driver.type == "SCRIPTED"]:
            ad.drivers.remove(fc)


def _resolve_image(img, files: Files) -> None:
    """Points an appended image at the package's texture (paths in the .blend are relative): a v2
    package's ``//textures/<name>`` at the texture set's file, tagged with the name for a switch."""
    if img.packed_file is not None or not img.filepath:
        return
    if files.textures_dir:
        candidate, name = files.texture(img.filepath)
        if candidate and os.path.isfile(candidate):
            img[provenance.TEXTURE] = name
            _load(img, candidate)
        else:
            log.warning("texture %r not in the texture set; left unresolved", img.filepath)
            img.filepath = ""
        return
    current = bpy.path.abspath(img.filepath)
    if os.path.isfile(current) and _inside(current, files.package_dir):
        return
    raw = img.filepath.replace("\\", "/")
    i = raw.find("textures/")
    candidate = os.path.join(files.package_dir, *raw[i:].split("/")) if i >= 0 else ""
    if candidate and os.path.isfile(candidate) and _inside(candidate, files.package_dir):
        img.filepath = candidate
        img.reload()
    else:
        # Never read files outside the package, even if the .blend asks for them.
        log.warning("texture %r not in the package; left unresolved", img.filepath)
        img.filepath = ""


def _fit_octane(mat, files: Files) -> str:
    """Inside OctaneBlender (detected, never assumed) makes the appended material's Octane graph
    usable: rebuilds it from the ``octane_graph`` recipe when the stored nodes do not fit the
    installed release, and points every Octane image node at the package's file in the cache.
    Without OctaneBlender nothing changes (stock Blender keeps the nodes for later). Runs inside
    the import's undo step. Returns a sentence for the reply message ("" when nothing to say)."""
    if mat.node_tree is None or not octane_graph.installed():
        return ""
    try:
        return _fit_octane_graph(mat, files)
    except Exception:  # never fail an import that has put its material in the file over this
        log.exception("%s: the Octane graph could not be checked", mat.name)
        return " Its Octane nodes could not be checked for this OctaneBlender version (see the log)."


def _fit_octane_graph(mat, files: Files) -> str:
    nt = mat.node_tree
    recipe = octane_graph.recipe_of(mat)
    note = ""
    if recipe is not None:
        try:
            reasons = octane_graph.mismatches(nt, recipe)
        except (KeyError, TypeError, AttributeError) as e:
            reasons = [f"the recipe cannot be compared ({e})"]
        if reasons:
            note = _rebuild_octane(mat, recipe, files, reasons)
    _repoint_octane_images(nt, recipe, files)
    return note


def _rebuild_octane(mat, recipe, files: Files, reasons) -> str:
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
        octane_graph.replace(mat.node_tree, recipe, lambda path, cs: _package_image(files, path, cs))
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


def _image_in_package(img, files: Files) -> bool:
    if img.packed_file is not None:
        return True
    if not img.filepath:
        return False
    path = bpy.path.abspath(img.filepath)
    return os.path.isfile(path) and files.holds(path)


def _repoint_octane_images(nt, recipe, files: Files) -> None:
    """Octane image nodes normally show the fallback's image datablocks, which _resolve_image
    already pointed at the cache; a node whose image is unset or elsewhere gets the file its
    recipe names, inside the package (never outside)."""
    specs = octane.image_specs(recipe) if recipe is not None else {}
    for node in nt.nodes:
        if not _is_octane_image_node(node):
            continue
        img = node.image
        if img is not None and _image_in_package(img, files):
            continue
        nid = node.name[len(octane_graph.NODE_PREFIX):] if node.name.startswith(octane_graph.NODE_PREFIX) else None
        spec = specs.get(nid)
        found = _package_image(files, *spec) if spec else None
        if found is not None:
            node.image = found
        else:
            log.warning("Octane node %r shows no image in the package (%s)", node.name,
                        spec[0] if spec else "the recipe names none")


def _package_image(files: Files, rel_path: str, colorspace: str = "sRGB"):
    """The image datablock for a file the recipe names (package-relative, or a v2 set file): one
    already showing that file, else the file loaded with the recipe's colour space. None when the
    name leaves the package (or set) folder or the file is not there."""
    path, name = files.texture(rel_path)
    if path is None or not os.path.isfile(path):
        log.warning("recipe image %r is not a file in the package", rel_path)
        return None
    for img in bpy.data.images:
        if img.library is None and img.packed_file is None and img.filepath and \
                os.path.realpath(bpy.path.abspath(img.filepath)) == path:
            return img
    img = bpy.data.images.load(path, check_existing=False)
    if name:
        img[provenance.TEXTURE] = name
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
