// Issue 22: the money journey of a new user on the local stack, through the stack's own local
// Stripe (cmd/stripe-local: its Checkout, 3D Secure and portal pages, its signed webhooks to the
// edge). A declined card and a failed authentication end on the free plan; 4242… unlocks the
// library live (account page and an open Pro shader page) and a Pro shader imports into a Blender
// paired to the new account; "Cancel now" in the portal locks it again live.
import fs from "node:fs";
import path from "node:path";
import { Blender } from "../lib/blender.mjs";

const user = { password: "billing-e2e-password" };
let blender = null; // this test's own Blender, paired to the new user
let device = null;

/** The checkout page's card form: a test card, a future expiry, any CVC. */
async function payWith(page, number) {
  await page.getByLabel("Card number").fill(number);
  await page.getByLabel("Expiration (MM / YY)").fill("12 / 34");
  await page.getByLabel("CVC").fill("123");
  await page.getByRole("button", { name: "Subscribe", exact: true }).click();
}

/** Account → Subscribe (monthly) → the local Stripe's Checkout page. */
async function openCheckout(ctx, h, page) {
  await page.getByRole("button", { name: "Subscribe monthly" }).click();
  await page.waitForURL((u) => u.origin === ctx.stack.urls.stripe && u.pathname.startsWith("/c/pay/cs_test_"));
  const amount = await page.getByTestId("checkout-amount").innerText();
  h.assert(/\$12\.00/.test(amount), `checkout shows ${amount}`);
}

/** Opens /account and waits until it listens on user:<id> (a person would look a moment later). */
async function openAccount(h, page, query = "") {
  const joins = page.e2eJoins;
  await page.goto(`/account${query}`);
  await h.waitFor(() => page.e2eJoins > joins, 15_000, "the account page's Realtime join");
}

const plan = (page) => page.getByTestId("billing-panel").getAttribute("data-plan");
const activeRows = (ctx, h) => h.q1(ctx.stack, `select count(*) from public.subscriptions where user_id = '${user.id}' and status = 'active'`);

