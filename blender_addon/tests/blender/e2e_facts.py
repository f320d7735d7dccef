"""The common end of the headless-Blender e2e scripts: each runs inside Blender, collects facts
in a dict and leaves them as JSON for the pytest side to assert on."""
import json
import traceback


def run(main, facts: dict, out_path: str) -> None:
    """Runs main(); an exception becomes facts["exception"], so the test shows it. Writes the facts."""
    try:
        main()
    except Exception:
        facts["exception"] = traceback.format_exc()
    with open(out_path, "w") as f:
        json.dump(facts, f, indent=1, default=str)
