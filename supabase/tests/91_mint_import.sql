-- mint_import: the edge's one-statement mint. It resolves the ask inside the write and writes only
-- for the target the token was signed for; otherwise it writes nothing and answers the target.
begin;
\ir _helpers.psql
select plan(14);

-- The pro user's ask for shader 2, expecting (version, device, instance, name, slug) and sending
-- p_message (null: no device message).
create function tests.mint(p_id uuid, p_version uuid, p_device uuid, p_name text, p_message jsonb default '{"x":1}')
returns table (minted boolean, shader_version_id uuid, device_id uuid, instance_id uuid, shader_name text, status text)
language sql as $$
  select m.minted, m.shader_version_id, m.device_id, m.instance_id, m.shader_name, m.status
  from public.mint_import(p_id, tests.pro(), tests.shader(2), null, null, null,
    p_version, p_device, null, p_name, (select slug from public.shaders where id = tests.shader(2)),
    gen_random_uuid(), repeat('a', 64), now() + interval '120 seconds', interval '15 minutes',
    null, 'import', p_message, 'import_request') m
$$;
select name as shader2_name from public.shaders where id = tests.shader(2) \gset

select tests.as_service();
select results_eq(
  $$select minted, shader_version_id, device_id, instance_id, status from tests.mint('c0000000-0000-4000-8000-000000000001', null, null, null)$$,
  $$values (false, 'b0000000-0000-4000-8000-000000000002'::uuid, 'd0000000-0000-4000-8000-0000000000a1'::uuid, null::uuid, null::text)$$,
  'no expectation: the target is answered (latest version, most recently seen device) and nothing is written');
select is((select shader_name from tests.mint('c0000000-0000-4000-8000-000000000001', null, null, null)), :'shader2_name',
  'the answer names the shader');
select tests.as_admin();
select is((select count(*)::int from public.imports where id = 'c0000000-0000-4000-8000-000000000001'), 0, 'no import row');

select tests.as_service();
select results_eq(
  format($$select minted, status from tests.mint('c0000000-0000-4000-8000-000000000002', %L, %L, %L)$$,
         tests.version(2), tests.pro_device(), :'shader2_name'),
  $$values (true, 'queued')$$, 'the expected target: the import is written, queued');
select tests.as_admin();
select is((select count(*)::int from public.import_tokens where import_id = 'c0000000-0000-4000-8000-000000000002'), 1,
  'with its token');
select is((select count(*)::int from realtime.messages
           where topic = 'device:' || tests.pro_device() and event = 'import_request' and payload = '{"x":1}'), 1,
  'and the device message, in the same transaction');
select is((select device_id from public.imports where id = 'c0000000-0000-4000-8000-000000000002'), tests.pro_device(),
  'for the expected device');

select tests.as_service();
select is((select minted from tests.mint('c0000000-0000-4000-8000-000000000003', tests.version(2), tests.pro_device(), :'shader2_name', null)),
  true, 'without a message (Blender''s own ask) the import is written');
select tests.as_admin();
select is((select count(*)::int from realtime.messages where topic = 'device:' || tests.pro_device() and event = 'import_request'), 1,
  'and no device message is sent');

-- A stale expectation writes nothing and answers the current target.
select tests.as_service();
select results_eq(
  format($$select minted, device_id, status from tests.mint('c0000000-0000-4000-8000-000000000004', %L, %L, %L)$$,
         tests.version(2), tests.pro_device2(), :'shader2_name'),
  $$values (false, 'd0000000-0000-4000-8000-0000000000a1'::uuid, null::text)$$,
  'another device than the ask resolves to: nothing written, the current device answered');
select is((select minted from tests.mint('c0000000-0000-4000-8000-000000000005', tests.version(2), tests.pro_device(), 'Old Name')),
  false, 'a renamed shader (the message would name it wrongly): nothing written');
select tests.as_admin();
select is((select count(*)::int from public.imports where id in ('c0000000-0000-4000-8000-000000000004', 'c0000000-0000-4000-8000-000000000005')), 0,
  'no rows for the stale expectations');

-- Errors of resolution come through; only the edge may call it.
select tests.as_service();
select throws_ok(format($$select * from public.mint_import(gen_random_uuid(), %L, %L, null, null, null, null, null, null, null, null,
    null, null, null, null, null, 'import', null, null)$$, tests.free(), tests.shader(2)),
  'P0001', 'SUBSCRIPTION_REQUIRED', 'a pro shader for a free user: SUBSCRIPTION_REQUIRED');
select tests.as_user(tests.pro());
select throws_ok(format($$select * from public.mint_import(gen_random_uuid(), %L, %L, null, null, null, null, null, null, null, null,
    null, null, null, null, null, 'import', null, null)$$, tests.pro(), tests.shader(2)),
  '42501', null, 'users cannot call it');

select * from finish();
rollback;
