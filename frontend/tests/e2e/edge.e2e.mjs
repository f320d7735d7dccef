// Flows that need the edge (:8787) as well as the stand-in (started by stack.mjs when absent).
// The test plays the bridge's side over HTTP (pairing, device JWT, status reports) so the page's
// live status is driven by real database triggers and Realtime, not by mocks.
import { SUPABASE_URL, EDGE_URL, V2_FIXTURE } from "./stack.mjs";
import fs from "node:fs";
import path from "node:path";
import { rootDir } from "./stack.mjs";
import { PRO, openFirstShader, signIn } from "../../../e2e/lib/site.mjs";

const ANON = fs.readFileSync(path.join(rootDir, ".env.example"), "utf8").match(/^SUPABASE_ANON_KEY=(.*)$/m)[1];

async function json(url, init = {}) {
  const res = await fetch(url, { ...init, headers: { "content-type": "application/json", ...(init.headers ?? {}) } });
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = text; }
  return { status: res.status, body };
}

/** The bridge's first pairing step for a pretend Blender called name: its device code and the user code /connect shows. */
async function authorize(name, assert) {
  const auth = await json(`${EDGE_URL}/v1/devices/authorize`, {
    method: "POST",
    body: JSON.stringify({ platform: "blender", platform_version: "4.2.0", addon_version: "0.1.0", bridge_version: "0.1.0", os: "linux", name }),
  });
  assert(auth.status === 200, `authorize: ${auth.status} ${JSON.stringify(auth.body)}`);
  return auth.body;
}

/** The bridge's poll for its key once the user answered on /connect. */
const deviceToken = (deviceCode) =>
  json(`${EDGE_URL}/v1/devices/token`, {
    method: "POST",
    body: JSON.stringify({ device_code: deviceCode, grant_type: "urn:ietf:params:oauth:grant-type:device_code" }),
  });

/** Pairs a pretend Blender: authorize (bridge) → approve on /connect (user, in the browser) → token (bridge) → heartbeat (online). */
async function pairViaPage(page, assert, name = `Studio PC ${Date.now() % 10000}`) {
  const auth = await authorize(name, assert);
  await page.goto(`/connect?user_code=${encodeURIComponent(auth.user_code)}`);
  // /connect shows what is being approved, and approves only after an explicit confirmation.
  const shown = page.getByTestId("pending-device");
  await shown.waitFor();
  const text = await shown.textContent();
  assert(text.includes(name) && text.includes("Blender 4.2.0") && text.includes("linux") && /just now|minute/.test(text), `pending device: ${text}`);
  assert((await page.getByTestId("origin").getAttribute("data-same")) === "true", "a pairing started from this machine is not shown as this browser's network");
  assert(await page.getByTestId("approve-warning").textContent().then((t) => t.includes("Only approve a code your own Blender shows")), "no warning");
  const approve = page.getByRole("button", { name: "Approve this Blender" });
  assert(await approve.isDisabled(), "Approve is enabled before the confirmation");
  await page.getByRole("checkbox", { name: /This is my own Blender/ }).check();
  await approve.click();
  await page.getByText("Blender connected.").waitFor();
  const tok = await deviceToken(auth.device_code);
  assert(tok.status === 200 && tok.body.api_key, `token: ${tok.status} ${JSON.stringify(tok.body)}`);
  const jwt = await json(`${EDGE_URL}/v1/auth/token`, { method: "POST", headers: { "x-api-key": tok.body.api_key } });
  assert(jwt.status === 200 && jwt.body.access_token, `auth/token: ${jwt.status} ${JSON.stringify(jwt.body)}`);
  const dev = { name, deviceId: tok.body.device_id, jwt: jwt.body.access_token };
  await heartbeat(dev, assert);
  return dev;
}

const rpc = (jwt, fn, args = {}) =>
  json(`${SUPABASE_URL}/rest/v1/rpc/${fn}`, { method: "POST", headers: { apikey: ANON, authorization: `Bearer ${jwt}` }, body: JSON.stringify(args) });

/** The pretend Blender's bridge says it runs: the device is online (and picked for imports) while these keep coming. */
async function heartbeat(dev, assert) {
  const hb = await rpc(dev.jwt, "device_heartbeat");
  assert(hb.status === 200, `heartbeat: ${hb.status} ${JSON.stringify(hb.body)}`);
}

