-- user_settings (issue 19): RLS matrix (the owner reads, nobody writes through PostgREST), the
-- checks, the default Blender that must be the user's own and is cleared when revoked, the default
-- Blender as the import target, and subscription_state behind my_account and GET /v1/me.
begin;
\ir _helpers.psql
select plan(22);

insert into public.user_settings (user_id, default_resolution, default_device_id)
values (tests.pro(), '4k', tests.pro_device2());

-- RLS matrix --------------------------------------------------------------------------------------
select tests.as_anon();
select is((select count(*)::int from public.user_settings), 0, 'user_settings/anon: select sees nothing');
select throws_ok($$insert into public.user_settings (user_id) values ('22222222-2222-4222-8222-222222222222')$$,
  '42501', null, 'user_settings/anon: insert denied');

select tests.as_user(tests.pro());
select results_eq($$select default_resolution, default_device_id from public.user_settings$$,
  $$values ('4k'::text, 'd0000000-0000-4000-8000-0000000000a2'::uuid)$$, 'user_settings/owner: reads own row');
select throws_ok($$update public.user_settings set default_resolution = '1k'$$, '42501', null,
  'user_settings/owner: update denied (writes go through the edge)');
select throws_ok($$insert into public.user_settings (user_id) values ('11111111-1111-4111-8111-111111111111')$$,
  '42501', null, 'user_settings/owner: insert denied');
select throws_ok($$delete from public.user_settings$$, '42501', null, 'user_settings/owner: delete denied');

select tests.as_user(tests.free());
select is((select count(*)::int from public.user_settings), 0, 'user_settings/other: sees nothing of another user');
select throws_ok($$update public.user_settings set default_resolution = '1k'$$, '42501', null, 'user_settings/other: update denied');

select tests.as_device(tests.pro(), tests.pro_device());
select is((select count(*)::int from public.user_settings), 0, 'user_settings/device: a device JWT reads nothing of the account');

select tests.as_service();
select is((select count(*)::int from public.user_settings), 1, 'user_settings/service: the edge reads every row');

-- Checks --------------------------------------------------------------------------------------------
select tests.as_admin();
select throws_ok($$insert into public.user_settings (user_id, default_resolution) values ('22222222-2222-4222-8222-222222222222', '8k')$$,
  '23514', null, 'default_resolution is one of 1k, 2k, 4k');
select throws_ok(format($$insert into public.user_settings (user_id, default_device_id) values (%L, %L)$$, tests.free(), tests.pro_device()),
  '23503', null, 'the default Blender must be a device of the same user');
insert into public.user_settings (user_id) values (tests.free());
select results_eq($$select default_resolution, default_device_id, notify_import_failed, notify_billing, notify_product_news
  from public.user_settings where user_id = '22222222-2222-4222-8222-222222222222'$$,
  $$values ('2k'::text, null::uuid, true, true, false)$$, 'defaults: 2k, no default Blender, import and billing mail on, news off');

-- The default Blender is the import target when none is chosen ----------------------------------
-- pro_device was seen an hour ago, pro_device2 never: without the setting, pro_device wins.
select is((select device_id from public.resolve_import_target(tests.pro(), tests.shader(2), null, null)),
  tests.pro_device2(), 'an import without device_id goes to the default Blender');
select is((select device_id from public.resolve_import_target(tests.pro(), tests.shader(2), null, tests.pro_device())),
  tests.pro_device(), 'an explicit device_id still wins over the default');

-- Revoking the default Blender clears it ----------------------------------------------------------
update public.devices set revoked_at = now() where id = tests.pro_device2();
select is((select default_device_id from public.user_settings where user_id = tests.pro()), null,
  'revoking the default Blender clears the setting');
select is((select device_id from public.resolve_import_target(tests.pro(), tests.shader(2), null, null)),
  tests.pro_device(), 'then imports go to the most recently seen Blender again');
select is((select default_resolution from public.user_settings where user_id = tests.pro()), '4k',
  'the other settings stay');

-- subscription_state: edge-only, and what my_account returns ---------------------------------------
select is(public.subscription_state(tests.pro()), 'active', 'subscription_state: the seeded pro user is active');
select is(public.subscription_state(tests.free()), 'inactive', 'subscription_state: the free user is inactive');
select tests.as_user(tests.pro());
select throws_ok($$select public.subscription_state('11111111-1111-4111-8111-111111111111')$$, '42501', null,
  'subscription_state is not callable by authenticated');
select results_eq($$select email, subscription from public.my_account()$$, $$values ('pro@octane.local'::text, 'active'::text)$$,
  'my_account still answers the e-mail and the state');

select * from finish();
rollback;
