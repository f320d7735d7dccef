from core.assignment import ObjectInfo, plan
from core.provenance import find_identical, provenance


def test_object_mode_uses_active_slot_or_adds_one():
    p = plan([ObjectInfo("Cube", "MESH", 3, 2), ObjectInfo("Plane", "MESH", 0, 0)], edit_mode=False)
    assert p.kind == "objects"
    assert [(t.name, t.slot) for t in p.targets] == [("Cube", 2), ("Plane", None)]
    assert p.message("OB_Oak") == '"OB_Oak" assigned to 2 objects.'


def test_out_of_range_active_slot_falls_back_to_first():
    p = plan([ObjectInfo("Cube", "MESH", 1, 5)], edit_mode=False)
    assert p.targets[0].slot == 0


def test_objects_without_material_support_are_skipped():
    p = plan([ObjectInfo("Cam", "CAMERA"), ObjectInfo("Lamp", "LIGHT"), ObjectInfo("Text", "FONT", 1, 0)], edit_mode=False)
    assert [t.name for t in p.targets] == ["Text"] and p.skipped == ["Cam", "Lamp"]
    assert "Skipped (cannot hold materials): Cam, Lamp." in p.message("M")


def test_linked_objects_are_skipped():
    p = plan([ObjectInfo("Lib", "MESH", 1, 0, library=True)], edit_mode=False)
    assert p.kind == "file_only" and p.skipped == ["Lib"]


def test_nothing_selected_adds_to_file_only():
    p = plan([], edit_mode=False)
    assert p.kind == "file_only" and p.targets == []
    assert "Nothing selected" in p.message("M")


def test_edit_mode_targets_selected_faces():
    p = plan(
        [ObjectInfo("A", "MESH", 1, 0, "EDIT", 4), ObjectInfo("B", "MESH", 0, 0, "EDIT", 0), ObjectInfo("C", "MESH", 0, 0, "EDIT", 2)],
        edit_mode=True,
    )
    assert p.kind == "faces" and [t.name for t in p.targets] == ["A", "C"] and p.face_count == 6
    assert p.message("M") == '"M" assigned to 6 selected face(s).'


def test_edit_mode_without_selected_faces_is_file_only():
    p = plan([ObjectInfo("A", "MESH", 1, 0, "EDIT", 0)], edit_mode=True)
    assert p.kind == "file_only"


def test_provenance_from_addon_props_or_package_props():
    assert provenance({"octane_bridge_shader_id": "oak", "octane_bridge_version": "1.0.0"}) == ("oak", "1.0.0")
    assert provenance({"octane_bridge": {"shader_id": "oak", "version": "1.0.0"}}) == ("oak", "1.0.0")
    assert provenance({"octane_bridge": "junk"}) is None
    assert provenance({"octane_bridge_shader_id": "oak"}) is None
    assert provenance({}) is None


def test_find_identical_requires_same_version_and_skips_linked():
    mats = [
        ("Oak old", {"octane_bridge_shader_id": "oak", "octane_bridge_version": "0.9.0"}, False),
        ("Oak linked", {"octane_bridge_shader_id": "oak", "octane_bridge_version": "1.0.0"}, True),
        ("Oak", {"octane_bridge": {"shader_id": "oak", "version": "1.0.0"}}, False),
    ]
    assert find_identical(mats, "oak", "1.0.0") == "Oak"
    assert find_identical(mats, "oak", "2.0.0") is None
    assert find_identical(mats, "gold", "1.0.0") is None


def test_a_v2_import_reuses_only_the_material_at_its_resolution():
    from core.provenance import resolution

    one_k = {"octane_bridge": {"shader_id": "oak", "version": "1.1.0", "resolution": "1k"}}
    four_k = {"octane_bridge": {"shader_id": "oak", "version": "1.1.0", "resolution": "4k"}}
    mats = [("Oak", one_k, False), ("Oak.001", four_k, False)]
    assert resolution(one_k) == "1k" and resolution({}) == "" and resolution({"octane_bridge": "junk"}) == ""
    assert find_identical(mats, "oak", "1.1.0", "4k") == "Oak.001"
    assert find_identical(mats, "oak", "1.1.0", "2k") is None
    assert find_identical(mats, "oak", "1.1.0") == "Oak"  # v1: any resolution
