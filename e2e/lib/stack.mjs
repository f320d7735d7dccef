// The whole local stack for the end-to-end run, on its own loopback ports over a fresh database:
// Supabase stand-in, edge, the demo catalog (plus the run's own packages) in versitygw, and
// `next start` of a web build made for exactly these ports.
//
// Why a separate web build: Next inlines NEXT_PUBLIC_* (Supabase and edge URLs) into the browser
// and server bundles at build time, so a build for :54321/:8787 cannot talk to a stand-in on
// another port. The run picks the first free port set of a short fixed list and keeps one build
// per set under .local/e2e/web-<n>/ (rebuilt only when frontend sources change), so parallel
// runs (make dev, the web suite) never share servers or a database with this one.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { start, portFree, waitHTTP, run } from "./proc.mjs";

const here = path.dirname(new URL(import.meta.url).pathname);
export const rootDir = path.resolve(here, "../..");
export const localDir = process.env.OCTANE_LOCAL ?? path.join(rootDir, ".local");
const GO = fs.existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : "go";

export function dotenv() {
  return Object.fromEntries(
    fs.readFileSync(path.join(rootDir, ".env.example"), "utf8").split("\n")
      .map((l) => l.match(/^([A-Z0-9_]+)=(.*)$/)).filter(Boolean).map((m) => [m[1], m[2]]),
  );
}

// Port sets: [stand-in, edge, site]. Away from the documented 54321/8787/3000 and from the
// kernel's ephemeral range, so they are free unless another e2e run holds them.
const PORT_SETS = Array.from({ length: 6 }, (_, i) => [54331 + 10 * i, 8797 + 10 * i, 3011 + 10 * i]);

async function pickPorts() {
  for (let i = 0; i < PORT_SETS.length; i++) {
    const ok = await Promise.all(PORT_SETS[i].map(portFree));
    if (ok.every(Boolean)) return { index: i, supabase: PORT_SETS[i][0], edge: PORT_SETS[i][1], site: PORT_SETS[i][2] };
  }
  throw new Error(`no free port set among ${JSON.stringify(PORT_SETS)} (other e2e runs?)`);
}

export function goBuild(out, pkg, { ldflags, env } = {}) {
  const args = ["build", "-o", out];
  if (ldflags) args.push("-ldflags", ldflags);
  args.push(pkg);
  run(GO, args, { cwd: rootDir, env: { ...process.env, ...env, GOFLAGS: "-mod=mod" } });
}

/** Builds the bridge as scripts/build-bridge.sh does: the local stack's delivery key pinned in. */
export function buildBridge(out, env) {
  const version = fs.readFileSync(path.join(rootDir, "blender_addon/blender_manifest.toml"), "utf8").match(/^version = "(.*)"/m)?.[1] ?? "dev";
  fs.mkdirSync(path.dirname(out), { recursive: true });
  goBuild(out, "./bridge", { ldflags: `-X main.version=${version} -X main.trustedKeys=${env.MANIFEST_PUBLIC_KEYS}`, env: { CGO_ENABLED: "0" } });
}

function walkStamp(dir, skip, h) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (skip.has(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walkStamp(p, skip, h);
    else if (e.isFile()) {
      const st = fs.statSync(p);
      h.update(`${path.relative(rootDir, p)}\0${st.size}\0${st.mtimeMs}\n`);
    }
  }
}

const WEB_SKIP = new Set(["node_modules", ".next", "tests", "tsconfig.tsbuildinfo", "COORDINATION.md"]);