/** The fixture's latest version as anyone reads it: base sha256/size and its texture sets, ascending. */
async function fixtureVersion(assert) {
  const r = await json(`${SUPABASE_URL}/rest/v1/shaders?slug=eq.${V2_FIXTURE.shaderId}&select=id,shader_versions(version,sha256,size,texture_sets(resolution,sha256,size))`, { headers: { apikey: ANON } });
  const v = r.body?.[0]?.shader_versions?.[0];
  assert(r.status === 200 && v && v.texture_sets.length === 3, `the v2 fixture as published: ${r.status} ${JSON.stringify(r.body)}`);
  v.texture_sets.sort((a, b) => parseInt(a.resolution) - parseInt(b.resolution));
  return { shaderId: r.body[0].id, ...v };
}

/** "3.2 MB" → bytes (the page's decimal units). */
const shownBytes = (t) => {
  const m = t.trim().match(/^([\d.]+) (B|KB|MB|GB)$/);
  return m ? Number(m[1]) * { B: 1, KB: 1e3, MB: 1e6, GB: 1e9 }[m[2]] : NaN;
};

/** The id of the newest import queued for the pretend Blender, as its bridge asks on (re)connect. */
async function newestImportId(dev, assert) {
  const pending = await rpc(dev.jwt, "pending_imports");
  assert(pending.status === 200 && pending.body.length >= 1, `pending: ${JSON.stringify(pending.body)}`);
  return pending.body[pending.body.length - 1].import_id;
}

/** The newest queued import for the pretend Blender, redeemed as its bridge would: the edge's answer and the signed delivery's payload. */
async function redeemNewest(dev, assert) {
  const importId = await newestImportId(dev, assert);
  const tok = await json(`${EDGE_URL}/v1/imports/${importId}/token`, { method: "POST", headers: { authorization: `Bearer ${dev.jwt}` } });
  assert(tok.status === 200, `token: ${tok.status} ${JSON.stringify(tok.body)}`);
  const red = await json(`${EDGE_URL}/v1/imports/${importId}/redeem`, { method: "POST", headers: { authorization: `Bearer ${dev.jwt}` }, body: JSON.stringify({ token: tok.body.token }) });
  assert(red.status === 200, `redeem: ${red.status} ${JSON.stringify(red.body)}`);
  const delivery = JSON.parse(Buffer.from(red.body.delivery.payload, "base64url").toString("utf8"));
  return { importId, red: red.body, delivery };
}

/** One status report of the pretend Blender's bridge (the import's state machine, in SQL); a failure says its code and message. */
async function reportStatus(dev, importId, st, progress, assert, failure = {}) {
  const r = await rpc(dev.jwt, "report_import_status", { p_import: importId, p_status: st, p_progress: progress, p_error_code: failure.code, p_error_message: failure.message });
  assert(r.status === 200, `report ${st}: ${r.status} ${JSON.stringify(r.body)}`);
}