export default [
  {
    name: "billing: a new user signs up; a declined card (4000…0341) and a failed authentication (4000…3184) each end on the free plan with their message",
    async fn(ctx, h) {
      user.email = `billing-${h.runId.replace(/[^a-z0-9]/g, "")}@octane.local`;
      const { page } = (ctx.billing = await h.newPage(ctx));
      await page.goto("/signup?next=%2Faccount");
      await page.getByLabel("E-mail").fill(user.email);
      await page.getByLabel("Password").fill(user.password);
      await page.getByRole("button", { name: "Create account" }).click();
      await page.waitForURL((u) => u.pathname === "/account");
      user.id = h.q1(ctx.stack, `select id from auth.users where email = '${user.email}'`);
      h.assert(/^[0-9a-f-]{36}$/.test(user.id), `no auth.users row for ${user.email}`);
      await openAccount(h, page);
      h.assert((await plan(page)) === "free", "a new account is not on the free plan");

      // Declined after the card is attached: Stripe's message, the session stays open.
      await openCheckout(ctx, h, page);
      await payWith(page, "4000 0000 0000 0341");
      const declined = await page.getByTestId("checkout-error").innerText();
      h.assert(declined === "Your card was declined.", `decline message: ${declined}`);
      await page.screenshot({ path: path.join(h.shotDir, "billing-declined.png") });

      // Authentication asked for and failed: back on the form with the authentication message.
      await payWith(page, "4000 0027 6000 3184");
      await page.getByRole("heading", { name: "Authenticate your payment" }).waitFor();
      await page.getByRole("button", { name: "Fail authentication" }).click();
      const failed = await page.getByTestId("checkout-error").innerText();
      h.assert(/unable to authenticate your payment method/.test(failed), `authentication message: ${failed}`);
      await page.screenshot({ path: path.join(h.shotDir, "billing-auth-failed.png") });

      // Back to the site: still free, and it says so.
      await page.getByTestId("checkout-back").click();
      await page.waitForURL((u) => u.origin === ctx.stack.urls.site && u.searchParams.get("checkout") === "cancelled");
      const msg = await page.getByTestId("checkout-result").innerText();
      h.assert(/nothing was charged/.test(msg) && /still on the free plan/.test(msg), `back on the site: ${msg}`);
      h.assert((await plan(page)) === "free", "the account left the free plan");
      h.assert(activeRows(ctx, h) === "0", "a declined payment created an active subscription");
    },
  },
  {
    name: "billing: the new user pays with 4242…, the account page and an already open Pro shader page turn Pro live, and a Pro shader imports into the user's Blender",
    needs: ["bridge"],
    async fn(ctx, h) {
      h.assert(user.id, "the sign-up test did not run");
      const { page } = ctx.billing;
      // A Pro shader page, open before paying, shows the paywall.
      const { page: shader } = (ctx.billingShader = await h.newPage(ctx));
      await h.signIn(shader, user, `/shaders/${h.MAIN_SHADER}`);
      await shader.getByTestId("paywall").waitFor();
      await h.waitFor(() => shader.e2eJoins > 0, 15_000, "the shader page's Realtime join");
      await shader.evaluate(() => { window.e2eNotReloaded = true; });

      await openAccount(h, page);
      await openCheckout(ctx, h, page);
      await payWith(page, "4242 4242 4242 4242");
      await page.waitForURL((u) => u.origin === ctx.stack.urls.site && u.searchParams.get("checkout") === "success");
      await page.locator('[data-testid="billing-panel"][data-plan="pro"]').waitFor({ timeout: 10_000 });
      const status = await page.getByTestId("subscription-status").innerText();
      h.assert(/Active · renews/.test(status), `account status: ${status}`);
      await page.screenshot({ path: path.join(h.shotDir, "billing-pro.png") });
      h.assert(activeRows(ctx, h) === "1", "no active subscription row after paying");

      // The open shader page unlocks without a reload (the `subscription` broadcast).
      await shader.getByTestId("paywall").waitFor({ state: "detached", timeout: 10_000 });
      await h.importButton(shader).waitFor();
      h.assert(await shader.evaluate(() => window.e2eNotReloaded === true), "the shader page was reloaded instead of updating live");

      // This user's own Blender: pair it on /connect, then import the Pro shader into it.
      const tmp = path.join(ctx.stack.tmp, "billing-blender");
      fs.mkdirSync(tmp, { recursive: true });
      blender = await Blender.start({ zip: ctx.zip, tmp, urls: ctx.stack.urls, anonKey: ctx.stack.env.SUPABASE_ANON_KEY,
        logFile: path.join(ctx.stack.logDir, "blender-billing.log"), extraEnv: { OCTANE_DEVICE_NAME: "Billing E2E Blender" } });
      ctx.stack.onStop(() => blender.stop());
      const since = blender.mark();
      await blender.cmd("connect");
      const code = await blender.waitEvent((e) => e.ev === "msg" && e.type === "pair_code", 30_000, "pair_code", since);
      await page.goto(code.fields.verification_uri_complete);
      await page.getByRole("checkbox", { name: /This is my own Blender/ }).check();
      await page.getByRole("button", { name: "Approve this Blender" }).click();
      await page.getByText("Blender connected.").waitFor();
      const on = await blender.waitState((s) => s.paired && s.state === "online", 45_000, "the bridge online after pairing");
      device = { id: on.device_id };
      const owner = h.q1(ctx.stack, `select user_id from public.devices where id = '${device.id}'`);
      h.assert(owner === user.id, `the device belongs to ${owner}, not the new user`);

      await h.openShader({ ...ctx, device }, shader, h.MAIN_SHADER, blender); // this user's Blender preselected
      const before = new Date().toISOString();
      const mark = blender.mark();
      await h.importButton(shader).click();
      await h.waitPageStatus(shader, "done", 60_000);
      const row = h.latestImport(ctx, user, before);
      h.assert(row && row.slug === h.MAIN_SHADER && row.status === "done" && row.device_id === device.id, `imports row: ${JSON.stringify(row)}`);
      const reply = await blender.waitEvent((e) => e.ev === "reply" && e.reply.import_id === row.id, 10_000, "the add-on's reply", mark);
      h.assert(reply.reply.type === "imported" && reply.cube.provenance.octane_bridge_shader_id === h.MAIN_SHADER, `add-on reply: ${JSON.stringify(reply.reply)}`);
      await shader.evaluate(() => { window.e2eNotReloaded = true; });
    },
  },
  {
    name: "billing: Manage billing opens the portal (plan, monthly/yearly, card); cancelling at period end keeps Pro and says until when; Cancel now ends Pro and the open shader page locks again live",
    async fn(ctx, h) {
      h.assert(ctx.billingShader, "the payment test did not run");
      const { page } = ctx.billing;
      const { page: shader } = ctx.billingShader;
      await openAccount(h, page);
      await page.getByRole("button", { name: "Manage billing" }).click();
      await page.waitForURL((u) => u.origin === ctx.stack.urls.stripe && u.pathname.startsWith("/p/session/bps_"));
      const sub = page.getByTestId("portal-subscription");
      const text = (await sub.innerText()).replace(/\s+/g, " ");
      h.assert(/Octane Bridge Pro/.test(text) && /\$12\.00 per month/.test(text) && /Renews on/.test(text), `portal shows: ${text}`);
      await page.getByRole("button", { name: /Switch to yearly/ }).waitFor();
      h.assert(/Visa •••• 4242/.test(await page.getByTestId("portal-card").innerText()), "the portal does not show the card");
      await page.screenshot({ path: path.join(h.shotDir, "billing-portal.png") });

      // Cancel at period end: still Pro until then, and the account page says when it ends.
      await page.getByRole("button", { name: "Cancel at period end" }).click();
      h.assert(/will be canceled on/.test(await page.getByTestId("portal-notice").innerText()), "no notice after cancelling at period end");
      await page.getByTestId("portal-return").click();
      await page.waitForURL((u) => u.origin === ctx.stack.urls.site && u.pathname === "/account");
      await page.locator('[data-testid="subscription-status"]', { hasText: "ends" }).waitFor({ timeout: 10_000 });
      h.assert((await plan(page)) === "pro" && (await h.importButton(shader).count()) === 1, "cancelling at period end ended Pro early");
      await page.getByRole("button", { name: "Manage billing" }).click();
      await page.waitForURL((u) => u.origin === ctx.stack.urls.stripe);
      await page.getByRole("button", { name: "Cancel now" }).click();
      const notice = await page.getByTestId("portal-notice").innerText();
      h.assert(notice === "Your subscription has been canceled.", `portal notice: ${notice}`);
      // The shader page, open all along, locks again without a reload.
      await shader.getByTestId("paywall").waitFor({ timeout: 10_000 });
      h.assert(await shader.evaluate(() => window.e2eNotReloaded === true), "the shader page was reloaded instead of updating live");
      await shader.screenshot({ path: path.join(h.shotDir, "billing-locked-again.png") });

      await page.getByTestId("portal-return").click();
      await page.waitForURL((u) => u.origin === ctx.stack.urls.site && u.pathname === "/account");
      await page.locator('[data-testid="billing-panel"][data-plan="free"]').waitFor();
      const status = await page.getByTestId("subscription-status").innerText();
      h.assert(/has ended/.test(status), `account after cancelling: ${status}`);
      const st = h.q1(ctx.stack, `select status from public.subscriptions where user_id = '${user.id}' order by updated_at desc limit 1`);
      h.assert(st === "canceled", `subscriptions row ${st}`);
      // The edge agrees: no import for this user any more.
      const shaderId = h.q1(ctx.stack, `select id from public.shaders where slug = '${h.MAIN_SHADER}'`);
      const r = await fetch(`${ctx.stack.urls.edge}/v1/imports`, {
        method: "POST", headers: { authorization: `Bearer ${await h.userJWT(ctx, user)}`, "content-type": "application/json" },
        body: JSON.stringify({ shader_id: shaderId, device_id: device?.id }),
      });
      const body = await r.json();
      h.assert(r.status === 402 && body.error?.code === "SUBSCRIPTION_REQUIRED", `edge answered ${r.status} ${JSON.stringify(body)}`);
      if (blender) await blender.stop();
    },
  },
];
