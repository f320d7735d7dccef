"""Build demo shader package folders in headless Blender.

    blender -b --factory-startup -noaudio --python-exit-code 1 -P build.py -- \
        --out DIR [--shard I/N] [--only id,id] [--samples 20] [--size 1024]

For each catalog entry it reads DIR/<id>/textures/<res>/ (the maps `texgen maps` generated; none
for an untextured material) and writes DIR/<id>/ material.blend (one material: Octane graph ->
Output ALL, Principled fallback -> Outputs CYCLES and EEVEE; images at //textures/<name>),
preview.webp (Cycles, CPU, with the smallest set) and meta.json (manifest fields, schema_version
2 when there are sets; the Go packer adds the file lists). Progress: "@@ <id> <stage>" lines.
"""

import argparse
import json
import math
import os
import shutil
import sys
import time

import bpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import materials  # noqa: E402
import octane_recipe  # noqa: E402
import versions  # noqa: E402

_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(_ROOT, "blender_addon"))
sys.path.insert(0, os.path.join(_ROOT, "internal", "shaderpkg", "octane"))
import octane_graph  # noqa: E402  (the add-on's builder: one way to turn a recipe into nodes)
import octane_probe  # noqa: E402  (OctaneBlender's node classes, rebuilt from the facts file)

STUDIO = os.path.join(bpy.utils.system_resource("DATAFILES"), "studiolights", "world")


def say(*parts):
    print("@@", *parts, flush=True)


def lin(c):
    """sRGB -> linear, per channel."""
    return tuple(octane_recipe.linear(c))


def rgba(c):
    return (*lin(c), 1.0)


def material_name(spec):
    words = "".join(ch if ch.isalnum() else " " for ch in spec["name"]).split()
    return ("OB_" + "".join(w[:1].upper() + w[1:] for w in words))[:63]


# ---------------------------------------------------------------------------------------------
# Node helpers


class G:
    def __init__(self, nt):
        self.nt = nt
        self.x = -1400

    def n(self, kind, inputs=None, **props):
        node = self.nt.nodes.new(kind)
        node.location = (self.x, 0)
        self.x += 60
        for k, v in props.items():
            setattr(node, k, v)
        for k, v in (inputs or {}).items():
            if isinstance(v, bpy.types.NodeSocket):
                self.nt.links.new(v, node.inputs[k])
            else:
                node.inputs[k].default_value = v
        return node

    def link(self, a, b):
        self.nt.links.new(a, b)

    def math(self, op, a, b=0.0, c=None, clamp=False):
        m = self.n("ShaderNodeMath", operation=op, use_clamp=clamp)
        for i, v in enumerate((a, b) if c is None else (a, b, c)):
            if isinstance(v, bpy.types.NodeSocket):
                self.link(v, m.inputs[i])
            else:
                m.inputs[i].default_value = v
        return m.outputs[0]

    def ramp(self, fac, stops, interp="LINEAR"):
        """stops: [(pos, (r,g,b) or value)]"""
        r = self.n("ShaderNodeValToRGB")
        r.color_ramp.interpolation = interp
        els = r.color_ramp.elements
        while len(els) < len(stops):
            els.new(0.5)
        for el, (pos, col) in zip(els, stops):
            el.position = pos
            el.color = (col, col, col, 1.0) if isinstance(col, (int, float)) else rgba(col)
        self.link(fac, r.inputs["Fac"])
        return r

    def mix(self, fac, a, b):
        m = self.n("ShaderNodeMixRGB", blend_type="MIX")
        self.link(fac, m.inputs["Fac"])
        for sock, v in ((m.inputs["Color1"], a), (m.inputs["Color2"], b)):
            if isinstance(v, bpy.types.NodeSocket):
                self.link(v, sock)
            else:
                sock.default_value = rgba(v)
        return m.outputs[0]

    def uv(self, sx, sy=None):
        tc = self.n("ShaderNodeTexCoord")
        mp = self.n("ShaderNodeMapping")
        mp.inputs["Scale"].default_value = (sx, sx if sy is None else sy, 1.0)
        self.link(tc.outputs["UV"], mp.inputs["Vector"])
        return mp.outputs[0]

    def noise(self, vec, scale=1.0, detail=6.0, rough=0.55, distortion=0.0):
        return self.n("ShaderNodeTexNoise", {"Vector": vec, "Scale": scale, "Detail": detail, "Roughness": rough,
                                              "Distortion": distortion})

    def voronoi(self, vec, scale=1.0, feature="F1", randomness=1.0):
        return self.n("ShaderNodeTexVoronoi", {"Vector": vec, "Scale": scale, "Randomness": randomness},
                      feature=feature)

    def wave(self, vec, scale=1.0, distortion=0.0, detail=2.0, kind="BANDS", direction="X", profile="SIN"):
        w = self.n("ShaderNodeTexWave", {"Vector": vec, "Scale": scale, "Distortion": distortion, "Detail": detail},
                   wave_type=kind, wave_profile=profile)
        if kind == "BANDS":
            w.bands_direction = direction
        else:
            w.rings_direction = "SPHERICAL"
        return w


