-- Outgoing webhooks: endpoints are the owner's (secrets never readable through the API), events
-- are queued by triggers for the subscribed, enabled endpoints, the edge's claim/record functions
-- retry on the schedule (over a day) and disable an endpoint that kept failing, with a notice.
begin;
\ir _helpers.psql
select plan(33);

insert into public.webhook_endpoints (id, user_id, url, events, secret_enc) values
  ('e1000000-0000-4000-8000-000000000001', tests.pro(), 'https://hooks.example.com/a',
   array['device.paired', 'device.revoked', 'import.completed', 'import.failed', 'subscription.updated'], '\x01'),
  ('e1000000-0000-4000-8000-000000000002', tests.pro(), 'https://hooks.example.com/b', array['import.failed'], '\x02'),
  ('e1000000-0000-4000-8000-000000000003', tests.free(), 'https://hooks.example.com/c', array['device.paired'], '\x03');

-- RLS and grants ---------------------------------------------------------------------------------
select tests.as_user(tests.pro());
select set_eq($$select url from public.webhook_endpoints$$,
  array['https://hooks.example.com/a', 'https://hooks.example.com/b'], 'a user reads their own endpoints only');
select throws_ok($$select secret_enc from public.webhook_endpoints$$, '42501', null, 'the encrypted secret is not readable');
select throws_ok($$select previous_secret_enc from public.webhook_endpoints$$, '42501', null, 'nor the previous one');
select throws_ok($$update public.webhook_endpoints set url = 'https://evil.example/'$$, '42501', null, 'a user cannot change an endpoint directly');
select throws_ok($$insert into public.webhook_endpoints (id, user_id, url, events, secret_enc)
  values (gen_random_uuid(), auth.uid(), 'https://x.example/', array['device.paired'], '\x00')$$, '42501', null,
  'a user cannot register an endpoint without the edge');
select throws_ok($$insert into public.webhook_deliveries (endpoint_id, user_id, message_id, event_type, payload, next_attempt_at, created_at)
  values ('e1000000-0000-4000-8000-000000000001', auth.uid(), 'msg_' || repeat('0', 32), 'device.paired', '{}', now(), now())$$,
  '42501', null, 'a user cannot queue a delivery');
select tests.as_device(tests.pro(), tests.pro_device());
select is_empty($$select 1 from public.webhook_endpoints$$, 'a device JWT reads no endpoint of its account');
select tests.as_anon();
select throws_ok($$select url from public.webhook_endpoints$$, '42501', null, 'anon reads no endpoint');
select tests.as_admin();

select is_empty(
  $$select p.proname::text from pg_proc p
    where p.pronamespace = 'public'::regnamespace
      and p.proname in ('webhook_enqueue', 'webhook_claim', 'webhook_record', 'prune_webhook_deliveries')
      and (has_function_privilege('anon', p.oid, 'execute') or has_function_privilege('authenticated', p.oid, 'execute'))$$,
  'the queue functions are the edge''s alone');

-- Events ------------------------------------------------------------------------------------------
insert into public.devices (id, user_id, name, platform) values
  ('d1000000-0000-4000-8000-000000000001', tests.pro(), 'Studio', 'blender');
select results_eq($$select endpoint_id::text, event_type, payload->'data'->>'name' from public.webhook_deliveries$$,
  $$values ('e1000000-0000-4000-8000-000000000001', 'device.paired', 'Studio')$$,
  'pairing queues device.paired for the subscribed endpoint only (not b, not another user''s)');
select ok((select payload->>'type' = 'device.paired' and payload ? 'timestamp' and message_id ~ '^msg_[0-9a-f]{32}$'
           from public.webhook_deliveries), 'the payload is {type, timestamp, data} with a msg_ id');

select tests.import_in('queued') as imp \gset
update public.imports set status = 'failed', error_code = 'DOWNLOAD_FAILED' where id = :'imp';
select results_eq($$select endpoint_id::text from public.webhook_deliveries where event_type = 'import.failed' order by 1$$,
  array['e1000000-0000-4000-8000-000000000001', 'e1000000-0000-4000-8000-000000000002'],
  'a failed import is queued for both subscribed endpoints');
select is((select count(distinct message_id)::int from public.webhook_deliveries where event_type = 'import.failed'), 1,
  'with one webhook-id for the one event');
select is((select payload->'data'->>'error_code' from public.webhook_deliveries where event_type = 'import.failed' limit 1),
  'DOWNLOAD_FAILED', 'carrying the failure code');

