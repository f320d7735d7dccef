"""The add-on inside OctaneBlender (docs/packages.md, "In OctaneBlender"), in real headless Blender
(Debian's 3.4 and bpy from PyPI) with probe classes built from OctaneBlender's node definitions
(internal/shaderpkg/octane/octane_probe.py) standing in for OctaneBlender.

Also: scripted drivers in nested node groups are stripped on import."""

import os
import shutil
import subprocess

import pytest

from test_blender_addon import ROOT, RUNTIMES, addon_zip, blender_env, blender_facts, run_blender  # noqa: F401 (fixture)

TEXTURED, GLASS, EMISSIVE = "oak-wood", "clear-glass", "lava"


def run_script(runtime, zip_path, tmp_path, mode, *extra, script="octane_import_e2e.py"):
    out = tmp_path / "facts.json"
    f = blender_facts(script, [zip_path, str(tmp_path), str(out), mode, *extra], out,
                blender_env(tmp_path), timeout=240, runtime=runtime)
    return f


@pytest.fixture(scope="module", params=RUNTIMES)
def replay(request, addon_zip, tmp_path_factory):
    f = run_script(request.param, addon_zip, tmp_path_factory.mktemp("octane-replay"), "replay")
    f["runtime"] = request.param
    return f


def octane_nodes(nodes):
    return {k: v for k, v in nodes.items() if k.startswith("Octane ") and k != "Octane Output"}


def test_without_octaneblender_nothing_octane_changes(replay):
    assert replay["installed_without"] is False
    r = replay["reply_without"]
    assert r["type"] == "imported" and "Octane nodes" not in r["message"].replace("the Octane nodes are kept", "")
    # the stored nodes stay as they are (undefined here), for an OctaneBlender installed later
    nodes = replay["nodes_without"]
    assert {k: v["type"] for k, v in octane_nodes(nodes).items()} == {
        "Octane material": "NodeUndefined", "Octane albedo": "NodeUndefined",
        "Octane rough": "NodeUndefined", "Octane emission": "NodeUndefined"}
    assert ["Octane material", "out", "Octane Output", "Surface"] in replay["links_without"]


def test_undefined_graph_is_rebuilt_from_the_recipe(replay):
    assert replay["installed_with"] is True
    r = replay["reply_with"]
    assert r["type"] == "imported" and r["objects"] == ["Cube"], r
    assert "Rebuilt its Octane nodes" in r["message"]
    recipe = replay["recipe"]
    nodes = replay["nodes_with"]
    # the real (stand-in) classes, one node per recipe node, no stored node left over
    assert {k: v["type"] for k, v in octane_nodes(nodes).items()} == {"Octane " + n["id"]: n["type"] for n in recipe["nodes"]}
    assert not any(v["type"] == "NodeUndefined" for v in nodes.values())
    assert not any(k.startswith("Stored ") for k in nodes)
    # values and properties from the recipe
    for n in recipe["nodes"]:
        got = nodes["Octane " + n["id"]]
        for name, value in n.get("inputs", {}).items():
            assert got["values"][name] == pytest.approx(value), (n["id"], name)
        if "a_compatibility_version" in n.get("props", {}):
            assert got["compat"] == n["props"]["a_compatibility_version"]
    # links from the recipe, and the material node feeds the one ALL output
    links = replay["links_with"]
    for l in recipe["links"]:
        assert ["Octane " + l["from"], l["output"], "Octane " + l["to"], l["input"]] in links, l
    outputs = {k: v for k, v in nodes.items() if v["type"] == "ShaderNodeOutputMaterial"}
    assert sorted(v["target"] for v in outputs.values()) == ["ALL", "CYCLES"]
    assert nodes["Octane Output"]["target"] == "ALL"
    assert [l for l in links if l[2] == "Octane Output"] == [["Octane material", "Material out", "Octane Output", "Surface"]]
    assert replay["mismatches_after"] == []
    # the fallback is untouched
    assert ["Fallback Principled", "BSDF", "Fallback Output CYCLES", "Surface"] in links


def test_rebuilt_image_nodes_show_the_packages_files_in_the_cache(replay):
    nodes = replay["nodes_with"]
    pkg = replay["pkg"]
    for nid, fname, cs in (("albedo", "replay_albedo.png", "sRGB"), ("rough", "replay_rough.png", "Non-Color")):
        n = nodes["Octane " + nid]
        assert n["image"] == os.path.join(pkg, "textures", "1k", fname) and n["image_exists"], n
        assert n["colorspace"] == cs
    # the rebuilt albedo node shares the fallback's (already re-pointed) image datablock
    assert nodes["Fallback albedo"]["image"] == nodes["Octane albedo"]["image"]


