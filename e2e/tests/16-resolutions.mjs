// Issue 16: package format v2 — a base and one texture set per resolution, each its own S3 object.
// In Blender: an import at 1K, Switch Resolution to 2K asked from Blender (same material datablock
// everywhere, images on the 2K files, the base not fetched again), one undo reverts it; Update to a
// newer version in place, one undo reverts it; a v1 package still imports. On the web: 4K picked on
// the shader page, the bridge fetches the base and the 4K set only. Refusals: an unknown resolution
// is INVALID_INPUT (site, API and Blender); a tampered texture set fails its own checksum and leaves
// the base and the other sets alone. docs/e2e.md describes each.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { makePackageV2, publishInto } from "../lib/packages.mjs";
import { run } from "../lib/proc.mjs";
import { cacheEntries, pickResolution, pickerChoices, versionObjects } from "../lib/resolutions.mjs";
import { bridgeDone as doneRecord } from "../lib/hops.mjs";

const DEMO = "oak-wood"; // the demo catalog's package-format-v2 shader (1K, 2K, 4K)
const SHA = /^[0-9a-f]{64}$/;
const sha256 = (b) => crypto.createHash("sha256").update(b).digest("hex");

/** The run's own v2 shader (a Pro copy of the demo's, sets 1K and 2K) at `version`, published into the stack. */
function publishV2(ctx, h, version) {
  const id = `e2e-v2-${h.runId.replace(/[^a-z0-9]/g, "")}`.slice(0, 60);
  const work = path.join(ctx.stack.tmp, "v2-packages");
  const outDir = path.join(work, `out-${version}`);
  const pkg = makePackageV2({
    publishBin: ctx.stack.bins.publish, demo: DEMO, shaderId: id, name: `Resolutions ${h.runId.slice(-6)}`, version,
    resolutions: ["1k", "2k"], outDir, workDir: path.join(work, "src"),
  });
  ctx.stack.onStop(() => { try { run(ctx.stack.bins.s3tool, ["rm", ...pkg.keys], { env: ctx.stack.env }); } catch { /* best effort */ } });
  publishInto(ctx.stack, outDir);
  return pkg;
}

/** The run's v2 shader with versions 1.0.0 and 1.0.1 published (by the switch/update test, else here); the newest one's objects. */
function runShader(ctx, h) {
  if (!ctx.v2run) {
    const p = publishV2(ctx, h, "1.0.0");
    publishV2(ctx, h, "1.0.1");
    ctx.v2run = { shaderId: p.shaderId };
  }
  return { shaderId: ctx.v2run.shaderId, newest: versionObjects(h, ctx.stack, ctx.v2run.shaderId, "1.0.1") };
}

/** The bridge's "import done" record of an import (its trace: at_ms and the bytes fetched per
 * object), once written (it follows the done report). */
async function bridgeDone(ctx, h, importId) {
  const log = path.join(ctx.blender.credDir, "logs", "bridge.log");
  await h.waitFor(() => doneRecord(log, importId) !== null, 10_000, `the bridge's "import done" line of ${importId}`);
  return doneRecord(log, importId);
}

/** The add-on's reply to an import (by id), after the bridge handed it over. */
const replyOf = (ctx, id, since, ms = 60_000) =>
  ctx.blender.waitEvent((e) => e.ev === "reply" && e.reply.import_id === id, ms, `the add-on's reply to import ${id}`, since);

/** The import Blender asked for (request_import answered by the bridge with the edge's import id). */
async function requested(ctx, since, what) {
  const ev = await ctx.blender.waitEvent((e) => e.ev === "msg" && ((e.type === "request_import" && e.fields.import_id) || e.type === "error"), 30_000, what, since);
  if (ev.type === "error") throw new Error(`${what}: the bridge answered ${JSON.stringify(ev.fields)}`);
  return ev.fields.import_id;
}

/** Every image of the cube's material shows a file of `set` in `dir` that matches the signed list. */
function checkImages(h, cube, dir, set, what) {
  const names = new Set(set.files.map((f) => f.path));
  h.assert(cube.images.length > 0, `${what}: the material shows no image`);
  for (const p of cube.images) {
    h.assert(path.dirname(p) === dir && names.has(path.basename(p)), `${what}: image ${p} is not a file of the ${set.resolution} set in ${dir}`);
    const f = set.files.find((x) => x.path === path.basename(p));
    const b = fs.readFileSync(p);
    h.assert(b.length === f.size && sha256(b) === f.sha256, `${what}: ${p} does not match the signed ${set.resolution} set`);
  }
}

