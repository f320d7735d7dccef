-- Imports after redemption never hang: the bridge lists its own unfinished imports, the edge
-- re-delivers them (own device only, entitlement re-checked), and imports without progress for
-- the stall window end as failed with IMPORT_STALLED, broadcast to the owner's page.
begin;
\ir _helpers.psql
select plan(27);

create function tests.unfinished() returns setof uuid
language sql as $$ select import_id from public.unfinished_imports() $$;
create function tests.redeliver(p_import uuid, p_user uuid, p_device uuid) returns text
language sql as $$ select (public.redeliver_import(p_import, p_user, p_device)).status::text $$;
create function tests.age(p_import uuid, p_by interval) returns void
language sql security definer set search_path = '' as $$
  -- An import "made no progress" by moving its clock back. The guard runs on every update: it
  -- would set updated_at to now() again and refuse a queued or done row's same-status update,
  -- so it is off for this fixture.
  alter table public.imports disable trigger imports_guard;
  update public.imports set updated_at = now() - p_by where id = p_import;
  alter table public.imports enable trigger imports_guard;
$$;

-- unfinished_imports ---------------------------------------------------------------------------
select tests.import_in('redeemed') as r \gset
select tests.import_in('downloading') as d \gset
select tests.import_in('verifying') as v \gset
select tests.import_in('importing') as i \gset
select tests.import_in('queued') as q \gset
select tests.import_in('done') as done \gset
select tests.import_in('failed') as failed \gset
select tests.import_in('downloading', tests.pro_device2()) as other \gset

select tests.as_device(tests.pro(), tests.pro_device());
select set_eq('select tests.unfinished()', format('values (%L::uuid), (%L), (%L), (%L)', :'r', :'d', :'v', :'i'),
  'unfinished_imports lists exactly this device''s redeemed, downloading, verifying and importing imports');
select results_eq(format('select status::text from public.unfinished_imports() where import_id = %L', :'d'),
  array['downloading'], 'unfinished_imports says where each one stopped');
select tests.as_device(tests.pro(), tests.pro_device2());
select set_eq('select tests.unfinished()', format('values (%L::uuid)', :'other'),
  'another device of the same user sees only its own');
select tests.as_device(tests.free(), tests.pro_device());
select is_empty('select tests.unfinished()', 'a JWT naming another user with this device id sees nothing');
select tests.as_user(tests.pro());
select is_empty('select tests.unfinished()', 'a web session (no device claim) sees nothing');
select tests.as_anon();
select throws_ok('select * from public.unfinished_imports()', '42501', null, 'anon cannot call unfinished_imports');

-- redeliver_import -------------------------------------------------------------------------------
select tests.as_user(tests.pro());
select throws_ok(format('select tests.redeliver(%L, %L, %L)', :'d', tests.pro(), tests.pro_device()),
  '42501', null, 'a user session cannot call redeliver_import');
select tests.as_device(tests.pro(), tests.pro_device());
select throws_ok(format('select tests.redeliver(%L, %L, %L)', :'d', tests.pro(), tests.pro_device()),
  '42501', null, 'a device JWT cannot call redeliver_import (only the edge)');
select tests.as_service();
select throws_ok(format('select tests.redeliver(%L, %L, %L)', :'d', tests.pro(), tests.pro_device2()),
  'P0001', 'NOT_FOUND', 'redeliver: not for another device of the same user');
select throws_ok(format('select tests.redeliver(%L, %L, %L)', :'d', tests.free(), tests.pro_device()),
  'P0001', 'NOT_FOUND', 'redeliver: not for another user');
select throws_ok(format('select tests.redeliver(%L, %L, %L)', :'q', tests.pro(), tests.pro_device()),
  'P0001', 'CONFLICT', 'redeliver: a queued import is redeemed, not re-delivered');
