// Benchmarks of the stand-in (not a test): delivery latency of trigger-sent realtime.send()
// messages to supabase-js clients holding 1,000 open private channels, and REST requests/s for a
// catalog query. Prints one JSON object per line: {name, value, unit}.
import { client, SERVICE, DB } from '../helpers.mjs';
import { spawn } from 'node:child_process';

const CHANNELS = Number(process.env.BENCH_CHANNELS ?? 1000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 10);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 400);
const REST_SECONDS = Number(process.env.BENCH_REST_SECONDS ?? 5);

function subscribe(ch) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('join timeout')), 30000);
    ch.subscribe((s) => { if (s === 'SUBSCRIBED') { clearTimeout(t); resolve(); } else if (s !== 'CLOSED') { clearTimeout(t); reject(new Error(s)); } });
  });
}

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function latency() {
  const lat = [];
  const clients = [];
  const joins = [];
  for (let c = 0; c < CLIENTS; c++) {
    const sb = client(SERVICE);
    await sb.realtime.setAuth(SERVICE);
    clients.push(sb);
    for (let i = c; i < CHANNELS; i += CLIENTS) {
      const ch = sb.channel(`bench:${i}`, { config: { private: true } });
      ch.on('broadcast', { event: 'bench' }, (m) => lat.push(Date.now() - m.payload.t));
      joins.push(subscribe(ch));
    }
  }
  const t0 = Date.now();
  await Promise.all(joins);
  const joinMs = Date.now() - t0;
  // One autocommit statement per message, so each NOTIFY is delivered at its own commit.
  const lines = [];
  for (let i = 0; i < MESSAGES; i++) {
    lines.push(`select realtime.send(jsonb_build_object('t', floor(extract(epoch from clock_timestamp()) * 1000)::bigint), 'bench', 'bench:${(i * 7919) % CHANNELS}', true);`);
    lines.push('select pg_sleep(0.005);');
  }
  await new Promise((resolve, reject) => {
    const p = spawn('psql', ['-X', '-q', '-o', '/dev/null', DB], { stdio: ['pipe', 'ignore', 'inherit'] });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql exit ${code}`))));
    p.stdin.end(lines.join('\n'));
  });
  const deadline = Date.now() + 5000;
  while (lat.length < MESSAGES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const sb of clients) { await sb.removeAllChannels(); sb.realtime.disconnect(); }
  lat.sort((a, b) => a - b);
  return { joinMs, received: lat.length, p50: pct(lat, 50), p95: pct(lat, 95), p99: pct(lat, 99) };
}

async function restRate() {
  const url = `${process.env.STANDIN_URL}/rest/v1/shaders?select=id,slug,name,category_id,tags,is_free&order=name&limit=24`;
  const headers = { apikey: process.env.SUPABASE_ANON_KEY, Authorization: `Bearer ${process.env.SUPABASE_ANON_KEY}` };
  let n = 0, errors = 0;
  const end = Date.now() + REST_SECONDS * 1000;
  const worker = async () => {
    while (Date.now() < end) {
      const r = await fetch(url, { headers });
      await r.arrayBuffer();
      if (r.ok) n++; else errors++;
    }
  };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: 8 }, worker));
  return { rps: Math.round(n / ((Date.now() - t0) / 1000)), errors };
}

const l = await latency();
console.log(JSON.stringify({ name: 'standin_realtime_delivery_p50_ms', value: l.p50, unit: 'ms' }));
console.log(JSON.stringify({ name: 'standin_realtime_delivery_p95_ms', value: l.p95, unit: 'ms', target: 50 }));
console.log(JSON.stringify({ name: 'standin_realtime_delivery_p99_ms', value: l.p99, unit: 'ms' }));
console.log(JSON.stringify({ name: 'standin_realtime_join_1000_channels_ms', value: l.joinMs, unit: 'ms' }));
console.log(JSON.stringify({ name: 'standin_realtime_delivered_ratio', value: l.received / MESSAGES, unit: 'ratio' }));
const r = await restRate();
console.log(JSON.stringify({ name: 'standin_rest_catalog_rps', value: r.rps, unit: 'req/s' }));
if (r.errors) console.error(`rest errors: ${r.errors}`);
process.exit(0);
