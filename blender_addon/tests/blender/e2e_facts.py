"""The common parts of the Blender e2e scripts: each runs inside Blender, collects facts in a dict
and leaves them as JSON for the pytest side to assert on. A headless script ends with run(); a
script in Blender's UI (under Xvfb) starts with run_ui() and ends from a timer with quit_ui()."""
import json
import traceback


def write(facts: dict, out_path: str) -> None:
    with open(out_path, "w") as f:
        json.dump(facts, f, indent=1, default=str)


def run(main, facts: dict, out_path: str) -> None:
    """Runs main(); an exception becomes facts["exception"], so the test shows it. Writes the facts."""
    try:
        main()
    except Exception:
        facts["exception"] = traceback.format_exc()
    write(facts, out_path)


def run_ui(main, facts: dict, out_path: str) -> None:
    """Runs main(), which registers the timers that drive the UI and end with quit_ui(); when main
    itself fails, its exception is written and Blender quits now."""
    try:
        main()
    except Exception:
        facts["exception"] = traceback.format_exc()
        quit_ui(facts, out_path)


def quit_ui(facts: dict, out_path: str) -> None:
    """Writes the facts and quits Blender (which disables the add-on: the bridge stops)."""
    import bpy

    write(facts, out_path)
    bpy.ops.wm.quit_blender()


def draw_in_header(draw, facts: dict) -> None:
    """The sidebar shows one tab at a time: draw(layout, context) draws panel bodies into the 3D
    Viewport's header, which always draws, with a real UILayout, so every drawing path runs against
    the live state. A failure is kept in facts["draw_errors"]."""
    import bpy

    def header(self, context):
        try:
            draw(self.layout, context)
        except Exception:
            facts["draw_errors"].append(traceback.format_exc())

    bpy.types.VIEW3D_HT_header.append(header)