# ---------------------------------------------------------------------------------------------
# Scenes


def setup_cycles(scene, samples, size, threads):
    scene.render.engine = "CYCLES"
    cy = scene.cycles
    cy.device = "CPU"
    cy.samples = samples
    cy.use_adaptive_sampling = True
    cy.adaptive_threshold = 0.03
    cy.use_denoising = False  # Debian's Blender 3.4 has no OpenImageDenoise
    cy.max_bounces = 8
    cy.diffuse_bounces = 2
    cy.glossy_bounces = 4
    cy.transmission_bounces = 8
    cy.transparent_max_bounces = 4
    cy.caustics_reflective = False
    cy.caustics_refractive = False
    cy.sample_clamp_indirect = 3.0
    cy.blur_glossy = 0.8
    scene.render.resolution_x = size
    scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.render.threads_mode = "FIXED"
    scene.render.threads = threads
    scene.render.use_persistent_data = True


def make_preview_scene(samples, size, threads):
    sc = bpy.data.scenes.new("Preview")
    setup_cycles(sc, samples, size, threads)
    sc.view_settings.view_transform = "Filmic"
    sc.view_settings.look = "Medium High Contrast"
    sc.render.image_settings.file_format = "WEBP"
    sc.render.image_settings.quality = 82
    sc.render.image_settings.color_mode = "RGB"

    # World: studio HDR for reflections and fill; the camera sees a soft dark gradient.
    w = bpy.data.worlds.new("PreviewWorld")
    sc.world = w
    w.use_nodes = True
    nt = w.node_tree
    nt.nodes.clear()
    g = G(nt)
    env = g.n("ShaderNodeTexEnvironment")
    env.image = bpy.data.images.load(os.path.join(STUDIO, "courtyard.exr"))
    hdr = g.n("ShaderNodeBackground", {"Color": env.outputs["Color"], "Strength": 0.9})
    lp = g.n("ShaderNodeLightPath")
    grad_coord = g.n("ShaderNodeTexCoord")
    sep = g.n("ShaderNodeSeparateXYZ", {"Vector": grad_coord.outputs["Window"]})
    bgcol = g.mix(sep.outputs["Y"], (0.05, 0.055, 0.06), (0.16, 0.17, 0.19))
    bg = g.n("ShaderNodeBackground", {"Color": bgcol, "Strength": 1.0})
    mix = g.n("ShaderNodeMixShader", {"Fac": lp.outputs["Is Camera Ray"]})
    g.link(hdr.outputs[0], mix.inputs[1])
    g.link(bg.outputs[0], mix.inputs[2])
    out = g.n("ShaderNodeOutputWorld")
    g.link(mix.outputs[0], out.inputs["Surface"])

    # Shader ball: a smooth UV sphere whose UVs are stretched 2:1 so texels are square.
    bpy.ops.mesh.primitive_uv_sphere_add(segments=96, ring_count=48, radius=1.0, location=(0, 0, 0))
    ball = bpy.context.active_object
    for p in ball.data.polygons:
        p.use_smooth = True
    for loop in ball.data.uv_layers.active.data:
        loop.uv = (loop.uv[0] * 2.0, loop.uv[1])
    ball.rotation_euler = (0, 0, math.radians(-90))  # UV seam to the back
    for c in ball.users_collection:
        c.objects.unlink(ball)
    sc.collection.objects.link(ball)

    # Backdrop: floor curving up into a back wall.
    verts, faces = [], []
    prof = [(-6.0, -1.0)] + [(1.5 + 2.0 * math.sin(math.radians(90 * i / 12)),
                              -1.0 + 2.0 * (1 - math.cos(math.radians(90 * i / 12)))) for i in range(13)] + [(3.5, 6.0)]
    for x in (-8.0, 8.0):
        for y, z in prof:
            verts.append((x, y, z))
    n = len(prof)
    for i in range(n - 1):
        faces.append((i, i + 1, n + i + 1, n + i))
    me = bpy.data.meshes.new("Backdrop")
    me.from_pydata(verts, [], faces)
    for p in me.polygons:
        p.use_smooth = True
    floor = bpy.data.objects.new("Backdrop", me)
    sc.collection.objects.link(floor)
    fm = bpy.data.materials.new("BackdropMat")
    fm.use_nodes = True
    bsdf = fm.node_tree.nodes["Principled BSDF"]
    bsdf.inputs["Base Color"].default_value = rgba((0.2, 0.21, 0.23))
    bsdf.inputs["Roughness"].default_value = 0.7
    me.materials.append(fm)

    # Key and rim lights.
    for name, loc, power, size in (("Key", (-3.5, -3.0, 4.0), 900.0, 3.0), ("Rim", (3.5, 2.5, 3.0), 500.0, 2.0)):
        ld = bpy.data.lights.new(name, "AREA")
        ld.energy = power
        ld.size = size
        lo = bpy.data.objects.new(name, ld)
        lo.location = loc
        direction = -lo.location
        lo.rotation_euler = direction.to_track_quat("-Z", "Y").to_euler()
        sc.collection.objects.link(lo)

    cam = bpy.data.cameras.new("PreviewCam")
    cam.lens = 70
    co = bpy.data.objects.new("PreviewCam", cam)
    co.location = (0, -6.4, 1.5)
    target = co.location.copy()
    target.x, target.y, target.z = 0.0, 0.0, -0.08
    co.rotation_euler = (target - co.location).to_track_quat("-Z", "Y").to_euler()
    sc.collection.objects.link(co)
    sc.camera = co
    return sc, ball


