-- The import status state machine: every legal step accepted, every illegal one rejected with
-- ILLEGAL_TRANSITION, final states final; report_import_status only from the addressed device.
begin;
\ir _helpers.psql
select plan(60);

create temp table legal (f public.import_status, t public.import_status);
insert into legal values
  ('queued', 'redeemed'), ('queued', 'failed'), ('queued', 'expired'), ('queued', 'cancelled'),
  ('redeemed', 'downloading'), ('redeemed', 'verifying'), ('redeemed', 'importing'), ('redeemed', 'failed'), ('redeemed', 'cancelled'),
  ('downloading', 'downloading'), ('downloading', 'verifying'), ('downloading', 'failed'), ('downloading', 'cancelled'),
  ('verifying', 'importing'), ('verifying', 'failed'), ('verifying', 'cancelled'),
  ('importing', 'done'), ('importing', 'failed'),
  -- a fresh delivery for a redeemed but unfinished import (redeliver_import) starts the steps again
  ('redeemed', 'redeemed'), ('downloading', 'redeemed'), ('verifying', 'redeemed'), ('importing', 'redeemed');
grant select on legal to public;

select set_eq(
  $$select f, t from unnest(enum_range(null::public.import_status)) f, unnest(enum_range(null::public.import_status)) t
    where public.import_transition_allowed(f, t)$$,
  $$select f, t from legal$$,
  'import_transition_allowed allows exactly the documented 22 steps');

-- Drive all 81 (from, to) pairs through a real UPDATE so the trigger, not only the helper, is tested.
create function tests.try_transition(p_from public.import_status, p_to public.import_status) returns text
language plpgsql as $$
declare
  imp uuid := tests.import_in(p_from);
begin
  update public.imports set status = p_to where id = imp;
  return 'ok';
exception when others then
  return sqlerrm;
end $$;
create temp table outcome as
  select f, t, tests.try_transition(f, t) as result
  from unnest(enum_range(null::public.import_status)) f, unnest(enum_range(null::public.import_status)) t;

select set_eq($$select f, t from outcome where result = 'ok'$$, $$select f, t from legal$$,
  'UPDATE accepts exactly the legal steps (all 81 pairs tried)');
select set_eq($$select distinct result from outcome where result <> 'ok'$$, array['ILLEGAL_TRANSITION'],
  'every illegal step fails with ILLEGAL_TRANSITION');
select is((select count(*)::int from outcome where result <> 'ok'), 59, '59 illegal steps rejected');

select is_empty(format($$select t from outcome where f = %L and result = 'ok'$$, s), 'final state ' || s || ' has no way out')
from unnest(array['done', 'failed', 'expired', 'cancelled']) s;

-- report_import_status, step by step as the bridge does ------------------------------------------
create function tests.report(p_import uuid, p_status public.import_status, p_progress int default null,
                             p_code text default null, p_message text default null) returns text
language sql as $$ select (public.report_import_status(p_import, p_status, p_progress, p_code, p_message)).status::text $$;

-- Every legal step a device may report, each from a fresh import in the source state.
select tests.import_in(f) as id, f, t into temp reportable from legal where t not in ('redeemed', 'expired');
grant select on reportable to public;
select tests.as_device(tests.pro(), tests.pro_device());
select is(tests.report(id, t), t::text, format('device reports %s -> %s', f, t)) from reportable order by f, t;

-- Steps a device may not report, each from a fresh import in the source state.
select throws_ok(format('select tests.report(%L, %L)', tests.import_in(f::public.import_status), t), 'P0001', 'ILLEGAL_TRANSITION', why)
from (values
  ('queued', 'downloading',    'device cannot skip redemption (queued -> downloading)'),
  ('importing', 'cancelled',   'an import already in Blender cannot be cancelled'),
  ('verifying', 'downloading', 'verifying cannot go back to downloading'),
  ('done', 'failed',           'done is final'),
  ('failed', 'done',           'failed is final'),
  ('cancelled', 'downloading', 'cancelled is final'),
  ('expired', 'failed',        'expired is final'),
  ('redeemed', 'queued',       'a device cannot put an import back in the queue'),
  ('queued', 'redeemed',       'a device cannot redeem by reporting (only the edge redeems)'),
  ('queued', 'expired',        'a device cannot expire an import')
) v(f, t, why);

