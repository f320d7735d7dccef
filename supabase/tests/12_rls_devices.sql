-- RLS matrix for devices, device_grants (pairing) and api_keys.
begin;
\ir _helpers.psql
select plan(68);

insert into public.device_grants (id, device_code_hash, user_code, platform, name, expires_at)
values ('e0000000-0000-4000-8000-000000000001', repeat('c', 64), 'BCDF-GHJK', 'blender', 'Studio PC', now() + interval '10 minutes');
insert into public.api_keys (id, user_id, device_id, name, platform, secret_hash, prefix, scopes) values
  ('prokey000001', tests.pro(), tests.pro_device(), 'Pro Blender', 'blender', repeat('1', 64), 'oct_live_prokey', '{imports:receive,imports:report}'),
  ('freekey00001', tests.free(), null, 'Free personal', 'web', repeat('2', 64), 'oct_live_freeke', '{catalog:read}');

-- devices ----------------------------------------------------------------------------------------
select tests.as_anon();
select is((select count(*)::int from public.devices), 0, 'devices/anon: select sees nothing');
select throws_ok($$insert into public.devices (user_id, name, platform) values ('11111111-1111-4111-8111-111111111111', 'x', 'blender')$$,
  '42501', null, 'devices/anon: insert denied');
select throws_ok($$update public.devices set name = 'x'$$, '42501', null, 'devices/anon: update denied');
select is(tests.affected($$delete from public.devices$$), 0, 'devices/anon: delete touches nothing');

select tests.as_user(tests.pro());
select set_eq($$select id from public.devices$$, array[tests.pro_device(), tests.pro_device2()], 'devices/owner: sees own devices only');
select throws_ok($$insert into public.devices (user_id, name, platform) values ('11111111-1111-4111-8111-111111111111', 'x', 'blender')$$,
  '42501', null, 'devices/owner: insert denied (pairing goes through the edge)');
select is(tests.affected($$update public.devices set name = 'Studio' where id = 'd0000000-0000-4000-8000-0000000000a2'$$), 1,
  'devices/owner: may rename own device');
select throws_ok($$update public.devices set revoked_at = null$$, '42501', null, 'devices/owner: may not touch revoked_at');
select throws_ok($$update public.devices set user_id = '22222222-2222-4222-8222-222222222222'$$, '42501', null,
  'devices/owner: may not move a device to another user');
select is(tests.affected($$delete from public.devices$$), 0, 'devices/owner: delete touches nothing');

select tests.as_user(tests.free());
select results_eq($$select id from public.devices$$, array[tests.free_device()], 'devices/other: sees only own device');
select throws_ok($$insert into public.devices (user_id, name, platform) values ('11111111-1111-4111-8111-111111111111', 'x', 'blender')$$,
  '42501', null, 'devices/other: insert denied');
select is(tests.affected($$update public.devices set name = 'pwned' where user_id = '11111111-1111-4111-8111-111111111111'$$), 0,
  'devices/other: cannot rename another user''s device');
select is(tests.affected($$delete from public.devices where user_id = '11111111-1111-4111-8111-111111111111'$$), 0,
  'devices/other: cannot delete another user''s device');

select tests.as_device(tests.pro(), tests.pro_device());
select results_eq($$select id from public.devices$$, array[tests.pro_device()], 'devices/device: sees its own row only');
select throws_ok($$insert into public.devices (user_id, name, platform) values ('11111111-1111-4111-8111-111111111111', 'x', 'blender')$$,
  '42501', null, 'devices/device: insert denied');
select throws_ok($$update public.devices set revoked_at = now() where id = 'd0000000-0000-4000-8000-0000000000a2'$$, '42501', null,
  'devices/device: cannot revoke devices directly');
select throws_ok($$update public.devices set last_seen_at = now()$$, '42501', null,
  'devices/device: last_seen_at only moves through device_heartbeat()');
select is(tests.affected($$delete from public.devices$$), 0, 'devices/device: delete touches nothing');

