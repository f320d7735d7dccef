import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { client, freshUser, subscribe, nextBroadcast, sql, userJWT, api, SERVICE, sleep, PRO, FREE } from './helpers.mjs';

const clients = [];
function rt(key, opts) {
  const c = client(key, opts);
  clients.push(c);
  return c;
}
after(async () => { for (const c of clients) { await c.removeAllChannels(); c.realtime.disconnect(); } });

test('realtime: public broadcast reaches another client (vsn 2.0.0 binary push)', async () => {
  const topic = `room-${randomUUID()}`;
  const a = rt().channel(topic);
  const b = rt().channel(topic);
  assert.equal((await subscribe(a)).status, 'SUBSCRIBED');
  assert.equal((await subscribe(b)).status, 'SUBSCRIBED');
  const got = nextBroadcast(b, 'ping');
  const res = await a.send({ type: 'broadcast', event: 'ping', payload: { n: 1 } });
  assert.equal(res, 'ok');
  const msg = await got;
  assert.deepEqual(msg, { type: 'broadcast', event: 'ping', payload: { n: 1 } });
});

test('realtime: sender does not get its own broadcast unless self is set', async () => {
  const topic = `room-${randomUUID()}`;
  const noSelf = rt().channel(topic);
  const withSelf = rt().channel(topic, { config: { broadcast: { self: true } } });
  await subscribe(noSelf);
  await subscribe(withSelf);
  const own = nextBroadcast(withSelf, 'echo');
  const missing = nextBroadcast(noSelf, 'echo2', 800);
  await withSelf.send({ type: 'broadcast', event: 'echo', payload: { x: true } });
  await noSelf.send({ type: 'broadcast', event: 'echo2', payload: {} });
  assert.deepEqual((await own).payload, { x: true });
  assert.equal(await missing, null);
});

test('realtime: ack:true resolves send with ok from the server reply', async () => {
  const ch = rt().channel(`ack-${randomUUID()}`, { config: { broadcast: { ack: true } } });
  await subscribe(ch);
  assert.equal(await ch.send({ type: 'broadcast', event: 'e', payload: {} }), 'ok');
});

test('realtime: vsn 1.0.0 clients interoperate with vsn 2.0.0 clients', async () => {
  const topic = `mixed-${randomUUID()}`;
  const v1 = rt(undefined, { realtime: { vsn: '1.0.0' } }).channel(topic);
  const v2 = rt().channel(topic);
  await subscribe(v1);
  await subscribe(v2);
  const at2 = nextBroadcast(v2, 'from1');
  const at1 = nextBroadcast(v1, 'from2');
  await v1.send({ type: 'broadcast', event: 'from1', payload: { v: 1 } });
  await v2.send({ type: 'broadcast', event: 'from2', payload: { v: 2 } });
  assert.deepEqual((await at2).payload, { v: 1 });
  assert.deepEqual((await at1).payload, { v: 2 });
});

async function privateChannel(jwt, topic, opts = {}) {
  const c = rt(undefined, opts);
  await c.realtime.setAuth(jwt);
  const ch = c.channel(topic, { config: { private: true } });
  return { c, ch, sub: await subscribe(ch) };
}

test('realtime: private channel on the own user topic receives a realtime.send() message', async () => {
  const u = await freshUser('rt');
  const { ch, sub } = await privateChannel(u.session.access_token, `user:${u.user.id}`);
  assert.equal(sub.status, 'SUBSCRIBED');
  const got = nextBroadcast(ch, 'import_status');
  await sql(`select realtime.send('{"id":"x","status":"done"}'::jsonb, 'import_status', 'user:${u.user.id}', true)`);
  const msg = await got;
  assert.deepEqual(msg, { type: 'broadcast', event: 'import_status', payload: { id: 'x', status: 'done' } });
});

test('realtime: a database trigger (subscriptions) delivers to the user topic', async () => {
  const u = await freshUser('trig');
  const { ch, sub } = await privateChannel(u.session.access_token, `user:${u.user.id}`);
  assert.equal(sub.status, 'SUBSCRIBED');
  const got = nextBroadcast(ch, 'subscription');
  const ins = await api('/rest/v1/subscriptions', { method: 'POST', key: SERVICE, body: { id: `sub_${randomUUID().slice(0, 8)}`, user_id: u.user.id, status: 'active' } });
  assert.equal(ins.status, 201);
  const msg = await got;
  assert.equal(msg.event, 'subscription');
  assert.equal(msg.payload.status, 'active');
});