/** A `next build` of frontend/ with this port set's public URLs, cached per set. */
export function webBuild(ports, env, log) {
  const frontend = path.join(rootDir, "frontend");
  const h = crypto.createHash("sha256");
  walkStamp(frontend, WEB_SKIP, h);
  const publicEnv = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith("NEXT_PUBLIC_")));
  h.update(JSON.stringify(publicEnv));
  const stamp = h.digest("hex");
  const base = path.join(localDir, "e2e", `web-${ports.index}`);
  const dir = path.join(base, "frontend");
  const stampFile = path.join(base, "stamp");
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === stamp && fs.existsSync(path.join(dir, ".next/BUILD_ID"))) {
    return dir;
  }
  log(`building the web app for ports ${ports.supabase}/${ports.edge}/${ports.site} (cached in ${path.relative(rootDir, base)})`);
  fs.rmSync(base, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.cpSync(frontend, dir, { recursive: true, filter: (src) => !WEB_SKIP.has(path.basename(src)) || src === frontend });
  // The copy sits under .local/; Turbopack's root must still be the repository (node_modules).
  const cfgPath = path.join(dir, "next.config.ts");
  const cfg = fs.readFileSync(cfgPath, "utf8");
  const patched = cfg.replaceAll('path.resolve(__dirname, "..")', JSON.stringify(rootDir));
  if (patched === cfg) throw new Error("frontend/next.config.ts changed shape: cannot point the e2e copy's Turbopack root at the repository");
  fs.writeFileSync(cfgPath, patched);
  const t0 = Date.now();
  run(path.join(rootDir, "node_modules/.bin/next"), ["build"], { cwd: dir, env: { ...env, NEXT_TELEMETRY_DISABLED: "1" }, timeout: 600_000 });
  log(`web app built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  fs.writeFileSync(stampFile, stamp);
  return dir;
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

function psql(sql, db) {
  const u = new URL(process.env.OCTANE_PG_URL);
  if (db) u.pathname = "/" + db;
  return run("psql", ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", u.toString(), "-c", sql]);
}

/**
 * Starts everything. Returns { urls, env, dbURL, sql(q), bins, stop(), tmp }.
 * `log` prints progress; `makePackages({bins, tmp})` returns extra catalog folders to publish.
 */
export async function startStack({ log, runId, makePackages = () => [] }) {
  if (!process.env.OCTANE_PG_URL || !process.env.OCTANE_PG_TEMPLATE) {
    throw new Error("OCTANE_PG_URL / OCTANE_PG_TEMPLATE are not set (run through scripts/suites/e2e.sh or make test)");
  }
  const cleanups = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) {
      try { await c(); } catch (e) { log(`cleanup: ${e.message}`); }
    }
    cleanups.length = 0;
  };
  try {
    const ports = await pickPorts();
    const urls = {
      supabase: `http://127.0.0.1:${ports.supabase}`,
      edge: `http://127.0.0.1:${ports.edge}`,
      site: `http://127.0.0.1:${ports.site}`,
    };
    const base = dotenv();
    const env = {
      ...base,
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(PATH|HOME|USER|LANG|TMPDIR|S3_|STRIPE_|OCTANE_|GO)/.test(k))),
      SUPABASE_URL: urls.supabase,
      EDGE_URL: urls.edge,
      SITE_URL: urls.site,
      NEXT_PUBLIC_SUPABASE_URL: urls.supabase,
      NEXT_PUBLIC_EDGE_URL: urls.edge,
      NEXT_PUBLIC_SITE_URL: urls.site,
      NEXT_PUBLIC_PREVIEW_BASE_URL: `${process.env.S3_ENDPOINT ?? base.S3_ENDPOINT}/${process.env.S3_BUCKET ?? base.S3_BUCKET}`,
      LOG_LEVEL: "warn",
    };
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `octane-e2e-${runId}-`));
    cleanups.push(() => { if (process.env.E2E_KEEP !== "1") fs.rmSync(tmp, { recursive: true, force: true }); });
    const logDir = path.join(localDir, "log", "e2e");
    fs.mkdirSync(logDir, { recursive: true });

    // Programs (go's build cache keeps repeat builds fast).
    const binDir = path.join(localDir, "e2e", "bin");
    fs.mkdirSync(binDir, { recursive: true });
    const bins = { standin: path.join(binDir, "supabase-local"), edge: path.join(binDir, "edge"), publish: path.join(binDir, "publish"), s3tool: path.join(binDir, "s3tool") };
    log("building the stand-in, the edge, publish and s3tool");
    goBuild(bins.standin, "./supabase/local");
    goBuild(bins.edge, "./edge");
    goBuild(bins.publish, "./cmd/publish");
    goBuild(bins.s3tool, "./e2e/s3tool");

    // A fresh database from the template (and those of runs that died without cleaning up).
    for (const old of psql("select datname from pg_database where datname ~ '^e2e_[0-9]+_'").split("\n").filter(Boolean)) {
      const pid = Number(old.split("_")[1]);
      if (!pidAlive(pid)) psql(`drop database if exists ${old} with (force)`);
    }
    const db = `e2e_${runId}`;
    psql(`create database ${db} template ${process.env.OCTANE_PG_TEMPLATE}`);
    cleanups.push(() => psql(`drop database if exists ${db} with (force)`));
    const dbURL = (() => { const u = new URL(process.env.OCTANE_PG_URL); u.pathname = "/" + db; return u.toString(); })();
    env.DATABASE_URL = dbURL;
    const sql = (q) => psql(q, db);

    // The demo catalog (objects are content-addressed per slug/version; --skip-existing), then
    // the run's own packages; the seed's placeholders are hidden as `make dev` does.
    log("publishing the demo catalog");
    run(bins.publish, ["--no-vet", "--skip-existing", "--public-previews", path.join(rootDir, "catalog/demo")], { cwd: rootDir, env });
    for (const dir of await makePackages({ bins, tmp })) run(bins.publish, ["--no-vet", "--skip-existing", dir], { cwd: rootDir, env });
    sql("update public.shaders set published = false where slug like 'placeholder-%' and published");

    const procs = [];
    cleanups.push(async () => { await Promise.all(procs.map((p) => p.stop())); });
    const standin = start("standin", bins.standin, [], {
      cwd: rootDir, logFile: path.join(logDir, "standin.log"),
      env: { ...env, STANDIN_ADDR: `127.0.0.1:${ports.supabase}`, API_EXTERNAL_URL: urls.supabase },
    });
    procs.push(standin);
    const edge = start("edge", bins.edge, [], { cwd: rootDir, logFile: path.join(logDir, "edge.log"), env: { ...env, EDGE_ADDR: `127.0.0.1:${ports.edge}` } });
    procs.push(edge);
    const webDir = webBuild(ports, env, log);
    const web = start("web", path.join(rootDir, "node_modules/.bin/next"), ["start", "-H", "127.0.0.1", "-p", String(ports.site)], {
      cwd: webDir, logFile: path.join(logDir, "web.log"), env: { ...env, NODE_ENV: "production" },
    });
    procs.push(web);
    const [a, b, c] = await Promise.all([
      waitHTTP(`${urls.supabase}/auth/v1/health`, 30_000),
      waitHTTP(`${urls.edge}/healthz`, 30_000, (s) => s === 200),
      waitHTTP(`${urls.site}/.well-known/octane-bridge.json`, 90_000, (s) => s === 200),
    ]);
    if (!a || !b || !c) {
      throw new Error(`did not come up: ${[!a && "stand-in", !b && "edge", !c && "web"].filter(Boolean).join(", ")} (logs: .local/log/e2e/)`);
    }
    log(`stack up: site ${urls.site}, stand-in ${urls.supabase}, edge ${urls.edge}, database ${db}`);
    return { ports, urls, env, dbURL, db, sql, bins, tmp, logDir, procs: { standin, edge, web }, stop, onStop: (f) => cleanups.push(f) };
  } catch (e) {
    await stop();
    throw e;
  }
}
