// Child processes of the end-to-end run: each in its own process group under `timeout`, so a
// crashed or killed runner never leaves servers behind, and stop() ends the whole group.
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";

// Hard cap on every process the run starts (seconds); the runner itself stops them much earlier.
const MAX_SECONDS = Number(process.env.E2E_MAX_SECONDS ?? 1500);

export function start(name, cmd, args, { cwd, env, logFile, stdin = "ignore", onLine } = {}) {
  const out = logFile ? fs.openSync(logFile, "a") : "ignore";
  const child = spawn("timeout", ["-k", "5", String(MAX_SECONDS), cmd, ...args], {
    cwd,
    env,
    detached: true,
    stdio: [stdin, onLine ? "pipe" : out, out],
  });
  if (onLine) {
    let buf = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        onLine(line);
        if (logFile && !line.startsWith("E2E ")) fs.appendFileSync(logFile, line + "\n");
      }
    });
  }
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  let done = false;
  exited.then(() => { done = true; });
  return {
    name,
    child,
    exited,
    get running() { return !done; },
    async stop(ms = 5000) {
      if (done) return;
      try { process.kill(-child.pid, "SIGTERM"); } catch { /* gone */ }
      const t = setTimeout(() => { try { process.kill(-child.pid, "SIGKILL"); } catch { /* gone */ } }, ms);
      await exited;
      clearTimeout(t);
    },
  };
}

/** True when nothing listens on 127.0.0.1:port (we can bind it). */
export function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

export async function waitHTTP(url, ms, okStatus = (s) => s < 500) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1500) });
      if (okStatus(r.status)) return true;
    } catch { /* not yet */ }
    await sleep(200);
  }
  return false;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20, ...opts }).toString();
}
