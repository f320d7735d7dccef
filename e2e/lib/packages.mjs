// Shader packages made for one run: a copy of a demo package under a new shader id (so a test
// may tamper with its object in the shared bucket without touching anybody else's), optionally
// padded with an incompressible texture to a target size (the benchmark's ~5 MB package).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { run } from "./proc.mjs";
import { goBuild, localDir, rootDir } from "./stack.mjs";

/** Deterministic pseudo-random bytes (same seed, same package, same SHA-256 across runs). */
function noise(size, seed) {
  const out = Buffer.alloc(size);
  let block = crypto.createHash("sha256").update(seed).digest();
  for (let off = 0; off < size; off += block.length) {
    block.copy(out, off, 0, Math.min(block.length, size - off));
    block = crypto.createHash("sha256").update(block).digest();
  }
  return out;
}

/** The committed demo package of a shader, as catalog/demo/catalog.json names it (versions change);
 * `schema` 2: its package format v2 version's base (the sets are beside it). */
export function demoPackage(shaderId, { schema = 1 } = {}) {
  const index = JSON.parse(fs.readFileSync(path.join(rootDir, "catalog/demo/catalog.json"), "utf8"));
  const entry = index.shaders.find((s) => s.shader_id === shaderId && (s.schema_version ?? 1) === schema);
  if (!entry) throw new Error(`catalog/demo/catalog.json has no shader ${shaderId}${schema === 2 ? " in format v2" : ""}`);
  return path.join(rootDir, "catalog/demo", entry.package);
}

/**
 * Packs `from` (a demo package zip) as shader `shaderId` into `outDir` (publish pack layout).
 * Returns { outDir, shaderId, version, materialName, zip, key }.
 */
