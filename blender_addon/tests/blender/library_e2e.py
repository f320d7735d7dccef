"""Inside headless Blender with the fake bridge: the local library (Refresh Library lists the
entries with their previews, Apply puts one on the selected cube through the import path, a
second Apply reuses the material), and failures in words (an entry gone from the cache, a shader
too new for this Blender) with the button that fixes each.

Args after `--`: ADDON_ZIP OUT_JSON
"""
import os
import sys

import bpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_facts import run  # noqa: E402
zip_path, out_path = sys.argv[sys.argv.index("--") + 1 :][:2]
facts = {}


def main():
    from install_addon import install, modules

    runtime, library, words = modules(install(zip_path, facts), "runtime", "library", "core.words")
    b = runtime.bridge()
    st = b.state
    runtime.start()
    facts["online"] = runtime.serve(20, lambda: st.state == "online")
    # Asked for by the add-on itself once the bridge said hello.
    facts["listed_at_start"] = runtime.serve(10, lambda: st.library is not None)
    st.library = None
    facts["refresh"] = sorted(bpy.ops.octane_bridge.library_refresh())
    runtime.serve(10, lambda: st.library is not None)
    facts["library"] = st.library
    # Background mode draws no icons (icon ids stay 0); the preview image itself is loaded.
    facts["previews"] = {e["sha256"][:4]: list(library.preview(e).image_size) for e in st.library}
    facts["described"] = [library.describe(e) for e in st.library]

    def apply(sha, resolution=""):
        n = len(b.replies)
        facts.setdefault("apply_results", []).append(sorted(bpy.ops.octane_bridge.library_apply(sha256=sha, resolution=resolution)))
        runtime.serve(15, lambda: len(b.replies) > n)
        return b.replies[-1] if len(b.replies) > n else None

    cube = bpy.data.objects["Cube"]
    facts["reply1"] = apply(st.library[0]["sha256"])
    mat = cube.active_material
    facts["cube_material"] = mat.name if mat else None
    facts["props"] = {k: mat.get(k) for k in ("octane_bridge_shader_id", "octane_bridge_version", "octane_bridge_import_id")} if mat else {}
    facts["reply2"] = apply(st.library[0]["sha256"])
    facts["materials"] = sorted(m.name for m in bpy.data.materials)
    facts["problem_after_success"] = st.problem

    # A shader needing a newer Blender fails before anything is appended, in words.
    facts["reply_too_new"] = apply("bbbb" * 16)
    p = words.problem(st.problem)
    facts["too_new"] = {"code": st.problem, "text": p.text, "action": p.action and p.action.__dict__,
                        "recent": st.recent[0].text}
    facts["materials_after_too_new"] = sorted(m.name for m in bpy.data.materials)
    # An entry the cache lost: the bridge's import_status says so; the add-on words it.
    n = len(st.recent)
    bpy.ops.octane_bridge.library_apply(sha256="cccc" * 16)
    runtime.serve(10, lambda: len(st.recent) > n)
    p = words.problem(st.problem)
    facts["missing"] = {"code": st.problem, "text": p.text, "action": p.action and p.action.__dict__}
    try:  # not in the listed library: refused in words, nothing sent
        bpy.ops.octane_bridge.library_apply(sha256="dddd" * 16)
        facts["unknown_apply"] = "accepted"
    except RuntimeError as e:
        facts["unknown_apply"] = str(e)
    # a v2 entry: the one at the chosen resolution (its base's sha256 is shared by every set)
    facts["reply_v2"] = apply("eeee" * 16, "2k")
    facts["errors"] = [text for _, text in st.errors]


run(main, facts, out_path)
