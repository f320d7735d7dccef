// Where one import's time goes (the import benchmark, docs/latency.md): timestamps from every
// process of the local stack put on one clock (the wall clock in Unix ms: they share the machine)
// and cut into hops. Sources: the page (a capture-phase click listener and a MutationObserver on
// the status box, added by the benchmark), Chromium's network events over CDP (the CORS preflight
// and POST /v1/imports with its Server-Timing header), imports.timings (the database's clock), the
// bridge's "import done" log line (bridge/internal/importer/trace.go) and the Blender driver's
// reply event (the add-on's handler start and the material's assignment).
import fs from "node:fs";

/** Installs the page-side probes; call after each navigation. window.__octaneTimings gets
 * click (the click event reaching the document, before the page's own handler), done (the
 * status box turning "done" in the DOM) and painted (the next animation frame after that). */
export async function probePage(page) {
  await page.evaluate(() => {
    const now = () => performance.timeOrigin + performance.now();
    const t = (window.__octaneTimings = {});
    document.addEventListener("click", () => { t.click ??= now(); }, { capture: true });
    const seen = () => {
      if (t.done || !document.querySelector('[data-testid="import-status"][data-status="done"]')) return;
      t.done = now();
      requestAnimationFrame(() => { t.painted = now(); });
    };
    new MutationObserver(seen).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"] });
  });
}

export const pageTimings = (page) => page.evaluate(() => window.__octaneTimings ?? {});

/** Records the preflight and the POST of /v1/imports on edgeURL through a CDP session of page,
 * and when the page's Realtime socket received an import's done broadcast.
 * take() returns and forgets what was seen since the last call: {preflight: {start, end},
 * post: {start, sent, headers, end}, serverTiming: {name: {dur, desc}}, socketDone} in Unix ms. */
export async function watchMint(page, edgeURL) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  const edge = new URL(edgeURL);
  const isMint = (u) => { const x = new URL(u); return x.port === edge.port && x.pathname === "/v1/imports"; };
  // requestId → {method, offset (wall − monotonic clock, s), start}; a preflight is a request of
  // its own (method OPTIONS; its response's type is Preflight).
  const reqs = new Map();
  let seen = {};
  let offset = null; // wall − monotonic clock (s), from any request: the socket's frames carry only the latter
  const timing = (headers) => Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === "server-timing")?.[1];
  cdp.on("Network.requestWillBeSent", (e) => {
    offset ??= e.wallTime - e.timestamp;
    if (!isMint(e.request.url)) return;
    reqs.set(e.requestId, { method: e.request.method, offset: e.wallTime - e.timestamp, start: e.wallTime * 1000 });
  });
  // The raw headers as received, in case the response event's copy lacks one.
  cdp.on("Network.responseReceivedExtraInfo", (e) => {
    const h = reqs.get(e.requestId)?.method === "POST" && timing(e.headers);
    if (h && !seen.serverTiming?.handler) seen.serverTiming = parseServerTiming(h);
  });
  cdp.on("Network.responseReceived", (e) => {
    const r = isMint(e.response.url) && reqs.get(e.requestId);
    if (!r) return;
    const wall = (mono) => (mono + r.offset) * 1000;
    const tm = e.response.timing;
    const at = (ms) => (tm && ms >= 0 ? wall(tm.requestTime) + ms : null);
    if (e.type === "Preflight" || r.method === "OPTIONS") {
      seen.preflight = { start: r.start, sent: at(tm?.sendStart), headers: at(tm?.receiveHeadersEnd) ?? wall(e.timestamp) };
    } else if (r.method === "POST") {
      seen.post = { start: r.start, sent: at(tm?.sendStart), headers: at(tm?.receiveHeadersEnd) ?? wall(e.timestamp) };
      const h = timing(e.response.headers);
      if (h || !seen.serverTiming) seen.serverTiming = parseServerTiming(h ?? "");
      seen.headerNames = Object.keys(e.response.headers);
    }
  });
  cdp.on("Network.webSocketFrameReceived", (e) => {
    const d = e.response?.payloadData ?? "";
    if (offset === null || seen.socketDone || !d.includes("import_status") || !/"status":\s*"done"/.test(d)) return;
    seen.socketDone = (e.timestamp + offset) * 1000;
  });
  return {
    take() { const s = seen; seen = {}; reqs.clear(); return s; },
    detach: () => cdp.detach().catch(() => {}),
  };
}

export function parseServerTiming(h) {
  const out = {};
  for (const part of h.split(",")) {
    const [name, ...params] = part.trim().split(";");
    if (!name) continue;
    const m = {};
    for (const p of params) {
      const [k, v] = p.split("=");
      m[k.trim()] = k.trim() === "dur" ? Number(v) : v?.replace(/^"|"$/g, "");
    }
    out[name] = m;
  }
  return out;
}

/** The bridge's "import done" record of importId from its JSON log (at_ms: its steps; fetched: bytes
 * downloaded per object, base and textures), or null before it is written. */
export function bridgeDone(logPath, importId) {
  if (!fs.existsSync(logPath)) return null;
  const lines = fs.readFileSync(logPath, "utf8").split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!lines[i].includes(importId) || !lines[i].includes('"at_ms"')) continue;
    try { return JSON.parse(lines[i]); } catch { /* a torn line */ }
  }
  return null;
}

