"""The failure vocabulary, read from schemas/codes.json (the one list every program shares).

The built add-on carries the file as ``core/codes.json`` (scripts/build-addon.sh copies it); a
source checkout reads it from the repository's ``schemas/``. Every code is a module attribute of
the same name (``codes.BLENDER_ERROR == "BLENDER_ERROR"``), so a code that is not in the file
cannot be spelled; tests/test_codes.py keeps code strings out of the add-on's other modules.
"""

from __future__ import annotations

import json
import os

_HERE = os.path.dirname(os.path.realpath(__file__))  # a symlinked source checkout finds schemas/ too
_CANDIDATES = (
    os.path.join(_HERE, "codes.json"),  # the add-on zip
    os.path.join(os.path.dirname(os.path.dirname(_HERE)), "schemas", "codes.json"),  # the repository
)


def _load() -> list[dict]:
    for path in _CANDIDATES:
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                return json.load(f)["codes"]
    raise RuntimeError("codes.json is missing from the add-on; reinstall it")


ENTRIES: dict[str, dict] = {e["code"]: e for e in _load()}
globals().update({c: c for c in ENTRIES})


def retryable(code) -> bool:
    return bool(ENTRIES.get(code, {}).get("retryable", False)) if isinstance(code, str) else False
