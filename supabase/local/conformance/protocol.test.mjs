import { test } from 'node:test';
import assert from 'node:assert/strict';
import { raw, URL_, ANON, userJWT, freshUser, sign } from './helpers.mjs';

const WS = URL_.replace(/^http/, 'ws') + '/realtime/v1/websocket';

// ask opens a vsn 2.0.0 socket, sends one frame and resolves with the socket and the reply to
// the frame's ref.
async function ask(frame) {
  const s = raw();
  await s.opened;
  s.send(frame);
  return [s, await s.wait((f) => Array.isArray(f) && f[1] === frame[1])];
}

test('protocol: handshake without apikey is 401 JSON', async () => {
  const r = await fetch(`${URL_}/realtime/v1/websocket?vsn=2.0.0`);
  assert.equal(r.status, 401);
  assert.ok((await r.json()).error);
});

test('protocol: handshake with a forged apikey is 403', async () => {
  const s = raw({ key: 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.bad' });
  await assert.rejects(s.opened, (e) => e.status === 403);
});

test('protocol: apikey without exp is refused (role and exp are required)', async () => {
  const s = raw({ key: sign({ role: 'anon' }) });
  await assert.rejects(s.opened, (e) => e.status === 403);
});

test('protocol: unsupported vsn is 400', async () => {
  const r = await fetch(`${URL_}/realtime/v1/websocket?vsn=9.9.9&apikey=${ANON}`);
  assert.equal(r.status, 400);
});

test('protocol: vsn 1.0.0 heartbeat reply shape', async () => {
  const s = raw({ vsn: '1.0.0' });
  await s.opened;
  s.send({ topic: 'phoenix', event: 'heartbeat', payload: {}, ref: '7' });
  const f = await s.wait((f) => f.ref === '7');
  assert.deepEqual(f, { topic: 'phoenix', event: 'phx_reply', payload: { status: 'ok', response: {} }, ref: '7' });
  s.close();
});

test('protocol: vsn 2.0.0 heartbeat reply is an array', async () => {
  const [s, f] = await ask([null, '3', 'phoenix', 'heartbeat', {}]);
  assert.deepEqual(f, [null, '3', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
  s.close();
});

test('protocol: join reply echoes join_ref/ref and postgres_changes ids', async () => {
  const s = raw();
  await s.opened;
  const pgc = [{ event: '*', schema: 'public', table: 'imports', filter: 'user_id=eq.1' }];
  s.send(['1', '1', 'realtime:room-x', 'phx_join', { config: { broadcast: { ack: false, self: false }, presence: { key: '', enabled: false }, postgres_changes: pgc, private: false } }]);
  const f = await s.wait((f) => f[3] === 'phx_reply');
  assert.equal(f[0], '1');
  assert.equal(f[1], '1');
  assert.equal(f[4].status, 'ok');
  const echoed = f[4].response.postgres_changes[0];
  assert.equal(typeof echoed.id, 'number');
  assert.equal(echoed.table, 'imports');
  const sys = await s.wait((f) => f[3] === 'system');
  assert.equal(sys[4].extension, 'postgres_changes');
  s.close();
});

test('protocol: a message for an unjoined topic gets "unmatched topic"', async () => {
  const [s, f] = await ask(['9', '9', 'realtime:nowhere', 'broadcast', { type: 'broadcast', event: 'x', payload: {} }]);
  assert.deepEqual(f[4], { status: 'error', response: { reason: 'unmatched topic' } });
  s.close();
});

for (const [what, topic] of [['topic without the realtime: prefix', 'room'], ['empty subtopic', 'realtime:']]) {
  test(`protocol: ${what} is refused`, async () => {
    const [s, f] = await ask(['2', '2', topic, 'phx_join', { config: {} }]);
    assert.equal(f[4].status, 'error');
    s.close();
  });
}

test('protocol: phx_leave replies ok then phx_close', async () => {
  const s = raw();
  await s.opened;
  s.send(['4', '4', 'realtime:leave-me', 'phx_join', { config: {} }]);
  await s.wait((f) => f[1] === '4');
  s.send(['4', '5', 'realtime:leave-me', 'phx_leave', {}]);
  const r = await s.wait((f) => f[1] === '5');
  assert.equal(r[4].status, 'ok');
  const c = await s.wait((f) => f[3] === 'phx_close');
  assert.equal(c[2], 'realtime:leave-me');
  s.close();
});

test('protocol: binary kind-3 broadcast is relayed to a vsn 1.0.0 socket as JSON', async () => {
  const a = raw();
  const b = raw({ vsn: '1.0.0' });
  await a.opened; await b.opened;
  a.send(['1', '1', 'realtime:bin', 'phx_join', { config: {} }]);
  b.send({ topic: 'realtime:bin', event: 'phx_join', payload: { config: {} }, ref: '1', join_ref: '1' });
  await a.wait((f) => f[3] === 'phx_reply');
  await b.wait((f) => f.event === 'phx_reply');
  const parts = ['1', '2', 'realtime:bin', 'ping', ''].map((x) => Buffer.from(x));
  const payload = Buffer.from('{"a":1}');
  a.send(Buffer.concat([Buffer.from([3, ...parts.map((p) => p.length), 1]), ...parts, payload]));
  const f = await b.wait((f) => f.event === 'broadcast');
  assert.deepEqual(f, { topic: 'realtime:bin', event: 'broadcast', payload: { type: 'broadcast', event: 'ping', payload: { a: 1 } }, ref: null });
  a.close(); b.close();
});

test('protocol: a malformed text frame closes the socket (1003)', async () => {
  const s = raw();
  await s.opened;
  s.send('{"not":"an array"');
  const c = await s.closed;
  assert.equal(c.code, 1003);
});

test('protocol: a frame over 1 MiB closes the socket (1009)', async () => {
  const s = raw();
  await s.opened;
  s.send(JSON.stringify([null, '1', 'realtime:big', 'broadcast', { pad: 'x'.repeat(1_100_000) }]));
  const c = await s.closed;
  assert.equal(c.code, 1009);
});

test('protocol: join with an expired access_token is refused with the reason', async () => {
  const u = await freshUser('expjoin');
  const [s, f] = await ask(['1', '1', `realtime:user:${u.user.id}`, 'phx_join', { config: { private: true }, access_token: userJWT(u.user.id, {}, -30) }]);
  assert.equal(f[4].status, 'error');
  assert.match(f[4].response.reason, /Token has expired \d+ seconds ago/);
  s.close();
});

test('protocol: the server keeps working after a client vanishes mid-join', async () => {
  const s = raw();
  await s.opened;
  s.send(['1', '1', 'realtime:vanish', 'phx_join', { config: {} }]);
  s.ws.terminate();
  const t = raw();
  await t.opened;
  t.send([null, '2', 'phoenix', 'heartbeat', {}]);
  assert.ok(await t.wait((f) => f[1] === '2'));
  t.close();
});

test('gateway: CORS preflight from the web app origin', async () => {
  const r = await fetch(`${URL_}/rest/v1/shaders`, { method: 'OPTIONS', headers: { Origin: 'http://127.0.0.1:3000', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'apikey, authorization, x-client-info' } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('access-control-allow-origin'), '*');
  assert.match(r.headers.get('access-control-allow-headers'), /apikey/);
  const g = await fetch(`${URL_}/rest/v1/categories?select=id&limit=1`, { headers: { Origin: 'http://127.0.0.1:3000', apikey: ANON } });
  assert.equal(g.headers.get('access-control-allow-origin'), '*');
  assert.match(g.headers.get('access-control-expose-headers'), /Content-Range/);
});