/** The bridge's step times of importId from its JSON log (the "import done" line's at_ms). */
export const bridgeSteps = (logPath, importId) => bridgeDone(logPath, importId)?.at_ms ?? {};

// The hops, in the order an import crosses them: [name, from, to, what it is]. A hop whose ends
// are not both known for an import (a warm import downloads nothing; no preflight when cached)
// has no sample for it.
export const HOPS = [
  ["click_to_fetch", "click", "fetch", "page: click handler until fetch() starts"],
  ["preflight", "fetch", "preflight_end", "fetch() → the CORS preflight (OPTIONS) answered"],
  ["wait_to_send", "send_ready", "post_sent", "browser: preflight answered (or fetch() when none) → POST sent"],
  ["request_to_edge", "post_sent", "edge_start", "POST sent → edge handler (network, auth, rate limit)"],
  ["edge_to_tx", "edge_start", "edge_tx_start", "edge: body, resolution read and signature, until the mint statement"],
  ["edge_resolve", null, "resolve", "edge: version/device resolution query (Server-Timing)"],
  ["edge_sign", null, "sign", "edge: token signature (Server-Timing)"],
  ["edge_mint_tx", null, "tx", "edge: create_import + realtime.send, one statement and commit (Server-Timing)"],
  ["edge_handler", null, "handler", "edge: the whole handler (Server-Timing)"],
  ["response_to_page", "edge_end", "post_headers", "edge answered → page has the response headers"],
  ["mint_tx_to_bridge", "edge_tx_start", "received", "mint statement starts → the bridge has import_request (write, commit, Realtime)"],
  ["bridge_queue", "received", "started", "bridge: queue until a worker takes it"],
  ["redeem", "started", "redeemed", "bridge → edge redeem round trip"],
  ["delivery_verify", "redeemed", "delivery_verified", "bridge: signed delivery checked"],
  ["cache_hit_verify", "delivery_verified", "package_ready_hit", "bridge: cached files checked against the signed list (warm)"],
  ["downloading_report", "delivery_verified", "download_started", "bridge: free space check + report downloading (cold)"],
  ["download", "download_started", "downloaded", "bridge: download from S3 with size + sha256 check (cold)"],
  ["verifying_report", "downloaded", "extract_started", "bridge: report verifying (cold)"],
  ["extract", "extract_started", "package_ready_miss", "bridge: safe extraction into the cache + file checks (cold)"],
  ["importing_report", "package_ready", "handed_to_blender", "bridge: library record + report importing, awaited before Blender gets it"],
  ["stdio_and_pickup", "handed_to_blender", "blender_received", "stdio line → add-on reader → Blender's main thread picks it up"],
  ["assign", "blender_received", "assigned", "Blender: append the material, assign it (one undo step)"],
  ["reply_to_bridge", "assigned", "blender_replied", "add-on's reply over stdio → bridge"],
  ["done_report", "blender_replied", "done_reported", "bridge → edge done report round trip"],
  ["done_to_page", "db_done", "page_done", "database done → Realtime → the page's status box says done"],
  ["done_to_socket", "db_done", "socket_done", "database done → the page's socket has the broadcast (statement, commit, NOTIFY, fan-out)"],
  ["socket_to_page", "socket_done", "page_done", "the broadcast → the status box says done (supabase-js, React)"],
  ["render", "page_done", "painted", "DOM change → next frame"],
  ["assigned_to_page_done", "assigned", "page_done", "Blender assigned → the page says done (target ≤ 25 ms)"],
  ["click_to_assigned", "click", "assigned", "click → material assigned"],
];

/** One import's timestamps (Unix ms) from all sources, keyed by the names HOPS uses. */
export function importPoints({ page, net, bridge, reply, row }) {
  const p = {};
  const set = (k, v) => { if (typeof v === "number" && Number.isFinite(v)) p[k] = v; };
  set("click", page.click);
  set("page_done", page.done);
  set("painted", page.painted);
  set("fetch", Math.min(net.preflight?.start ?? Infinity, net.post?.start ?? Infinity));
  set("preflight_end", net.preflight?.headers);
  set("send_ready", net.preflight?.headers ?? p.fetch);
  set("post_sent", net.post?.sent ?? net.post?.start);
  set("post_headers", net.post?.headers);
  set("socket_done", net.socketDone);
  const st = net.serverTiming ?? {};
  const edgeStart = Number(st.handler?.desc);
  set("edge_start", edgeStart);
  set("edge_end", edgeStart + st.handler?.dur);
  set("edge_tx_start", Number(st.tx?.desc));
  for (const k of ["resolve", "sign", "tx", "handler"]) set(`dur_${k}`, st[k]?.dur);
  for (const [k, v] of Object.entries(bridge)) set(k, v);
  set(bridge.download_started ? "package_ready_miss" : "package_ready_hit", bridge.package_ready);
  set("blender_received", reply.received * 1000);
  set("assigned", reply.assigned * 1000);
  set("db_done", Date.parse(row.timings?.done));
  return p;
}

/** The hop durations (ms) of one import's points. */
export function hopDurations(points) {
  const out = {};
  for (const [name, from, to] of HOPS) {
    if (from === null) {
      if (points[`dur_${to}`] !== undefined) out[name] = points[`dur_${to}`];
    } else if (points[from] !== undefined && points[to] !== undefined) {
      out[name] = points[to] - points[from];
    }
  }
  return out;
}