export const tests = [
  {
    name: "approve a Blender at /connect; it shows up online in the account",
    needs: ["supabase", "edge"],
    async fn({ newPage, assert, shot }) {
      const { page } = await newPage();
      await signIn(page, PRO, "/");
      const dev = await pairViaPage(page, assert);
      await page.goto("/account#devices");
      const row = page.getByTestId("device-row").filter({ hasText: dev.name });
      await row.getByText("Online").waitFor();
      await shot(page, "account-devices");
    },
  },
  {
    name: "deny a code at /connect: the polling Blender gets access_denied",
    needs: ["supabase", "edge"],
    async fn({ newPage, assert }) {
      const { page } = await newPage();
      await signIn(page, PRO, "/");
      const auth = await authorize("Not mine", assert);
      await page.goto(`/connect?user_code=${encodeURIComponent(auth.user_code)}`);
      await page.getByRole("button", { name: "Deny", exact: true }).click();
      await page.getByText("Code refused.").waitFor();
      const tok = await deviceToken(auth.device_code);
      assert(tok.status === 400 && tok.body.error === "access_denied", `token after deny: ${tok.status} ${JSON.stringify(tok.body)}`);
      // The refused code cannot be approved afterwards.
      await page.goto(`/connect?user_code=${encodeURIComponent(auth.user_code)}`);
      await page.getByText("This code is unknown or has expired.").waitFor();
      assert((await page.getByRole("button", { name: "Approve this Blender" }).count()) === 0, "a refused code can still be approved");
    },
  },
  {
    name: "create an API key: shown once, then listed masked, then revoked",
    needs: ["supabase", "edge"],
    async fn({ newPage, assert }) {
      const { page } = await newPage();
      await signIn(page, PRO, "/account");
      const name = `script ${Date.now() % 100000}`;
      await page.getByLabel("New key name").fill(name);
      await page.getByRole("button", { name: "Create key" }).click();
      const key = (await page.getByTestId("new-api-key").textContent()).trim();
      assert(/^oct_live_/.test(key), `unexpected key ${key}`);
      await page.reload();
      const html = await page.content();
      assert(!html.includes(key), "the secret is shown again after reload");
      const row = page.locator("li", { hasText: name });
      await row.waitFor();
      await row.getByRole("button", { name: "Revoke" }).click();
      await row.waitFor({ state: "detached" });
    },
  },
  {
    name: "Import shows live status from queued to done, driven by the device's reports",
    needs: ["supabase", "edge"],
    async fn({ newPage, assert, shot }) {
      const { page } = await newPage();
      await signIn(page, PRO, "/");
      const dev = await pairViaPage(page, assert);
      await page.goto(`/?tier=free&device=${dev.deviceId}`);
      // A published demo package (the seed's placeholders have no real package to redeem).
      await openFirstShader(page, 'li a:not([href*="placeholder"])');
      const picker = page.getByLabel("Import into");
      assert((await picker.inputValue()) === dev.deviceId, "the ?device= Blender is not preselected");
      await page.getByRole("button", { name: /Import to Blender/ }).click();
      const status = page.getByTestId("import-status");
      await status.getByText(/Queued/).waitFor();
      const { importId } = await redeemNewest(dev, assert);
      const report = (st, progress) => reportStatus(dev, importId, st, progress, assert);
      await report("downloading", 42);
      await status.getByText("Downloading 42%").waitFor();
      await shot(page, "shader-import-progress");
      await report("verifying", 100);
      await status.getByText("Verifying package").waitFor();
      await report("importing", 100);
      await status.getByText("Importing into Blender").waitFor();
      await report("done", 100);
      await status.getByText("Imported", { exact: true }).waitFor();
      await shot(page, "shader-import-done");
      await page.goto("/account#imports");
      await page.getByTestId("import-row").first().getByText("Imported").waitFor();
    },
  },
  {
    name: "a failed import shows the reason and what to do next",
    needs: ["supabase", "edge"],
    async fn({ newPage, assert }) {
      const { page } = await newPage();
      await signIn(page, PRO, "/");
      const dev = await pairViaPage(page, assert);
      await page.goto(`/?tier=free&device=${dev.deviceId}`);
      await openFirstShader(page);
      await page.getByRole("button", { name: /Import to Blender/ }).click();
      const status = page.getByTestId("import-status");
      await status.getByText(/Queued/).waitFor();
      const importId = await newestImportId(dev, assert);
      await reportStatus(dev, importId, "failed", null, assert, { code: "BLEND_INVALID", message: "Blender could not read the file" });
      await status.getByText(/Failed: Blender could not read the file/).waitFor();
      await status.getByText(/minimum Blender version/).waitFor();
    },
  },
  {
    name: "texture resolutions: the shader page lists the sets with download sizes, preselects 2K, remembers a 4K pick, imports at 4K (the delivery holds the base and the 4K set only); Import again in the history asks for the same version and resolution",
    needs: ["supabase", "edge"],
    async fn({ newPage, assert, shot }) {
      const v = await fixtureVersion(assert);
      const { page } = await newPage();
      await signIn(page, PRO, "/account");
      // Start from the default a new account has.
      await page.getByLabel("Texture resolution").selectOption("2k");
      await page.getByRole("button", { name: "Save settings" }).click();
      await page.getByText("Settings saved.").waitFor();
      const dev = await pairViaPage(page, assert);

      await page.goto(`/shaders/${V2_FIXTURE.shaderId}?device=${dev.deviceId}`);
      const picker = page.getByTestId("resolution-picker");
      await picker.waitFor();
      const radios = picker.getByRole("radio");
      assert(JSON.stringify(await radios.evaluateAll((rs) => rs.map((r) => r.value))) === '["1k","2k","4k"]', "the picker does not list 1k, 2k, 4k in order");
      assert(await picker.getByRole("radio", { name: /^2K/ }).isChecked(), "2K is not preselected without a saved preference");
      const sizes = await picker.getByTestId("download-size").allInnerTexts();
      for (const [i, set] of v.texture_sets.entries()) {
        const want = Number(v.size) + Number(set.size);
        const got = shownBytes(sizes[i]);
        assert(Math.abs(got - want) / want < 0.05, `${set.resolution} shows ${sizes[i]}, the base + set is ${want} bytes`);
      }
      const specs = await page.getByTestId("download-sizes").innerText();
      assert(/1K: .*\n?.*2K: .*\n?.*4K: /s.test(specs), `Specifications' download sizes: ${specs}`);

      await picker.locator("label", { hasText: /^4K/ }).click();
      await picker.getByText("4K is now your default resolution.").waitFor();
      await page.reload();
      await picker.waitFor();
      assert(await picker.getByRole("radio", { name: /^4K/ }).isChecked(), "the 4K pick was not remembered");
      await shot(page, "shader-resolutions");
      await page.getByRole("button", { name: /Import to Blender/ }).click();
      await page.getByTestId("import-status").getByText(/Queued/).waitFor();
      const first = await redeemNewest(dev, assert);
      const four = v.texture_sets.find((t) => t.resolution === "4k");
      assert(first.red.textures_url && first.red.download_url && first.red.textures_url !== first.red.download_url, `redeem answer: ${JSON.stringify(first.red)}`);
      const d = first.delivery;
      assert(d.v === 2 && d.resolution === "4k" && d.version === v.version, `delivery: ${JSON.stringify(d)}`);
      assert(d.base.sha256 === v.sha256 && d.base.size === Number(v.size), `the delivery's base is not the version's: ${JSON.stringify(d.base)}`);
      assert(d.textures?.resolution === "4k" && d.textures.sha256 === four.sha256 && d.textures.size === Number(four.size), `the delivery's textures are not the 4K set: ${JSON.stringify(d.textures)}`);
      assert(!JSON.stringify(d).includes(v.texture_sets[0].sha256) && !JSON.stringify(d).includes(v.texture_sets[1].sha256), "the delivery names another set");
      for (const st of ["downloading", "verifying", "importing", "done"]) await reportStatus(dev, first.importId, st, 100, assert);
      await heartbeat(dev, assert); // online, so Import again goes to this Blender

      // The account's history: the import with its resolution, and Import again at the same ones.
      await page.goto("/account#imports");
      const row = page.locator(`[data-testid="import-row"][data-import-id="${first.importId}"]`);
      await row.getByText("Imported").waitFor();
      assert((await row.getByTestId("import-resolution").innerText()).includes("4K"), `history row: ${await row.innerText()}`);
      assert(await page.getByLabel("Texture resolution").inputValue() === "4k", "the account's settings do not show the 4K default");
      await row.getByRole("button", { name: `Import ${V2_FIXTURE.name} v${v.version} at 4K again` }).click();
      const again = page.getByTestId("import-row").first();
      await again.getByText(/Queued/).waitFor();
      assert((await again.getAttribute("data-import-id")) !== first.importId, "Import again did not add an import");
      const second = await redeemNewest(dev, assert);
      assert(second.importId === (await again.getAttribute("data-import-id")), "the queued import is not the one the history shows");
      assert(second.delivery.version === v.version && second.delivery.resolution === "4k" && second.delivery.textures.sha256 === four.sha256,
        `Import again delivered ${second.delivery.version} at ${second.delivery.resolution}`);
      await shot(page, "account-import-again");

      // Back to the default, so later imports of this shader fetch 2K.
      await page.goto(`/shaders/${V2_FIXTURE.shaderId}`);
      await page.getByTestId("resolution-picker").locator("label", { hasText: /^2K/ }).click();
      await page.getByText("2K is now your default resolution.").waitFor();
    },
  },
  {
    name: "a v1 package's page shows its one download and no resolution choice",
    needs: ["supabase", "edge"],
    async fn({ newPage, assert }) {
      const { page } = await newPage();
      await signIn(page, PRO, "/shaders/oak-wood");
      const fixed = page.getByTestId("resolution-fixed");
      await fixed.waitFor();
      assert(/^Textures [0-9]+K(, [0-9]+K)* — one download of [\d.]+ (KB|MB)$/.test((await fixed.innerText()).trim()), `v1 line: ${await fixed.innerText()}`);
      assert((await page.getByRole("radio").count()) === 0, "a v1 package offers a resolution choice");
    },
  },
];
