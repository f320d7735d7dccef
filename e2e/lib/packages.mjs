// Shader packages made for one run: a copy of a demo package under a new shader id (so a test
// may tamper with its object in the shared bucket without touching anybody else's), optionally
// padded with an incompressible texture to a target size (the benchmark's ~5 MB package).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { run } from "./proc.mjs";
import { rootDir } from "./stack.mjs";

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

/** The committed demo package of a shader, as catalog/demo/catalog.json names it (versions change). */
export function demoPackage(shaderId) {
  const index = JSON.parse(fs.readFileSync(path.join(rootDir, "catalog/demo/catalog.json"), "utf8"));
  const entry = index.shaders.find((s) => s.shader_id === shaderId);
  if (!entry) throw new Error(`catalog/demo/catalog.json has no shader ${shaderId}`);
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
