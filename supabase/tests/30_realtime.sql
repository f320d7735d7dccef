-- Realtime: who may receive which private topic (the way Realtime authorises a join: a probe row,
-- the JWT's role and claims, realtime.topic set), and which changes broadcast where.
begin;
\ir _helpers.psql
select plan(64);

-- A probe message for the topic, inserted with definer rights, as Realtime does before asking.
create function tests.probe(p_topic text, p_extension text default 'broadcast') returns uuid
language sql security definer set search_path = '' as $$
  insert into realtime.messages (topic, extension, private, event, payload)
  values (p_topic, p_extension, true, 'authorization-probe', '{}') returning id
$$;
-- May the current role and claims receive p_topic?
create function tests.can_receive(p_topic text, p_extension text default 'broadcast') returns boolean
language plpgsql as $$
declare
  probe uuid := tests.probe(p_topic, p_extension);
  ok boolean;
begin
  perform set_config('realtime.topic', p_topic, true);
  select exists (select 1 from realtime.messages where id = probe) into ok;
  return ok;
end $$;
create function tests.user_topic(p uuid) returns text language sql immutable as $$ select 'user:' || p $$;
create function tests.device_topic(p uuid) returns text language sql immutable as $$ select 'device:' || p $$;

-- Read policies ----------------------------------------------------------------------------------
select tests.as_user(tests.pro());
select ok(tests.can_receive(tests.user_topic(tests.pro())), 'user session receives its own user topic');
select ok(not tests.can_receive(tests.user_topic(tests.free())), 'user session cannot receive another user''s topic');
select ok(not tests.can_receive(tests.device_topic(tests.pro_device())), 'user session cannot receive its own device''s topic');
select ok(not tests.can_receive(tests.device_topic(tests.free_device())), 'user session cannot receive another user''s device topic');
select ok(not tests.can_receive(tests.user_topic(tests.pro()) || ':x'), 'user session: no suffix tricks on the topic');
select ok(not tests.can_receive('user:*'), 'user session: no wildcard topic');
select ok(not tests.can_receive(tests.user_topic(tests.pro()), 'presence'), 'user session: broadcast only, not presence');
select tests.as_admin();
select tests.as_user(tests.pro());
select is((select count(*)::int from realtime.messages), 0, 'user session without a topic set reads no messages');
select tests.as_admin();
do $$ begin perform set_config('realtime.topic', tests.user_topic(tests.pro()), true); end $$;
select tests.as_user(tests.pro());
select is((select count(*)::int from realtime.messages
           where topic <> tests.user_topic(tests.pro())
             and topic not like 'user:' || tests.pro() || ':%' and topic <> 'user:*'), 0,
  'user session reads no other topic''s rows');

select tests.as_user(tests.free());
select ok(tests.can_receive(tests.user_topic(tests.free())), 'other user receives their own topic');
select ok(not tests.can_receive(tests.user_topic(tests.pro())), 'other user cannot receive the pro user''s topic');
select ok(not tests.can_receive(tests.device_topic(tests.pro_device())), 'other user cannot receive the pro user''s device topic');

select tests.as_device(tests.pro(), tests.pro_device());
select ok(tests.can_receive(tests.device_topic(tests.pro_device())), 'device receives its own device topic');
select is((select count(*)::int from realtime.messages where topic <> tests.device_topic(tests.pro_device())), 0,
  'device reads no other topic''s rows (tokens for other devices stay hidden)');
select ok(not tests.can_receive(tests.device_topic(tests.pro_device2())), 'device cannot receive a sibling device''s topic');
select ok(not tests.can_receive(tests.device_topic(tests.free_device())), 'device cannot receive another user''s device topic');
select ok(not tests.can_receive(tests.user_topic(tests.pro())), 'device JWT cannot receive the user topic');
select ok(not tests.can_receive(tests.user_topic(tests.free())), 'device JWT cannot receive another user topic');

select tests.as_device(tests.free(), tests.pro_device());
select ok(not tests.can_receive(tests.device_topic(tests.pro_device())), 'a JWT naming a device its sub does not own gets nothing');

select tests.as_anon();
select ok(not tests.can_receive(tests.user_topic(tests.pro())), 'anon cannot receive a user topic');
select ok(not tests.can_receive(tests.device_topic(tests.pro_device())), 'anon cannot receive a device topic');

select tests.as_service();
select ok(tests.can_receive(tests.device_topic(tests.pro_device())), 'service_role receives any topic');

-- Nobody but the database sends.
select tests.as_user(tests.pro());
select throws_ok(format($$insert into realtime.messages (topic, extension, private, event, payload) values (%L, 'broadcast', true, 'import', '{}')$$,
  tests.device_topic(tests.pro_device())), '42501', null, 'a user cannot send to their device''s topic');
select throws_ok(format($$insert into realtime.messages (topic, extension, private, event, payload) values (%L, 'broadcast', true, 'x', '{}')$$,
  tests.user_topic(tests.pro())), '42501', null, 'a user cannot send to their own topic');
select tests.as_device(tests.pro(), tests.pro_device());
select throws_ok(format($$insert into realtime.messages (topic, extension, private, event, payload) values (%L, 'broadcast', true, 'import_status', '{}')$$,
  tests.user_topic(tests.pro())), '42501', null, 'a device cannot forge status messages');
select tests.as_anon();
select throws_ok(format($$insert into realtime.messages (topic, extension, private, event, payload) values (%L, 'broadcast', true, 'x', '{}')$$,
  tests.user_topic(tests.pro())), '42501', null, 'anon cannot send');

-- Stored messages cannot be rewritten or deleted by clients (update and delete are not granted).
select tests.as_admin();
select tests.probe(tests.user_topic(tests.pro())) as own_msg \gset
do $$ begin perform set_config('realtime.topic', tests.user_topic(tests.pro()), true); end $$;
select tests.as_user(tests.pro());
select throws_ok($$update realtime.messages set payload = '{"forged":true}'$$, '42501', null, 'a user cannot rewrite messages');
select throws_ok($$delete from realtime.messages$$, '42501', null, 'a user cannot delete messages');
select tests.as_device(tests.pro(), tests.pro_device());
select throws_ok($$update realtime.messages set payload = '{}'$$, '42501', null, 'a device cannot rewrite messages');
select tests.as_anon();
select throws_ok($$delete from realtime.messages$$, '42501', null, 'anon cannot delete messages');
select tests.as_service();
select is(tests.affected(format('delete from realtime.messages where id = %L', :'own_msg')), 1, 'service_role may delete messages');

-- Revoked devices lose their topic.
select tests.as_admin();
update public.devices set revoked_at = now() where id = tests.pro_device2();
select tests.as_device(tests.pro(), tests.pro_device2());
select ok(not tests.can_receive(tests.device_topic(tests.pro_device2())), 'a revoked device cannot receive its topic');

-- Broadcasts from triggers and functions ---------------------------------------------------------
select tests.as_admin();
delete from realtime.messages;
create function tests.msgs(p_topic text, p_event text) returns bigint language sql security definer set search_path = ''
as $$ select count(*) from realtime.messages where topic = p_topic and event = p_event $$;

select tests.as_service();
select tests.new_import(tests.pro(), tests.pro_device(), tests.version(2), 'f0000000-0000-4000-8000-000000000001', 'tok-1') as imp \gset
select is(tests.msgs(tests.user_topic(tests.pro()), 'import_status'), 1::bigint, 'a new import is announced on the user topic');
select is(tests.msgs(tests.user_topic(tests.free()), 'import_status'), 0::bigint, 'and not on another user''s topic');
select is((public.redeem_import_token(:'imp', 'f0000000-0000-4000-8000-000000000001', tests.pro_device(), tests.hash('tok-1'))).status::text, 'redeemed', 'redeemed');
select tests.as_device(tests.pro(), tests.pro_device());
select lives_ok(format('select public.report_import_status(%L, %L, 42)', :'imp', 'downloading'), 'device reports downloading 42%');
select tests.as_admin();
select is(tests.msgs(tests.user_topic(tests.pro()), 'import_status'), 3::bigint, 'each step is broadcast (queued, redeemed, downloading)');
select results_eq($$select payload ->> 'status', (payload ->> 'progress')::int, private from realtime.messages
                    where event = 'import_status' order by inserted_at desc, (payload ->> 'status') = 'downloading' desc limit 1$$,
  $$values ('downloading', 42, true)$$, 'the status message carries status and progress, privately');
select is_empty($$select 1 from realtime.messages where payload ? 'token' or payload::text like '%oit1.%'$$,
  'no broadcast carries a token');
select popularity as pop_before from public.shaders where id = tests.shader(2) \gset
select ok(:pop_before >= 0, 'popularity before done');
select tests.as_device(tests.pro(), tests.pro_device());
select lives_ok(format('select public.report_import_status(%L, %L)', :'imp', 'verifying'), 'verifying');
select lives_ok(format('select public.report_import_status(%L, %L)', :'imp', 'importing'), 'importing');
select lives_ok(format('select public.report_import_status(%L, %L)', :'imp', 'done'), 'done');
select tests.as_admin();
select is((select popularity from public.shaders where id = tests.shader(2)), :pop_before + 1, 'a finished import counts towards popularity');

-- device_heartbeat / device_status
delete from realtime.messages;
select tests.as_device(tests.pro(), tests.pro_device());
select isnt(public.device_heartbeat(), null, 'heartbeat from a device');
select tests.as_admin();
select is(tests.msgs(tests.user_topic(tests.pro()), 'device_status'), 1::bigint, 'a device coming online is announced to its user');
select results_eq($$select (payload ->> 'device_id')::uuid, (payload ->> 'online')::boolean from realtime.messages where event = 'device_status'$$,
  $$values ('d0000000-0000-4000-8000-0000000000a1'::uuid, true)$$, 'device_status says which device is online');
select is((select last_seen_at from public.devices where id = tests.pro_device()), now(), 'heartbeat records last_seen_at');
select tests.as_device(tests.pro(), tests.pro_device());
select isnt(public.device_heartbeat(), null, 'a second heartbeat');
select tests.as_admin();
select is(tests.msgs(tests.user_topic(tests.pro()), 'device_status'), 1::bigint, 'a device already online is not announced again');
select tests.as_user(tests.pro());
select throws_ok($$select public.device_heartbeat()$$, '42501', null, 'a web session (no device) cannot beat');
select tests.as_device(tests.pro(), tests.pro_device2());
select throws_ok($$select public.device_heartbeat()$$, '42501', null, 'a revoked device cannot beat');
select tests.as_device(tests.free(), tests.pro_device());
select throws_ok($$select public.device_heartbeat()$$, '42501', null, 'a JWT for another user''s device cannot beat');

-- Offline sweep: a device last seen 2 minutes ago is announced offline.
select tests.as_admin();
update public.devices set last_seen_at = now() - interval '2 minutes' where id = tests.free_device();
select tests.as_service();
select is(public.sweep_offline_devices(), 1, 'sweep finds the device that stopped beating');
select tests.as_admin();
select is((select (payload ->> 'online')::boolean from realtime.messages where topic = tests.user_topic(tests.free()) and event = 'device_status'),
  false, 'its user is told it is offline');
select tests.as_service();
select is(public.sweep_offline_devices(), 0, 'sweeping again does not repeat the announcement');
select tests.as_admin();
update public.devices set last_seen_at = now() - interval '10 minutes', offline_notified_at = null where id = tests.free_device();
select tests.as_service();
select is(public.sweep_offline_devices(), 1, 'a silence no sweep saw in time is still announced');
select tests.as_admin();
update public.devices set last_seen_at = now() - interval '2 days', offline_notified_at = null where id = tests.free_device();
select tests.as_service();
select is(public.sweep_offline_devices(), 0, 'devices silent for days are not announced');
select tests.as_admin();
update public.devices set last_seen_at = now() - interval '100 seconds', offline_notified_at = now() - interval '50 seconds' where id = tests.free_device();
select tests.as_service();
select is(public.sweep_offline_devices(), 0, 'a silence already announced is not announced again');
select tests.as_admin();
update public.devices set last_seen_at = now() - interval '100 seconds', offline_notified_at = now() - interval '1 hour' where id = tests.free_device();
select tests.as_service();
select is(public.sweep_offline_devices(), 1, 'a device that came back and went silent again is announced again');
select tests.as_admin();
select is((select count(*)::int from realtime.messages where topic = tests.user_topic(tests.free()) and event = 'device_status'), 3,
  'three silences, three offline messages');

-- Subscription changes and device revocation.
update public.subscriptions set status = 'past_due' where user_id = tests.pro();
select is(tests.msgs(tests.user_topic(tests.pro()), 'subscription'), 1::bigint, 'a subscription change reaches the user topic');
update public.devices set revoked_at = now() where id = tests.pro_device();
select is(tests.msgs(tests.device_topic(tests.pro_device()), 'device_revoked'), 1::bigint, 'the revoked device is told on its topic');
select is((select count(*)::int from realtime.messages where topic = tests.user_topic(tests.pro()) and event = 'device_status'
           and (payload ->> 'revoked')::boolean), 1, 'its user is told it is gone');

select * from finish();
rollback;
