// Issue 17: the local library works with the network cut, and the import works in every Blender
// release the add-on supports (Debian's 3.4 above; bpy 4.2 LTS and the newest 5.x here).
import fs from "node:fs";
import path from "node:path";
import { Blender } from "../lib/blender.mjs";
import { localDir } from "../lib/stack.mjs";
import { run } from "../lib/proc.mjs";

const CI = process.env.CI === "true";
// bpy releases from PyPI (scripts/lib.sh ensure_bpy installs them).
const BPY = [
  ["4.2", process.env.OCTANE_BPY42_PYTHON ?? path.join(localDir, "bpy42-venv", "bin", "python")],
  ["5", process.env.OCTANE_BPY_PYTHON ?? path.join(localDir, "bpy-venv", "bin", "python")],
];

function canCutNetwork() {
  try {
    run("unshare", ["-rn", "true"]);
    return true;
  } catch {
    return false;
  }
}

/** Applies the library entry of slug to the cube in b and returns the reply and the bridge's messages. */
async function applyFromLibrary(h, b, slug) {
  const lib = await b.cmd("library");
  const entry = (lib.library ?? []).find((e) => e.shader_id === slug);
  h.assert(entry, `${slug} is not in the local library: ${JSON.stringify(lib.library)}`);
  h.assert(entry.preview_path && fs.existsSync(entry.preview_path), `no preview for ${slug}: ${entry.preview_path}`);
  h.assert(entry.name && entry.version && Array.isArray(entry.resolutions), `library entry ${JSON.stringify(entry)}`);
  await b.cmd("reset_cube");
  const since = b.mark();
  const applied = await b.cmd("library_apply", { sha256: entry.sha256, resolution: entry.resolution ?? "" });
  h.assert(applied.result.includes("FINISHED"), `Apply: ${JSON.stringify(applied)}`);
  const reply = await b.waitEvent((e) => e.ev === "reply", 30_000, `the library import of ${slug}`, since);
  const status = await b.waitEvent((e) => e.ev === "msg" && e.type === "import_status" && e.fields.import_id === reply.reply.import_id,
    15_000, "the bridge's import_status of the library import", since);
  return { entry, reply, status };
}

function checkApplied(h, { entry, reply, status }, slug) {
  const r = reply.reply;
  h.assert(r.type === "imported" && r.import_id.startsWith("library-") && r.objects.includes("Cube"), `reply ${JSON.stringify(r)}`);
  h.assert(status.fields.status === "done", `import_status ${JSON.stringify(status.fields)}`);
  const cube = reply.cube;
  h.assert(cube.active_material === entry.material_name, `the cube has ${cube.active_material}, not ${entry.material_name}`);
  h.assert(cube.provenance.octane_bridge_shader_id === slug && cube.provenance.octane_bridge_version === entry.version &&
    cube.provenance.octane_bridge_import_id === r.import_id, `provenance ${JSON.stringify(cube.provenance)}`);
  const dir = path.dirname(entry.preview_path);
  if (!entry.resolution) {
    h.assert(cube.images.length > 0 && cube.images.every((p) => p.startsWith(dir + path.sep)), `textures outside the verified entry: ${cube.images}`);
    return;
  }
  // Format v2: the images are the texture set's, a cache entry of its own beside the base's.
  const setDirs = new Set(cube.images.map((p) => path.dirname(p)));
  const [setDir] = setDirs;
  h.assert(cube.images.length > 0 && setDirs.size === 1 && path.dirname(setDir) === path.dirname(dir) && setDir !== dir,
    `a v2 entry's textures are not one texture-set entry beside the base ${dir}: ${cube.images}`);
}

/** Pairs b (its own device) on /connect as the pro user; returns the device id. */
async function pair(ctx, h, b) {
  const page = ctx.pro.page;
  const since = b.mark();
  await b.cmd("connect");
  const code = await b.waitEvent((e) => e.ev === "msg" && e.type === "pair_code", 30_000, "pair_code", since);
  await page.goto(code.fields.verification_uri_complete);
  await page.getByTestId("pending-device").waitFor();
  await page.getByRole("checkbox", { name: /This is my own Blender/ }).check();
  await page.getByRole("button", { name: "Approve this Blender" }).click();
  await page.getByText("Blender connected.").waitFor();
  const on = await b.waitState((s) => s.paired && s.state === "online", 45_000, "the bridge online after pairing");
  return on.device_id;
}

