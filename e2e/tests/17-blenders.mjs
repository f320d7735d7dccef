// Several Blenders on one machine, and cancel (issue 17 items 1 and 2): two headless Blenders
// share the machine's pairing and bridge cache, each is its own import target on the page, an
// import lands in exactly the one it names, one quits and the other keeps working; an import is
// cancelled from the page (queued, and mid-download) and from Blender (mid-download), the bridge
// stops the download and keeps the partial file, and a later import of the package completes.
import fs from "node:fs";
import path from "node:path";
import { Blender } from "../lib/blender.mjs";
import { makePackage, demoPackage } from "../lib/packages.mjs";
import { run, sleep } from "../lib/proc.mjs";

// Large enough that the download is still running when the test pauses the bridge on its first
// progress report (the pause makes the cancel land mid-download whatever the machine's speed).
const BIG_BYTES = 128 << 20;
let big = null; // the run's large package { shaderId, key, zip, sha }

/** Imports on the current page and returns the new imports row once the page shows `until`. */
async function importOnPage(ctx, h, page, until) {
  const before = new Date().toISOString();
  await h.importButton(page).click();
  await h.waitPageStatus(page, until, 60_000);
  return h.latestImport(ctx, h.PRO, before);
}

const instanceOf = (ctx, h, id) => h.q1(ctx.stack, `select coalesce(instance_id::text, '') from public.imports where id = '${id}'`);
const replies = (b, since, id) => b.events.slice(since).filter((e) => e.ev === "reply" && e.reply.import_id === id);

/** The running import's id once the bridge reports its download under way (bytes arrived). */
async function waitDownloading(b, since) {
  const ev = await b.waitEvent((e) => e.ev === "msg" && e.type === "progress" && e.fields.stage === "downloading" && e.fields.bytes > 0,
    60_000, "a download under way", since);
  return ev.fields.import_id;
}

/** Pauses the bridge process (SIGSTOP) for f, then lets it go on. */
async function paused(b, f) {
  const { bridge_pid: pid } = await b.cmd("state");
  process.kill(pid, "SIGSTOP");
  try {
    return await f();
  } finally {
    process.kill(pid, "SIGCONT");
  }
}

function publishBig(ctx, h) {
  if (big) return big;
  const tmp = path.join(ctx.stack.tmp, "big-package");
  const outDir = path.join(tmp, "out");
  const shaderId = `e2e-big-${h.runId.replace(/[^a-z0-9]/g, "")}`.slice(0, 60);
  const p = makePackage({ publishBin: ctx.stack.bins.publish, from: demoPackage("oak-wood"), shaderId, name: `Big ${h.runId.slice(-6)}`,
    padTo: BIG_BYTES, outDir, workDir: path.join(tmp, "src") });
  run(ctx.stack.bins.publish, ["--no-vet", "--skip-existing", outDir], { env: { ...ctx.stack.env, PATH: process.env.PATH } });
  const keys = [p.key, ...[".webp", "-384.jpg", "-768.jpg"].map((s) => `previews/${shaderId}/${p.version}${s}`)];
  ctx.stack.onStop(() => run(ctx.stack.bins.s3tool, ["rm", ...keys], { env: ctx.stack.env }));
  const sha = h.q1(ctx.stack, `select sv.sha256 from public.shader_versions sv join public.shaders s on s.id = sv.shader_id where s.slug = '${shaderId}'`);
  h.assert(sha === h.sha256(fs.readFileSync(p.zip)), `the big package is not published (${sha})`);
  big = { ...p, sha };
  h.log(`published ${shaderId} (${(fs.statSync(p.zip).size / 1048576).toFixed(0)} MB)`);
  return big;
}

/** The bridge's partial download of the big package: its size, or -1 when there is none. */
function partSize(ctx) {
  const part = path.join(ctx.blender.cacheDir, "downloads", `${big.sha}.zip.part`);
  return fs.existsSync(part) ? fs.statSync(part).size : -1;
}

