import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, freshUser, api, SERVICE, ANON, PRO, userJWT, sign } from './helpers.mjs';

const anon = client();
const service = client(SERVICE);

async function authed(tag) {
  const u = await freshUser(tag);
  await u.sb.auth.setSession(u.session);
  return u;
}

async function someShaders(n = 2) {
  const { data, error } = await anon.from('shaders').select('id, slug').order('slug').limit(n);
  assert.equal(error, null);
  assert.equal(data.length, n);
  return data;
}

test('rest: select with column list, order and limit', async () => {
  const { data, error } = await anon.from('categories').select('id, name').order('sort_order', { ascending: true }).limit(3);
  assert.equal(error, null);
  assert.equal(data.length, 3);
  assert.deepEqual(Object.keys(data[0]).sort(), ['id', 'name']);
  assert.equal(data[0].id, 'metal');
});

test('rest: aliases and many-to-one / one-to-many embedding', async () => {
  const { data, error } = await anon.from('shaders').select('slug, cat:categories(name), shader_versions(version)').limit(1);
  assert.equal(error, null);
  assert.equal(typeof data[0].cat.name, 'string');
  assert.ok(Array.isArray(data[0].shader_versions));
});

test('rest: filters eq, neq, in, like, ilike, gt, is, not, or', async () => {
  const q = (f) => f(anon.from('categories').select('id'));
  const ids = async (f) => (await q(f)).data.map((r) => r.id).sort();
  assert.deepEqual(await ids((b) => b.eq('id', 'metal')), ['metal']);
  assert.ok(!(await ids((b) => b.neq('id', 'metal'))).includes('metal'));
  assert.deepEqual(await ids((b) => b.in('id', ['wood', 'glass'])), ['glass', 'wood']);
  assert.deepEqual(await ids((b) => b.like('name', 'Meta*')), ['metal']);
  assert.deepEqual(await ids((b) => b.ilike('name', 'meta%')), ['metal']);
  assert.deepEqual(await ids((b) => b.gt('sort_order', 110)), ['fx']);
  assert.deepEqual(await ids((b) => b.not('id', 'in', '(metal,wood)').in('id', ['metal', 'wood', 'fx'])), ['fx']);
  assert.deepEqual(await ids((b) => b.or('id.eq.metal,id.eq.fx')), ['fx', 'metal']);
  assert.deepEqual(await ids((b) => b.or('and(id.eq.metal,sort_order.eq.10),id.eq.fx')), ['fx', 'metal']);
});

test('rest: array contains (cs) and overlap (ov)', async () => {
  const { data, error } = await anon.from('shaders').select('slug, tags').contains('tags', ['metal']).limit(5);
  assert.equal(error, null);
  assert.ok(data.length > 0);
  for (const r of data) assert.ok(r.tags.includes('metal'));
  const ov = await anon.from('shaders').select('slug, tags').overlaps('tags', ['metal', 'glass']).limit(5);
  assert.equal(ov.error, null);
  assert.ok(ov.data.length > 0);
});

test('rest: full-text search operators (wfts / plfts)', async () => {
  const r = await anon.from('categories').select('id').textSearch('name', 'metals', { type: 'websearch', config: 'english' });
  assert.equal(r.error, null);
  assert.deepEqual(r.data.map((x) => x.id), ['metal']);
  const p = await anon.from('categories').select('id').textSearch('name', 'car paint', { type: 'plain', config: 'english' });
  assert.deepEqual(p.data.map((x) => x.id), ['car-paint']);
});

test('rest: order with nullsfirst / nullslast, range with exact count', async () => {
  const { data, count, error } = await anon.from('categories').select('id', { count: 'exact' }).order('sort_order', { ascending: false, nullsFirst: false }).range(1, 2);
  assert.equal(error, null);
  assert.equal(data.length, 2);
  assert.equal(count, 12);
  assert.equal(data[0].id, 'ground');
});

test('rest: head count only', async () => {
  const { count, data, error } = await anon.from('categories').select('*', { count: 'exact', head: true });
  assert.equal(error, null);
  assert.equal(count, 12);
  assert.equal(data, null);
});

