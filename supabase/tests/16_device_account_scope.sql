-- A device JWT (the owner's sub plus device_id, minted by the edge) reaches nothing of the account
-- through PostgREST: only the device's RPCs, its own device row and the imports addressed to it
-- (migration 20261202000100_device_jwt_account_scope). The web session of the same user keeps
-- everything. The edge's session_id marker (docs/decisions.md) changes nothing in SQL.
begin;
\ir _helpers.psql
select plan(35);

-- Fixtures: the pro user's favourite, API key, and an import on each of its two devices.
insert into public.favorites (user_id, shader_id) values (tests.pro(), tests.shader(2));
insert into public.api_keys (id, user_id, device_id, name, platform, secret_hash, prefix, scopes) values
  ('devscope0001', tests.pro(), null, 'CI', 'web', repeat('1', 64), 'oct_live_devscope', '{imports:create}');
select tests.import_in('queued', tests.pro_device()) as mine \gset
select tests.import_in('queued', tests.pro_device2()) as theirs \gset

-- The device JWT exactly as the edge mints it (session_id: the no-session marker).
create function tests.as_edge_device(p_user uuid, p_device uuid) returns void language plpgsql as $$
begin
  perform set_config('request.jwt.claims',
    json_build_object('sub', p_user, 'role', 'authenticated', 'aud', 'authenticated',
                      'iss', 'http://127.0.0.1:8787', 'session_id', '8ce1c02e-266d-5953-a595-ba0af84fdb00',
                      'device_id', p_device, 'platform', 'blender',
                      'scopes', json_build_array('imports:receive', 'imports:report'))::text, true);
  perform set_config('role', 'authenticated', true);
end $$;

select tests.as_edge_device(tests.pro(), tests.pro_device());
-- What a device may do.
select isnt(public.device_heartbeat(), null, 'device: heartbeat works with the edge''s device JWT');
select results_eq($$select import_id from public.pending_imports()$$, array[:'mine'::uuid], 'device: pending_imports lists the imports addressed to it');
select results_eq($$select email from public.my_account()$$, array['pro@octane.local'], 'device: my_account answers for its owner');
select results_eq($$select id from public.imports$$, array[:'mine'::uuid], 'device: reads the imports addressed to it, not the other device''s');
select results_eq($$select id from public.devices$$, array[tests.pro_device()], 'device: reads its own device row only');
-- Nothing of the account.
select is_empty($$select * from public.profiles$$, 'device: cannot read the profile');
select is(tests.affected($$update public.profiles set display_name = 'owned'$$), 0, 'device: cannot change the profile');
select is_empty($$select * from public.favorites$$, 'device: cannot read favourites');
select throws_ok(format($$insert into public.favorites (user_id, shader_id) values (%L, %L)$$, tests.pro(), tests.shader(3)),
  '42501', null, 'device: cannot add a favourite');
select is(tests.affected($$delete from public.favorites$$), 0, 'device: cannot remove favourites');
select is_empty($$select * from public.customers$$, 'device: cannot read the Stripe customer');
select is_empty($$select * from public.subscriptions$$, 'device: cannot read subscriptions');
select is_empty($$select id from public.api_keys$$, 'device: cannot read API keys');
select is(tests.affected($$update public.devices set name = 'owned'$$), 0, 'device: cannot rename devices, not even itself');
select throws_ok(format('select public.cancel_import(%L)', :'theirs'), 'P0001', 'NOT_FOUND', 'device: cannot cancel another device''s import');
select throws_ok(format('select public.cancel_import(%L)', :'mine'), 'P0001', 'NOT_FOUND', 'device: cannot cancel its own import either (the user decides)');

-- The same with the helper's device JWT (no session_id): session_id plays no part in SQL.
select tests.as_device(tests.pro(), tests.pro_device());
select is_empty($$select * from public.profiles$$, 'device without session_id: cannot read the profile');
select is_empty($$select id from public.api_keys$$, 'device without session_id: cannot read API keys');
select results_eq($$select import_id from public.pending_imports()$$, array[:'mine'::uuid], 'device without session_id: pending_imports');

-- A device_id of another user's device, or an empty one, gains nothing either.
select tests.as_device(tests.pro(), tests.free_device());
select is_empty($$select id from public.devices$$, 'a foreign device_id: sees no device');
select is_empty($$select id from public.imports$$, 'a foreign device_id: sees no import');
select is_empty($$select * from public.profiles$$, 'a foreign device_id: no profile');

-- The owner's web session keeps everything.
select tests.as_user(tests.pro());
select results_eq($$select id from public.profiles$$, array[tests.pro()], 'web session: reads its profile');
select is(tests.affected($$update public.profiles set display_name = 'Pro'$$), 1, 'web session: changes its profile');
select is((select count(*)::int from public.favorites), 1, 'web session: reads favourites');
select is((select count(*)::int from public.subscriptions), 1, 'web session: reads its subscription');
select is((select count(*)::int from public.customers), 1, 'web session: reads its customer record');
select set_eq($$select id from public.devices$$, array[tests.pro_device(), tests.pro_device2()], 'web session: reads all its devices');
select is(tests.affected(format($$update public.devices set name = 'Studio' where id = %L$$, tests.pro_device2())), 1, 'web session: renames a device');
select results_eq($$select id from public.api_keys$$, array['devscope0001'], 'web session: reads its API keys');
select set_eq($$select id from public.imports$$, array[:'mine'::uuid, :'theirs'::uuid], 'web session: reads every import');
select is((public.cancel_import(:'theirs')).status::text, 'cancelled', 'web session: cancels an import');

-- No SQL of the project reads session_id: device JWTs and sessions differ only by device_id there.
select tests.as_admin();
select is((select count(*)::int from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname = 'public' and p.prosrc ilike '%session_id%'), 0, 'no public function reads session_id');
select is((select count(*)::int from pg_policies
  where coalesce(qual, '') || coalesce(with_check, '') ilike '%session_id%'), 0, 'no policy reads session_id');
-- Every account policy for authenticated excludes device JWTs (or limits them to their own rows).
select is_empty($$select tablename || ': ' || policyname from pg_policies
  where schemaname = 'public' and 'authenticated' = any(roles) and not ('anon' = any(roles))
    and coalesce(qual, '') || coalesce(with_check, '') ilike '%auth.uid()%'
    and coalesce(qual, '') || coalesce(with_check, '') not ilike '%current_device_id()%'$$,
  'every per-user policy decides on device_id too');

select * from finish();
rollback;
