"""Every failure an artist can meet in Blender has a sentence and, where there is one, the button
that fixes it, both in schemas/codes.json; and a shader too new for this Blender is caught."""

import ast
import os
import re

import pytest

from core import codes, compat, words
from core.protocol import Message
from core.state import BridgeState

ADDON = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _operators() -> set:
    """The bl_idname of every operator class the add-on defines."""
    out = set()
    for root, dirs, files in os.walk(ADDON):
        dirs[:] = [d for d in dirs if d not in ("tests", "__pycache__", "bin")]
        for f in files:
            if not f.endswith(".py"):
                continue
            with open(os.path.join(root, f), encoding="utf-8") as fh:
                tree = ast.parse(fh.read())
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == ["bl_idname"] \
                        and isinstance(node.value, ast.Constant) and "." in node.value.value:
                    out.add(node.value.value)
    return out


@pytest.mark.parametrize("situation", sorted(words.SITUATIONS))
def test_each_failure_of_the_issue_has_a_sentence_and_a_fix(situation):
    p = words.problem(words.SITUATIONS[situation])
    assert p.text == codes.ENTRIES[p.code]["blender"]
    assert re.fullmatch(r"[A-Z].{20,200}[.)]", p.text), p.text
    assert p.action is not None and p.action.label and (p.action.operator or p.action.url), situation


def test_every_action_is_a_button_the_addon_has_or_an_https_page():
    ops = _operators()
    assert {"octane_bridge.connect", "octane_bridge.doctor", "octane_bridge.library_apply"} <= ops
    for code, e in codes.ENTRIES.items():
        a = e.get("blender_action")
        if a is None:
            continue
        assert "blender" in e, f"{code}: an action without a sentence"
        assert set(a) <= {"label", "operator", "url"} and a["label"], code
        assert bool(a.get("operator")) != bool(a.get("url")), f"{code}: one of operator or url"
        assert a.get("operator", "octane_bridge.connect") in ops, f"{code}: no operator {a['operator']}"
        assert a.get("url", "https://").startswith("https://"), code


def test_connection_states_in_words():
    assert words.connection_problem("unpaired").code == codes.NOT_PAIRED
    offline = words.connection_problem("offline")
    assert offline.code == codes.NETWORK and offline.action.operator == "octane_bridge.doctor"
    assert words.connection_problem("online") is None and words.connection_problem("connecting") is None
    raw = words.problem("SOMETHING_NEW", "the bridge's own words")
    assert raw.text == "the bridge's own words" and raw.action is None


def test_the_latest_failure_stays_until_an_import_succeeds():
    st = BridgeState()
    st.apply(Message("import_status", {"import_id": "a", "status": "failed", "code": codes.DISK_FULL, "message": "raw"}))
    assert st.problem == codes.DISK_FULL and st.recent[0].text == codes.ENTRIES[codes.DISK_FULL]["blender"]
    assert words.problem(st.problem).action.operator == "octane_bridge.clear_cache"
    st.apply(Message("error", {"code": codes.NETWORK, "message": "x"}))
    assert st.problem == codes.NETWORK
    st.finish("b", True, "ok")
    assert st.problem == ""
    st.apply(Message("library", {"entries": [{"sha256": "a" * 64, "shader_id": "oak"}, "junk", {"no": "sha"}]}))
    assert st.library == [{"sha256": "a" * 64, "shader_id": "oak"}]


def test_an_import_another_blender_took_ends_here_in_words():
    # The bridge told this Blender "queued", then another Blender's bridge on the machine took it.
    st = BridgeState()
    st.apply(Message("progress", {"import_id": "x", "shader_name": "Oak", "stage": "queued"}))
    assert st.progress_text()
    st.apply(Message("import_status", {"import_id": "x", "status": "cancelled", "code": codes.OTHER_BLENDER,
                                       "message": "raw"}))
    assert st.current is None and st.progress_text() == ""
    assert st.problem == codes.OTHER_BLENDER and st.recent[0].text == codes.ENTRIES[codes.OTHER_BLENDER]["blender"]
    assert words.problem(st.problem).action.operator == "octane_bridge.browse"


@pytest.mark.parametrize("manifest, blender, octane, want", [
    ({"min_blender": "3.4", "min_octane": "2024.1"}, (3, 4, 1), None, None),
    ({"min_blender": "4.2"}, (3, 4, 1), None, codes.BLENDER_TOO_OLD),
    ({"min_blender": "4.2"}, (4, 2, 0), None, None),
    ({"min_blender": "4.2.3"}, (4, 2, 1), None, codes.BLENDER_TOO_OLD),
    ({"min_blender": "3.4", "min_octane": "2025.2"}, (4, 2, 0), (2024, 1, 0), codes.OCTANE_TOO_OLD),
    ({"min_blender": "3.4", "min_octane": "2025.2"}, (4, 2, 0), None, None),  # OctaneBlender absent or unreadable
    ({"min_blender": "not a version"}, (4, 2, 0), None, None),
    ({}, (4, 2, 0), (2024, 1, 0), None),
])
def test_a_shader_too_new_for_this_blender_or_octane(manifest, blender, octane, want):
    got = compat.too_new(manifest, blender, octane)
    assert (got[0] if got else None) == want
    if got:
        assert got[1].startswith("It needs ")
