// Package format v2 (issue 16) for the end-to-end tests and the benchmark: the shader page's
// texture resolution picker, the v2 versions in the run's database, and the bridge's cache.
import fs from "node:fs";
import path from "node:path";

/** Picks `res` ("4k") in the shader page's resolution picker and waits until it is the checked one. */
export async function pickResolution(page, res) {
  const picker = page.getByTestId("resolution-picker");
  await picker.locator("label", { hasText: new RegExp(`^${res.toUpperCase()}`) }).click();
  const radio = picker.getByRole("radio", { name: new RegExp(`^${res.toUpperCase()}`) });
  await page.waitForFunction((el) => el.checked, await radio.elementHandle());
}

/** The resolutions the page lists with their sizes as shown, e.g. [["1K", "3.2 MB"], …]. */
export async function pickerChoices(page) {
  const labels = page.getByTestId("resolution-picker").locator("label");
  const out = [];
  for (const l of await labels.all()) {
    const value = await l.locator("input").getAttribute("value");
    out.push({ value, checked: await l.locator("input").isChecked(), size: (await l.getByTestId("download-size").innerText()).trim() });
  }
  return out;
}

/** A shader version's base and texture sets as published: { version_id, version, sha256, size, sets: [{resolution, sha256, size, object_key, files}] }. */
export function versionObjects(h, stack, slug, version = null) {
  const v = h.qjson(stack, `select sv.id as version_id, sv.version, sv.sha256, sv.size, sv.manifest
      from public.shader_versions sv join public.shaders s on s.id = sv.shader_id
      where s.slug = '${slug}' ${version ? `and sv.version = '${version}'` : ""} order by sv.created_at desc limit 1`)[0];
  if (!v) throw new Error(`no published version of ${slug}${version ? ` ${version}` : ""}`);
  v.sets = h.qjson(stack, `select resolution, sha256, size, object_key, files from public.texture_sets
      where version_id = '${v.version_id}' order by split_part(resolution, 'k', 1)::int`);
  return v;
}

/** The bridge cache's entries (folder names under pkg/), for "what was fetched" checks. */
export function cacheEntries(cacheDir) {
  const d = path.join(cacheDir, "pkg");
  return fs.existsSync(d) ? fs.readdirSync(d).filter((n) => !n.startsWith(".")) : [];
}