export function makePackage({ publishBin, from, shaderId, name, isFree = false, padTo = 0, outDir, workDir, version }) {
  const src = path.join(workDir, shaderId);
  fs.rmSync(src, { recursive: true, force: true });
  fs.mkdirSync(src, { recursive: true });
  run("python3", ["-c", "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])", from, src]);
  const m = JSON.parse(fs.readFileSync(path.join(src, "manifest.json"), "utf8"));
  if (version) m.version = version; // another version of the same shader
  fs.rmSync(path.join(src, "manifest.json"));
  if (padTo > 0) {
    const have = m.files.reduce((n, f) => n + f.size, 0);
    const dir = path.join(src, "textures", "4k");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${shaderId}_detail.png`), noise(Math.max(1, padTo - have), shaderId));
  }
  const meta = {
    shader_id: shaderId, version: m.version, name, description: `${m.description ?? ""} (end-to-end test copy)`.trim(),
    material_name: m.material_name, category: m.category, tags: m.tags, min_blender: m.min_blender,
    min_octane: m.min_octane, is_free: isFree,
  };
  fs.writeFileSync(path.join(src, "meta.json"), JSON.stringify(meta, null, 1));
  run(publishBin, ["pack", "-out", outDir, src], { cwd: rootDir });
  const zip = path.join(outDir, "packages", `${shaderId}-${m.version}.zip`);
  if (!fs.existsSync(zip)) throw new Error(`publish pack did not write ${zip}`);
  return { outDir, shaderId, version: m.version, materialName: m.material_name, zip, key: `packages/${shaderId}/${m.version}.zip` };
}

/**
 * Packs a package-format-v2 copy of a demo shader as `shaderId` `version` into `outDir` (publish
 * pack's layout: packages/<id>/<version>.zip and packages/<id>/<version>/textures-<res>.zip): the
 * material.blend and preview.webp of the demo's v2 base and the files of its texture sets at
 * `resolutions` (beside the base in catalog/demo; the stack's catalog publish makes those not in
 * git), optionally padded (`padTo`). Returns { shaderId, version, materialName, base, sets: {res: zip}, keys } (keys: every S3
 * object it becomes).
 */
export function makePackageV2({ publishBin, demo, shaderId, name, version, resolutions, isFree = false, padTo = {}, outDir, workDir }) {
  const src = path.join(workDir, `${shaderId}-${version}`);
  fs.rmSync(src, { recursive: true, force: true });
  fs.mkdirSync(src, { recursive: true });
  const demoBase = demoPackage(demo, { schema: 2 });
  const unzip = (zip, dir) => run("python3", ["-c", "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])", zip, dir]);
  unzip(demoBase, src);
  const m = JSON.parse(fs.readFileSync(path.join(src, "manifest.json"), "utf8"));
  fs.rmSync(path.join(src, "manifest.json"));
  const setPath = (r) => path.join(demoBase.replace(/\.zip$/, ""), `textures-${r}.zip`);
  if (resolutions.some((r) => !fs.existsSync(setPath(r)))) {
    // Sets too large for git are generated from the committed manifests, as the stack's catalog publish does.
    const texgen = path.join(localDir, "e2e", "bin", "texgen");
    goBuild(texgen, "./cmd/texgen", { env: { GOAMD64: "v1" } });
    run(texgen, ["sets", path.join(rootDir, "catalog", "demo")], { cwd: rootDir });
  }
  for (const r of resolutions) {
    const set = setPath(r);
    if (!fs.existsSync(set)) throw new Error(`${demo} has no ${r} texture set at ${set}`);
    unzip(set, path.join(src, "textures", r));
  }
  // padTo {"4k": bytes}: every set gets an incompressible detail.png (the same name in each, as
  // sets must), that large in the named ones (the benchmark's ≥ 40 MB 4K download).
  if (Object.keys(padTo).length) {
    for (const r of resolutions) fs.writeFileSync(path.join(src, "textures", r, "detail.png"), noise(padTo[r] ?? 1024, `${shaderId} ${r}`));
  }
  const meta = {
    schema_version: 2, shader_id: shaderId, version, name, description: `${m.description ?? ""} (end-to-end test copy)`.trim(),
    material_name: m.material_name, category: m.category, tags: m.tags, min_blender: m.min_blender, min_octane: m.min_octane, is_free: isFree,
  };
  fs.writeFileSync(path.join(src, "meta.json"), JSON.stringify(meta, null, 1));
  run(publishBin, ["pack", "-out", outDir, src], { cwd: rootDir });
  const base = path.join(outDir, "packages", shaderId, `${version}.zip`);
  if (!fs.existsSync(base)) throw new Error(`publish pack did not write ${base}`);
  const sets = Object.fromEntries(resolutions.map((r) => [r, path.join(outDir, "packages", shaderId, version, `textures-${r}.zip`)]));
  const keys = [`packages/${shaderId}/${version}.zip`, ...resolutions.map((r) => `packages/${shaderId}/${version}/textures-${r}.zip`),
    ...[".webp", "-384.jpg", "-768.jpg"].map((x) => `previews/${shaderId}/${version}${x}`)];
  return { shaderId, version, materialName: m.material_name, base, sets, keys };
}

/** Publishes the packages under `dir` (publish pack's layout) into the run's database and bucket, as the stack's -publish does. */
export function publishInto(stack, dir, flags = []) {
  run(stack.bins.publish, ["--no-vet", "--skip-existing", ...flags, dir], { cwd: rootDir, env: { ...stack.env, DATABASE_URL: stack.dbURL } });
}

/**
 * A small package-format-v2 package for tests without Blender (the site's): a stand-in
 * material.blend (publish it with --no-vet), the demo oak-wood preview, and one texture set per
 * entry of `sets` ({"1k": bytes, …}) whose files are deterministic noise of about that size.
 * Packed into `outDir` (publish pack's layout); returns { shaderId, version, outDir }.
 */
export function makeFixtureV2({ publishBin, shaderId, name, version = "1.0.0", sets, isFree = true, outDir, workDir }) {
  const src = path.join(workDir, `${shaderId}-${version}`);
  fs.rmSync(src, { recursive: true, force: true });
  fs.mkdirSync(src, { recursive: true });
  run("python3", ["-c", "import sys, zipfile; open(sys.argv[2], 'wb').write(zipfile.ZipFile(sys.argv[1]).read('preview.webp'))",
    demoPackage("oak-wood"), path.join(src, "preview.webp")]);
  fs.writeFileSync(path.join(src, "material.blend"), `BLENDER-v304 ${shaderId} ${version}`);
  for (const [res, size] of Object.entries(sets)) {
    const dir = path.join(src, "textures", res);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "albedo.jpg"), noise(Math.round(size * 0.75), `${shaderId} albedo ${res}`));
    fs.writeFileSync(path.join(dir, "roughness.jpg"), noise(Math.round(size * 0.25), `${shaderId} roughness ${res}`));
  }
  const meta = {
    schema_version: 2, shader_id: shaderId, version, name, description: "A package format v2 fixture of the tests.",
    material_name: "OB_Fixture", category: "wood", tags: ["wood"], min_blender: "3.4", min_octane: "2024.1", is_free: isFree,
  };
  fs.writeFileSync(path.join(src, "meta.json"), JSON.stringify(meta, null, 1));
  run(publishBin, ["pack", "-out", outDir, src], { cwd: rootDir });
  return { shaderId, version, outDir };
}
