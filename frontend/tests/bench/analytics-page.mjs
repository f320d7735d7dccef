// Times the operator's usage dashboard as the real page: `next start` of the production build,
// the Supabase stand-in and a database cloned from $OCTANE_PG_TEMPLATE (scripts/bench/analytics.sh
// points it at its scratch database of generated imports), all through the one stack launcher.
// Signs in as the seeded operator through the login form (Chromium), then GETs the server-rendered
// HTML of /operator/analytics with that session's cookies: one warm-up, then ANALYTICS_PAGE_RUNS
// (default 7) timed requests per window. Reports only (benchmarks never assert); a response that is
// not the dashboard (a login redirect, an error page) is an error, not a number.
// Prints JSON lines {name, value, unit, target, baseline}.
import path from "node:path";
import { chromium } from "playwright-core";
import { launchStack, localDir } from "../../../e2e/lib/stack.mjs";
import { OPERATOR, signIn } from "../../../e2e/lib/site.mjs";

const RUNS = Number(process.env.ANALYTICS_PAGE_RUNS ?? 7);
// The windows the page offers that issue 20 names a target for: the default (30 days) and 90.
const WINDOWS = [{ days: 30, query: "" }, { days: 90, query: "?days=90" }];
const MARKER = "What artists import, what fails"; // the dashboard's header (page.tsx)
const DATA = "Bench Shader "; // analytics.sh's generated shaders: the page read the bench database

const stack = await launchStack(
  ["-port-sets", "-site", "-db-prefix", "bench_analytics_page", "-log-dir", path.join(localDir, "log", "bench-analytics")],
  { log: (l) => console.error(l) },
);
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]; };
const out = [];
try {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
  let cookie;
  try {
    const context = await browser.newContext({ baseURL: stack.site_url });
    const page = await context.newPage();
    page.setDefaultTimeout(120_000); // the first render of a cold server over a large database
    await signIn(page, OPERATOR, "/operator/analytics");
    cookie = (await context.cookies(stack.site_url)).map((c) => `${c.name}=${c.value}`).join("; ");
  } finally {
    await browser.close();
  }
  for (const w of WINDOWS) {
    const url = stack.site_url + "/operator/analytics" + w.query;
    const ms = [];
    for (let run = 0; run <= RUNS; run++) {
      const t0 = performance.now();
      const res = await fetch(url, { headers: { cookie }, redirect: "manual", signal: AbortSignal.timeout(120_000) });
      const html = await res.text();
      const took = performance.now() - t0;
      if (res.status !== 200 || !html.includes(MARKER) || !html.includes(DATA)) {
        throw new Error(`GET ${url}: ${res.status}${res.headers.get("location") ? " -> " + res.headers.get("location") : ""}, not the dashboard over the generated imports`);
      }
      if (run > 0) ms.push(took);
    }
    const round = (v) => Math.round(v * 10) / 10;
    console.error(`analytics page, ${w.days}-day window: ${ms.map(round).join(", ")} ms`);
    out.push({ name: `analytics_${w.days}d_page_p50_ms`, value: round(quantile(ms, 0.5)), unit: "ms", target: 1000, baseline: null });
    out.push({ name: `analytics_${w.days}d_page_p95_ms`, value: round(quantile(ms, 0.95)), unit: "ms", target: null, baseline: null });
  }
} finally {
  await stack.stop();
}
for (const o of out) console.log(JSON.stringify(o));