/** A cache entry holds exactly the signed files, each with its size and SHA-256. */
function checkEntry(h, ctx, sha, files, what) {
  const dir = path.join(ctx.blender.cacheDir, "pkg", sha);
  h.assert(fs.existsSync(dir), `${what}: no cache entry pkg/${sha}`);
  for (const f of files) {
    const p = path.join(dir, f.path);
    h.assert(fs.existsSync(p), `${what}: the entry lacks ${f.path}`);
    const b = fs.readFileSync(p);
    h.assert(b.length === f.size && sha256(b) === f.sha256, `${what}: ${f.path} does not match its signed checksum`);
  }
}

const importRow = (h, ctx, id) => h.qjson(ctx.stack, `select id, status, resolution, purpose, version, error_code, error_message from public.imports where id = '${id}'`)[0];

async function putSettings(ctx, h, body) {
  const jwt = await h.userJWT(ctx, h.PRO);
  const r = await fetch(`${ctx.stack.urls.edge}/v1/settings`, {
    method: "PUT", headers: { authorization: `Bearer ${jwt}`, "content-type": "application/json" }, body: JSON.stringify(body),
  });
  h.assert(r.status === 200, `PUT /v1/settings ${JSON.stringify(body)}: ${r.status} ${await r.text()}`);
}

