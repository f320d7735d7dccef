// A small Playwright runner (playwright-core + Debian chromium; no browser downloads).
// Usage: node tests/e2e/run.mjs [site] [edge]   (default: site edge)
// Tests that need a missing service skip with a hint locally and fail when CI=true.
// Writes {passed, failed, skipped} to $E2E_REPORT and screenshots to .local/reports/screenshots/.
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { startStack, rootDir, SUPABASE_URL, EDGE_URL, PREVIEW_BASE_URL } from "./stack.mjs";

const groups = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const selected = groups.length ? groups : ["site", "edge"];
const CI = process.env.CI === "true";
const shotDir = path.join(process.env.OCTANE_LOCAL ?? path.join(rootDir, ".local"), "reports", "screenshots");
fs.mkdirSync(shotDir, { recursive: true });

const tests = [];
for (const g of selected) {
  const mod = await import(`./${g}.e2e.mjs`);
  for (const t of mod.tests) tests.push({ ...t, group: g });
}

// Checks over everything recorded (e.g. the loopback test) run after all page tests.
tests.sort((a, b) => Number(Boolean(a.last)) - Number(Boolean(b.last)));

const counts = { passed: 0, failed: 0, skipped: 0 };
let stack;
try {
  stack = await startStack();
} catch (e) {
  console.error("e2e: could not start the stack:", e.message);
  stack = { baseUrl: null, supabase: false, edge: false, stop: async () => {} };
}

const browser = stack.baseUrl
  ? await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    })
  : null;

// Every request and WebSocket any test page opens; checked by the loopback test at the end.
const requests = [];
const allowedOrigins = new Set(
  [stack.baseUrl, SUPABASE_URL, EDGE_URL, PREVIEW_BASE_URL].filter(Boolean).map((u) => new URL(u).origin),
);

// The browser contexts the running test opened: closed when it ends, passed or failed.
const opened = [];

async function newPage(opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, colorScheme: opts.colorScheme ?? "dark", baseURL: stack.baseUrl });
  opened.push(context);
  const page = await context.newPage();
  page.on("request", (r) => requests.push({ url: r.url(), from: page.url() }));
  page.on("websocket", (ws) => requests.push({ url: ws.url(), from: page.url() }));
  page.setDefaultTimeout(15_000);
  return { page, context };
}

const ctx = {
  get baseUrl() { return stack.baseUrl; },
  newPage,
  requests,
  allowedOrigins,
  shot: async (page, name) => page.screenshot({ path: path.join(shotDir, `${name}.png`), fullPage: false }),
  assert: (cond, msg) => { if (!cond) throw new Error(msg); },
};

for (const t of tests) {
  const needs = t.needs ?? ["supabase"];
  const missing = needs.filter((n) => !stack[n] || !stack.baseUrl);
  const label = `${t.group} › ${t.name}`;
  if (missing.length) {
    const hint = `needs ${missing.join(", ")} (start the stack: make dev)`;
    if (CI) { counts.failed++; console.log(`✗ ${label}: ${hint}`); } else { counts.skipped++; console.log(`- ${label}: skipped, ${hint}`); }
    continue;
  }
  const started = Date.now();
  try {
    await t.fn(ctx);
    counts.passed++;
    console.log(`✓ ${label} (${Date.now() - started} ms)`);
  } catch (e) {
    counts.failed++;
    console.log(`✗ ${label}\n    ${String(e?.stack ?? e).split("\n").slice(0, 4).join("\n    ")}`);
  } finally {
    await Promise.all(opened.splice(0).map((c) => c.close()));
  }
}

await browser?.close();
await stack.stop();
console.log(`e2e: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
if (process.env.E2E_REPORT) fs.writeFileSync(process.env.E2E_REPORT, JSON.stringify(counts));
process.exit(counts.failed ? 1 : 0);
