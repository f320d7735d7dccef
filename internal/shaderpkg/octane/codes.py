"""The failure vocabulary, read from schemas/codes.json, for the scripts that run in Blender.

The publisher's vetting writes the file beside these scripts as ``codes.json`` (package octane's
WriteScripts); run from the repository, they read ``schemas/codes.json``. Every code is a module
attribute of the same name (``codes.OCTANE_INPUTS == "OCTANE_INPUTS"``), so a code that is not
in the file cannot be spelled (blender_addon/tests/test_codes.py scans these scripts too).
"""

import json
import os

_HERE = os.path.dirname(os.path.abspath(__file__))
_CANDIDATES = (
    os.path.join(_HERE, "codes.json"),  # written beside the scripts for a Blender run
    os.path.join(_HERE, "..", "..", "..", "schemas", "codes.json"),  # the repository
)


def _load():
    for path in _CANDIDATES:
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                return json.load(f)["codes"]
    raise RuntimeError("codes.json is missing beside %s" % __file__)


globals().update({e["code"]: e["code"] for e in _load()})