export default [
  {
    name: "local library: with this Blender's network cut, the add-on lists the cached shaders (name, preview, version, resolutions) and applies one to the cube from its verified copy, as one import with provenance, nothing reaching the server",
    needs: ["bridge", "device"],
    async fn(ctx, h) {
      if (!canCutNetwork()) {
        const msg = "unshare -rn is not permitted here (user namespaces), so the network cannot be cut for the bridge";
        if (CI) throw new Error(msg);
        h.log(`SKIP: ${msg}`);
        return;
      }
      const b = ctx.blender;
      const rowsBefore = h.q1(ctx.stack, `select count(*) from public.imports where device_id = '${ctx.device.id}'`);
      const cut = await b.cmd("bridge_network", { cut: true });
      h.assert(cut.started && cut.command[0].endsWith("unshare"), `restart without network: ${JSON.stringify(cut)}`);
      try {
        await b.waitState((s) => s.running && s.state === "offline", 30_000, "the bridge offline (no network)");
        const applied = await applyFromLibrary(h, b, h.MAIN_SHADER);
        checkApplied(h, applied, h.MAIN_SHADER);
        const st = await b.cmd("state");
        h.assert(st.state === "offline" && st.paired, `the bridge is ${st.state} (paired ${st.paired}) while applying`);
        const rowsAfter = h.q1(ctx.stack, `select count(*) from public.imports where device_id = '${ctx.device.id}'`);
        h.assert(rowsAfter === rowsBefore, `the library import created an imports row (${rowsBefore} → ${rowsAfter})`);
      } finally {
        const back = await b.cmd("bridge_network", { cut: false });
        h.assert(back.started, "the bridge did not start again with the network");
        await b.waitState((s) => s.paired && s.state === "online", 45_000, "the bridge online again");
        await b.cmd("reset_cube");
      }
    },
  },
  {
    name: "Blender releases: in bpy 4.2 LTS and the newest 5.x (the add-on installed as an extension from the zip) a paired Blender imports from the page, then applies the shader from its local library",
    needs: ["bridge", "device"],
    async fn(ctx, h) {
      const main = { blender: ctx.blender, device: ctx.device };
      for (const [want, python] of BPY) {
        if (!fs.existsSync(python)) {
          const msg = `no bpy ${want} at ${python} (scripts/lib.sh ensure_bpy installs it)`;
          if (CI) throw new Error(msg);
          h.log(`SKIP: ${msg}`);
          continue;
        }
        const tmp = path.join(ctx.stack.tmp, `bpy-${want}`);
        fs.mkdirSync(tmp, { recursive: true });
        const b = await Blender.start({ zip: ctx.zip, tmp, urls: ctx.stack.urls, anonKey: ctx.stack.env.SUPABASE_ANON_KEY, python,
          logFile: path.join(ctx.stack.logDir, `blender-bpy-${want}.log`), extraEnv: { OCTANE_DEVICE_NAME: `E2E bpy ${want}` } });
        try {
          h.assert(b.ready.blender.startsWith(want) && b.ready.addon === "bl_ext.user_default.octane_bridge",
            `bpy ${want}: Blender ${b.ready.blender}, add-on ${b.ready.addon} (expected the extension)`);
          const device = await pair(ctx, h, b);
          Object.assign(ctx, { blender: b, device: { id: device, name: `E2E bpy ${want}` } });
          await b.cmd("reset_cube");
          await h.openShader(ctx, ctx.pro.page, h.MAIN_SHADER);
          const since = b.mark();
          await h.importButton(ctx.pro.page).click();
          await h.waitPageStatus(ctx.pro.page, "done", 60_000);
          const reply = await b.waitEvent((e) => e.ev === "reply", 30_000, `the import in bpy ${want}`, since);
          const row = h.latestImport(ctx, h.PRO);
          h.assert(row.status === "done" && row.device_id === device, `imports row ${JSON.stringify(row)}`);
          h.assert(reply.reply.type === "imported" && reply.cube.provenance.octane_bridge_import_id === row.id,
            `bpy ${want}: ${JSON.stringify(reply.reply)} / ${JSON.stringify(reply.cube.provenance)}`);
          checkApplied(h, await applyFromLibrary(h, b, h.MAIN_SHADER), h.MAIN_SHADER);
          h.log(`bpy ${b.ready.blender}: imported and applied from the library`);
        } finally {
          Object.assign(ctx, main);
          await b.stop();
        }
        // Later tests import to "the most recently seen" Blender of the account: this one is gone.
        h.q1(ctx.stack, `update public.devices set revoked_at = now() where name = 'E2E bpy ${want}' and user_id = '${h.PRO.id}'`);
      }
    },
  },
];
