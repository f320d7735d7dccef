// Headless Blender with the add-on installed from its built zip, driven by e2e/blender_driver.py.
import fs from "node:fs";
import path from "node:path";
import { start, run, sleep } from "./proc.mjs";
import { rootDir } from "./stack.mjs";

export const BLENDER = process.env.BLENDER ?? "/usr/bin/blender";

/** The universal add-on zip, with the given bridge binary as bin/<os>-<arch>/octane-bridge. */
export function buildAddonZip(tmp, bridgeBin) {
  const binRoot = path.join(tmp, "bridge-bin");
  const dist = path.join(tmp, "addon-dist");
  fs.rmSync(binRoot, { recursive: true, force: true });
  if (bridgeBin) {
    const arch = { x64: "amd64", arm64: "arm64" }[process.arch] ?? process.arch;
    const d = path.join(binRoot, `linux-${arch}`);
    fs.mkdirSync(d, { recursive: true });
    fs.copyFileSync(bridgeBin, path.join(d, "octane-bridge"));
    fs.chmodSync(path.join(d, "octane-bridge"), 0o755);
  } else {
    fs.mkdirSync(binRoot, { recursive: true });
  }
  run(path.join(rootDir, "scripts/build-addon.sh"), [], { cwd: rootDir, env: { ...process.env, ADDON_DIST: dist, BRIDGE_BIN_DIR: binRoot } });
  const zips = fs.readdirSync(dist).filter((z) => z.endsWith(".zip") && z.split("-").length === 2);
  if (zips.length !== 1) throw new Error(`expected one universal add-on zip in ${dist}, got ${zips}`);
  return path.join(dist, zips[0]);
}

export class Blender {
  constructor() {
    this.events = [];
    this.waiters = [];
    this.nextId = 1;
    this.proc = null;
  }

  /** Starts Blender; resolves once the driver reported "ready". */
  /** python: a Python with bpy from PyPI (Blender 4.2+ as a module) instead of the blender binary. */
  /** dirs: { home, cacheDir, credDir } instead of tmp's (a second Blender on the same machine shares the
   * machine's bridge cache and pairing, not the Blender user folder). */
  static async start({ zip, tmp, urls, anonKey, logFile, extraEnv = {}, python = null, dirs = {} }) {
    const b = new Blender();
    const home = dirs.home ?? path.join(tmp, "blender-home");
    b.cacheDir = dirs.cacheDir ?? path.join(tmp, "bridge-cache");
    b.credDir = dirs.credDir ?? path.join(tmp, "bridge-home");
    for (const d of [home, b.cacheDir, b.credDir]) fs.mkdirSync(d, { recursive: true });
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      LANG: "C.UTF-8",
      // A private user folder: installing the add-on never touches a real Blender config.
      BLENDER_USER_SCRIPTS: path.join(home, "scripts"),
      BLENDER_USER_CONFIG: path.join(home, "config"),
      BLENDER_USER_DATAFILES: path.join(home, "datafiles"),
      BLENDER_USER_EXTENSIONS: path.join(home, "extensions"),
      // The add-on's configuration without clicking (blender_addon/core/config.py).
      OCTANE_SITE_URL: urls.site,
      OCTANE_EDGE_URL: urls.edge,
      OCTANE_SUPABASE_URL: urls.supabase,
      OCTANE_SUPABASE_ANON_KEY: anonKey,
      OCTANE_CACHE_DIR: b.cacheDir,
      OCTANE_LOG_LEVEL: "debug",
      OCTANE_DEVICE_NAME: "E2E Blender",
      // The bridge keeps its device key here (no D-Bus Secret Service on this machine).
      OCTANE_BRIDGE_CACHE_DIR: b.credDir,
      ...extraEnv,
    };
    b.logFile = logFile;
    const driver = path.join(rootDir, "e2e/blender_driver.py");
    const [cmd, args] = python ? [python, [driver, "--", zip]]
      : [BLENDER, ["-b", "--factory-startup", "-noaudio", "--python-exit-code", "1", "--python", driver, "--", zip]];
    b.proc = start("blender", cmd, args, {
      cwd: tmp, env, logFile, stdin: "pipe", onLine: (l) => b._line(l),
    });
    b.proc.child.stdin.on("error", () => {});
    b.proc.exited.then((r) => { b.exit = r; b._notify(); });
    const ready = await b.waitEvent((e) => e.ev === "ready" || e.ev === "fatal", 120_000, "Blender ready");
    if (ready.ev === "fatal") throw new Error(`driver failed: ${ready.trace}`);
    b.ready = ready;
    return b;
  }

  _line(line) {
    if (!line.startsWith("E2E ")) return;
    try {
      this.events.push(JSON.parse(line.slice(4)));
    } catch {
      return;
    }
    this._notify();
  }

  _notify() {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves with the first event (from index `since`) matching pred. */
  waitEvent(pred, ms, what, since = 0) {
    return new Promise((resolve, reject) => {
      let timer;
      const check = () => {
        for (let i = since; i < this.events.length; i++) {
          if (pred(this.events[i])) {
            done();
            resolve(this.events[i]);
            return;
          }
        }
        if (this.exit) {
          done();
          reject(new Error(`Blender exited (${JSON.stringify(this.exit)}) while waiting for ${what}; log: ${this.logFile}`));
        }
      };
      const done = () => { clearTimeout(timer); this.waiters = this.waiters.filter((w) => w !== check); };
      timer = setTimeout(() => { done(); reject(new Error(`timed out after ${ms} ms waiting for ${what}`)); }, ms);
      this.waiters.push(check);
      check();
    });
  }

  mark() { return this.events.length; }

  async cmd(name, args = {}, ms = 30_000) {
    const id = this.nextId++;
    const since = this.events.length;
    this.proc.child.stdin.write(JSON.stringify({ id, cmd: name, ...args }) + "\n");
    const ack = await this.waitEvent((e) => e.ev === "ack" && e.id === id, ms, `ack of ${name}`, since);
    if (!ack.ok) throw new Error(`Blender command ${name} failed: ${ack.error}\n${ack.trace ?? ""}`);
    return ack;
  }

  /** Polls the driver's state until pred(state) holds. */
  async waitState(pred, ms, what) {
    const end = Date.now() + ms;
    let st;
    while (Date.now() < end) {
      st = await this.cmd("state");
      if (pred(st)) return st;
      await sleep(150);
    }
    throw new Error(`timed out after ${ms} ms waiting for ${what}; last state: ${JSON.stringify(st && { state: st.state, message: st.message, paired: st.paired, errors: st.errors, recent: st.recent })}`);
  }

  async stop() {
    if (!this.proc || !this.proc.running) return;
    try {
      this.proc.child.stdin.write(JSON.stringify({ id: 0, cmd: "quit" }) + "\n");
      this.proc.child.stdin.end();
    } catch { /* closed */ }
    const t = setTimeout(() => this.proc.stop(), 8000);
    await this.proc.exited;
    clearTimeout(t);
  }
}
