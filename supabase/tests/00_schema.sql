-- Schema shape: every table, RLS everywhere, definer functions pinned, grants that matter.
begin;
\ir _helpers.psql
select plan(55);

-- The RLS matrix files cover exactly these tables: a new public table fails here until it is
-- added to the matrix (and to this list).
create function tests.public_tables() returns text[] language sql immutable as $$
  select array['profiles', 'categories', 'shaders', 'shader_versions', 'favorites', 'customers', 'products',
               'prices', 'subscriptions', 'stripe_events', 'devices', 'device_grants', 'api_keys',
               'imports', 'import_tokens', 'rate_limits', 'search_words', 'device_instances', 'user_settings', 'operators', 'publish_jobs', 'webhook_endpoints', 'webhook_deliveries', 'search_misses', 'texture_sets']
$$;
select set_eq(
  $$select c.relname::text from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')$$,
  tests.public_tables(),
  'public tables are exactly the ones the RLS matrix covers');

select is_empty(
  $$select c.relname from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relrowsecurity$$,
  'every public table has row level security enabled');

select is_empty(
  $$select c.relname from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('v', 'm')$$,
  'no views in public (a view would bypass RLS as its owner)');

select ok((select relrowsecurity from pg_class where oid = 'realtime.messages'::regclass),
  'realtime.messages has row level security enabled');

select has_table('public', t, 'table public.' || t || ' exists') from unnest(tests.public_tables()) as t;

-- Definer functions run as their owner: an unpinned search_path lets a caller shadow objects.
select is_empty(
  $$select p.oid::regprocedure::text from pg_proc p
    where p.prosecdef and p.pronamespace in ('public'::regnamespace, 'realtime'::regnamespace)
      and not coalesce('search_path=""' = any (p.proconfig) or 'search_path=' = any (p.proconfig), false)$$,
  'every SECURITY DEFINER function pins search_path to empty');

select isnt_empty(
  $$select 1 from pg_proc p where p.prosecdef and p.pronamespace = 'public'::regnamespace$$,
  'there are definer functions to check (the check above is not vacuous)');

-- Edge-only functions: no API role but service_role may call them.
select is_empty(
  $$select p.proname::text from pg_proc p
    where p.pronamespace = 'public'::regnamespace
      and p.proname in ('has_entitlement', 'has_active_subscription', 'create_import', 'redeem_import_token',
                        'reissue_import_token', 'resolve_import_target', 'rate_limit_step',
                        'prune_rate_limits', 'expire_imports', 'sweep_offline_devices', 'handle_new_user',
                        'redeliver_import', 'fail_stalled_imports', 'cancel_import_as', 'import_instance',
                        'import_resolution', 'mint_import')
      and (has_function_privilege('anon', p.oid, 'execute')
           or has_function_privilege('authenticated', p.oid, 'execute'))$$,
  'edge-only functions are not executable by anon or authenticated');

select is_empty(
  $$select p.proname::text from pg_proc p
    where p.pronamespace = 'public'::regnamespace
      and p.proname in ('report_import_status', 'pending_imports', 'unfinished_imports', 'device_heartbeat', 'instance_heartbeat', 'cancel_import', 'my_entitlement', 'my_account')
      and has_function_privilege('anon', p.oid, 'execute')$$,
  'session-only RPCs are not executable by anon');

-- Definer functions an API role can call are the reviewed entry points; a new one fails here
-- until it is reviewed and added.
select set_eq(
  $$select p.proname::text from pg_proc p
    where p.prosecdef and p.pronamespace = 'public'::regnamespace and p.prorettype <> 'trigger'::regtype
      and has_function_privilege('authenticated', p.oid, 'execute')$$,
  array['cancel_import', 'device_heartbeat', 'instance_heartbeat', 'is_operator', 'my_account', 'my_entitlement', 'operator_catalog', 'pending_imports',
        'report_import_status', 'request_publish', 'search_shaders', 'set_shader_published', 'unfinished_imports',
        'log_search_miss', 'operator_imports_per_day', 'operator_imports_per_shader', 'operator_failure_codes',
        'operator_step_timings', 'operator_active_devices', 'operator_subscriptions', 'operator_search_misses'],
  'definer functions callable by authenticated are exactly the reviewed RPCs');
select set_eq(
  $$select p.proname::text from pg_proc p
    where p.prosecdef and p.pronamespace = 'public'::regnamespace and p.prorettype <> 'trigger'::regtype
      and has_function_privilege('anon', p.oid, 'execute')$$,
  array['search_shaders', 'log_search_miss'],
  'the only definer functions anon can call are search_shaders and log_search_miss');
select ok(has_function_privilege('authenticated', 'public.report_import_status(uuid, public.import_status, int, text, text)', 'execute'),
  'authenticated may call report_import_status');
select ok(has_function_privilege('authenticated', 'public.pending_imports()', 'execute'),
  'authenticated may call pending_imports');
select ok(has_function_privilege('authenticated', 'public.device_heartbeat()', 'execute'),
  'authenticated may call device_heartbeat');
select ok(has_function_privilege('anon', 'public.search_shaders(text, text, text[], text, text, int, int)', 'execute'),
  'anon may call search_shaders');
select ok(has_function_privilege('service_role', 'public.redeem_import_token(uuid, uuid, uuid, text, uuid)', 'execute'),
  'service_role may call redeem_import_token');

-- Shape details the services rely on.
select enum_has_labels('public', 'import_status',
  array['queued', 'redeemed', 'downloading', 'verifying', 'importing', 'done', 'failed', 'expired', 'cancelled'],
  'import_status has the nine states in order');
select col_is_pk('public', 'stripe_events', 'id', 'stripe_events.id is the idempotency key');
select col_is_pk('public', 'import_tokens', 'jti', 'import_tokens.jti is unique');
select hasnt_column('public', 'api_keys', 'secret', 'api_keys stores no plaintext secret');
select hasnt_column('public', 'import_tokens', 'token', 'import_tokens stores no plaintext token');
-- The triggers the services rely on: state machine and immutability guards, broadcasts.
select has_trigger('public', tbl, trg, what)
from (values ('imports', 'imports_guard', 'imports has the state machine guard'),
             ('imports', 'imports_broadcast', 'imports broadcasts changes'),
             ('shader_versions', 'shader_versions_immutable', 'shader_versions are guarded'),
             ('shader_versions', 'shader_versions_no_delete', 'shader_versions cannot be deleted on their own'),
             ('subscriptions', 'subscriptions_broadcast', 'subscriptions broadcast changes'),
             ('devices', 'devices_broadcast', 'devices broadcast revocation')) as t(tbl, trg, what);
select has_index('public', 'shaders', 'shaders_search_idx', 'full-text index on shaders');
select has_index('public', 'shaders', 'shaders_name_trgm_idx', 'trigram index on shader names');
select is((select count(*)::int from supabase_migrations.schema_migrations), 
  (select count(*)::int from supabase_migrations.schema_migrations where version ~ '^[0-9]{14}$'),
  'every recorded migration has a 14-digit version');
select ok(not has_table_privilege('anon', 'realtime.messages', 'update'),
  'anon cannot update realtime.messages');

select * from finish();
rollback;
