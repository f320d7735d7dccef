"""Every failure the artist can meet in Blender, in words: one sentence and, where there is one,
the action that fixes it, both from schemas/codes.json ("blender" and "blender_action").

The panels show ``problem(code)``; an action is an add-on operator (a button) or a web page.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import codes


@dataclass(frozen=True)
class Action:
    label: str
    operator: str = ""  # bl_idname of an add-on operator, e.g. "octane_bridge.connect"
    url: str = ""


@dataclass(frozen=True)
class Problem:
    code: str
    text: str
    action: Action | None = None


# The failures an artist meets in Blender (issue 17), by situation: each has a sentence and an
# action in codes.json (tests/test_words.py keeps it so).
SITUATIONS = {
    "not paired": codes.NOT_PAIRED,
    "offline": codes.NETWORK,
    "subscription needed": codes.SUBSCRIPTION_REQUIRED,
    "disk full": codes.DISK_FULL,
    "damaged download": codes.CHECKSUM_MISMATCH,
    "damaged local copy": codes.LIBRARY_ENTRY_DAMAGED,
    "shader too new for this Blender": codes.BLENDER_TOO_OLD,
    "shader too new for this OctaneBlender": codes.OCTANE_TOO_OLD,
    "several Blenders": codes.OTHER_BLENDER,
}


def action(code) -> Action | None:
    a = codes.ENTRIES.get(code, {}).get("blender_action") if isinstance(code, str) else None
    if not a:
        return None
    return Action(a["label"], a.get("operator", ""), a.get("url", ""))


def problem(code, message=None) -> Problem:
    """The sentence for a code (the program's own message when the file has none) and its action."""
    e = codes.ENTRIES.get(code, {}) if isinstance(code, str) else {}
    text = e.get("blender") or str(message or code or "Unknown error")
    return Problem(str(code or ""), text, action(code))


def connection_problem(state: str) -> Problem | None:
    """What the connection state means for the artist, when it stops imports from arriving."""
    if state == "unpaired":
        return problem(codes.NOT_PAIRED)
    if state == "offline":
        return problem(codes.NETWORK)
    return None