select tests.as_service();
select is((select count(*)::int from public.devices), 3, 'devices/service: sees every device');
select lives_ok($$insert into public.devices (id, user_id, name, platform) values ('d0000000-0000-4000-8000-0000000000c1', '22222222-2222-4222-8222-222222222222', 'Rhino', 'rhino')$$,
  'devices/service: insert allowed');
select is(tests.affected($$update public.devices set revoked_at = now() where id = 'd0000000-0000-4000-8000-0000000000c1'$$), 1,
  'devices/service: revocation allowed');
select is(tests.affected($$delete from public.devices where id = 'd0000000-0000-4000-8000-0000000000c1'$$), 1, 'devices/service: delete allowed');
select tests.as_admin();
select results_eq($$select name from public.devices order by id$$, array['Pro Blender', 'Studio', 'Free Blender'],
  'devices: only the owner''s rename landed');

-- device_grants (edge only) ----------------------------------------------------------------------
select tests.as_anon();
select is((select count(*)::int from public.device_grants), 0, 'device_grants/anon: select sees nothing');
select * from tests.cannot_write('device_grants/anon', 'public.device_grants',
  $$insert into public.device_grants (device_code_hash, user_code, platform, name, expires_at) values (repeat('d', 64), 'BCDF-GHJL', 'blender', 'x', now())$$,
  $$update public.device_grants set status = 'approved'$$);

select tests.as_user(tests.pro());
select is((select count(*)::int from public.device_grants), 0, 'device_grants/owner: select sees nothing');
select throws_ok($$insert into public.device_grants (device_code_hash, user_code, platform, name, expires_at) values (repeat('d', 64), 'BCDF-GHJL', 'blender', 'x', now())$$,
  '42501', null, 'device_grants/owner: insert denied');
select is(tests.affected($$update public.device_grants set status = 'approved', user_id = auth.uid() where user_code = 'BCDF-GHJK'$$), 0,
  'device_grants/owner: cannot approve a grant directly');
select is(tests.affected($$delete from public.device_grants$$), 0, 'device_grants/owner: delete touches nothing');

select tests.as_user(tests.free());
select is((select count(*)::int from public.device_grants), 0, 'device_grants/other: select sees nothing');
select is(tests.affected($$update public.device_grants set status = 'approved', user_id = auth.uid()$$), 0,
  'device_grants/other: cannot claim a grant');
select is(tests.affected($$delete from public.device_grants$$), 0, 'device_grants/other: delete touches nothing');

select tests.as_device(tests.pro(), tests.pro_device());
select is((select count(*)::int from public.device_grants), 0, 'device_grants/device: select sees nothing');
select throws_ok($$insert into public.device_grants (device_code_hash, user_code, platform, name, expires_at) values (repeat('d', 64), 'BCDF-GHJL', 'blender', 'x', now())$$,
  '42501', null, 'device_grants/device: insert denied');
select is(tests.affected($$update public.device_grants set status = 'approved'$$), 0, 'device_grants/device: update touches nothing');

select tests.as_service();
select is((select count(*)::int from public.device_grants), 1, 'device_grants/service: reads grants');
select lives_ok($$insert into public.device_grants (device_code_hash, user_code, platform, name, expires_at) values (repeat('d', 64), 'BCDF-GHJL', 'blender', 'x', now())$$,
  'device_grants/service: insert allowed');
select throws_ok($$insert into public.device_grants (device_code_hash, user_code, platform, name, expires_at) values (repeat('e', 64), 'AEIO-UUUU', 'blender', 'x', now())$$,
  '23514', null, 'device_grants/service: user codes use the RFC 8628 consonant alphabet only');
select is(tests.affected($$update public.device_grants set status = 'approved', user_id = '11111111-1111-4111-8111-111111111111' where user_code = 'BCDF-GHJK'$$), 1,
  'device_grants/service: approval allowed');
select is(tests.affected($$delete from public.device_grants where user_code = 'BCDF-GHJL'$$), 1, 'device_grants/service: delete allowed');