test('rest: single() with one row returns the object; with many is PGRST116 (406)', async () => {
  const one = await anon.from('categories').select('id').eq('id', 'metal').single();
  assert.deepEqual(one.data, { id: 'metal' });
  const many = await anon.from('categories').select('id').single();
  assert.equal(many.status, 406);
  assert.equal(many.error.code, 'PGRST116');
  const none = await anon.from('categories').select('id').eq('id', 'nope').maybeSingle();
  assert.equal(none.error, null);
  assert.equal(none.data, null);
});

test('rest: unknown column is 42703, unknown table PGRST205', async () => {
  const c = await anon.from('categories').select('nope');
  assert.equal(c.status, 400);
  assert.equal(c.error.code, '42703');
  const t = await anon.from('no_such_table').select('*');
  assert.equal(t.status, 404);
  assert.equal(t.error.code, 'PGRST205');
});

test('rest: SQL in identifiers is refused, values are bound', async () => {
  const r = await api('/rest/v1/categories?select=name%20from%20pg_user--');
  assert.equal(r.status, 400);
  const v = await anon.from('categories').select('id').eq('id', "metal' or '1'='1");
  assert.equal(v.error, null);
  assert.deepEqual(v.data, []);
  const still = await anon.from('categories').select('id', { count: 'exact', head: true });
  assert.equal(still.count, 12);
});

test('rest: malformed filter is PGRST100 (400)', async () => {
  const r = await api('/rest/v1/categories?id=zz.metal');
  assert.equal(r.status, 400);
  assert.equal(r.json.code, 'PGRST100');
  const o = await api('/rest/v1/categories?or=(id.eq.metal');
  assert.equal(o.status, 400);
});

test('rest: RLS hides other users\' rows (subscriptions of the pro user)', async () => {
  const u = await authed('rlsread');
  const mine = await u.sb.from('subscriptions').select('*');
  assert.equal(mine.error, null);
  assert.deepEqual(mine.data, []);
  const all = await service.from('subscriptions').select('user_id').eq('user_id', PRO.id);
  assert.ok(all.data.length >= 1);
});

test('rest: anon insert denied by RLS is 401 42501', async () => {
  const r = await anon.from('categories').insert({ id: 'hack', name: 'Hack' });
  assert.equal(r.status, 401);
  assert.equal(r.error.code, '42501');
});

test('rest: authenticated insert violating RLS is 403 42501', async () => {
  const u = await authed('rlsins');
  const [s] = await someShaders(1);
  const r = await u.sb.from('favorites').insert({ user_id: PRO.id, shader_id: s.id });
  assert.equal(r.status, 403);
  assert.equal(r.error.code, '42501');
});

test('rest: insert with missing=default and return=representation', async () => {
  const u = await authed('fav');
  const [s] = await someShaders(1);
  const r = await u.sb.from('favorites').insert({ shader_id: s.id }).select();
  assert.equal(r.error, null);
  assert.equal(r.status, 201);
  assert.equal(r.data[0].user_id, u.user.id);
  const dup = await u.sb.from('favorites').insert({ shader_id: s.id });
  assert.equal(dup.status, 409);
  assert.equal(dup.error.code, '23505');
});

test('rest: bulk insert and upsert (ignore and merge duplicates)', async () => {
  const u = await authed('bulk');
  const [a, b] = await someShaders(2);
  const ins = await u.sb.from('favorites').insert([{ shader_id: a.id }, { shader_id: b.id }]).select('shader_id');
  assert.equal(ins.error, null);
  assert.equal(ins.data.length, 2);
  const ign = await u.sb.from('favorites').upsert({ user_id: u.user.id, shader_id: a.id }, { onConflict: 'user_id,shader_id', ignoreDuplicates: true }).select();
  assert.equal(ign.error, null);
  assert.deepEqual(ign.data, []);
  const count = await u.sb.from('favorites').select('*', { count: 'exact', head: true });
  assert.equal(count.count, 2);
});