def test_one_undo_reverts_the_whole_import_and_redo_brings_the_rebuilt_graph(replay):
    assert replay["cube_after"] == ["OB_Replay"]
    assert replay["cube_after_undo"] == replay["cube_before"]
    assert replay["materials_after_undo"] == replay["materials_before"]
    assert "OB_Replay" not in replay["materials_after_undo"]
    # the rebuild was part of the same step: redoing it brings back the rebuilt graph, not the stored one
    redo = replay["nodes_after_redo"]
    assert redo is not None and not any(v["type"] == "NodeUndefined" for v in redo.values())
    assert {k: v["type"] for k, v in octane_nodes(redo).items()} == {
        k: v["type"] for k, v in octane_nodes(replay["nodes_with"]).items()}


def test_fitting_graph_is_kept_and_its_image_nodes_get_the_packages_files(replay):
    r = replay["reply_fit"]
    assert r["type"] == "imported" and "Rebuilt" not in r["message"]
    nodes, pkg = replay["nodes_fit"], replay["pkg_fit"]
    tex = os.path.join(pkg, "textures", "1k")
    # the fallback's image, re-pointed at the cache
    assert nodes["Octane albedo"]["image"] == os.path.join(tex, "fit_albedo.png") and nodes["Octane albedo"]["image_exists"]
    # an image outside the package, and no image at all: the recipe's file in the package
    assert nodes["Octane rough"]["image"] == os.path.join(tex, "fit_rough.png") and nodes["Octane rough"]["image_exists"]
    assert nodes["Octane rough"]["colorspace"] == "Non-Color"
    assert nodes["Octane mask"]["image"] == os.path.join(tex, "fit_rough.png")
    assert nodes["Octane mask"]["values"]["Invert"] is True
    # a recipe path that leaves the package is never read
    assert "image" not in nodes["Octane escape"]
    assert not any("secret.png" in p for p in replay["images_loaded"])
    assert all(p.startswith(pkg + os.sep) or p.startswith(replay["pkg"] + os.sep) for p in replay["images_loaded"]), replay["images_loaded"]


def test_a_recipe_this_release_cannot_build_leaves_the_stored_graph(replay):
    r = replay["reply_bad"]
    assert r["type"] == "imported" and "could not be rebuilt" in r["message"], r
    nodes = replay["nodes_bad"]
    assert {k: v["type"] for k, v in octane_nodes(nodes).items()} == {
        "Octane material": "NodeUndefined", "Octane albedo": "NodeUndefined",
        "Octane rough": "NodeUndefined", "Octane emission": "NodeUndefined"}
    assert not any(k.startswith("Stored ") for k in nodes)
    assert sum(1 for v in nodes.values() if v["type"] == "ShaderNodeOutputMaterial" and v.get("target") == "ALL") == 1
    assert ["Octane material", "out", "Octane Output", "Surface"] in replay["links_bad"]


def test_a_socket_layout_this_release_does_not_have_is_rebuilt(replay):
    r = replay["reply_layout"]
    assert r["type"] == "imported" and "Rebuilt its Octane nodes" in r["message"], r
    n = replay["nodes_layout"]["Octane material"]
    assert n["type"] == "OctaneSpecularMaterial" and n["undefined_sockets"] == 0
    assert n["values"]["Transmission"] == pytest.approx([0.9, 0.95, 1.0])
    assert n["values"]["Index of refraction"] == pytest.approx(1.333)
    assert [l for l in replay["links_layout"] if l[2] == "Octane Output"] == [
        ["Octane material", "Material out", "Octane Output", "Surface"]]


def test_a_v2_packages_rebuilt_image_nodes_show_the_texture_set_and_follow_a_switch(replay):
    assert replay["reply_v2"]["type"] == "imported" and "Rebuilt its Octane nodes" in replay["reply_v2"]["message"], replay["reply_v2"]
    sets = replay["sets_v2"]
    for step, res in (("nodes_v2", "1k"), ("nodes_v2_switch", "2k")):
        nodes = replay[step]
        for nid, fname in (("albedo", "replay_albedo.png"), ("rough", "replay_rough.png")):
            n = nodes["Octane " + nid]
            assert n["image"] == os.path.join(sets, res, fname) and n["image_exists"], (step, n)
        assert nodes["Fallback albedo"]["image"] == os.path.join(sets, res, "replay_albedo.png")
    assert replay["reply_v2_switch"]["type"] == "imported", replay["reply_v2_switch"]
    assert replay["nodes_v2_switch"]["Octane rough"]["colorspace"] == "Non-Color"  # kept by the switch