# ---------------------------------------------------------------------------------------------
# The packaged material


def build_material(spec, version, tex_paths):
    """tex_paths: role (octane_recipe.MAPS) -> absolute path of the map to load for rendering."""
    mat = bpy.data.materials.new(material_name(spec))
    mat.use_nodes = True
    nt = mat.node_tree
    nt.nodes.clear()
    g = G(nt)
    g.x = -900

    # Principled fallback -> CYCLES and EEVEE outputs.
    p = g.n("ShaderNodeBsdfPrincipled")
    p.location = (0, 0)
    p.name = "Fallback Principled"
    images = {}
    uvn = None
    for i, (role, path) in enumerate(sorted(tex_paths.items())):
        img = bpy.data.images.load(path)
        img.name = os.path.basename(path)
        img.colorspace_settings.name = octane_recipe.MAPS[role][1]
        tn = g.n("ShaderNodeTexImage", image=img)
        tn.name = "Fallback " + role
        tn.location = (-600, 400 - 260 * i)
        if uvn is None:
            uvn = g.n("ShaderNodeTexCoord")
            uvn.location = (-900, 0)
        g.link(uvn.outputs["UV"], tn.inputs["Vector"])
        images[role] = tn
    base = lin(spec["base"])
    tex = spec.get("tex", {})
    colour = images["albedo"].outputs["Color"] if "albedo" in images else None
    if colour is not None and "ao" in images:
        m = g.n("ShaderNodeMixRGB", {"Fac": 1.0, "Color1": colour, "Color2": images["ao"].outputs["Color"]},
                blend_type="MULTIPLY")
        m.name = "Fallback albedo x AO"
        colour = m.outputs[0]
    if colour is not None:
        g.link(colour, p.inputs["Base Color"])
    else:
        p.inputs["Base Color"].default_value = (*base, 1.0)
    p.inputs["Metallic"].default_value = spec.get("metallic", 0.0)
    p.inputs["Roughness"].default_value = spec.get("roughness", 0.5)
    if "roughness" in images:
        g.link(images["roughness"].outputs["Color"], p.inputs["Roughness"])
    if "metallic" in images:
        g.link(images["metallic"].outputs["Color"], p.inputs["Metallic"])
    if "normal" in images:
        nm = g.n("ShaderNodeNormalMap", {"Color": images["normal"].outputs["Color"], "Strength": 1.0}, space="TANGENT")
        nm.name = "Fallback normal map"
        g.link(nm.outputs["Normal"], p.inputs["Normal"])
    disp = None
    if "height" in images:
        # True displacement where the mesh has the vertices for it (Cycles); the normal map
        # carries the detail either way, so bump-only displacement would count it twice.
        disp = g.n("ShaderNodeDisplacement", {"Height": images["height"].outputs["Color"], "Midlevel": 0.5,
                                             "Scale": materials.RELIEF_DEPTH * tex.get("bump", 0)})
        disp.name = "Fallback displacement"
        mat.cycles.displacement_method = "DISPLACEMENT"
    p.inputs["Specular"].default_value = spec.get("specular", 0.5)
    p.inputs["IOR"].default_value = spec.get("ior", 1.45)
    if spec.get("transmission"):
        p.inputs["Transmission"].default_value = spec["transmission"]
        if "albedo" not in images:
            p.inputs["Base Color"].default_value = (*lin(spec.get("transmission_color", spec["base"])), 1.0)
        mat.use_screen_refraction = True
        mat.blend_method = "HASHED"
    if spec.get("coat"):
        p.inputs["Clearcoat"].default_value = spec["coat"]
        p.inputs["Clearcoat Roughness"].default_value = spec.get("coat_roughness", 0.03)
    if spec.get("sheen"):
        p.inputs["Sheen"].default_value = spec["sheen"]
    if spec.get("anisotropy"):
        p.inputs["Anisotropic"].default_value = spec["anisotropy"]
    if spec.get("subsurface"):
        p.inputs["Subsurface"].default_value = spec["subsurface"] * 0.2
        p.inputs["Subsurface Color"].default_value = (*base, 1.0)
        p.inputs["Subsurface Radius"].default_value = (1.0, 0.5, 0.3)
    if spec.get("emission"):
        color, power = spec["emission"]
        if tex.get("emit_from_albedo") and "albedo" in images:
            g.link(images["albedo"].outputs["Color"], p.inputs["Emission"])
        else:
            p.inputs["Emission"].default_value = (*lin(color), 1.0)
        p.inputs["Emission Strength"].default_value = power
    for target, y in (("CYCLES", 150), ("EEVEE", -150)):
        o = g.n("ShaderNodeOutputMaterial", target=target)
        o.name = "Fallback Output " + target
        o.label = "Fallback (%s)" % target
        o.location = (350, y)
        g.link(p.outputs["BSDF"], o.inputs["Surface"])
        if disp is not None:
            g.link(disp.outputs["Displacement"], o.inputs["Displacement"])

    # Octane graph -> ALL output, built from the recipe stored beside it as JSON; its image
    # nodes show the same image datablocks as the fallback.
    rel = octane_recipe.texture_paths([os.path.basename(path) for path in tex_paths.values()])
    by_rel = {rel[role]: tn.image for role, tn in images.items()}
    graph = octane_recipe.recipe(spec, rel, materials.RELIEF_DEPTH)
    octane_graph.build(nt, graph, lambda path, _colorspace: by_rel[path], x=-300, y=900)
    mat[octane_graph.RECIPE_PROPERTY] = octane_recipe.to_json(graph)
    mat["octane_bridge"] = {"shader_id": spec["id"], "version": version}
    mat["Real Scale (mm)"] = 1000.0
    return mat


