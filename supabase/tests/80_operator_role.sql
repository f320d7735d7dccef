-- The operator role (issue 20 item 1): who is an operator, and that nobody can make themselves one.
-- Roles: anon, artists (pro with a subscription, free), pro's device JWT, the seeded operator, the
-- operator's own device JWT, service_role.
begin;
\ir _helpers.psql
select plan(17);

select tests.add_operator_device();

select tests.as_anon();
select throws_ok($$select public.is_operator()$$, '42501', null, 'is_operator/anon: not callable');
select throws_ok($$select * from public.operators$$, '42501', null, 'operators/anon: select denied');

select tests.as_user(tests.pro());
select is(public.is_operator(), false, 'is_operator/artist with a subscription: false');
select throws_ok($$select * from public.operators$$, '42501', null, 'operators/artist: select denied');
select throws_ok($$insert into public.operators (user_id) values (auth.uid())$$, '42501', null,
  'operators/artist: may not make themselves operator');
select throws_ok($$update public.profiles set is_operator = true where id = auth.uid()$$, '42703', null,
  'profiles: no operator flag left on the user''s own row');

select tests.as_user(tests.free());
select is(public.is_operator(), false, 'is_operator/free artist: false');

-- Client-editable metadata does not make an operator.
select set_config('request.jwt.claims', json_build_object('sub', tests.free(), 'role', 'authenticated',
  'aud', 'authenticated', 'user_metadata', json_build_object('is_operator', true, 'role', 'operator'),
  'app_metadata', json_build_object('role', 'operator'))::text, true);
select is(public.is_operator(), false, 'is_operator/artist with operator claims in metadata: false');

select tests.as_device(tests.pro(), tests.pro_device());
select is(public.is_operator(), false, 'is_operator/device: false');
select throws_ok($$select * from public.operators$$, '42501', null, 'operators/device: select denied');

select tests.as_device(tests.operator(), tests.operator_device());
select is(public.is_operator(), false, 'is_operator/the operator''s own device JWT: false (a Blender is not the desk)');
select throws_ok($$delete from public.operators$$, '42501', null, 'operators/operator''s device: delete denied');

select tests.as_user(tests.operator());
select is(public.is_operator(), true, 'is_operator/operator session: true');
select throws_ok($$insert into public.operators (user_id) values (tests.free())$$, '42501', null,
  'operators/operator: cannot make others operators through the API either');

select tests.as_service();
select lives_ok($$insert into public.operators (user_id) values (tests.free())$$, 'operators/service: may grant');
select tests.as_user(tests.free());
select is(public.is_operator(), true, 'is_operator: a granted user is an operator');
select tests.as_admin();
delete from auth.users where id = tests.free();
select is((select count(*)::int from public.operators where user_id = tests.free()), 0,
  'operators: a deleted user''s grant goes with them');

select * from finish();
rollback;
