// Brings up what the site's e2e tests need through the one stack launcher (internal/testenv,
// run as its command by e2e/lib/stack.mjs): a stack that already runs on the local stack's ports
// (make dev) is reused; otherwise a database cloned from $OCTANE_PG_TEMPLATE with one real demo
// package (oak-wood, free) and a small package-format-v2 fixture (V2_FIXTURE, free: three texture
// sets, a stand-in .blend), the Supabase stand-in on :54321 and the edge on :8787. The site is
// `next start` of frontend/.next (rebuilt when a source is newer) on a free loopback port, or
// make dev's when its edge runs, or $E2E_BASE_URL.
import fs from "node:fs";
import path from "node:path";
import { demoPackage, makeFixtureV2 } from "../../../e2e/lib/packages.mjs";
import { dotenv, goBuild, launchStack, localDir } from "../../../e2e/lib/stack.mjs";

const here = path.dirname(new URL(import.meta.url).pathname);
export const frontendDir = path.resolve(here, "../..");
export const rootDir = path.resolve(frontendDir, "..");

export const SUPABASE_URL = process.env.E2E_SUPABASE_URL ?? "http://127.0.0.1:54321";
export const EDGE_URL = process.env.E2E_EDGE_URL ?? "http://127.0.0.1:8787";
export const PREVIEW_BASE_URL = process.env.NEXT_PUBLIC_PREVIEW_BASE_URL ?? "http://127.0.0.1:9000/octane-packages";

/** The v2 shader the site's tests pick resolutions on: its sets and their approximate sizes. */
export const V2_FIXTURE = { shaderId: "web-e2e-resolutions", name: "Resolution Fixture", sets: { "1k": 200_000, "2k": 800_000, "4k": 3_200_000 } };

/** Packs V2_FIXTURE (publish pack, reproducible) and returns the folder to publish. */
function packFixture() {
  const dir = path.join(localDir, "web-e2e");
  const publishBin = path.join(localDir, "e2e", "bin", "publish");
  goBuild(publishBin, "./cmd/publish");
  const outDir = path.join(dir, "v2-out");
  fs.rmSync(outDir, { recursive: true, force: true });
  makeFixtureV2({ publishBin, ...V2_FIXTURE, outDir, workDir: path.join(dir, "v2-src") });
  return outDir;
}

export async function reachable(url, p = "/") {
  try {
    const res = await fetch(new URL(p, url), { signal: AbortSignal.timeout(1500) });
    return res.status < 500;
  } catch {
    return false;
  }
}

export async function startStack() {
  const given = process.env.E2E_BASE_URL ?? null;
  const canStart = Boolean(process.env.OCTANE_PG_URL && process.env.OCTANE_PG_TEMPLATE);
  if (!canStart && !(await reachable(SUPABASE_URL, "/auth/v1/health"))) {
    // Nothing runs and nothing can be started: the tests that need the stack skip (fail in CI).
    const edge = await reachable(EDGE_URL, "/healthz");
    return { baseUrl: given ?? (edge ? process.env.SITE_URL ?? dotenv().SITE_URL : null), supabase: false, edge, stop: async () => {} };
  }
  const demo = demoPackage("oak-wood");
  const args = [
    "-reuse", "-supabase-addr", new URL(SUPABASE_URL).host, "-edge-addr", new URL(EDGE_URL).host,
    "-db-prefix", "web_e2e", "-log-dir", path.join(localDir, "log", "web-e2e"),
    ...(given ? ["-site-url", given] : ["-site"]),
    ...(fs.existsSync(demo) ? ["-publish", `--free --public-previews ${demo}`] : []),
    "-publish", `--public-previews ${packFixture()}`,
  ];
  const st = await launchStack(args, {
    log: (line) => console.log(`stack: ${line}`),
    logFile: path.join(localDir, "log", "web-e2e", "stack.log"),
  });
  const edge = await reachable(EDGE_URL, "/healthz");
  return { baseUrl: st.site_url || null, supabase: true, edge, stop: st.stop };
}
