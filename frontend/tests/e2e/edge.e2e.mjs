// Flows that need the edge (:8787) as well as the stand-in (started by stack.mjs when absent).
// The test plays the bridge's side over HTTP (pairing, device JWT, status reports) so the page's
// live status is driven by real database triggers and Realtime, not by mocks.
import { SUPABASE_URL, EDGE_URL } from "./stack.mjs";
import fs from "node:fs";
import path from "node:path";
import { rootDir } from "./stack.mjs";
import { PRO, signIn } from "../../../e2e/lib/site.mjs";

const ANON = fs.readFileSync(path.join(rootDir, ".env.example"), "utf8").match(/^SUPABASE_ANON_KEY=(.*)$/m)[1];

async function json(url, init = {}) {
  const res = await fetch(url, { ...init, headers: { "content-type": "application/json", ...(init.headers ?? {}) } });
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = text; }
  return { status: res.status, body };
}

/** Pairs a pretend Blender: authorize (bridge) → approve on /connect (user, in the browser) → token (bridge). */
async function pairViaPage(page, assert, name = `Studio PC ${Date.now() % 10000}`) {
  const auth = await json(`${EDGE_URL}/v1/devices/authorize`, {
    method: "POST",
    body: JSON.stringify({ platform: "blender", platform_version: "4.2.0", addon_version: "0.1.0", bridge_version: "0.1.0", os: "linux", name }),
  });
  assert(auth.status === 200 || auth.status === 201, `authorize: ${auth.status} ${JSON.stringify(auth.body)}`);
  await page.goto(`/connect?user_code=${encodeURIComponent(auth.body.user_code)}`);
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
  const tok = await json(`${EDGE_URL}/v1/devices/token`, {
    method: "POST",
    body: JSON.stringify({ device_code: auth.body.device_code, grant_type: "urn:ietf:params:oauth:grant-type:device_code" }),
  });
  assert(tok.status === 200 && tok.body.api_key, `token: ${tok.status} ${JSON.stringify(tok.body)}`);
  const jwt = await json(`${EDGE_URL}/v1/auth/token`, { method: "POST", headers: { "x-api-key": tok.body.api_key } });
  assert(jwt.status === 200 && jwt.body.access_token, `auth/token: ${jwt.status} ${JSON.stringify(jwt.body)}`);
  return { name, deviceId: tok.body.device_id, jwt: jwt.body.access_token };
}

const rpc = (jwt, fn, args = {}) =>
  json(`${SUPABASE_URL}/rest/v1/rpc/${fn}`, { method: "POST", headers: { apikey: ANON, authorization: `Bearer ${jwt}` }, body: JSON.stringify(args) });