select throws_ok(format('select tests.redeliver(%L, %L, %L)', :'done', tests.pro(), tests.pro_device()),
  'P0001', 'CONFLICT', 'redeliver: a finished import stays finished');
select throws_ok(format('select tests.redeliver(%L, %L, %L)', :'failed', tests.pro(), tests.pro_device()),
  'P0001', 'CONFLICT', 'redeliver: a failed import stays failed');
update public.imports set progress = 60 where id = :'d';
select is(tests.redeliver(:'d', tests.pro(), tests.pro_device()), 'redeemed', 'redeliver: downloading goes back to redeemed');
select is((select progress::int from public.imports where id = :'d'), 0, 'redeliver: progress starts again');
select is(tests.redeliver(:'i', tests.pro(), tests.pro_device()), 'redeemed', 'redeliver: importing goes back to redeemed');
select is(tests.redeliver(:'r', tests.pro(), tests.pro_device()), 'redeemed', 'redeliver: redeemed stays redeemed (a second restart)');
select tests.as_admin();
update public.subscriptions set status = 'canceled' where user_id = tests.pro();
select tests.as_service();
select is(tests.redeliver(:'v', tests.pro(), tests.pro_device()), 'failed', 'redeliver: a lapsed subscription fails the import');
select results_eq(format('select error_code from public.imports where id = %L', :'v'), array['SUBSCRIPTION_REQUIRED'],
  'redeliver: with SUBSCRIPTION_REQUIRED');
select tests.as_admin();
update public.subscriptions set status = 'active' where user_id = tests.pro();
-- The device reports its steps again after a redelivery.
select tests.as_device(tests.pro(), tests.pro_device());
select is((public.report_import_status(:'d', 'downloading', 10)).status::text, 'downloading', 'after redelivery the device reports downloading again');

-- fail_stalled_imports ---------------------------------------------------------------------------
select tests.as_admin();
select tests.import_in('downloading') as stalled \gset
select tests.import_in('importing') as stalled2 \gset
select tests.import_in('downloading') as fresh \gset
select tests.import_in('queued') as old_queued \gset
select tests.import_in('done') as old_done \gset
select tests.age(id, interval '11 minutes') from unnest(array[:'stalled', :'stalled2', :'old_queued', :'old_done']::uuid[]) id;
-- Only the fixtures of this section are old enough; the earlier ones were just touched.
delete from realtime.messages where topic = 'user:' || tests.pro()::text;
select tests.as_user(tests.pro());
select throws_ok($$select public.fail_stalled_imports(interval '1 minute')$$, '42501', null,
  'a user cannot run the stall sweep');
select tests.as_service();
select is(public.fail_stalled_imports(interval '10 minutes'), 2, 'the sweep ends the two imports without progress for the window');
select results_eq(format($$select status::text, error_code from public.imports where id in (%L, %L) order by id$$, :'stalled', :'stalled2'),
  $$values ('failed', 'IMPORT_STALLED'), ('failed', 'IMPORT_STALLED')$$, 'as failed, IMPORT_STALLED');
select results_eq(format($$select status::text from public.imports where id in (%L, %L, %L) order by array_position(array[%L, %L, %L]::uuid[], id)$$,
    :'fresh', :'old_queued', :'old_done', :'fresh', :'old_queued', :'old_done'),
  $$values ('downloading'), ('queued'), ('done')$$, 'a recent import, a queued one (expire_imports'' job) and a finished one are left alone');
select tests.as_admin();
select is((select count(*)::int from realtime.messages
           where topic = 'user:' || tests.pro()::text and event = 'import_status'
             and payload ->> 'error_code' = 'IMPORT_STALLED'), 2, 'each stalled import is broadcast to its owner''s page');
select is(public.fail_stalled_imports(interval '10 minutes'), 0, 'a second sweep finds nothing');
select throws_ok($$select public.fail_stalled_imports(interval '0')$$, 'P0001', 'INVALID_INPUT', 'the window must be positive');

select * from finish();
rollback;
