// Measures the production build of the browse page in Chromium: gzipped JavaScript shipped
// (every script the page loads, gzip -6), LCP and CLS (PerformanceObserver, buffered), median of runs.
// Prints JSON lines {name, value, unit, target, baseline}; scripts/bench/web.sh appends them.
import zlib from "node:zlib";
import { chromium } from "playwright-core";
import { startStack } from "../e2e/stack.mjs";

const RUNS = Number(process.env.WEB_BENCH_RUNS ?? 5);
const stack = await startStack();
if (!stack.baseUrl) {
  console.error("web bench: needs the Supabase stand-in (make dev) or OCTANE_PG_URL + OCTANE_PG_TEMPLATE");
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

let jsGzip = 0;
const lcps = [];
const clss = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const page = await context.newPage();
    await page.addInitScript(() => {
      window.__lcp = 0;
      window.__cls = 0;
      new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__lcp = e.startTime; }).observe({ type: "largest-contentful-paint", buffered: true });
      new PerformanceObserver((l) => { for (const e of l.getEntries()) if (!e.hadRecentInput) window.__cls += e.value; }).observe({ type: "layout-shift", buffered: true });
    });
    const scripts = new Map();
    page.on("response", async (r) => {
      if (r.request().resourceType() === "script" && r.ok()) {
        try { scripts.set(r.url(), await r.body()); } catch { /* navigation raced */ }
      }
    });
    await page.goto(stack.baseUrl + "/", { waitUntil: "networkidle" });
    await page.waitForTimeout(500);
    // Interaction ends LCP candidates; then read the values.
    await page.mouse.click(5, 5);
    const { lcp, cls } = await page.evaluate(() => ({ lcp: window.__lcp, cls: window.__cls }));
    lcps.push(lcp);
    clss.push(cls);
    if (i === 0) for (const body of scripts.values()) jsGzip += zlib.gzipSync(body, { level: 6 }).length;
    await context.close();
  }
} finally {
  await browser.close();
  await stack.stop();
}
const out = [
  { name: "web_browse_js_gzip", value: Math.round((jsGzip / 1024) * 10) / 10, unit: "KB", target: 150, baseline: null },
  { name: "web_browse_lcp_p50", value: Math.round(median(lcps)), unit: "ms", target: 2500, baseline: null },
  { name: "web_browse_cls_p50", value: Math.round(median(clss) * 1000) / 1000, unit: "score", target: 0.1, baseline: null },
];
for (const o of out) console.log(JSON.stringify(o));
