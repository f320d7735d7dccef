-- RLS matrix for imports, import_tokens and rate_limits. Imports change only through the
-- functions (state machine); tokens and buckets are the edge's alone.
begin;
\ir _helpers.psql
select plan(65);

select tests.new_import(tests.pro(), tests.pro_device(), tests.version(2), 'f0000000-0000-4000-8000-000000000001', 'tok-pro') as pro_import \gset
select tests.new_import(tests.free(), tests.free_device(), tests.version(1), 'f0000000-0000-4000-8000-000000000002', 'tok-free') as free_import \gset
insert into public.rate_limits (key, tat) values ('user:11111111-1111-4111-8111-111111111111', now());

-- imports ----------------------------------------------------------------------------------------
select tests.as_anon();
select is((select count(*)::int from public.imports), 0, 'imports/anon: select sees nothing');
select * from tests.cannot_write('imports/anon', 'public.imports',
  $$insert into public.imports (user_id, device_id, shader_id, shader_version_id, version)
  values ('11111111-1111-4111-8111-111111111111', 'd0000000-0000-4000-8000-0000000000a1', 'a0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000002', '1.0.0')$$,
  $$update public.imports set status = 'done'$$);

select tests.as_user(tests.pro());
select results_eq($$select id from public.imports$$, array[:'pro_import'::uuid], 'imports/owner: sees own imports only');
select throws_ok($$insert into public.imports (user_id, device_id, shader_id, shader_version_id, version)
  values ('11111111-1111-4111-8111-111111111111', 'd0000000-0000-4000-8000-0000000000a1', 'a0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000002', '1.0.0')$$,
  '42501', null, 'imports/owner: insert denied (imports are created by the edge)');
select is(tests.affected($$update public.imports set status = 'redeemed'$$), 0, 'imports/owner: direct status change touches nothing');
select is(tests.affected($$delete from public.imports$$), 0, 'imports/owner: delete touches nothing');

select tests.as_user(tests.free());
select results_eq($$select id from public.imports$$, array[:'free_import'::uuid], 'imports/other: never sees the pro user''s imports');
select throws_ok($$insert into public.imports (user_id, device_id, shader_id, shader_version_id, version)
  values ('22222222-2222-4222-8222-222222222222', 'd0000000-0000-4000-8000-0000000000b1', 'a0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000002', '1.0.0')$$,
  '42501', null, 'imports/other: cannot queue a pro shader for themselves');
select is(tests.affected(format('update public.imports set status = %L where id = %L', 'cancelled', :'pro_import')), 0,
  'imports/other: cannot change another user''s import');
select is(tests.affected(format('delete from public.imports where id = %L', :'pro_import')), 0,
  'imports/other: cannot delete another user''s import');

select tests.as_device(tests.pro(), tests.pro_device());
select results_eq($$select id from public.imports$$, array[:'pro_import'::uuid], 'imports/device: sees its owner''s imports');
select throws_ok($$insert into public.imports (user_id, device_id, shader_id, shader_version_id, version)
  values ('11111111-1111-4111-8111-111111111111', 'd0000000-0000-4000-8000-0000000000a1', 'a0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000002', '1.0.0')$$,
  '42501', null, 'imports/device: insert denied');
select is(tests.affected($$update public.imports set status = 'done', progress = 100$$), 0,
  'imports/device: direct update touches nothing (report_import_status is the way)');
select is(tests.affected($$delete from public.imports$$), 0, 'imports/device: delete touches nothing');

