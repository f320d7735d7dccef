"""Decides where an imported material goes, from a plain description of the selection.

Object mode: the active slot of each selected object (a new slot when it has none); objects
whose type cannot hold materials are skipped. Edit mode: the selected faces of the meshes in
edit mode. Nothing usable selected: the material is only added to the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Object types whose data has a material list (bpy.types.ID with .materials).
MATERIAL_TYPES = frozenset(
    {"MESH", "CURVE", "SURFACE", "META", "FONT", "GPENCIL", "VOLUME", "POINTCLOUD", "CURVES"}
)


@dataclass(frozen=True)
class ObjectInfo:
    name: str
    type: str
    slot_count: int = 0
    active_slot: int = 0
    mode: str = "OBJECT"
    selected_faces: int = 0
    library: bool = False  # linked objects cannot be changed


@dataclass(frozen=True)
class Target:
    name: str
    slot: int | None  # None: append a new slot
    faces: int = 0


@dataclass
class Plan:
    kind: str  # "objects" | "faces" | "file_only"
    targets: list = field(default_factory=list)
    skipped: list = field(default_factory=list)

    @property
    def face_count(self) -> int:
        return sum(t.faces for t in self.targets)

    def message(self, material_name: str) -> str:
        if self.kind == "file_only":
            text = f'Nothing selected: "{material_name}" was added to the file (Material list).'
        elif self.kind == "faces":
            text = f'"{material_name}" assigned to {self.face_count} selected face(s).'
        else:
            n = len(self.targets)
            text = f'"{material_name}" assigned to {n} object{"s" if n != 1 else ""}.'
        if self.skipped:
            text += f" Skipped (cannot hold materials): {', '.join(self.skipped)}."
        return text


def plan(selected: list[ObjectInfo], edit_mode: bool) -> Plan:
    """Plans the assignment. ``selected`` lists the selected objects (edit mode: those in edit mode)."""
    p = Plan(kind="faces" if edit_mode else "objects")
    for ob in selected:
        if ob.type not in MATERIAL_TYPES or ob.library:
            p.skipped.append(ob.name)
            continue
        if edit_mode:
            if ob.type != "MESH" or ob.mode != "EDIT" or ob.selected_faces <= 0:
                continue
            p.targets.append(Target(ob.name, None, ob.selected_faces))
        else:
            slot = ob.active_slot if 0 <= ob.active_slot < ob.slot_count else (0 if ob.slot_count else None)
            p.targets.append(Target(ob.name, slot))
    if not p.targets:
        p.kind = "file_only"
    return p
