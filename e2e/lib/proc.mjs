// Child processes of the end-to-end run: each in its own process group under `timeout`, so a
// crashed or killed runner never leaves servers behind, and stop() ends the whole group.
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";

export function start(name, cmd, args, { cwd, env, logFile, stdin = "ignore", onLine } = {}) {
  // Hard cap on the process (seconds); the runner itself stops it much earlier.
  const maxSeconds = Number(process.env.E2E_MAX_SECONDS ?? 900);
  const out = logFile ? fs.openSync(logFile, "a") : "ignore";
  const child = spawn("timeout", ["-k", "5", String(maxSeconds), cmd, ...args], {
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
  // A reaper ends the group when the runner dies without cleaning up (SIGKILL, OOM).
  const reaper = spawn("sh", ["-c", `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -TERM -${child.pid} 2>/dev/null; sleep 3; kill -KILL -${child.pid} 2>/dev/null`], {
    detached: true, stdio: "ignore",
  });
  reaper.unref();
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  let done = false;
  exited.then(() => {
    done = true;
    try { process.kill(reaper.pid, "SIGKILL"); } catch { /* gone */ }
  });
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

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20, ...opts }).toString();
}