export const tests = [
  {
    name: "approve a Blender at /connect; it shows up online in the account",
    needs: ["supabase", "edge"],
    async fn({ newPage, assert, shot }) {
      const { page, context } = await newPage();
      await signIn(page, PRO, "/");
      const dev = await pairViaPage(page, assert);
      const hb = await rpc(dev.jwt, "device_heartbeat");
      assert(hb.status === 200, `heartbeat: ${hb.status} ${JSON.stringify(hb.body)}`);
      await page.goto("/account#devices");
      const row = page.getByTestId("device-row").filter({ hasText: dev.name });
      await row.getByText("Online").waitFor();
      await shot(page, "account-devices");
      await context.close();
    },
  },
  {
    name: "deny a code at /connect: the polling Blender gets access_denied",
    needs: ["supabase", "edge"],
    async fn({ newPage, assert }) {
      const { page, context } = await newPage();
      await signIn(page, PRO, "/");
      const auth = await json(`${EDGE_URL}/v1/devices/authorize`, {
        method: "POST",
        body: JSON.stringify({ platform: "blender", platform_version: "4.2.0", addon_version: "0.1.0", bridge_version: "0.1.0", os: "linux", name: "Not mine" }),
      });
      assert(auth.status === 200, `authorize: ${auth.status} ${JSON.stringify(auth.body)}`);
      await page.goto(`/connect?user_code=${encodeURIComponent(auth.body.user_code)}`);
      await page.getByRole("button", { name: "Deny", exact: true }).click();
      await page.getByText("Code refused.").waitFor();
      const tok = await json(`${EDGE_URL}/v1/devices/token`, {
        method: "POST",
        body: JSON.stringify({ device_code: auth.body.device_code, grant_type: "urn:ietf:params:oauth:grant-type:device_code" }),
      });
      assert(tok.status === 400 && tok.body.error === "access_denied", `token after deny: ${tok.status} ${JSON.stringify(tok.body)}`);
      // The refused code cannot be approved afterwards.
      await page.goto(`/connect?user_code=${encodeURIComponent(auth.body.user_code)}`);
      await page.getByText("This code is unknown or has expired.").waitFor();
      assert((await page.getByRole("button", { name: "Approve this Blender" }).count()) === 0, "a refused code can still be approved");
      await context.close();
    },
  },
  {
    name: "create an API key: shown once, then listed masked, then revoked",
    needs: ["supabase", "edge"],
    async fn({ newPage, assert }) {
      const { page, context } = await newPage();
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
      await context.close();
    },
  },
  {
    name: "Import shows live status from queued to done, driven by the device's reports",
    needs: ["supabase", "edge"],
    async fn({ newPage, assert, shot }) {
      const { page, context } = await newPage();
      await signIn(page, PRO, "/");
      const dev = await pairViaPage(page, assert);
      await rpc(dev.jwt, "device_heartbeat");
      await page.goto(`/?tier=free&device=${dev.deviceId}`);
      // A published demo package (the seed's placeholders have no real package to redeem).
      await page.locator('section[aria-label=Results] li a:not([href*="placeholder"])').first().click();
      await page.waitForURL(/\/shaders\//);
      const picker = page.getByLabel("Import into");
      assert((await picker.inputValue()) === dev.deviceId, "the ?device= Blender is not preselected");
      await page.getByRole("button", { name: /Import to Blender/ }).click();
      const status = page.getByTestId("import-status");
      await status.getByText(/Queued/).waitFor();
      const pending = await rpc(dev.jwt, "pending_imports");
      assert(pending.status === 200 && pending.body.length >= 1, `pending: ${JSON.stringify(pending.body)}`);
      const importId = pending.body[pending.body.length - 1].import_id;
      const tok = await json(`${EDGE_URL}/v1/imports/${importId}/token`, { method: "POST", headers: { authorization: `Bearer ${dev.jwt}` } });
      assert(tok.status === 200, `token: ${tok.status} ${JSON.stringify(tok.body)}`);
      const red = await json(`${EDGE_URL}/v1/imports/${importId}/redeem`, { method: "POST", headers: { authorization: `Bearer ${dev.jwt}` }, body: JSON.stringify({ token: tok.body.token }) });
      assert(red.status === 200, `redeem: ${red.status} ${JSON.stringify(red.body)}`);
      const report = async (st, progress) => {
        const r = await rpc(dev.jwt, "report_import_status", { p_import: importId, p_status: st, p_progress: progress });
        assert(r.status === 200, `report ${st}: ${r.status} ${JSON.stringify(r.body)}`);
      };
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
      await context.close();
    },
  },
  {
    name: "a failed import shows the reason and what to do next",
    needs: ["supabase", "edge"],
    async fn({ newPage, assert }) {
      const { page, context } = await newPage();
      await signIn(page, PRO, "/");
      const dev = await pairViaPage(page, assert);
      await rpc(dev.jwt, "device_heartbeat");
      await page.goto(`/?tier=free&device=${dev.deviceId}`);
      await page.locator("section[aria-label=Results] li a").first().click();
      await page.getByRole("button", { name: /Import to Blender/ }).click();
      const status = page.getByTestId("import-status");
      await status.getByText(/Queued/).waitFor();
      const pending = await rpc(dev.jwt, "pending_imports");
      const importId = pending.body[pending.body.length - 1].import_id;
      const r = await rpc(dev.jwt, "report_import_status", { p_import: importId, p_status: "failed", p_error_code: "BLEND_INVALID", p_error_message: "Blender could not read the file" });
      assert(r.status === 200, `report: ${r.status} ${JSON.stringify(r.body)}`);
      await status.getByText(/Failed: Blender could not read the file/).waitFor();
      await status.getByText(/minimum Blender version/).waitFor();
      await context.close();
    },
  },
];
