"""The local library and failures in words in real headless Blender (3.4, bpy 4.2 LTS, bpy 5.x),
with the fake bridge answering `library` from a list of entries."""

import json
import os
import zipfile

import pytest

from test_blender_addon import HERE, PACKAGE, RUNTIMES, addon_zip, blender_env, blender_facts  # noqa: F401 (fixture)


@pytest.fixture(scope="module", params=RUNTIMES)
def lib(request, addon_zip, tmp_path_factory):
    runtime = request.param
    tmp = tmp_path_factory.mktemp("library")
    pkg = tmp / "pkg" / ("aaaa" * 16)
    zipfile.ZipFile(PACKAGE).extractall(pkg)
    manifest = json.loads((pkg / "manifest.json").read_text())
    new = tmp / "pkg" / ("bbbb" * 16)  # the same shader, published for a Blender from the future
    zipfile.ZipFile(PACKAGE).extractall(new)
    (new / "manifest.json").write_text(json.dumps({**manifest, "min_blender": "9.9"}))

    def entry(sha, d, m):
        return {"entry": {"sha256": sha, "shader_id": m["shader_id"], "version": m["version"], "name": m["name"],
                          "material_name": m["material_name"], "preview_path": str(d / "preview.webp"),
                          "resolutions": m["texture_resolutions"], "bytes": 123456, "used_at": 1796212800},
                "import": {"shader_id": m["shader_id"], "version": m["version"], "shader_name": m["name"],
                           "material_name": m["material_name"], "blend_path": str(d / "material.blend"), "package_dir": str(d)}}

    gone = {**entry("cccc" * 16, pkg, manifest), "import": None}
    # a v2 package's entries: one per texture set used, sharing the base's sha256
    v2 = [entry("eeee" * 16, pkg, manifest) for _ in range(2)]
    for e, res in zip(v2, ("1k", "2k")):
        e["entry"].update(resolution=res, resolutions=[res])
        e["import"]["shader_name"] = f"Oak {res}"
    (tmp / "library.json").write_text(json.dumps([entry("aaaa" * 16, pkg, manifest), entry("bbbb" * 16, new, manifest), gone, *v2]))
    out = tmp / "facts.json"
    env = blender_env(tmp, OCTANE_BRIDGE_BIN=os.path.join(HERE, "fake_bridge.py"), FAKE_BRIDGE_LIBRARY=str(tmp / "library.json"),
                      FAKE_BRIDGE_LOG=str(tmp / "bridge.jsonl"))
    facts = blender_facts("library_e2e.py", [addon_zip, str(out)], out, env, runtime=runtime)
    facts["manifest"], facts["sent"] = manifest, [json.loads(l) for l in (tmp / "bridge.jsonl").read_text().splitlines()]
    return facts


def test_the_library_is_listed_at_start_and_on_refresh_with_previews(lib):
    assert lib["online"] and lib["listed_at_start"] and lib["refresh"] == ["FINISHED"]
    m = lib["manifest"]
    assert [(e["shader_id"], e["name"], e["version"]) for e in lib["library"]] == [(m["shader_id"], m["name"], m["version"])] * 5
    assert lib["previews"] == {k: [256, 256] for k in ("aaaa", "bbbb", "cccc", "eeee")}  # preview.webp through bpy.utils.previews
    assert lib["described"][0] == f"v{m['version']}, {' / '.join(m['texture_resolutions'])}, 120.6 KB"


def test_apply_imports_onto_the_selection_like_a_reimport(lib):
    r1, r2 = lib["reply1"], lib["reply2"]
    assert lib["apply_results"][:2] == [["FINISHED"], ["FINISHED"]]
    assert r1["type"] == "imported" and r1["objects"] == ["Cube"] and r1["import_id"].startswith("library-")
    applied = [m for m in lib["sent"] if m["type"] == "library" and m.get("action") == "apply"]
    assert applied[0] == {"v": 1, "type": "library", "action": "apply", "sha256": "aaaa" * 16, "import_id": r1["import_id"]}
    assert lib["cube_material"] == lib["manifest"]["material_name"]
    assert lib["props"] == {"octane_bridge_shader_id": lib["manifest"]["shader_id"], "octane_bridge_version": lib["manifest"]["version"],
                            "octane_bridge_import_id": r1["import_id"]}
    assert r2["reused"] is True and [n for n in lib["materials"] if n.startswith(lib["cube_material"])] == [lib["cube_material"]]
    assert lib["problem_after_success"] == ""


def test_a_shader_too_new_for_this_blender_fails_in_words_before_appending(lib):
    r = lib["reply_too_new"]
    assert r["type"] == "import_failed" and r["code"] == "BLENDER_TOO_OLD" and "needs Blender 9.9 or newer" in r["message"]
    t = lib["too_new"]
    assert t["code"] == "BLENDER_TOO_OLD" and t["text"] == "This shader needs a newer version of Blender. Update Blender to import it."
    assert t["recent"] == t["text"] and t["action"]["url"].startswith("https://")
    assert lib["materials_after_too_new"] == lib["materials"]


def test_an_entry_gone_from_the_cache_is_explained_with_its_fix(lib):
    m = lib["missing"]
    assert m["code"] == "LIBRARY_ENTRY_MISSING" and "Import it again from the site" in m["text"]
    assert m["action"] == {"label": "Browse Shader Library", "operator": "octane_bridge.browse", "url": ""}
    assert "not in the local library" in lib["unknown_apply"]
    assert not [m for m in lib["sent"] if m.get("sha256") == "dddd" * 16]


def test_a_v2_entry_is_applied_at_its_resolution(lib):
    applied = [m for m in lib["sent"] if m["type"] == "library" and m.get("action") == "apply" and m["sha256"] == "eeee" * 16]
    assert [m.get("resolution") for m in applied] == ["2k"]
    assert lib["reply_v2"]["type"] == "imported" and lib["reply_v2"]["import_id"] == applied[0]["import_id"]
    assert lib["described"][4].startswith(f"v{lib['manifest']['version']}, 2k, ")