-- Progress and errors.
select tests.import_in('redeemed') as prog \gset
select is(tests.report(:'prog', 'downloading', 42), 'downloading', 'downloading 42%');
select is((select progress::int from public.imports where id = :'prog'), 42, 'progress recorded');
select lives_ok(format('select tests.report(%L, %L, 30)', :'prog', 'downloading'), 'a late, smaller progress report is accepted');
select is((select progress::int from public.imports where id = :'prog'), 42, 'progress never moves backwards');
select lives_ok(format('select tests.report(%L, %L, 250)', :'prog', 'downloading'), 'an out-of-range progress is accepted');
select is((select progress::int from public.imports where id = :'prog'), 100, 'progress is clamped to 100');
select lives_ok(format('select tests.report(%L, %L)', :'prog', 'verifying'), 'verifying');
select lives_ok(format('select tests.report(%L, %L)', :'prog', 'importing'), 'importing');
select lives_ok(format('select tests.report(%L, %L)', :'prog', 'done'), 'done');
select results_eq(format('select status::text, progress::int, error_code from public.imports where id = %L', :'prog'),
  $$values ('done', 100, null::text)$$, 'done means 100% and no error');
select set_eq(format('select jsonb_object_keys(timings) from public.imports where id = %L', :'prog'),
  array['redeemed', 'downloading', 'verifying', 'importing', 'done'], 'timings record each state reached');

select tests.import_in('redeemed') as failing \gset
select lives_ok(format('select tests.report(%L, %L, null, %L, %L)', :'failing', 'failed', 'HASH_MISMATCH', repeat('x', 600)),
  'a failure with a code and a long message is accepted');
select results_eq(format('select error_code, char_length(error_message) from public.imports where id = %L', :'failing'),
  $$values ('HASH_MISMATCH', 500)$$, 'error code kept, message cut to 500 characters');
select tests.import_in('redeemed') as failing2 \gset
select lives_ok(format('select tests.report(%L, %L)', :'failing2', 'failed'), 'a failure without a code is accepted');
select is((select error_code from public.imports where id = :'failing2'), 'INTERNAL_ERROR', 'a failure without a code gets the generic internal code');
select tests.import_in('redeemed') as badcode \gset
select throws_ok(format('select tests.report(%L, %L, null, %L)', :'badcode', 'failed', 'lower case <script>'),
  '23514', null, 'error codes must look like CODES');

-- Who may report ---------------------------------------------------------------------------------
select tests.as_admin();
select tests.import_in('redeemed') as target \gset
select tests.as_device(tests.pro(), tests.pro_device2());
select throws_ok(format('select tests.report(%L, %L)', :'target', 'downloading'), 'P0001', 'NOT_FOUND',
  'another device of the same user cannot report');
select tests.as_user(tests.pro());
select throws_ok(format('select tests.report(%L, %L)', :'target', 'downloading'), 'P0001', 'NOT_FOUND',
  'the owner''s web session (no device claim) cannot report');
select tests.as_device(tests.free(), tests.free_device());
select throws_ok(format('select tests.report(%L, %L)', :'target', 'failed'), 'P0001', 'NOT_FOUND',
  'another user''s device cannot report');
select tests.as_device(tests.free(), tests.pro_device());
select throws_ok(format('select tests.report(%L, %L)', :'target', 'failed'), 'P0001', 'NOT_FOUND',
  'a JWT pairing another user with this device id cannot report');
select tests.as_anon();
select throws_ok(format('select public.report_import_status(%L, %L)', :'target', 'failed'), '42501', null,
  'anon cannot call report_import_status');
select tests.as_admin();
select is((select status::text from public.imports where id = :'target'), 'redeemed', 'none of those reports changed the import');

-- A revoked device's JWT lives until it expires; it must not keep reporting.
select tests.import_in('downloading', tests.pro_device2()) as revoked_target \gset
update public.devices set revoked_at = now() where id = tests.pro_device2();
select tests.as_device(tests.pro(), tests.pro_device2());
select throws_ok(format('select tests.report(%L, %L)', :'revoked_target', 'verifying'), 'P0001', 'NOT_FOUND',
  'a revoked device cannot report');
select tests.as_admin();
select results_eq(format('select status::text, error_code from public.imports where id = %L', :'revoked_target'),
  $$values ('cancelled', 'DEVICE_REVOKED')$$, 'revoking a device ends its in-flight imports');

-- The guard keeps an import's identity (downloading -> downloading is the one legal self-step).
select tests.as_admin();
update public.imports set status = 'downloading' where id = :'target';
select throws_ok(format($$update public.imports set device_id = %L, status = 'downloading' where id = %L$$, tests.free_device(), :'target'),
  'P0001', 'IMMUTABLE_FIELD', 'an import cannot be moved to another device');
select throws_ok(format($$update public.imports set user_id = %L, status = 'downloading' where id = %L$$, tests.free(), :'target'),
  'P0001', 'IMMUTABLE_FIELD', 'an import cannot be moved to another user');

select * from finish();
rollback;