async function postImport(ctx, h, body) {
  const jwt = await h.userJWT(ctx, h.PRO);
  const r = await fetch(`${ctx.stack.urls.edge}/v1/imports`, {
    method: "POST", headers: { authorization: `Bearer ${jwt}`, "content-type": "application/json" }, body: JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

export default [
  {
    name: "format v2 in Blender: import at 1K from the page, Switch Resolution to 2K from Blender (the same material datablock on every object, its images on the 2K files, the base not fetched again), one undo reverts it; Update to a newer version in place (every object keeps the material's name), one undo reverts it",
    needs: ["bridge", "device"],
    async fn(ctx, h) {
      const { page } = ctx.pro;
      const p1 = publishV2(ctx, h, "1.0.0");
      const v1 = versionObjects(h, ctx.stack, p1.shaderId, "1.0.0");
      h.assert(v1.sets.map((s) => s.resolution).join() === "1k,2k", `published sets: ${JSON.stringify(v1.sets)}`);
      const [set1k, set2k] = v1.sets;

      // 1. Imported at 1K from the shader page.
      await ctx.blender.cmd("reset_cube");
      await h.openShader(ctx, page, p1.shaderId);
      const choices = await pickerChoices(page);
      h.assert(choices.map((c) => c.value).join() === "1k,2k", `the page offers ${JSON.stringify(choices)}`);
      await pickResolution(page, "1k");
      let since = ctx.blender.mark();
      const before = new Date().toISOString();
      await h.importButton(page).click();
      await h.waitPageStatus(page, "done", 60_000);
      const first = importRow(h, ctx, h.latestImport(ctx, h.PRO, before).id);
      h.assert(first.status === "done" && first.resolution === "1k" && first.purpose === "import", `imports row: ${JSON.stringify(first)}`);
      const imported = await replyOf(ctx, first.id, since);
      const f1 = imported.import_fields;
      h.assert(imported.reply.type === "imported" && f1.resolution === "1k" && f1.textures_dir && (f1.apply?.mode ?? "assign") === "assign",
        `the 1K import: ${JSON.stringify(imported.reply)} ${JSON.stringify({ resolution: f1.resolution, textures_dir: f1.textures_dir, apply: f1.apply })}`);
      checkImages(h, imported.cube, f1.textures_dir, set1k, "after the 1K import");
      h.assert(imported.cube.provenance.octane_bridge?.resolution === "1k", `octane_bridge: ${JSON.stringify(imported.cube.provenance)}`);
      const mat = imported.cube.active_material;

      // A second object shows the same material, and the datablock gets a mark only it carries.
      const shared = await ctx.blender.cmd("share_material", { object: "Plane16", mark: h.runId });
      h.assert(JSON.stringify(shared.cube.material_users) === '["Cube","Plane16"]', `users: ${shared.cube.material_users}`);
      const ptr = shared.cube.material_ptr;

      // 2. Switch Resolution to 2K, asked in Blender: only the 2K set is fetched.
      since = ctx.blender.mark();
      const sw = await ctx.blender.cmd("switch_resolution", { resolution: "2k", material: mat });
      h.assert(sw.result.includes("FINISHED"), `Switch Resolution: ${JSON.stringify(sw)}`);
      const swId = await requested(ctx, since, "the switch's request_import");
      const switched = await replyOf(ctx, swId, since);
      const fs2 = switched.import_fields;
      h.assert(switched.reply.type === "imported" && fs2.apply?.mode === "switch" && fs2.apply.material === mat && fs2.resolution === "2k",
        `the switch: ${JSON.stringify(switched.reply)} apply ${JSON.stringify(fs2.apply)} resolution ${fs2.resolution}`);
      const c2 = switched.cube;
      h.assert(c2.active_material === mat && c2.material_ptr === ptr && c2.material_mark === h.runId,
        `the switch changed the datablock: ${c2.active_material} ptr ${c2.material_ptr} (was ${ptr}) mark ${c2.material_mark}`);
      h.assert(JSON.stringify(c2.material_users) === '["Cube","Plane16"]', `after the switch the material is on ${c2.material_users}`);
      checkImages(h, c2, fs2.textures_dir, set2k, "after the switch");
      h.assert(JSON.stringify(c2.images.map((p) => path.basename(p))) === JSON.stringify(imported.cube.images.map((p) => path.basename(p))), "the switch changed which files the images show");
      h.assert(c2.provenance.octane_bridge?.resolution === "2k" && c2.provenance.octane_bridge_version === "1.0.0", `provenance after the switch: ${JSON.stringify(c2.provenance)}`);
      h.assert(fs2.package_dir === f1.package_dir, `the switch used another base entry: ${fs2.package_dir} vs ${f1.package_dir}`);
      await h.waitFor(() => importRow(h, ctx, swId)?.status === "done", 10_000, "the switch's imports row done");
      const swRow = importRow(h, ctx, swId);
      h.assert(swRow.purpose === "switch" && swRow.resolution === "2k" && swRow.version === "1.0.0", `the switch's imports row: ${JSON.stringify(swRow)}`);
      const swTrace = await bridgeDone(ctx, h, swId);
      h.assert(swTrace?.fetched && !swTrace.fetched.base && swTrace.fetched.textures === Number(set2k.size),
        `the switch fetched ${JSON.stringify(swTrace?.fetched)} (want no base bytes and the 2K set's ${set2k.size})`);

      // 3. One undo: the 1K files again, the same material on both objects.
      const u1 = await ctx.blender.cmd("undo");
      h.assert(u1.result.includes("FINISHED"), `undo: ${JSON.stringify(u1.result)}`);
      h.assert(u1.cube.active_material === mat && JSON.stringify(u1.cube.material_users) === '["Cube","Plane16"]', `after undo: ${u1.cube.active_material} on ${u1.cube.material_users}`);
      checkImages(h, u1.cube, f1.textures_dir, set1k, "after undoing the switch");
      h.assert(u1.cube.provenance.octane_bridge?.resolution === "1k", `provenance after undo: ${JSON.stringify(u1.cube.provenance)}`);

      // 4. A newer version is published; Update to v1.0.1 replaces the material in place.
      publishV2(ctx, h, "1.0.1");
      const v2 = versionObjects(h, ctx.stack, p1.shaderId, "1.0.1");
      since = ctx.blender.mark();
      const up = await ctx.blender.cmd("update_material", { version: "1.0.1", material: mat });
      h.assert(up.result.includes("FINISHED"), `Update: ${JSON.stringify(up)}`);
      const upId = await requested(ctx, since, "the update's request_import");
      const updated = await replyOf(ctx, upId, since);
      const fu = updated.import_fields;
      h.assert(updated.reply.type === "imported" && fu.apply?.mode === "update" && fu.apply.material === mat && fu.version === "1.0.1" && fu.resolution === "1k",
        `the update: ${JSON.stringify(updated.reply)} apply ${JSON.stringify(fu.apply)} ${fu.version} ${fu.resolution}`);
      const cu = updated.cube;
      h.assert(cu.active_material === mat && cu.provenance.octane_bridge_version === "1.0.1" && cu.provenance.octane_bridge?.resolution === "1k",
        `after the update: ${cu.active_material} ${JSON.stringify(cu.provenance)}`);
      h.assert(cu.material_mark == null, "the update kept the old datablock (it carries the old one's mark)");
      h.assert(JSON.stringify(cu.material_users) === '["Cube","Plane16"]', `after the update the material is on ${cu.material_users}`);
      checkImages(h, cu, fu.textures_dir, v2.sets[0], "after the update");
      const st = await ctx.blender.cmd("state");
      h.assert(st.materials.filter((m) => m === mat || m.startsWith(`${mat}.`)).length === 1, `materials after the update: ${st.materials}`);
      await h.waitFor(() => importRow(h, ctx, upId)?.status === "done", 10_000, "the update's imports row done");
      const upRow = importRow(h, ctx, upId);
      h.assert(upRow.purpose === "update" && upRow.version === "1.0.1" && upRow.resolution === "1k", `the update's imports row: ${JSON.stringify(upRow)}`);

      // 5. One undo: version 1.0.0 (the marked datablock) on both objects again.
      const u2 = await ctx.blender.cmd("undo");
      h.assert(u2.cube.active_material === mat && u2.cube.provenance.octane_bridge_version === "1.0.0" && u2.cube.material_mark === h.runId,
        `after undoing the update: ${u2.cube.active_material} ${JSON.stringify(u2.cube.provenance)} mark ${u2.cube.material_mark}`);
      h.assert(JSON.stringify(u2.cube.material_users) === '["Cube","Plane16"]', `after undoing the update the material is on ${u2.cube.material_users}`);
      checkImages(h, u2.cube, f1.textures_dir, set1k, "after undoing the update");
      ctx.v2run = { shaderId: p1.shaderId };
      h.log(`v2: 1K import, switch to 2K (${swTrace.fetched.textures} bytes, base from the cache), undo, update to 1.0.1, undo`);
    },
  },
  {
    name: "format v1 still imports: an older v1 version of a shader whose latest is v2 arrives with its textures from its one package, no resolution",
    needs: ["bridge", "device"],
    async fn(ctx, h) {
      const v = h.qjson(ctx.stack, `select s.id as shader_id, sv.version, sv.sha256, sv.manifest from public.shader_versions sv join public.shaders s on s.id = sv.shader_id
        where s.slug = '${DEMO}' and not exists (select 1 from public.texture_sets t where t.version_id = sv.id) and sv.texture_resolutions <> '{}'
        order by sv.created_at desc limit 1`)[0];
      h.assert(v, `${DEMO} has no published v1 version with textures`);
      await ctx.blender.cmd("reset_cube");
      const since = ctx.blender.mark();
      const r = await postImport(ctx, h, { shader_id: v.shader_id, version: v.version, device_id: ctx.device.id, instance_id: ctx.blender.ready.instance_id });
      h.assert(r.status === 201 && r.body.resolution === null, `POST /v1/imports (v1 ${v.version}): ${r.status} ${JSON.stringify(r.body)}`);
      const reply = await replyOf(ctx, r.body.import_id, since);
      const f = reply.import_fields;
      h.assert(reply.reply.type === "imported" && !f.textures_dir && !f.resolution && f.version === v.version, `v1 import: ${JSON.stringify(reply.reply)} ${JSON.stringify({ textures_dir: f.textures_dir, resolution: f.resolution })}`);
      h.assert(reply.cube.provenance.octane_bridge_version === v.version, `provenance ${JSON.stringify(reply.cube.provenance)}`);
      const dir = path.join(ctx.blender.cacheDir, "pkg", v.sha256);
      checkEntry(h, ctx, v.sha256, v.manifest.files, "the v1 package");
      h.assert(reply.cube.images.length > 0 && reply.cube.images.every((p) => p.startsWith(dir + path.sep)), `v1 images outside its entry: ${reply.cube.images}`);
      await h.waitFor(() => importRow(h, ctx, r.body.import_id)?.status === "done", 10_000, "the v1 import's row done");
    },
  },
  {
    name: "web: 4K picked on the shader page (sizes listed, remembered as the default) — the bridge fetches the base and the 4K set only",
    needs: ["bridge", "device"],
    async fn(ctx, h) {
      const { page } = ctx.pro;
      const v = versionObjects(h, ctx.stack, DEMO);
      h.assert(v.sets.map((s) => s.resolution).join() === "1k,2k,4k", `${DEMO} ${v.version} sets: ${v.sets.map((s) => s.resolution)}`);
      const set4k = v.sets[2];
      await putSettings(ctx, h, { default_resolution: "2k" });
      await ctx.blender.cmd("reset_cube");
      const m = ctx.blender.mark();
      await ctx.blender.cmd("clear_cache");
      await ctx.blender.waitEvent((e) => e.ev === "msg" && (e.type === "cache_stats" || e.type === "error"), 10_000, "cache cleared", m);
      await h.openShader(ctx, page, DEMO);
      const choices = await pickerChoices(page);
      h.assert(choices.map((c) => `${c.value}${c.checked ? "*" : ""}`).join() === "1k,2k*,4k", `the picker: ${JSON.stringify(choices)}`);
      h.assert(choices.every((c) => /^[\d.]+ (KB|MB)$/.test(c.size)), `sizes shown: ${choices.map((c) => c.size)}`);
      await pickResolution(page, "4k");
      await page.getByText("4K is now your default resolution.").waitFor();
      h.assert(h.q1(ctx.stack, `select default_resolution from public.user_settings where user_id = '${h.PRO.id}'`) === "4k", "the 4K pick was not saved");
      await page.screenshot({ path: path.join(h.shotDir, "resolution-4k.png") });
      const since = ctx.blender.mark();
      const before = new Date().toISOString();
      await h.importButton(page).click();
      await h.waitPageStatus(page, "done", 90_000);
      const row = importRow(h, ctx, h.latestImport(ctx, h.PRO, before).id);
      h.assert(row.resolution === "4k" && row.version === v.version, `imports row: ${JSON.stringify(row)}`);
      const reply = await replyOf(ctx, row.id, since);
      h.assert(reply.reply.type === "imported" && reply.import_fields.resolution === "4k", `reply: ${JSON.stringify(reply.reply)}`);
      checkImages(h, reply.cube, reply.import_fields.textures_dir, set4k, "the 4K import");
      // What was fetched: the bridge's trace, and the cache (cleared before) holds the base and the 4K set only.
      const trace = await bridgeDone(ctx, h, row.id);
      h.assert(trace?.fetched?.base === Number(v.size) && trace.fetched.textures === Number(set4k.size),
        `the bridge fetched ${JSON.stringify(trace?.fetched)}; the base is ${v.size} bytes, the 4K set ${set4k.size}`);
      const entries = cacheEntries(ctx.blender.cacheDir).filter((n) => SHA.test(n)).sort();
      h.assert(JSON.stringify(entries) === JSON.stringify([v.sha256, set4k.sha256].sort()), `cache entries ${entries}; want the base ${v.sha256} and the 4K set ${set4k.sha256}`);
      checkEntry(h, ctx, set4k.sha256, set4k.files, "the 4K set");
      await putSettings(ctx, h, { default_resolution: "2k" }); // later tests fetch the smaller set
    },
  },
  {
    name: "refusals: a resolution the version lacks is INVALID_INPUT (API, v1 and v2, and a switch asked in Blender); a tampered texture set fails its own checksum, the base and the other set stay cached and the material unchanged",
    needs: ["bridge", "device"],
    async fn(ctx, h) {
      const { page } = ctx.pro;
      const shaderId = h.q1(ctx.stack, `select id from public.shaders where slug = '${DEMO}'`);
      const count = () => h.q1(ctx.stack, `select count(*) from public.imports where user_id = '${h.PRO.id}'`);
      const n0 = count();
      for (const [body, want] of [
        [{ shader_id: shaderId, resolution: "3k" }, /1k, 2k, 4k/],
        [{ shader_id: shaderId, resolution: "8k" }, /8k/],
        [{ shader_id: shaderId, version: h.qjson(ctx.stack, `select sv.version from public.shader_versions sv where sv.shader_id = '${shaderId}' and not exists (select 1 from public.texture_sets t where t.version_id = sv.id) limit 1`)[0]?.version, resolution: "4k" }, /4k/],
      ]) {
        const r = await postImport(ctx, h, { ...body, device_id: ctx.device.id });
        h.assert(r.status === 400 && r.body.error?.code === "INVALID_INPUT" && want.test(r.body.error.message), `POST /v1/imports ${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.body)}`);
      }
      h.assert(count() === n0, "a refused import left a row");

      // From Blender: a switch to a resolution the version lacks is refused in words, nothing changes.
      const run0 = runShader(ctx, h);
      await ctx.blender.cmd("reset_cube");
      await h.openShader(ctx, page, run0.shaderId);
      await pickResolution(page, "1k");
      let since = ctx.blender.mark();
      let before = new Date().toISOString();
      await h.importButton(page).click();
      await h.waitPageStatus(page, "done", 60_000);
      const base = await replyOf(ctx, h.latestImport(ctx, h.PRO, before).id, since);
      const mat = base.cube.active_material;
      since = ctx.blender.mark();
      await ctx.blender.cmd("switch_resolution", { resolution: "4k", material: mat });
      const err = await ctx.blender.waitEvent((e) => e.ev === "msg" && e.type === "error" && e.fields.code === "INVALID_INPUT", 30_000, "the bridge's INVALID_INPUT for a 4K switch", since);
      h.assert(/4k/.test(err.fields.message ?? ""), `the refusal: ${JSON.stringify(err.fields)}`);
      const after = await ctx.blender.cmd("state");
      h.assert(JSON.stringify(after.cube.images) === JSON.stringify(base.cube.images), "a refused switch changed the images");

      // A tampered 2K set of the newest version: same size, 64 bytes flipped.
      const v = run0.newest;
      const set1k = v.sets.find((s) => s.resolution === "1k");
      const set2k = v.sets.find((s) => s.resolution === "2k");
      const good = fs.readFileSync(path.join(ctx.stack.tmp, "v2-packages", `out-${v.version}`, "packages", run0.shaderId, v.version, "textures-2k.zip"));
      h.assert(sha256(good) === set2k.sha256, "the published 2K set is not the one the test tampers with");
      const bad = Buffer.from(good);
      for (let i = 0; i < 64; i++) bad[(bad.length >> 1) + i] ^= 0xff;
      const badPath = path.join(ctx.stack.tmp, "tampered-set.zip");
      fs.writeFileSync(badPath, bad);
      run(ctx.stack.bins.s3tool, ["put", set2k.object_key, badPath], { env: ctx.stack.env });
      // The base and the 1K set of that version are in the cache (the update above fetched them).
      checkEntry(h, ctx, v.sha256, v.manifest.files, "the base before");
      checkEntry(h, ctx, set1k.sha256, set1k.files, "the 1K set before");
      await h.openShader(ctx, page, run0.shaderId);
      await pickResolution(page, "2k");
      since = ctx.blender.mark();
      before = new Date().toISOString();
      await h.importButton(page).click();
      const text = await h.waitPageStatus(page, "failed", 60_000);
      const row = importRow(h, ctx, h.latestImport(ctx, h.PRO, before).id);
      h.assert(row.status === "failed" && row.error_code === "CHECKSUM_MISMATCH" && row.resolution === "2k", `imports row: ${JSON.stringify(row)}`);
      h.assert(/2k texture set/.test(row.error_message ?? "") && /^Failed/.test(text), `the failure names the set: ${row.error_message} (page: ${text})`);
      const ev = await ctx.blender.waitEvent((e) => e.ev === "msg" && e.type === "import_status" && e.fields.import_id === row.id && e.fields.status === "failed", 15_000, "import_status failed in Blender", since);
      h.assert(ev.fields.code === "CHECKSUM_MISMATCH", `bridge → add-on: ${JSON.stringify(ev.fields)}`);
      h.assert(!ctx.blender.events.slice(since).some((e) => e.ev === "reply" && e.reply.import_id === row.id), "the add-on was asked to import a tampered set");
      const st = await ctx.blender.cmd("state");
      h.assert(st.cube.active_material === mat && JSON.stringify(st.cube.images) === JSON.stringify(base.cube.images), "the material changed after a failed import");
      h.assert(!fs.existsSync(path.join(ctx.blender.cacheDir, "pkg", set2k.sha256)) && !fs.existsSync(path.join(ctx.blender.cacheDir, "pkg", sha256(bad))), "the tampered set is in the cache");
      checkEntry(h, ctx, v.sha256, v.manifest.files, "the base after");
      checkEntry(h, ctx, set1k.sha256, set1k.files, "the 1K set after");
    },
  },
];