test('rest: update own row, other rows silently untouched (RLS)', async () => {
  const u = await authed('upd');
  const mine = await u.sb.from('profiles').update({ display_name: 'Updated' }).eq('id', u.user.id).select();
  assert.equal(mine.error, null);
  assert.equal(mine.data[0].display_name, 'Updated');
  const other = await u.sb.from('profiles').update({ display_name: 'Pwned' }).eq('id', PRO.id).select();
  assert.equal(other.error, null);
  assert.deepEqual(other.data, []);
  const pro = await service.from('profiles').select('display_name').eq('id', PRO.id).single();
  assert.notEqual(pro.data.display_name, 'Pwned');
});

test('rest: delete with filters and return=minimal (204)', async () => {
  const u = await authed('del');
  const [s] = await someShaders(1);
  await u.sb.from('favorites').insert({ shader_id: s.id });
  const d = await u.sb.from('favorites').delete().eq('shader_id', s.id);
  assert.equal(d.error, null);
  assert.equal(d.status, 204);
  const left = await u.sb.from('favorites').select('*', { count: 'exact', head: true });
  assert.equal(left.count, 0);
});

test('rest: unknown column in body is PGRST204', async () => {
  const u = await authed('badcol');
  const r = await u.sb.from('favorites').insert({ nope: 1 });
  assert.equal(r.status, 400);
  assert.equal(r.error.code, 'PGRST204');
});

test('rest: RPC over POST returns table rows and accepts filters', async () => {
  const r = await anon.rpc('search_shaders', { q: '', page_size: 3 }).select('slug');
  assert.equal(r.error, null);
  assert.equal(r.data.length, 3);
  assert.deepEqual(Object.keys(r.data[0]), ['slug']);
});

test('rest: RPC over GET (read-only)', async () => {
  const r = await anon.rpc('search_shaders', { page_size: 2 }, { get: true });
  assert.equal(r.error, null);
  assert.equal(r.data.length, 2);
});

test('rest: unknown RPC is PGRST202 (404)', async () => {
  const r = await anon.rpc('no_such_fn', { a: 1 });
  assert.equal(r.status, 404);
  assert.equal(r.error.code, 'PGRST202');
});

test('rest: RPC with a device JWT (auth.jwt() claims reach SQL)', async () => {
  const u = await freshUser('rpcdev');
  const ins = await service.from('devices').insert({ user_id: u.user.id, name: 'B', platform: 'blender' }).select('id').single();
  assert.equal(ins.error, null);
  const jwt = userJWT(u.user.id, { device_id: ins.data.id, scopes: ['imports:receive', 'imports:report'] });
  const dev = client(ANON, { extra: { global: { headers: { Authorization: `Bearer ${jwt}` } } } });
  const r = await dev.rpc('device_heartbeat');
  assert.equal(r.error, null);
  assert.ok(r.data);
  const other = userJWT(u.user.id, { device_id: '00000000-0000-4000-8000-000000000000' });
  const bad = await client(ANON, { extra: { global: { headers: { Authorization: `Bearer ${other}` } } } }).rpc('device_heartbeat');
  assert.equal(bad.status, 403);
});

test('rest: expired JWT is PGRST303, forged JWT PGRST301 (401)', async () => {
  const exp = await api('/rest/v1/categories', { token: userJWT(PRO.id, {}, -5) });
  assert.equal(exp.status, 401);
  assert.equal(exp.json.code, 'PGRST303');
  const forged = await api('/rest/v1/categories', { token: sign({ role: 'service_role' }).slice(0, -2) + 'xx' });
  assert.equal(forged.status, 401);
  assert.equal(forged.json.code, 'PGRST301');
});

test('rest: service_role bypasses RLS', async () => {
  const r = await service.from('subscriptions').select('user_id, status').eq('user_id', PRO.id);
  assert.equal(r.error, null);
  assert.ok(r.data.length >= 1);
});