select tests.as_service();
select is((select count(*)::int from public.imports), 2, 'imports/service: sees every import');
select lives_ok($$insert into public.imports (id, user_id, device_id, shader_id, shader_version_id, version)
  values ('c0000000-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'd0000000-0000-4000-8000-0000000000a1', 'a0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000002', '1.0.0')$$,
  'imports/service: insert allowed');
select is(tests.affected($$update public.imports set status = 'cancelled' where id = 'c0000000-0000-4000-8000-000000000001'$$), 1,
  'imports/service: update allowed (still through the state machine)');
select throws_ok($$update public.imports set status = 'queued' where id = 'c0000000-0000-4000-8000-000000000001'$$,
  'P0001', 'ILLEGAL_TRANSITION', 'imports/service: even service_role cannot leave a final state');
select is(tests.affected($$delete from public.imports where id = 'c0000000-0000-4000-8000-000000000001'$$), 1, 'imports/service: delete allowed');
select tests.as_admin();
select results_eq($$select status::text from public.imports order by user_id$$, array['queued', 'queued'],
  'imports: no user or device attempt changed a status');

-- import_tokens (edge only) ----------------------------------------------------------------------
select tests.as_anon();
select is((select count(*)::int from public.import_tokens), 0, 'import_tokens/anon: select sees nothing');
select throws_ok(format($$insert into public.import_tokens (jti, import_id, device_id, token_hash, expires_at)
  values (gen_random_uuid(), %L, 'd0000000-0000-4000-8000-0000000000a1', repeat('a', 64), now() + interval '1 hour')$$, :'pro_import'),
  '42501', null, 'import_tokens/anon: insert denied');
select is(tests.affected($$update public.import_tokens set redeemed_at = null$$), 0, 'import_tokens/anon: update touches nothing');
select is(tests.affected($$delete from public.import_tokens$$), 0, 'import_tokens/anon: delete touches nothing');

select tests.as_user(tests.pro());
select is((select count(*)::int from public.import_tokens), 0, 'import_tokens/owner: select sees nothing, not even own tokens');
select throws_ok(format($$insert into public.import_tokens (jti, import_id, device_id, token_hash, expires_at)
  values (gen_random_uuid(), %L, 'd0000000-0000-4000-8000-0000000000a1', repeat('a', 64), now() + interval '1 hour')$$, :'pro_import'),
  '42501', null, 'import_tokens/owner: cannot mint a token row');
select is(tests.affected($$update public.import_tokens set expires_at = now() + interval '1 year'$$), 0, 'import_tokens/owner: update touches nothing');
select is(tests.affected($$delete from public.import_tokens$$), 0, 'import_tokens/owner: delete touches nothing');

select tests.as_user(tests.free());
select is((select count(*)::int from public.import_tokens), 0, 'import_tokens/other: select sees nothing');
select throws_ok(format($$insert into public.import_tokens (jti, import_id, device_id, token_hash, expires_at)
  values (gen_random_uuid(), %L, 'd0000000-0000-4000-8000-0000000000b1', repeat('a', 64), now() + interval '1 hour')$$, :'pro_import'),
  '42501', null, 'import_tokens/other: cannot bind a token to another user''s import');
select is(tests.affected($$update public.import_tokens set redeemed_at = null$$), 0, 'import_tokens/other: update touches nothing');
select is(tests.affected($$delete from public.import_tokens$$), 0, 'import_tokens/other: delete touches nothing');

select tests.as_device(tests.pro(), tests.pro_device());
select is((select count(*)::int from public.import_tokens), 0, 'import_tokens/device: select sees nothing (hashes stay server-side)');
select throws_ok(format($$insert into public.import_tokens (jti, import_id, device_id, token_hash, expires_at)
  values (gen_random_uuid(), %L, 'd0000000-0000-4000-8000-0000000000a1', repeat('a', 64), now() + interval '1 hour')$$, :'pro_import'),
  '42501', null, 'import_tokens/device: insert denied');
select is(tests.affected($$update public.import_tokens set redeemed_at = null, voided_at = null$$), 0, 'import_tokens/device: update touches nothing');
select is(tests.affected($$delete from public.import_tokens$$), 0, 'import_tokens/device: delete touches nothing');

select tests.as_service();
select is((select count(*)::int from public.import_tokens), 2, 'import_tokens/service: reads tokens');
select lives_ok(format($$insert into public.import_tokens (jti, import_id, device_id, token_hash, expires_at)
  values ('f0000000-0000-4000-8000-0000000000ff', %L, 'd0000000-0000-4000-8000-0000000000a1', repeat('a', 64), now() + interval '1 hour')$$, :'pro_import'),
  'import_tokens/service: insert allowed');
select throws_ok(format($$insert into public.import_tokens (jti, import_id, device_id, token_hash, expires_at)
  values ('f0000000-0000-4000-8000-0000000000ff', %L, 'd0000000-0000-4000-8000-0000000000a1', repeat('b', 64), now() + interval '1 hour')$$, :'pro_import'),
  '23505', null, 'import_tokens/service: a jti can exist only once');
select throws_ok(format($$insert into public.import_tokens (jti, import_id, device_id, token_hash, expires_at)
  values (gen_random_uuid(), %L, 'd0000000-0000-4000-8000-0000000000a1', 'oit1.plaintext', now() + interval '1 hour')$$, :'pro_import'),
  '23514', null, 'import_tokens/service: only a sha256 hex hash can be stored, never the token');
select is(tests.affected($$update public.import_tokens set voided_at = now() where jti = 'f0000000-0000-4000-8000-0000000000ff'$$), 1,
  'import_tokens/service: update allowed');
select is(tests.affected($$delete from public.import_tokens where jti = 'f0000000-0000-4000-8000-0000000000ff'$$), 1,
  'import_tokens/service: delete allowed');
select tests.as_admin();
select is((select count(*)::int from public.import_tokens where redeemed_at is null and voided_at is null), 2,
  'import_tokens: no user or device attempt spent or voided a token');

-- rate_limits (edge only) ------------------------------------------------------------------------
select tests.as_anon();
select is((select count(*)::int from public.rate_limits), 0, 'rate_limits/anon: select sees nothing');
select throws_ok($$insert into public.rate_limits (key, tat) values ('ip:1.2.3.4', now())$$, '42501', null, 'rate_limits/anon: insert denied');
select is(tests.affected($$update public.rate_limits set tat = now() - interval '1 day'$$), 0, 'rate_limits/anon: cannot reset a bucket');
select is(tests.affected($$delete from public.rate_limits$$), 0, 'rate_limits/anon: delete touches nothing');

select tests.as_user(tests.pro());
select is((select count(*)::int from public.rate_limits), 0, 'rate_limits/owner: select sees nothing, not even own bucket');
select throws_ok($$insert into public.rate_limits (key, tat) values ('user:x', now())$$, '42501', null, 'rate_limits/owner: insert denied');
select is(tests.affected($$update public.rate_limits set tat = now() - interval '1 day'$$), 0, 'rate_limits/owner: cannot reset own bucket');
select is(tests.affected($$delete from public.rate_limits$$), 0, 'rate_limits/owner: cannot delete own bucket');

select tests.as_user(tests.free());
select is((select count(*)::int from public.rate_limits), 0, 'rate_limits/other: select sees nothing');
select throws_ok($$insert into public.rate_limits (key, tat) values ('user:y', now() + interval '1 day')$$, '42501', null,
  'rate_limits/other: cannot lock out another user');
select is(tests.affected($$update public.rate_limits set tat = now() + interval '1 day'$$), 0, 'rate_limits/other: update touches nothing');
select is(tests.affected($$delete from public.rate_limits$$), 0, 'rate_limits/other: delete touches nothing');

select tests.as_device(tests.pro(), tests.pro_device());
select is((select count(*)::int from public.rate_limits), 0, 'rate_limits/device: select sees nothing');
select * from tests.cannot_write('rate_limits/device', 'public.rate_limits',
  $$insert into public.rate_limits (key, tat) values ('device:x', now())$$,
  $$update public.rate_limits set tat = now() - interval '1 day'$$);

select tests.as_service();
select is((select count(*)::int from public.rate_limits), 1, 'rate_limits/service: reads buckets');
select * from tests.can_write('rate_limits/service',
  $$insert into public.rate_limits (key, tat) values ('ip:127.0.0.1', now())$$,
  $$update public.rate_limits set tat = now() where key = 'ip:127.0.0.1'$$,
  $$delete from public.rate_limits where key = 'ip:127.0.0.1'$$);

select * from finish();
rollback;
