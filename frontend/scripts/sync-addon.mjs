// Copies the add-on build (dist/addon/: zips + Blender extensions index.json) into public/addon/
// so the site serves the downloads and the extensions repository. Runs before dev and build.
// Also writes files.json ({zips, latest}) for the Help page's downloads (lib/addon.ts reads it).
import fs from "node:fs";
import path from "node:path";

const here = path.dirname(new URL(import.meta.url).pathname);
const src = path.resolve(here, "../../dist/addon");
const dst = path.resolve(here, "../public/addon");

// Production: the add-on comes from the CDN (`make release`, lib/addon.ts); never ship a local build.
if (process.env.NEXT_PUBLIC_ADDON_BASE_URL) {
  fs.rmSync(dst, { recursive: true, force: true });
  console.log(`sync-addon: NEXT_PUBLIC_ADDON_BASE_URL is set, the add-on is served from ${process.env.NEXT_PUBLIC_ADDON_BASE_URL}`);
  process.exit(0);
}

if (!fs.existsSync(src)) {
  console.log(`sync-addon: ${path.relative(process.cwd(), src)} not built yet (make addon); Help shows no download`);
  process.exit(0);
}
fs.rmSync(dst, { recursive: true, force: true });
fs.mkdirSync(dst, { recursive: true });
const zips = [];
for (const name of fs.readdirSync(src)) {
  const from = path.join(src, name);
  if (!fs.statSync(from).isFile()) continue;
  fs.copyFileSync(from, path.join(dst, name));
  if (name.endsWith(".zip")) zips.push(name);
}
// Prefer the generic (all-platform) build for the single download button, else the newest zip.
zips.sort((a, b) => fs.statSync(path.join(src, b)).mtimeMs - fs.statSync(path.join(src, a)).mtimeMs);
const pick = zips.find((z) => !/(linux|windows|macos|darwin)/i.test(z)) ?? zips[0];
fs.writeFileSync(path.join(dst, "files.json"), JSON.stringify({ zips, latest: pick ?? null }, null, 2));
console.log(`sync-addon: ${zips.length} zip(s) -> public/addon/`);