select tests.import_in('importing') as imp2 \gset
update public.imports set status = 'done' where id = :'imp2';
select is((select count(*)::int from public.webhook_deliveries where event_type = 'import.completed'), 1, 'a done import queues import.completed');

update public.subscriptions set updated_at = now() where user_id = tests.pro();
select is((select count(*)::int from public.webhook_deliveries where event_type = 'subscription.updated'), 0,
  'a subscription write that changes nothing a customer sees queues nothing');
update public.subscriptions set cancel_at_period_end = true where user_id = tests.pro();
select is((select count(*)::int from public.webhook_deliveries where event_type = 'subscription.updated'), 1,
  'a subscription change queues subscription.updated');

update public.devices set revoked_at = now() where id = 'd1000000-0000-4000-8000-000000000001';
update public.devices set name = 'renamed' where id = 'd1000000-0000-4000-8000-000000000001';
select is((select count(*)::int from public.webhook_deliveries where event_type = 'device.revoked'), 1,
  'revoking queues device.revoked once');

-- Claim and record --------------------------------------------------------------------------------
-- now() is the transaction's start in this file: move the queue to the past to make it due.
update public.webhook_deliveries set next_attempt_at = now() - interval '1 second', created_at = created_at - interval '1 minute';
select is((select count(*)::int from public.webhook_claim(3, interval '2 minutes')), 3, 'a claim takes at most its limit');
select is((select count(*)::int from public.webhook_deliveries where attempts = 1 and next_attempt_at = now() + interval '2 minutes'), 3,
  'claimed rows count the attempt and are leased');
select is((select count(*)::int from public.webhook_claim(100, interval '2 minutes')), 3, 'a second claim gets only the other three');
select is((select count(*)::int from public.webhook_claim(100, interval '2 minutes')), 0, 'leased rows are not claimed again');

select id as d1 from public.webhook_deliveries where event_type = 'device.paired' \gset
select is(public.webhook_record(:'d1', 1, 204, 40, null), 'succeeded', 'a 2xx ends the delivery');
select is(public.webhook_record(:'d1', 1, 204, 40, null), 'stale', 'a second record of the attempt is ignored');

select id as d2 from public.webhook_deliveries where event_type = 'import.completed' \gset
select is(public.webhook_record(:'d2', 1, 500, 40, 'HTTP 500'), 'retry', 'a 500 is retried');
select ok((select next_attempt_at between now() + interval '5 seconds' and now() + interval '5.5 seconds'
           and status = 'pending' and error = 'HTTP 500' and response_status = 500 from public.webhook_deliveries where id = :'d2'),
  'after the first failure, in 5 seconds (with jitter)');
select ok((select sum(public.webhook_backoff(n)) from generate_series(1, 7) n) >= interval '24 hours'
          and public.webhook_backoff(8) is null, 'eight attempts spread over more than a day');

-- The remaining seven attempts fail; the endpoint has failed for over a day by the last one.
update public.webhook_endpoints set failing_since = now() - interval '27 hours' where id = 'e1000000-0000-4000-8000-000000000001';
update public.webhook_deliveries set attempts = 7 where id = :'d2';
update public.webhook_deliveries set next_attempt_at = now() - interval '1 second' where id = :'d2';
select is((select attempts from public.webhook_claim(1, interval '2 minutes')), 8, 'the eighth attempt');
select is(public.webhook_record(:'d2', 8, 503, 40, 'HTTP 503'), 'disabled', 'the last failure disables a failing endpoint');
select ok((select disabled_at is not null and disabled_reason = 'failing' from public.webhook_endpoints
           where id = 'e1000000-0000-4000-8000-000000000001'), 'the endpoint says it is disabled and why');
select is_empty($$select 1 from public.webhook_deliveries where endpoint_id = 'e1000000-0000-4000-8000-000000000001' and status = 'pending'$$,
  'its queue is closed');
select ok(exists (select 1 from realtime.messages where topic = 'user:' || tests.pro() and event = 'webhook_disabled'
                  and payload->>'endpoint_id' = 'e1000000-0000-4000-8000-000000000001'), 'the owner is told on user:<uid>');
update public.devices set revoked_at = now() where id = tests.pro_device2();
select is((select count(*)::int from public.webhook_deliveries where event_type = 'device.revoked'), 1,
  'a disabled endpoint gets no new events');

select * from finish();
rollback;
