// Shared setup of the conformance suite: the real @supabase/supabase-js against the stand-in.
// Env: STANDIN_URL, SUPABASE_ANON_KEY, SUPABASE_SERVICE_ROLE_KEY, SUPABASE_JWT_SECRET, DATABASE_URL.
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { createHmac, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export const URL_ = process.env.STANDIN_URL ?? 'http://127.0.0.1:54321';
export const ANON = process.env.SUPABASE_ANON_KEY;
export const SERVICE = process.env.SUPABASE_SERVICE_ROLE_KEY;
export const SECRET = process.env.SUPABASE_JWT_SECRET;
export const DB = process.env.DATABASE_URL;
if (!ANON || !SERVICE || !SECRET || !DB) throw new Error('conformance: set SUPABASE_ANON_KEY, SUPABASE_SERVICE_ROLE_KEY, SUPABASE_JWT_SECRET, DATABASE_URL');

export const PRO = { id: '11111111-1111-4111-8111-111111111111', email: 'pro@octane.local', password: 'octane-demo-pro' };
export const FREE = { id: '22222222-2222-4222-8222-222222222222', email: 'free@octane.local', password: 'octane-demo-free' };

export function client(key = ANON, opts = {}) {
  return createClient(URL_, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false, ...(opts.auth ?? {}) },
    realtime: { transport: WebSocket, ...(opts.realtime ?? {}) },
    ...opts.extra,
  });
}

export const uniqueEmail = (tag = 'u') => `${tag}-${randomUUID().slice(0, 8)}@example.com`;

// signedIn signs up a fresh user and returns {sb, session, user}.
export async function freshUser(tag) {
  const sb = client();
  const email = uniqueEmail(tag);
  const { data, error } = await sb.auth.signUp({ email, password: 'correct-horse-1' });
  if (error) throw error;
  return { sb, email, password: 'correct-horse-1', session: data.session, user: data.user };
}

export async function signIn(u) {
  const sb = client();
  const { data, error } = await sb.auth.signInWithPassword({ email: u.email, password: u.password });
  if (error) throw error;
  return { sb, session: data.session };
}

const b64url = (b) => Buffer.from(b).toString('base64url');
// sign mints an HS256 JWT with the project's secret (what the edge does for device JWTs).
export function sign(claims) {
  const h = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const p = b64url(JSON.stringify(claims));
  const s = createHmac('sha256', SECRET).update(`${h}.${p}`).digest('base64url');
  return `${h}.${p}.${s}`;
}

export function userJWT(sub, extra = {}, ttl = 600) {
  const now = Math.floor(Date.now() / 1000);
  return sign({ sub, role: 'authenticated', aud: 'authenticated', iat: now, exp: now + ttl, ...extra });
}

const run = promisify(execFile);
// sql runs SQL as the superuser (to fire triggers / realtime.send like the edge does).
export async function sql(text) {
  const { stdout } = await run('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', DB, '-c', text]);
  return stdout.trim();
}

// subscribe joins a channel and resolves with the status (SUBSCRIBED / CHANNEL_ERROR / TIMED_OUT).
export function subscribe(channel, timeout = 5000) {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve({ status: 'TIMEOUT' }), timeout);
    channel.subscribe((status, err) => {
      if (status === 'SUBSCRIBED' || status === 'CHANNEL_ERROR' || status === 'TIMED_OUT' || status === 'CLOSED') {
        clearTimeout(t);
        resolve({ status, err });
      }
    });
  });
}

// nextBroadcast resolves with the next broadcast payload of an event (or null after timeout).
export function nextBroadcast(channel, event, timeout = 3000) {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(null), timeout);
    channel.on('broadcast', { event }, (msg) => { clearTimeout(t); resolve(msg); });
  });
}

export async function api(path, { method = 'GET', headers = {}, body, key = ANON, token } = {}) {
  const res = await fetch(URL_ + path, {
    method,
    headers: { apikey: key, Authorization: `Bearer ${token ?? key}`, 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    redirect: 'manual',
  });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, text, json };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// raw opens a plain WebSocket to the realtime endpoint and collects decoded frames.
export function raw({ vsn = '2.0.0', key = ANON } = {}) {
  const url = `${URL_.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${encodeURIComponent(key)}&vsn=${vsn}`;
  const ws = new WebSocket(url);
  const frames = [];
  const waiters = [];
  ws.on('message', (data, isBinary) => {
    const f = isBinary ? { binary: data } : JSON.parse(data.toString());
    frames.push(f);
    for (const w of [...waiters]) if (w.pred(f)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(f); }
  });
  const closed = new Promise((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  const opened = new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); ws.on('unexpected-response', (req, res) => { req.destroy(); res.resume(); reject(Object.assign(new Error('handshake'), { status: res.statusCode })); }); });
  return {
    ws, frames, closed, opened,
    send: (f) => ws.send(typeof f === 'string' || Buffer.isBuffer(f) ? f : JSON.stringify(f)),
    wait(pred, timeout = 3000) {
      const hit = frames.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve) => {
        const w = { pred, resolve };
        waiters.push(w);
        setTimeout(() => { const i = waiters.indexOf(w); if (i >= 0) { waiters.splice(i, 1); resolve(null); } }, timeout);
      });
    },
    close: () => ws.close(),
  };
}
