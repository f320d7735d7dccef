// Brings up what the e2e tests need, reusing anything already running (make dev):
// the Supabase stand-in on :54321 (else: a database cloned from $OCTANE_PG_TEMPLATE and a
// stand-in built from supabase/local) and the web app (`next start` on a free loopback port).
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { demoPackage } from "../../../e2e/lib/packages.mjs";

const here = path.dirname(new URL(import.meta.url).pathname);
export const frontendDir = path.resolve(here, "../..");
export const rootDir = path.resolve(frontendDir, "..");

export const SUPABASE_URL = process.env.E2E_SUPABASE_URL ?? "http://127.0.0.1:54321";
export const EDGE_URL = process.env.E2E_EDGE_URL ?? "http://127.0.0.1:8787";
export const PREVIEW_BASE_URL = process.env.NEXT_PUBLIC_PREVIEW_BASE_URL ?? "http://127.0.0.1:9000/octane-packages";

export async function reachable(url, p = "/") {
  try {
    const res = await fetch(new URL(p, url), { signal: AbortSignal.timeout(1500) });
    return res.status < 500;
  } catch {
    return false;
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function waitFor(url, p, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await reachable(url, p)) return true;
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}

// True when any source file of the app changed after the last build (so tests never run stale code).
function sourcesNewerThan(t) {
  const skip = new Set(["node_modules", ".next", "tests", "public"]);
  const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).some((e) => {
    if (skip.has(e.name)) return false;
    const p = path.join(d, e.name);
    return e.isDirectory() ? walk(p) : fs.statSync(p).mtimeMs > t;
  });
  return walk(frontendDir);
}

export async function startStack() {
  const cleanups = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) {
      try { await c(); } catch { /* best effort */ }
    }
  };
  // Local-stack configuration (.env.example, public values) under whatever the caller exported.
  const dotenv = Object.fromEntries(
    fs.readFileSync(path.join(rootDir, ".env.example"), "utf8").split("\n")
      .map((l) => l.match(/^([A-Z0-9_]+)=(.*)$/)).filter(Boolean).map((m) => [m[1], m[2]]),
  );
  const env = { ...dotenv, ...process.env };
  const anon = fs.readFileSync(path.join(rootDir, ".env.example"), "utf8").match(/^SUPABASE_ANON_KEY=(.*)$/m)?.[1];
  const jwtSecret = "super-secret-jwt-token-with-at-least-32-characters-long";
  let supabase = (await reachable(SUPABASE_URL, "/auth/v1/health")) ? "external" : null;
  // The edge answers CORS for one origin, the site's: a running edge (make dev) means make dev's
  // site; an edge started here is told the address of the site started here.
  const edgeRunning = await reachable(EDGE_URL, "/healthz");
  let baseUrl = process.env.E2E_BASE_URL ?? (edgeRunning ? env.SITE_URL : null);
  const sitePort = baseUrl ? null : await freePort();
  const siteUrl = baseUrl ?? `http://127.0.0.1:${sitePort}`;

  if (!supabase && process.env.OCTANE_PG_URL && process.env.OCTANE_PG_TEMPLATE) {
    const db = `web_e2e_${process.pid}`;
    const pg = new URL(process.env.OCTANE_PG_URL);
    const psql = (sql) => execFileSync("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", process.env.OCTANE_PG_URL, "-c", sql], { stdio: "pipe" });
    psql(`create database ${db} template ${process.env.OCTANE_PG_TEMPLATE}`);
    cleanups.push(() => psql(`drop database if exists ${db} with (force)`));
    pg.pathname = "/" + db;
    const bin = path.join(process.env.OCTANE_LOCAL ?? path.join(rootDir, ".local"), "bin", "supabase-local-e2e");
    execFileSync("/usr/local/go/bin/go", ["build", "-o", bin, "./supabase/local"], { cwd: rootDir, stdio: "inherit", env: { ...env, GOFLAGS: "-mod=mod" } });
    const child = spawn(bin, [], {
      cwd: rootDir,
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...env, DATABASE_URL: pg.toString(), SUPABASE_JWT_SECRET: jwtSecret, SUPABASE_ANON_KEY: anon ?? "", STANDIN_ADDR: new URL(SUPABASE_URL).host, LOG_LEVEL: "warn" },
    });
    cleanups.push(() => child.kill("SIGTERM"));
    if (!(await waitFor(SUPABASE_URL, "/auth/v1/health", 30_000))) {
      await stop();
      throw new Error("the Supabase stand-in did not start");
    }
    supabase = "started";

    // The same database gets one real demo package (the seed only has placeholders) and an edge.
    const bin2 = (name) => path.join(path.dirname(bin), `${name}-e2e`);
    const childEnv = { ...env, DATABASE_URL: pg.toString(), GOFLAGS: "-mod=mod" };
    const demo = demoPackage("oak-wood");
    if (fs.existsSync(path.join(rootDir, "cmd/publish/main.go")) && fs.existsSync(demo)) {
      execFileSync("/usr/local/go/bin/go", ["build", "-o", bin2("publish"), "./cmd/publish"], { cwd: rootDir, stdio: "inherit", env: childEnv });
      execFileSync(bin2("publish"), ["--no-vet", "--skip-existing", "--free", "--public-previews", demo], { cwd: rootDir, stdio: ["ignore", "ignore", "inherit"], env: childEnv });
    }
    if (!(await reachable(EDGE_URL, "/healthz")) && fs.existsSync(path.join(rootDir, "edge/main.go"))) {
      execFileSync("/usr/local/go/bin/go", ["build", "-o", bin2("edge"), "./edge"], { cwd: rootDir, stdio: "inherit", env: childEnv });
      const edge = spawn(bin2("edge"), [], {
        cwd: rootDir,
        stdio: ["ignore", "ignore", "inherit"],
        env: { ...childEnv, EDGE_ADDR: new URL(EDGE_URL).host, SITE_URL: siteUrl, LOG_LEVEL: "warn" },
      });
      cleanups.push(() => edge.kill("SIGTERM"));
      await waitFor(EDGE_URL, "/healthz", 30_000);
    }
  }

  if (supabase && !baseUrl) {
    const buildId = path.join(frontendDir, ".next", "BUILD_ID");
    if (!fs.existsSync(buildId) || process.env.E2E_REBUILD === "1" || sourcesNewerThan(fs.statSync(buildId).mtimeMs)) {
      execFileSync(path.join(rootDir, "node_modules/.bin/next"), ["build"], { cwd: frontendDir, stdio: "inherit" });
    }
    const port = sitePort;
    const child = spawn(path.join(rootDir, "node_modules/.bin/next"), ["start", "-H", "127.0.0.1", "-p", String(port)], {
      cwd: frontendDir,
      stdio: ["ignore", "ignore", "inherit"],
      env,
      detached: true,
    });
    cleanups.push(() => { try { process.kill(-child.pid, "SIGTERM"); } catch { child.kill("SIGTERM"); } });
    baseUrl = `http://127.0.0.1:${port}`;
    if (!(await waitFor(baseUrl, "/.well-known/octane-bridge.json", 60_000))) {
      await stop();
      throw new Error("next start did not come up");
    }
  }
  const edge = await reachable(EDGE_URL, "/healthz");
  return { baseUrl, supabase: Boolean(supabase), edge, stop };
}