# ---------------------------------------------------------------------------------------------
# Packages from the catalog generator: a textured shader, a glass and an emissive one


@pytest.fixture(scope="session")
def built_packages(tmp_path_factory):
    """catalog/blender/build.py (Blender 3.4, the generator's Blender) for three shaders, tiny previews,
    over the 1k maps `texgen maps` makes (format v2 source folders: <id>/textures/1k/<name>)."""
    out = tmp_path_factory.mktemp("built")
    go = shutil.which("go") or "/usr/local/go/bin/go"
    p = subprocess.run([go, "run", "./cmd/texgen", "maps", "-res", "1k", "-only", ",".join((TEXTURED, EMISSIVE)), "-out", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=600,
                       env={**os.environ, "GOAMD64": "v1", "GOFLAGS": os.environ.get("GOFLAGS", "-mod=mod")})
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    run_blender(os.path.join(ROOT, "catalog", "blender", "build.py"),
                ["--only", ",".join((TEXTURED, GLASS, EMISSIVE)), "--samples", "1", "--size", "32", "--out", str(out)],
                os.environ, timeout=300)
    assert sorted(os.listdir(out)) == sorted((TEXTURED, GLASS, EMISSIVE))
    return str(out)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_textured_glass_and_emissive_shaders_arrive_in_octaneblender(runtime, addon_zip, built_packages, tmp_path):
    f = run_script(runtime, addon_zip, tmp_path, "catalog", built_packages)
    for slug, entry in f["imports"].items():
        assert entry["reply"]["type"] == "imported", entry["reply"]
        assert "Rebuilt" not in entry["reply"]["message"]  # the generator's graph fits the release
    for slug in (TEXTURED, EMISSIVE):
        e = f["imports"][slug]
        images = {k: v for k, v in e["nodes"].items() if v["type"] in ("OctaneRGBImage", "OctaneGreyscaleImage")}
        assert images, f"{slug}: no Octane image nodes"
        for name, n in images.items():
            assert n.get("image_exists") and n["image"].startswith(e["pkg"] + os.sep), (slug, name, n)
    lava = f["imports"][EMISSIVE]
    emission = [k for k, v in lava["nodes"].items() if v["type"] == "OctaneTextureEmission"]
    assert emission and any(l[0] == emission[0] and l[2].startswith("Octane ") for l in lava["links"])
    # a glass has no image: its Specular material and transmission colour arrived
    glass = f["imports"][GLASS]
    want = next(n for n in glass["recipe"]["nodes"] if n["type"] == "OctaneSpecularMaterial")
    spec = glass["nodes"]["Octane " + want["id"]]
    assert spec["type"] == "OctaneSpecularMaterial"
    assert spec["values"]["Transmission"] == pytest.approx(want["inputs"]["Transmission"])
    assert sum(spec["values"]["Transmission"]) > 0  # not a black mirror
    assert spec["values"]["Index of refraction"] == pytest.approx(want["inputs"]["Index of refraction"])
    assert ["Octane " + want["id"], "Material out", "Octane Output", "Surface"] in glass["links"]


# ---------------------------------------------------------------------------------------------
# Scripted drivers in nested node groups


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_scripted_drivers_in_nested_node_groups_are_stripped(runtime, addon_zip, tmp_path):
    out = tmp_path / "facts.json"
    f = blender_facts("nested_driver_e2e.py", [addon_zip, str(tmp_path), str(out)], out,
                blender_env(tmp_path), runtime=runtime)
    assert f["reply"]["type"] == "imported", f["reply"]
    assert f["drivers_before"] == {"OB_Nested": 1, "NG_Outer": 1, "NG_Inner": 1, "NG_Innermost": 2}
    # every scripted driver is gone, at every depth; the plain (non-scripted) one stays
    assert f["scripted_after"] == {"OB_Nested": 0, "NG_Outer": 0, "NG_Inner": 0, "NG_Innermost": 0}
    assert f["plain_after"] == 1
    assert f["marker_exists"] is False
