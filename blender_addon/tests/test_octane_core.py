import os

from core.octane import closure, image_specs, node_types, package_file, summary


def make_pkg(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "textures" / "1k").mkdir(parents=True)
    (pkg / "textures" / "1k" / "a.jpg").write_bytes(b"x")
    (tmp_path / "secret.png").write_bytes(b"s")
    return pkg


def test_package_file_resolves_blend_relative_and_plain_paths_inside_the_package(tmp_path):
    pkg = make_pkg(tmp_path)
    want = os.path.realpath(pkg / "textures" / "1k" / "a.jpg")
    assert package_file(str(pkg), "//textures/1k/a.jpg") == want
    assert package_file(str(pkg), "textures/1k/a.jpg") == want
    assert package_file(str(pkg), "//textures\\1k\\a.jpg") == want
    assert package_file(str(pkg), "//./textures//1k/a.jpg") == want
    # a file that is not there still resolves (the caller checks it exists)
    assert package_file(str(pkg), "//textures/1k/b.jpg") == os.path.realpath(pkg / "textures" / "1k" / "b.jpg")


def test_package_file_never_leaves_the_package(tmp_path):
    pkg = make_pkg(tmp_path)
    secret = str(tmp_path / "secret.png")
    for bad in ("//../secret.png", "../secret.png", "textures/../../secret.png", secret, "/etc/passwd",
                "C:/Windows/win.ini", "c:\\x.png", "//", "", "//.", None, 42, "a\0b"):
        assert package_file(str(pkg), bad) is None, bad
    # a symlink inside the package that points out of it
    os.symlink(tmp_path / "secret.png", pkg / "textures" / "1k" / "link.png")
    assert package_file(str(pkg), "//textures/1k/link.png") is None
    assert package_file("", "textures/1k/a.jpg") is None


def test_image_specs_and_node_types_read_the_recipe():
    recipe = {"nodes": [
        {"id": "m", "type": "OctaneUniversalMaterial"},
        {"id": "a", "type": "OctaneRGBImage", "image": {"path": "//t/a.jpg", "colorspace": "sRGB"}},
        {"id": "r", "type": "OctaneGreyscaleImage", "image": {"path": "//t/r.jpg", "colorspace": "Non-Color"}},
        {"id": "x", "type": "OctaneGreyscaleImage", "image": {"path": "//t/x.jpg"}},
        {"id": "bad", "type": "OctaneRGBImage", "image": "//t/a.jpg"},
        "junk",
    ]}
    assert image_specs(recipe) == {"a": ("//t/a.jpg", "sRGB"), "r": ("//t/r.jpg", "Non-Color"), "x": ("//t/x.jpg", "sRGB")}
    assert node_types(recipe) == ["OctaneGreyscaleImage", "OctaneRGBImage", "OctaneUniversalMaterial"]
    assert image_specs(None) == {} and node_types({}) == []


def test_closure_walks_nested_groups_once_and_ends_on_a_cycle():
    tree = {"mat": ["outer", None], "outer": ["inner", "shared"], "inner": ["innermost", "shared"],
            "innermost": ["outer"], "shared": []}
    got = closure(["mat"], lambda t: tree[t], key=lambda t: t)
    assert got == ["mat", "outer", "inner", "shared", "innermost"]
    assert closure([None], lambda t: []) == []


def test_summary_names_the_first_reasons():
    assert summary([]) == ""
    assert summary(["a", "b"]) == "a; b"
    assert summary(["a", "b", "c", "d", "e"]) == "a; b; c (and 2 more)"


def test_set_texture_name_reads_v2_paths_wherever_append_rebased_them():
    from core.octane import set_texture_name

    assert set_texture_name("//textures/albedo.jpg") == "albedo.jpg"
    assert set_texture_name("/cache/pkg/textures/normal.png") == "normal.png"
    assert set_texture_name("C:\\cache\\pkg\\textures\\rough.jpg") == "rough.jpg"
    # v1 paths (a resolution folder), other folders and non-names are not set files
    for bad in ("//textures/1k/albedo.jpg", "//albedo.jpg", "//textures/", "//textures/..", "//textures/.",
                "textures/C:x", "textures/a\0b", None, 3):
        assert set_texture_name(bad) is None, bad


def test_set_file_stays_in_the_texture_folder(tmp_path):
    from core.octane import set_file

    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "a.jpg").write_bytes(b"x")
    os.symlink(tmp_path / "secret.png", tmp_path / "set" / "link.png")
    assert set_file(str(tmp_path / "set"), "a.jpg") == os.path.realpath(tmp_path / "set" / "a.jpg")
    for bad in ("../secret.png", "sub/a.jpg", "", "..", "link.png", None):
        assert set_file(str(tmp_path / "set"), bad) is None, bad
    assert set_file("", "a.jpg") is None
