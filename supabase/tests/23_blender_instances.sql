-- Several Blenders on one machine (device_instances, instance_heartbeat, imports addressed to one
-- instance) and cancel (cancel_import_as, the device topic's import_cancelled).
begin;
\ir _helpers.psql
select plan(52);

create function tests.beat(p_instance uuid, p_file text default '', p_online boolean default true) returns timestamptz
language sql as $$ select public.instance_heartbeat(p_instance, p_file, '4.2.1', p_online) $$;
create function tests.status_events(p_instance uuid) returns setof jsonb
language sql security definer set search_path = '' as $$
  select payload from realtime.messages
  where event = 'device_status' and payload ->> 'instance_id' = p_instance::text order by inserted_at, id
$$;
create function tests.cancel_events(p_import uuid) returns setof text
language sql security definer set search_path = '' as $$
  select topic from realtime.messages where event = 'import_cancelled' and payload ->> 'import_id' = p_import::text
$$;
create function tests.redeem(p_import uuid, p_jti uuid, p_token text, p_instance uuid) returns text
language sql as $$
  select (public.redeem_import_token(p_import, p_jti, 'd0000000-0000-4000-8000-0000000000a1', tests.hash(p_token), p_instance)).status::text $$;
create function tests.new_import_to(p_instance uuid, p_jti uuid, p_token text) returns uuid
language sql as $$
  select (public.create_import(gen_random_uuid(), tests.pro(), tests.version(2), tests.pro_device(), p_jti,
                               tests.hash(p_token), now() + interval '120 seconds', interval '15 minutes', p_instance)).id $$;
create function tests.instance_of(p_import uuid) returns uuid
language sql security definer set search_path = '' as $$ select instance_id from public.imports where id = p_import $$;
create function tests.status_of(p_import uuid) returns text
language sql security definer set search_path = '' as $$ select status::text from public.imports where id = p_import $$;

-- Two Blenders on the pro user's first machine, one on the second.
select 'c0000000-0000-4000-8000-00000000000a'::uuid as scene, 'c0000000-0000-4000-8000-00000000000b'::uuid as assets,
       'c0000000-0000-4000-8000-00000000000c'::uuid as other \gset

-- instance_heartbeat -------------------------------------------------------------------------------
select tests.as_device(tests.pro(), tests.pro_device());
select isnt(tests.beat(:'scene', 'scene.blend'), null, 'heartbeat: a Blender of the device announces itself');
select isnt(tests.beat(:'assets', 'assets.blend'), null, 'heartbeat: a second Blender of the same device');
select isnt(tests.beat(:'scene', 'scene.blend'), null, 'heartbeat: again, nothing changed');
select tests.as_device(tests.pro(), tests.pro_device2());
select isnt(tests.beat(:'other'), null, 'heartbeat: a Blender of the second machine');
select throws_ok(format('select tests.beat(%L)', :'scene'), 'P0001', 'NOT_FOUND',
  'heartbeat: another machine cannot take over an instance id');
select tests.as_user(tests.pro());
select throws_ok(format('select tests.beat(%L)', :'scene'), '42501', null, 'heartbeat: a web session is not a device');
select tests.as_anon();
select throws_ok(format('select tests.beat(%L)', :'scene'), '42501', null, 'heartbeat: anon cannot call it');

select tests.as_admin();
select results_eq(format('select blend_file, blender_version, stopped_at is null from public.device_instances where id = %L', :'scene'),
  $$values ('scene.blend', '4.2.1', true)$$, 'heartbeat: the row names the file and the Blender version');
select is((select count(*)::int from tests.status_events(:'scene')), 1,
  'heartbeat: the owner''s page is told once when a Blender comes online, not on every beat');
select is((select e ->> 'blend_file' from tests.status_events(:'assets') e), 'assets.blend',
  'heartbeat: the device_status event names the file');
select ok((select devices.last_seen_at > now() - interval '1 minute' from public.devices where id = tests.pro_device()),
  'heartbeat: the device is seen too');

select tests.as_device(tests.pro(), tests.pro_device());
select tests.beat(:'scene', 'scene-v2.blend') is not null as beat \gset
select tests.as_admin();
select is((select count(*)::int from tests.status_events(:'scene') e where e ->> 'blend_file' = 'scene-v2.blend'), 1,
  'heartbeat: another file opened is told to the page');

-- RLS ---------------------------------------------------------------------------------------------
select tests.as_user(tests.pro());
select set_eq('select id from public.device_instances', format('values (%L::uuid), (%L), (%L)', :'scene', :'assets', :'other'),
  'device_instances/owner: sees the Blenders of all own machines');
select throws_ok(format($$insert into public.device_instances (id, device_id, user_id) values (gen_random_uuid(), %L, %L)$$, tests.pro_device(), tests.pro()),
  '42501', null, 'device_instances/owner: insert denied (only the heartbeat writes)');
select throws_ok($$update public.device_instances set blend_file = 'x'$$, '42501', null, 'device_instances/owner: update denied');
select throws_ok($$delete from public.device_instances$$, '42501', null, 'device_instances/owner: delete denied');
select tests.as_user(tests.free());
select is_empty('select id from public.device_instances', 'device_instances/other: sees nothing of another account');
select tests.as_device(tests.pro(), tests.pro_device());
select is_empty('select id from public.device_instances', 'device_instances/device: a device JWT reads nothing here');
select tests.as_anon();
select is_empty('select id from public.device_instances', 'device_instances/anon: sees nothing');

-- import_instance -----------------------------------------------------------------------------------
select tests.as_service();
select is(public.import_instance(tests.pro(), tests.pro_device(), :'assets'), :'assets'::uuid, 'instance: the one asked for');
select is(public.import_instance(tests.pro(), tests.pro_device2(), null), :'other'::uuid,
  'instance: by default the Blender running on the chosen machine');
select throws_ok(format('select public.import_instance(%L, %L, %L)', tests.pro(), tests.pro_device2(), :'scene'),
  'P0001', 'DEVICE_NOT_FOUND', 'instance: one of another machine than the one asked for');
select throws_ok(format('select public.import_instance(%L, %L, %L)', tests.free(), tests.pro_device(), :'scene'),
  'P0001', 'DEVICE_NOT_FOUND', 'instance: another account''s');
select tests.as_device(tests.pro(), tests.pro_device2());
select isnt(tests.beat(:'other', '', false), null, 'heartbeat: a Blender that quits says so');
select tests.as_admin();
select is((select e ->> 'online' from tests.status_events(:'other') e order by (e ->> 'online') limit 1), 'false',
  'heartbeat: the page is told it went offline');
select tests.as_service();
select is(public.import_instance(tests.pro(), tests.pro_device2(), null), null,
  'instance: no Blender runs there: the machine, for the first one to start');
select tests.as_user(tests.pro());
select throws_ok(format('select public.import_instance(%L, %L, null)', tests.pro(), tests.pro_device()), '42501', null,
  'import_instance is the edge''s alone');
select tests.as_service();

-- create_import, redeem -------------------------------------------------------------------------------
select throws_ok(format($$select public.create_import(gen_random_uuid(), %L, %L, %L, gen_random_uuid(), repeat('a', 64), now() + interval '2 minutes', interval '15 minutes', %L)$$,
  tests.pro(), tests.version(2), tests.pro_device2(), :'scene'), 'P0001', 'DEVICE_NOT_FOUND', 'create: an instance of another device');
select gen_random_uuid() as jti1, gen_random_uuid() as jti2 \gset
select tests.new_import_to(:'scene', :'jti1', 'tok-1') as to_scene \gset
select tests.new_import_to(null, :'jti2', 'tok-2') as to_any \gset
select is(tests.instance_of(:'to_scene'), :'scene'::uuid, 'create: the import names its Blender');
select tests.as_device(tests.pro(), tests.pro_device());
select results_eq(format('select instance_id from public.pending_imports() where import_id in (%L, %L) order by instance_id nulls last', :'to_scene', :'to_any'),
  format('values (%L::uuid), (null)', :'scene'), 'pending_imports: names the Blender each import is for');
select tests.as_service();
select throws_ok(format('select tests.redeem(%L, %L, %L, %L)', :'to_scene', :'jti1', 'tok-1', :'assets'),
  'P0001', 'NOT_FOUND', 'redeem: another Blender of the machine cannot take it');
select is((select redeemed_at from public.import_tokens where jti = :'jti1'), null, 'redeem: the refused attempt spent nothing');
select is(tests.redeem(:'to_scene', :'jti1', 'tok-1', :'scene'), 'redeemed', 'redeem: its own Blender redeems it');
select is(tests.redeem(:'to_any', :'jti2', 'tok-2', :'assets'), 'redeemed', 'redeem: an import for the machine goes to the first Blender');
select is(tests.instance_of(:'to_any'), :'assets'::uuid, 'redeem: and becomes that Blender''s');
select throws_ok(format('select public.redeliver_import(%L, %L, %L, %L)', :'to_any', tests.pro(), tests.pro_device(), :'scene'),
  'P0001', 'NOT_FOUND', 'redeliver: not to another Blender of the machine');
select is((public.redeliver_import(:'to_any', tests.pro(), tests.pro_device(), :'assets')).status::text, 'redeemed',
  'redeliver: to the Blender that has it');

-- A Blender that is gone leaves its imports to the others of the machine (20261203000401).
select gen_random_uuid() as jti4 \gset
select tests.new_import_to(:'scene', :'jti4', 'tok-4') as gone \gset
select tests.as_device(tests.pro(), tests.pro_device());
select results_eq(format('select instance_online from public.pending_imports() where import_id = %L', :'gone'),
  array[true], 'pending_imports: says the Blender it is for runs');
select tests.beat(:'scene', 'scene.blend', false) is not null as bye \gset
select results_eq(format('select instance_online from public.pending_imports() where import_id = %L', :'gone'),
  array[false], 'pending_imports: says when that Blender quit');
select tests.as_service();
select is(tests.redeem(:'gone', :'jti4', 'tok-4', :'assets'), 'redeemed', 'redeem: another Blender takes over a gone Blender''s import');
select is(tests.instance_of(:'gone'), :'assets'::uuid, 'redeem: and it becomes that Blender''s');

-- cancel -------------------------------------------------------------------------------------------------
select tests.new_import_to(:'scene', gen_random_uuid(), 'tok-3') as q \gset
select tests.import_in('importing') as i \gset
select tests.import_in('done') as d \gset
select is((public.cancel_import_as(:'q', tests.pro())).status::text, 'cancelled', 'cancel: a queued import');
select is((select count(*)::int from public.import_tokens where import_id = :'q' and voided_at is null), 0, 'cancel: its token is void');
select is((public.cancel_import_as(:'q', tests.pro())).status::text, 'cancelled', 'cancel: again answers the cancelled import');
select is(tests.status_of(:'to_any'), 'redeemed', 'cancel: (a running import, before)');
select is((public.cancel_import_as(:'to_any', tests.pro())).status::text, 'cancelled', 'cancel: a running (redeemed) import');
select set_eq(format('select tests.cancel_events(%L)', :'to_any'), format('values (%L)', 'device:' || tests.pro_device()::text),
  'cancel: the device topic is told once');
select throws_ok(format('select public.cancel_import_as(%L, %L)', :'i', tests.pro()), 'P0001', 'CONFLICT', 'cancel: not once Blender has it (importing)');
select throws_ok(format('select public.cancel_import_as(%L, %L)', :'d', tests.pro()), 'P0001', 'CONFLICT', 'cancel: not a finished import');
select throws_ok(format('select public.cancel_import_as(%L, %L)', :'i', tests.free()), 'P0001', 'NOT_FOUND', 'cancel: not another user''s import');
select tests.as_user(tests.pro());
select throws_ok(format('select public.cancel_import_as(%L, %L)', :'i', tests.pro()), '42501', null, 'cancel_import_as is the edge''s alone');
select tests.as_device(tests.pro(), tests.pro_device());
select throws_ok(format('select public.cancel_import(%L)', :'i'), 'P0001', 'NOT_FOUND', 'cancel_import: NOT_FOUND to a device');

select * from finish();
rollback;