test('realtime: vsn 1.0.0 private channel receives trigger-sent messages too', async () => {
  const u = await freshUser('rtv1');
  const { ch, sub } = await privateChannel(u.session.access_token, `user:${u.user.id}`, { realtime: { vsn: '1.0.0' } });
  assert.equal(sub.status, 'SUBSCRIBED');
  const got = nextBroadcast(ch, 'hello');
  await sql(`select realtime.send('{"a":1}'::jsonb, 'hello', 'user:${u.user.id}', true)`);
  assert.deepEqual((await got).payload, { a: 1 });
});

test('realtime: join to another user\'s topic is refused (RLS on realtime.messages)', async () => {
  const u = await freshUser('spy');
  const { sub } = await privateChannel(u.session.access_token, `user:${PRO.id}`);
  assert.equal(sub.status, 'CHANNEL_ERROR');
  assert.match(String(sub.err?.message ?? sub.err), /Unauthorized/);
});

test('realtime: anon cannot join a private user topic', async () => {
  const c = rt();
  const ch = c.channel(`user:${FREE.id}`, { config: { private: true } });
  const sub = await subscribe(ch);
  assert.equal(sub.status, 'CHANNEL_ERROR');
});

test('realtime: messages for another user are not delivered', async () => {
  const u = await freshUser('iso');
  const { ch } = await privateChannel(u.session.access_token, `user:${u.user.id}`);
  const got = nextBroadcast(ch, 'import_status', 800);
  await sql(`select realtime.send('{"leak":true}'::jsonb, 'import_status', 'user:${PRO.id}', true)`);
  assert.equal(await got, null);
});

test('realtime: a private message does not reach a public channel of the same name', async () => {
  const u = await freshUser('pub');
  const pub = rt().channel(`user:${u.user.id}`);
  await subscribe(pub);
  const got = nextBroadcast(pub, 'secret', 800);
  await sql(`select realtime.send('{"s":1}'::jsonb, 'secret', 'user:${u.user.id}', true)`);
  assert.equal(await got, null);
});

test('realtime: public realtime.send() messages reach public channels', async () => {
  const topic = `news-${randomUUID()}`;
  const pub = rt().channel(topic);
  await subscribe(pub);
  const got = nextBroadcast(pub, 'news');
  await sql(`select realtime.send('{"n":2}'::jsonb, 'news', '${topic}', false)`);
  assert.deepEqual((await got).payload, { n: 2 });
});

async function device(userId) {
  const id = await sql(`insert into public.devices (user_id, name, platform) values ('${userId}', 'Test Blender', 'blender') returning id`);
  return id;
}

test('realtime: a device JWT joins its device topic and receives import requests', async () => {
  const u = await freshUser('dev');
  const did = await device(u.user.id);
  const jwt = userJWT(u.user.id, { device_id: did, scopes: ['imports:receive', 'imports:report'] });
  const { ch, sub } = await privateChannel(jwt, `device:${did}`);
  assert.equal(sub.status, 'SUBSCRIBED');
  const got = nextBroadcast(ch, 'import_request');
  await sql(`select realtime.send('{"import_id":"i1","token":"t"}'::jsonb, 'import_request', 'device:${did}', true)`);
  assert.equal((await got).payload.import_id, 'i1');
});

test('realtime: a user session (no device_id) cannot join a device topic', async () => {
  const u = await freshUser('devspy');
  const did = await device(u.user.id);
  const { sub } = await privateChannel(u.session.access_token, `device:${did}`);
  assert.equal(sub.status, 'CHANNEL_ERROR');
});

test('realtime: a device JWT cannot join another user\'s device topic', async () => {
  const owner = await freshUser('devowner');
  const other = await freshUser('devother');
  const did = await device(owner.user.id);
  const jwt = userJWT(other.user.id, { device_id: did });
  const { sub } = await privateChannel(jwt, `device:${did}`);
  assert.equal(sub.status, 'CHANNEL_ERROR');
});

test('realtime: token refresh on an open channel keeps it joined and delivering', async () => {
  const u = await freshUser('refreshrt');
  const { c, ch, sub } = await privateChannel(u.session.access_token, `user:${u.user.id}`);
  assert.equal(sub.status, 'SUBSCRIBED');
  const { data } = await client().auth.refreshSession({ refresh_token: u.session.refresh_token });
  await c.realtime.setAuth(data.session.access_token);
  await sleep(200);
  assert.equal(ch.state, 'joined');
  const got = nextBroadcast(ch, 'after_refresh');
  await sql(`select realtime.send('{"ok":true}'::jsonb, 'after_refresh', 'user:${u.user.id}', true)`);
  assert.deepEqual((await got).payload, { ok: true });
});

