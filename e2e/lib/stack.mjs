// The stack for the JavaScript end-to-end suites. There is one launcher, internal/testenv's
// StackWith (Go tests call it directly); these suites run its command, internal/testenv/cmd/stack,
// which starts a database cloned from the template, the Supabase stand-in, the edge and, when
// asked, the demo catalog and `next start` of a web build made for exactly these ports, prints
// `STACK {json}` with the endpoints and stops everything when its stdin closes.
//
// This run (e2e/run.mjs) takes the first free end-to-end port set, so parallel runs (make dev,
// the web suite) never share servers or a database with it, and the web build made for that set
// is reused by the next run until frontend sources change (internal/testenv/site.go).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { start, run } from "./proc.mjs";

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

function psql(sql, db) {
  const u = new URL(process.env.OCTANE_PG_URL);
  if (db) u.pathname = "/" + db;
  return run("psql", ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", u.toString(), "-c", sql]);
}

/**
 * Runs the stack command with `args` (its flags: internal/testenv/cmd/stack) and resolves with
 * { ...endpoints, stop() } once it printed its endpoints. Progress lines go to `log`, the
 * command's own output to `logFile`; stop() closes its stdin, and it stops what it started.
 */
export async function launchStack(args, { log = console.log, logFile } = {}) {
  const bin = path.join(localDir, "e2e", "bin", "stack");
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  goBuild(bin, "./internal/testenv/cmd/stack");
  if (logFile) fs.mkdirSync(path.dirname(logFile), { recursive: true });
  let resolve;
  const ready = new Promise((r) => { resolve = r; });
  const proc = start("stack", bin, args, {
    cwd: rootDir, env: process.env, logFile, stdin: "pipe",
    onLine: (line) => {
      if (line.startsWith("STACK ")) resolve(JSON.parse(line.slice(6)));
      else if (line.trim()) log(line);
    },
  });
  const stop = async () => {
    if (!proc.running) return;
    proc.child.stdin.end();
    const t = setTimeout(() => proc.stop(), 60_000);
    await proc.exited;
    clearTimeout(t);
  };
  const endpoints = await Promise.race([ready, proc.exited.then(() => null)]);
  if (!endpoints) {
    throw new Error(`the stack did not start${logFile ? ` (log: ${path.relative(rootDir, logFile)})` : ""}`);
  }
  return { ...endpoints, stop };
}

/**
 * Starts everything for e2e/run.mjs. Returns { urls, env, dbURL, db, sql(q), bins, tmp, logDir,
 * stop(), onStop(f) }. `log` prints progress; `makePackages({bins, tmp})` returns extra catalog
 * folders to publish after the demo catalog.
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
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `octane-e2e-${runId}-`));
    cleanups.push(() => { if (process.env.E2E_KEEP !== "1") fs.rmSync(tmp, { recursive: true, force: true }); });
    const logDir = path.join(localDir, "log", "e2e");
    fs.mkdirSync(logDir, { recursive: true });

    // The run's tools (go's build cache keeps repeat builds fast); the stack command builds the servers.
    const binDir = path.join(localDir, "e2e", "bin");
    fs.mkdirSync(binDir, { recursive: true });
    const bins = { publish: path.join(binDir, "publish"), s3tool: path.join(binDir, "s3tool") };
    log("building publish and s3tool");
    goBuild(bins.publish, "./cmd/publish");
    goBuild(bins.s3tool, "./e2e/s3tool");
    const extra = await makePackages({ bins, tmp });

    // A fresh database from the template, the demo catalog then the run's own packages, the
    // stand-in, the edge and the site on the first free port set.
    log("starting the stack (internal/testenv/cmd/stack)");
    const st = await launchStack(
      ["-port-sets", "-catalog", "-site", "-log-dir", logDir, "-db-prefix", "e2e", ...extra.flatMap((d) => ["-publish", d])],
      { log, logFile: path.join(logDir, "stack.log") },
    );
    cleanups.push(st.stop);
    const urls = { supabase: st.supabase_url, edge: st.edge_url, site: st.site_url, stripe: st.stripe_url };
    const env = {
      ...dotenv(),
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(PATH|HOME|USER|LANG|TMPDIR|S3_|STRIPE_|OCTANE_|GO)/.test(k))),
      ...st.env,
    };
    const sql = (q) => psql(q, st.db);
    log(`stack up: site ${urls.site}, stand-in ${urls.supabase}, edge ${urls.edge}, database ${st.db}`);
    return { urls, env, dbURL: st.db_url, db: st.db, sql, bins, tmp, logDir, stop, onStop: (f) => cleanups.push(f) };
  } catch (e) {
    await stop();
    throw e;
  }
}