test('rest: GET runs read-only (a volatile RPC over GET is 405)', async () => {
  const u = await freshUser('ro');
  const ins = await service.from('devices').insert({ user_id: u.user.id, name: 'B', platform: 'blender' }).select('id').single();
  const jwt = userJWT(u.user.id, { device_id: ins.data.id });
  const r = await api('/rest/v1/rpc/device_heartbeat', { token: jwt });
  assert.equal(r.status, 405);
  assert.equal(r.json.code, '25006');
});

test('rest: Content-Range on plain reads', async () => {
  const r = await api('/rest/v1/categories?select=id&limit=2');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-range'), '0-1/*');
});

test('rest: scalar RPC result (service role) and EXECUTE revoked for anon (401 42501)', async () => {
  const [s] = await someShaders(1);
  const ok = await service.rpc('has_entitlement', { p_user: PRO.id, p_shader: s.id });
  assert.equal(ok.error, null);
  assert.equal(typeof ok.data, 'boolean');
  const denied = await anon.rpc('has_entitlement', { p_user: PRO.id, p_shader: s.id });
  assert.equal(denied.status, 401);
  assert.equal(denied.error.code, '42501');
});

test('rest: JSON path filter and select (manifest->>schema_version)', async () => {
  const r = await anon.from('shader_versions').select('version, sv:manifest->>schema_version').eq('manifest->>schema_version', '1').limit(2);
  assert.equal(r.error, null);
  assert.ok(r.data.length > 0);
  assert.equal(r.data[0].sv, '1');
});

test('rest: is null / not.is.null filters', async () => {
  const a = await anon.from('shaders').select('id', { count: 'exact', head: true });
  const n = await anon.from('shaders').select('id', { count: 'exact', head: true }).is('description', null);
  const nn = await anon.from('shaders').select('id', { count: 'exact', head: true }).not('description', 'is', null);
  assert.equal(n.error, null);
  assert.equal(n.count + nn.count, a.count);
});

test('rest: upsert merge-duplicates updates the existing row (service role)', async () => {
  const r = await service.from('categories').upsert({ id: 'metal', name: 'Metals', sort_order: 10 }).select();
  assert.equal(r.error, null);
  assert.equal(r.status, 201);
  assert.deepEqual(r.data.map((x) => x.id), ['metal']);
  const c = await anon.from('categories').select('*', { count: 'exact', head: true });
  assert.equal(c.count, 12);
});

test('rest: Accept-Profile for an unexposed schema is PGRST106 (406)', async () => {
  const r = await api('/rest/v1/users', { headers: { 'Accept-Profile': 'auth' } });
  assert.equal(r.status, 406);
  assert.equal(r.json.code, 'PGRST106');
});

test('rest: malformed input never gets a 5xx', async () => {
  const cases = [
    ['GET', '/rest/v1/categories?select=(((', undefined],
    ['GET', '/rest/v1/categories?order=id.sideways', undefined],
    ['GET', '/rest/v1/categories?limit=-1', undefined],
    ['GET', '/rest/v1/categories?id=in.("unterminated', undefined],
    ['GET', '/rest/v1/categories?select=id::pg_sleep', undefined],
    ['GET', '/rest/v1/categories?sort_order=eq.not-a-number', undefined],
    ['GET', '/rest/v1/shaders?select=slug,nope(*)', undefined],
    ['POST', '/rest/v1/categories', '{"id":'],
    ['POST', '/rest/v1/categories', '[1,2,3]'],
    ['PATCH', '/rest/v1/categories?id=eq.metal', '[]'],
    ['POST', '/rest/v1/rpc/search_shaders', '[1]'],
    ['POST', '/rest/v1/rpc/search_shaders', '{"page_size":"many"}'],
    ['DELETE', '/rest/v1/categories?or=(id.eq.a,,)', undefined],
  ];
  for (const [method, path, body] of cases) {
    const r = await api(path, { method, body });
    assert.ok(r.status >= 400 && r.status < 500, `${method} ${path} -> ${r.status} ${r.text}`);
    assert.ok(r.json && typeof r.json.code === 'string' && typeof r.json.message === 'string', `${method} ${path} error body ${r.text}`);
  }
});
