#!/usr/bin/env node
// Threat 39, dependency integrity for npm (run by scripts/suites/web.sh):
// - every package the lockfile installs from the registry pins a sha512 `integrity`, so `npm ci`
//   refuses a tarball that differs; nothing comes from git, a file path or a plain-http URL;
// - entries without integrity are only the workspaces the root package.json declares (and
//   their node_modules links);
// - setup installs with `npm ci` (exactly the lockfile), and no script installs any other way.
// Usage: check-npm-lock.mjs [ROOT]. Prints what is wrong; exits 1 if anything is.
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(process.argv[2] || ".");
const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8"));
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const problems = [];
if (!(lock.lockfileVersion >= 2) || !lock.packages) problems.push(`lockfileVersion ${lock.lockfileVersion}: no "packages" map`);
const workspaces = new Set(pkg.workspaces || []);
let pinned = 0;
for (const [key, entry] of Object.entries(lock.packages || {})) {
  if (key === "") continue;
  if (entry.link) {
    if (!workspaces.has(entry.resolved)) problems.push(`${key}: links to ${entry.resolved}, not a declared workspace`);
    continue;
  }
  if (!key.startsWith("node_modules/") && !key.includes("/node_modules/")) {
    if (!workspaces.has(key)) problems.push(`${key}: a local package that is not a declared workspace`);
    continue;
  }
  if (!/^sha512-[A-Za-z0-9+/]{86}==$/.test(entry.integrity || "")) problems.push(`${key}: no sha512 integrity`);
  if (entry.resolved && !entry.resolved.startsWith("https://registry.npmjs.org/")) problems.push(`${key}: resolved from ${entry.resolved}`);
  pinned++;
}
const installer = new RegExp(["npm", "\\s+(install|i|add)(\\s|$)"].join(""), "m");
const lib = fs.readFileSync(path.join(root, "scripts", "lib.sh"), "utf8");
if (!/npm ci\b/.test(lib)) problems.push("scripts/lib.sh does not install with npm ci");
const scripts = [path.join(root, "Makefile"), path.join(root, ".ci", "run")];
for (const d of ["scripts", path.join("scripts", "suites")]) {
  for (const f of fs.readdirSync(path.join(root, d))) if (/\.(sh|mjs)$/.test(f)) scripts.push(path.join(root, d, f));
}
for (const f of scripts) {
  if (fs.existsSync(f) && installer.test(fs.readFileSync(f, "utf8"))) problems.push(`${path.relative(root, f)}: installs npm packages without the lockfile`);
}
for (const p of problems) console.log(`npm lockfile: ${p}`);
console.log(`npm lockfile: ${pinned} registry packages pinned by sha512, ${problems.length} problems`);
process.exit(problems.length ? 1 : 0);