test('realtime: an expired access_token closes the channel', async () => {
  const u = await freshUser('exp');
  const { c, ch } = await privateChannel(u.session.access_token, `user:${u.user.id}`);
  const closed = new Promise((r) => { const t = setTimeout(() => r(false), 3000); ch.on('system', {}, (m) => { if (m.status === 'error') { clearTimeout(t); r(m); } }); });
  await c.realtime.setAuth(userJWT(u.user.id, {}, -10));
  const m = await closed;
  assert.ok(m, 'system error message');
  assert.match(m.message, /Token has expired/);
});

test('realtime: removeChannel leaves (phx_leave) and stops delivery', async () => {
  const u = await freshUser('leave');
  const { c, ch } = await privateChannel(u.session.access_token, `user:${u.user.id}`);
  assert.equal(await c.removeChannel(ch), 'ok');
  assert.equal(ch.state, 'closed');
});

test('realtime: REST broadcast endpoint fans out to public channels', async () => {
  const topic = `api-${randomUUID()}`;
  const ch = rt().channel(topic);
  await subscribe(ch);
  const got = nextBroadcast(ch, 'from_api');
  const r = await api('/realtime/v1/api/broadcast', { method: 'POST', body: { messages: [{ topic, event: 'from_api', payload: { z: 1 } }] } });
  assert.equal(r.status, 202);
  assert.deepEqual((await got).payload, { z: 1 });
});

test('realtime: private REST broadcast without a write policy is refused', async () => {
  const u = await freshUser('apiw');
  const r = await api('/realtime/v1/api/broadcast', { method: 'POST', token: u.session.access_token, body: { messages: [{ topic: `user:${u.user.id}`, event: 'x', payload: {}, private: true }] } });
  assert.equal(r.status, 401);
});

test('realtime: an idle channel is closed when its JWT expires', async () => {
  const u = await freshUser('idle');
  const { ch, sub } = await privateChannel(userJWT(u.user.id, {}, 2), `user:${u.user.id}`);
  assert.equal(sub.status, 'SUBSCRIBED');
  const m = await new Promise((r) => { const t = setTimeout(() => r(null), 9000); ch.on('system', {}, (p) => { if (p.status === 'error') { clearTimeout(t); r(p); } }); });
  assert.ok(m, 'system error message before the channel closes');
  assert.match(m.message, /Token has expired/);
});

test('realtime: presence track/untrack reaches other members (join, sync, leave)', async () => {
  const topic = `lobby-${randomUUID()}`;
  const a = rt().channel(topic, { config: { presence: { key: 'alice' } } });
  const b = rt().channel(topic, { config: { presence: { key: 'bob' } } });
  const joined = new Promise((r) => b.on('presence', { event: 'join' }, (e) => { if (e.key === 'alice') r(e); }));
  const left = new Promise((r) => b.on('presence', { event: 'leave' }, (e) => { if (e.key === 'alice') r(e); }));
  b.on('presence', { event: 'sync' }, () => {});
  a.on('presence', { event: 'sync' }, () => {});
  assert.equal((await subscribe(a)).status, 'SUBSCRIBED');
  assert.equal((await subscribe(b)).status, 'SUBSCRIBED');
  assert.equal(await a.track({ online_at: 'now', device: 'blender' }), 'ok');
  const j = await joined;
  assert.equal(j.newPresences[0].device, 'blender');
  assert.equal(b.presenceState().alice[0].device, 'blender');
  assert.equal(await a.untrack(), 'ok');
  const l = await left;
  assert.equal(l.leftPresences[0].device, 'blender');
});

test('realtime: a late joiner gets presence_state', async () => {
  const topic = `lobby-${randomUUID()}`;
  const a = rt().channel(topic, { config: { presence: { key: 'early' } } });
  a.on('presence', { event: 'sync' }, () => {});
  await subscribe(a);
  await a.track({ n: 1 });
  const b = rt().channel(topic, { config: { presence: { key: 'late' } } });
  const synced = new Promise((r) => b.on('presence', { event: 'sync' }, () => { if (b.presenceState().early) r(b.presenceState()); }));
  await subscribe(b);
  const st = await synced;
  assert.equal(st.early[0].n, 1);
});

test('realtime: presence on a private topic needs a presence policy (refused here)', async () => {
  const u = await freshUser('pres');
  const { ch, sub } = await privateChannel(u.session.access_token, `user:${u.user.id}`);
  assert.equal(sub.status, 'SUBSCRIBED');
  assert.equal(await ch.track({ x: 1 }), 'error');
});