export default [
  {
    name: "two Blenders on one machine: the second shares the pairing, the page lists both by file, Browse Shader Library preselects its own, an import lands only in the Blender it names",
    needs: ["bridge", "device"],
    async fn(ctx, h) {
      const { page } = ctx.pro;
      await ctx.blender.cmd("save_as", { path: path.join(ctx.stack.tmp, "scene.blend") });
      const dir = path.join(ctx.stack.tmp, "blender-2");
      fs.mkdirSync(dir, { recursive: true });
      // Same machine and OS user: the machine's bridge cache and device key, its own Blender folder.
      const second = await Blender.start({ zip: ctx.zip, tmp: dir, urls: ctx.stack.urls, anonKey: ctx.stack.env.SUPABASE_ANON_KEY,
        logFile: path.join(ctx.stack.logDir, "blender-2.log"),
        dirs: { home: path.join(dir, "blender-home"), cacheDir: ctx.blender.cacheDir, credDir: ctx.blender.credDir } });
      ctx.stack.onStop(() => second.stop());
      ctx.second = second;
      const on = await second.waitState((s) => s.paired && s.state === "online", 45_000, "the second Blender online with the machine's pairing");
      h.assert(on.device_id === ctx.device.id, `the second Blender is device ${on.device_id}, not the machine's ${ctx.device.id}`);
      h.assert(!second.events.some((e) => e.ev === "msg" && e.type === "pair_code"), "the second Blender asked to pair again");
      h.assert(on.instance_id && on.instance_id !== ctx.blender.ready.instance_id, "both Blenders have the same instance id");
      await second.cmd("save_as", { path: path.join(dir, "assets.blend") });
      await second.cmd("select_cube");
      const scene = ctx.blender.ready.instance_id, assets = on.instance_id;
      await h.waitFor(() => {
        const rows = h.qjson(ctx.stack, `select id, blend_file from public.device_instances where device_id = '${ctx.device.id}'
          and stopped_at is null and last_seen_at > now() - interval '90 seconds' order by blend_file`);
        return JSON.stringify(rows) === JSON.stringify([{ id: assets, blend_file: "assets.blend" }, { id: scene, blend_file: "scene.blend" }]);
      }, 20_000, "both Blenders announced with their files");

      // Browse Shader Library in the second Blender names it; the page preselects it.
      await second.cmd("browse");
      const opened = (await second.cmd("state")).opened.at(-1);
      h.assert(opened === `${ctx.stack.urls.site}/?device=${ctx.device.id}.${assets}`, `Browse Shader Library opened ${opened}`);
      await ctx.blender.cmd("reset_cube");
      await second.cmd("reset_cube");
      await h.openShader(ctx, page, h.MAIN_SHADER, second);
      const options = await page.locator("#device option").allTextContents();
      for (const want of ["● scene.blend — Blender", "● assets.blend — Blender"]) {
        h.assert(options.some((o) => o.startsWith(want) && o.endsWith("— online")), `the picker lists ${options.join(" | ")}`);
      }
      await page.screenshot({ path: path.join(h.shotDir, "two-blenders-picker.png") });

      let since1 = ctx.blender.mark(), since2 = second.mark();
      const toAssets = await importOnPage(ctx, h, page, "done");
      h.assert(instanceOf(ctx, h, toAssets.id) === assets, `the import went to Blender ${instanceOf(ctx, h, toAssets.id)}, not assets.blend's`);
      await second.waitEvent((e) => e.ev === "reply" && e.reply.import_id === toAssets.id, 10_000, "the import in the second Blender", since2);
      h.assert(replies(ctx.blender, since1, toAssets.id).length === 0, "the first Blender imported the second one's import too");
      h.assert((await second.cmd("state")).cube.provenance.octane_bridge_import_id === toAssets.id, "the second Blender's cube lacks its import");
      h.assert((await ctx.blender.cmd("state")).cube.provenance.octane_bridge_import_id !== toAssets.id, "the first Blender's cube got it");

      // The other one, chosen in the picker.
      await h.openShader(ctx, page, h.MAIN_SHADER, second);
      await page.getByLabel("Import into").selectOption(`${ctx.device.id}.${scene}`);
      since1 = ctx.blender.mark(); since2 = second.mark();
      const toScene = await importOnPage(ctx, h, page, "done");
      h.assert(instanceOf(ctx, h, toScene.id) === scene, "the import chosen for scene.blend went elsewhere");
      await ctx.blender.waitEvent((e) => e.ev === "reply" && e.reply.import_id === toScene.id, 10_000, "the import in the first Blender", since1);
      h.assert(replies(second, since2, toScene.id).length === 0, "the second Blender imported the first one's import too");
      h.log(`two Blenders: ${toAssets.id} → assets.blend only, ${toScene.id} → scene.blend only`);
    },
  },
  {
    name: "two Blenders: one quits, the page shows it offline and the other keeps importing",
    needs: ["bridge", "device"],
    async fn(ctx, h) {
      h.assert(ctx.second, "no second Blender (the previous test failed)");
      const { page } = ctx.pro;
      const assets = (await ctx.second.cmd("state")).instance_id;
      await ctx.second.stop();
      ctx.second = null;
      await h.waitFor(() => h.q1(ctx.stack, `select stopped_at is not null from public.device_instances where id = '${assets}'`) === "t",
        15_000, "the quitting Blender's goodbye");
      await h.openShader(ctx, page, h.MAIN_SHADER);
      const options = await page.locator("#device option").allTextContents();
      h.assert(!options.some((o) => o.includes("assets.blend") && o.endsWith("— online")), `the quit Blender is listed online: ${options.join(" | ")}`);
      await ctx.blender.cmd("reset_cube");
      const since = ctx.blender.mark();
      const row = await importOnPage(ctx, h, page, "done");
      await ctx.blender.waitEvent((e) => e.ev === "reply" && e.reply.import_id === row.id && e.reply.type === "imported", 10_000, "the import in the remaining Blender", since);
    },
  },
  {
    name: "cancel on the page: a queued import never reaches Blender; a running download stops, keeps its partial file and ends cancelled everywhere",
    needs: ["bridge", "device"],
    async fn(ctx, h) {
      const { page } = ctx.pro;
      // Queued: the bridge is stopped, the page cancels, the bridge comes back and does nothing.
      await ctx.blender.cmd("stop_bridge");
      await ctx.blender.waitState((s) => !s.running, 10_000, "the bridge stopped");
      await h.openShader(ctx, page, h.MAIN_SHADER);
      const queued = await importOnPage(ctx, h, page, "queued");
      await page.getByRole("button", { name: "Cancel import" }).click();
      const text = await h.waitPageStatus(page, "cancelled", 15_000);
      h.assert(/Cancelled/.test(text) && /Nothing was added to your scene/.test(text), `the page says: ${text}`);
      h.assert(h.q1(ctx.stack, `select status from public.imports where id = '${queued.id}'`) === "cancelled", "the row is not cancelled");
      h.assert(h.q1(ctx.stack, `select count(*) from public.import_tokens where import_id = '${queued.id}' and voided_at is null`) === "0", "its token still redeems");
      const since = ctx.blender.mark();
      await ctx.blender.cmd("start_bridge");
      await ctx.blender.waitState((s) => s.running && s.state === "online", 30_000, "the bridge back online");
      await sleep(2000);
      h.assert(!ctx.blender.events.slice(since).some((e) => JSON.stringify(e).includes(queued.id)), "the bridge picked up a cancelled import");

      // Running: the bridge is paused as its download starts, the page cancels, the bridge goes on.
      publishBig(ctx, h);
      await h.openShader(ctx, page, big.shaderId);
      const mark = ctx.blender.mark();
      await h.importButton(page).click();
      const id = await waitDownloading(ctx.blender, mark);
      await paused(ctx.blender, async () => {
        await page.getByRole("button", { name: "Cancel import" }).click();
        await h.waitPageStatus(page, "cancelled", 15_000);
        h.assert(h.q1(ctx.stack, `select status from public.imports where id = '${id}'`) === "cancelled", "the row is not cancelled");
      });
      const ev = await ctx.blender.waitEvent((e) => e.ev === "msg" && e.type === "import_status" && e.fields.import_id === id, 20_000, "import_status in Blender", mark);
      h.assert(ev.fields.status === "cancelled" && ev.fields.message === "Cancelled on the site.", `Blender was told ${JSON.stringify(ev.fields)}`);
      const size = partSize(ctx);
      h.assert(size > 0 && size < fs.statSync(big.zip).size, `the partial download is ${size} bytes (want some, not all)`);
      h.assert(replies(ctx.blender, mark, id).length === 0, "a cancelled import reached Blender");
      const st = await ctx.blender.cmd("state");
      h.assert(st.recent.some((r) => r.import_id === id && /Cancelled on the site/.test(r.text)) && !st.errors.some((e) => /Cancelled/.test(e)),
        `Blender lists ${JSON.stringify(st.recent[0])}, errors ${JSON.stringify(st.errors)}`);
      h.log(`cancelled mid-download with ${(size / 1048576).toFixed(1)} MB kept`);
    },
  },
  {
    name: "cancel in Blender: the running download stops, the page shows cancelled; importing again resumes the partial file and completes",
    needs: ["bridge", "device"],
    async fn(ctx, h) {
      h.assert(big, "no big package (the previous test failed before publishing it)");
      const { page } = ctx.pro;
      await h.openShader(ctx, page, big.shaderId);
      const mark = ctx.blender.mark();
      await h.importButton(page).click();
      const id = await waitDownloading(ctx.blender, mark);
      await paused(ctx.blender, async () => {
        const r = await ctx.blender.cmd("cancel_import", { import_id: id });
        h.assert(JSON.stringify(r.result) === '["FINISHED"]', `Cancel Import: ${JSON.stringify(r)}`);
      });
      const ev = await ctx.blender.waitEvent((e) => e.ev === "msg" && e.type === "import_status" && e.fields.import_id === id, 20_000, "import_status in Blender", mark);
      h.assert(ev.fields.status === "cancelled" && ev.fields.message === "Cancelled in Blender.", `Blender was told ${JSON.stringify(ev.fields)}`);
      await h.waitPageStatus(page, "cancelled", 15_000);
      await h.waitFor(() => h.q1(ctx.stack, `select status from public.imports where id = '${id}'`) === "cancelled", 10_000, "the row cancelled");
      h.assert(replies(ctx.blender, mark, id).length === 0, "a cancelled import reached Blender");
      const kept = partSize(ctx);
      h.assert(kept > 0, "no partial download kept");

      await h.openShader(ctx, page, big.shaderId);
      await ctx.blender.cmd("reset_cube");
      const since = ctx.blender.mark();
      const done = await importOnPage(ctx, h, page, "done");
      await ctx.blender.waitEvent((e) => e.ev === "reply" && e.reply.import_id === done.id && e.reply.type === "imported", 10_000, "the import after the cancels", since);
      h.assert(partSize(ctx) === -1, "the finished download left its .part behind");
      h.log(`cancelled in Blender with ${(kept / 1048576).toFixed(1)} MB kept; the next import resumed and completed`);
    },
  },
];