def write_blend(mat, path):
    """Writes the material alone; its images point at //textures/<name> (package format v2: one
    .blend for every resolution, the add-on points them at the chosen set)."""
    mat.use_fake_user = True
    for n in mat.node_tree.nodes:
        if n.type == "TEX_IMAGE" and n.image:
            n.image.filepath_raw = "//textures/" + os.path.basename(n.image.filepath_raw)
    bpy.data.libraries.write(path, {mat}, path_remap="NONE", fake_user=True, compress=True)


def build_one(spec, version, out_dir, preview, reuse_previews):
    """out_dir/<id>/textures/<res>/ holds the maps texgen generated (none for an untextured
    material); the smallest set is what the preview renders with."""
    pkg = os.path.join(out_dir, spec["id"])
    os.makedirs(pkg, exist_ok=True)
    tdir = os.path.join(pkg, "textures")
    sets = sorted(os.listdir(tdir), key=lambda r: int(r[:-1])) if os.path.isdir(tdir) else []
    tex_paths = {}
    if sets:
        names = set(os.listdir(os.path.join(tdir, sets[0])))
        for role, (name, _cs) in octane_recipe.MAPS.items():
            if name in names:
                tex_paths[role] = os.path.join(tdir, sets[0], name)
    elif "tex" in spec:
        raise SystemExit("%s: no texture sets in %s (run texgen maps first)" % (spec["id"], tdir))
    mat = build_material(spec, version, tex_paths)
    say(spec["id"], "material")
    sc, ball = preview
    if reuse_previews:
        shutil.copyfile(os.path.join(reuse_previews, spec["id"] + ".webp"), os.path.join(pkg, "preview.webp"))
    else:
        ball.data.materials.clear()
        ball.data.materials.append(mat)
        sc.render.filepath = os.path.join(pkg, "preview.webp")
        with bpy.context.temp_override(scene=sc):
            bpy.ops.render.render(write_still=True, scene=sc.name)
        ball.data.materials.clear()
    say(spec["id"], "preview")
    write_blend(mat, os.path.join(pkg, "material.blend"))
    say(spec["id"], "blend")
    meta = {
        "shader_id": spec["id"], "version": version, "name": spec["name"], "description": spec["desc"],
        "material_name": mat.name, "category": spec["category"], "tags": spec["tags"],
        "min_blender": "3.4", "min_octane": "2024.1", "is_free": bool(spec.get("free")),
    }
    if sets:
        meta["schema_version"] = 2
    with open(os.path.join(pkg, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    imgs = [n.image for n in mat.node_tree.nodes if n.type == "TEX_IMAGE" and n.image]
    bpy.data.materials.remove(mat)
    for img in imgs:
        bpy.data.images.remove(img)


def main():
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--shard", default="0/1")
    ap.add_argument("--only", default="")
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--versions", default="", help="JSON {shader_id: version} (generate.py); default 1.0.0")
    ap.add_argument("--reuse-previews", default="", help="copy DIR/<id>.webp instead of rendering a preview")
    a = ap.parse_args(argv)
    chosen = {}
    if a.versions:
        with open(a.versions) as f:
            chosen = json.load(f)
    materials.validate()
    idx, count = (int(x) for x in a.shard.split("/"))
    specs = [s for i, s in enumerate(materials.CATALOG) if i % count == idx]
    if a.only:
        want = set(a.only.split(","))
        specs = [s for s in specs if s["id"] in want]
    octane_probe.register()
    preview = make_preview_scene(a.samples, a.size, a.threads)
    for spec in specs:
        t = time.time()
        samples = int(a.samples * (1.5 if spec.get("transmission") or spec.get("subsurface") else 1))
        preview[0].cycles.samples = samples
        build_one(spec, chosen.get(spec["id"], versions.FIRST), a.out, preview, a.reuse_previews)
        say(spec["id"], "done", "%.1fs" % (time.time() - t))


main()