-- api_keys ---------------------------------------------------------------------------------------
select tests.as_anon();
select throws_ok($$select id from public.api_keys$$, '42501', null, 'api_keys/anon: select denied');
select * from tests.cannot_write('api_keys/anon', 'public.api_keys',
  $$insert into public.api_keys (id, user_id, name, secret_hash, prefix, scopes) values ('evilkey00001', '11111111-1111-4111-8111-111111111111', 'x', 'h', 'p', '{catalog:read}')$$,
  $$update public.api_keys set revoked_at = null$$);

select tests.as_user(tests.pro());
select results_eq($$select id, prefix from public.api_keys$$, $$values ('prokey000001', 'oct_live_prokey')$$,
  'api_keys/owner: lists own keys (masked columns)');
select throws_ok($$select secret_hash from public.api_keys$$, '42501', null, 'api_keys/owner: the secret hash is never readable');
select throws_ok($$select * from public.api_keys$$, '42501', null, 'api_keys/owner: select * is denied because of the hash column');
select throws_ok($$insert into public.api_keys (id, user_id, name, secret_hash, prefix, scopes) values ('evilkey00001', '11111111-1111-4111-8111-111111111111', 'x', 'h', 'p', '{catalog:read}')$$,
  '42501', null, 'api_keys/owner: insert denied (keys are minted by the edge)');
select is(tests.affected($$update public.api_keys set scopes = '{imports:create,catalog:read}'$$), 0, 'api_keys/owner: cannot widen scopes');
select is(tests.affected($$delete from public.api_keys$$), 0, 'api_keys/owner: delete touches nothing');

select tests.as_user(tests.free());
select results_eq($$select id from public.api_keys$$, array['freekey00001'], 'api_keys/other: sees only own keys');
select throws_ok($$insert into public.api_keys (id, user_id, name, secret_hash, prefix, scopes) values ('evilkey00001', '11111111-1111-4111-8111-111111111111', 'x', 'h', 'p', '{catalog:read}')$$,
  '42501', null, 'api_keys/other: insert denied');
select is(tests.affected($$update public.api_keys set revoked_at = now() where id = 'prokey000001'$$), 0,
  'api_keys/other: cannot revoke another user''s key');
select is(tests.affected($$delete from public.api_keys where id = 'prokey000001'$$), 0, 'api_keys/other: cannot delete another user''s key');

select tests.as_device(tests.pro(), tests.pro_device());
select is_empty($$select id from public.api_keys$$, 'api_keys/device: sees no keys, not even its own');
select throws_ok($$select secret_hash from public.api_keys$$, '42501', null, 'api_keys/device: the secret hash is never readable');
select * from tests.cannot_write('api_keys/device', 'public.api_keys',
  $$insert into public.api_keys (id, user_id, name, secret_hash, prefix, scopes) values ('evilkey00001', '11111111-1111-4111-8111-111111111111', 'x', 'h', 'p', '{catalog:read}')$$,
  $$update public.api_keys set expires_at = null$$);

select tests.as_service();
select is((select secret_hash from public.api_keys where id = 'prokey000001'), repeat('1', 64), 'api_keys/service: reads the hash to verify keys');
select lives_ok($$insert into public.api_keys (id, user_id, name, secret_hash, prefix, scopes) values ('svckey000001', '22222222-2222-4222-8222-222222222222', 'x', 'h', 'p', '{catalog:read}')$$,
  'api_keys/service: insert allowed');
select throws_ok($$insert into public.api_keys (id, user_id, name, secret_hash, prefix, scopes) values ('svckey000002', '22222222-2222-4222-8222-222222222222', 'x', 'h', 'p', '{}')$$,
  '23514', null, 'api_keys/service: a key without scopes is rejected (deny by default)');
select is(tests.affected($$update public.api_keys set revoked_at = now() where id = 'svckey000001'$$), 1, 'api_keys/service: revocation allowed');
select is(tests.affected($$delete from public.api_keys where id = 'svckey000001'$$), 1, 'api_keys/service: delete allowed');
select tests.as_admin();
select results_eq($$select id, revoked_at is null, scopes from public.api_keys order by id$$,
  $$values ('freekey00001', true, '{catalog:read}'::text[]), ('prokey000001', true, '{imports:receive,imports:report}'::text[])$$,
  'api_keys: no attempt by a user or device changed a key');

select * from finish();
rollback;
