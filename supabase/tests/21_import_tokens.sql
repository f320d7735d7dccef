-- Import creation, single-use token redemption, reissue, pending imports per device, cancel, expiry.
begin;
\ir _helpers.psql
select plan(56);

create function tests.redeem(p_import uuid, p_jti uuid, p_device uuid, p_token text) returns text
language sql as $$ select (public.redeem_import_token(p_import, p_jti, p_device, tests.hash(p_token))).status::text $$;
create function tests.create(p_user uuid, p_version uuid, p_device uuid) returns text
language sql as $$
  select (public.create_import(gen_random_uuid(), p_user, p_version, p_device, gen_random_uuid(),
                               repeat('a', 64), now() + interval '120 seconds')).status::text $$;

-- resolve_import_target --------------------------------------------------------------------------
select tests.as_service();
select results_eq($$select version, device_id from public.resolve_import_target('11111111-1111-4111-8111-111111111111', 'a0000000-0000-4000-8000-000000000002', null, null)$$,
  $$values ('1.0.0', 'd0000000-0000-4000-8000-0000000000a1'::uuid)$$,
  'resolve: latest version, most recently seen device by default');
select results_eq($$select device_id from public.resolve_import_target('11111111-1111-4111-8111-111111111111', 'a0000000-0000-4000-8000-000000000002', '1.0.0', 'd0000000-0000-4000-8000-0000000000a2')$$,
  array['d0000000-0000-4000-8000-0000000000a2'::uuid], 'resolve: an explicit device of the user');
select throws_ok($$select * from public.resolve_import_target('22222222-2222-4222-8222-222222222222', 'a0000000-0000-4000-8000-000000000002', null, null)$$,
  'P0001', 'SUBSCRIPTION_REQUIRED', 'resolve: pro shader without subscription');
select throws_ok($$select * from public.resolve_import_target('11111111-1111-4111-8111-111111111111', 'a0000000-0000-4000-8000-000000000004', null, null)$$,
  'P0001', 'NOT_FOUND', 'resolve: unpublished shader is not found');
select throws_ok($$select * from public.resolve_import_target('11111111-1111-4111-8111-111111111111', 'a0000000-0000-4000-8000-000000000002', '9.9.9', null)$$,
  'P0001', 'NOT_FOUND', 'resolve: unknown version is not found');
select throws_ok($$select * from public.resolve_import_target('22222222-2222-4222-8222-222222222222', 'a0000000-0000-4000-8000-000000000001', null, 'd0000000-0000-4000-8000-0000000000a1')$$,
  'P0001', 'DEVICE_NOT_FOUND', 'resolve: another user''s device');

-- create_import ----------------------------------------------------------------------------------
select is(tests.create(tests.pro(), tests.version(2), tests.pro_device()), 'queued', 'create: pro user, pro shader');
select is(tests.create(tests.free(), tests.version(1), tests.free_device()), 'queued', 'create: free user, free shader');
select throws_ok(format('select tests.create(%L, %L, %L)', tests.free(), tests.version(2), tests.free_device()),
  'P0001', 'SUBSCRIPTION_REQUIRED', 'create: free user, pro shader');
select throws_ok(format('select tests.create(%L, %L, %L)', tests.pro(), tests.version(4), tests.pro_device()),
  'P0001', 'NOT_FOUND', 'create: a version of an unpublished shader is not found');
select throws_ok(format('select tests.create(%L, %L, %L)', tests.pro(), gen_random_uuid(), tests.pro_device()),
  'P0001', 'NOT_FOUND', 'create: unknown version');
select throws_ok(format('select tests.create(%L, %L, %L)', tests.pro(), tests.version(1), tests.free_device()),
  'P0001', 'DEVICE_NOT_FOUND', 'create: another user''s device');
select tests.as_user(tests.pro());
select throws_ok(format('select tests.create(%L, %L, %L)', tests.pro(), tests.version(2), tests.pro_device()),
  '42501', null, 'create: a user session cannot call create_import directly');
select tests.as_service();
select ok((select expires_at between now() + interval '14 minutes' and now() + interval '16 minutes'
           from public.imports where user_id = tests.pro() limit 1), 'create: queued for the default 15-minute window');
select is((select count(*)::int from public.import_tokens t join public.imports i on i.id = t.import_id where i.user_id = tests.pro()), 1,
  'create: one token row per new import');

-- redeem_import_token ----------------------------------------------------------------------------
select tests.new_import(tests.pro(), tests.pro_device(), tests.version(2), 'f0000000-0000-4000-8000-000000000001', 'tok-1') as imp1 \gset
select tests.new_import(tests.pro(), tests.pro_device(), tests.version(3), 'f0000000-0000-4000-8000-000000000002', 'tok-2') as imp2 \gset
select throws_ok(format('select tests.redeem(%L, %L, %L, %L)', :'imp1', 'f0000000-0000-4000-8000-000000000001', tests.pro_device(), 'tok-wrong'),
  'P0001', 'INVALID_TOKEN', 'redeem: wrong token hash');
select throws_ok(format('select tests.redeem(%L, %L, %L, %L)', :'imp1', 'f0000000-0000-4000-8000-000000000001', tests.pro_device2(), 'tok-1'),
  'P0001', 'INVALID_TOKEN', 'redeem: wrong device');
select throws_ok(format('select tests.redeem(%L, %L, %L, %L)', :'imp2', 'f0000000-0000-4000-8000-000000000001', tests.pro_device(), 'tok-1'),
  'P0001', 'INVALID_TOKEN', 'redeem: token of another import');
select throws_ok(format('select tests.redeem(%L, %L, %L, %L)', :'imp1', gen_random_uuid(), tests.pro_device(), 'tok-1'),
  'P0001', 'INVALID_TOKEN', 'redeem: unknown jti');
select is(tests.redeem(:'imp1', 'f0000000-0000-4000-8000-000000000001', tests.pro_device(), 'tok-1'), 'redeemed', 'redeem: the right token redeems');
select isnt((select redeemed_at from public.import_tokens where jti = 'f0000000-0000-4000-8000-000000000001'), null, 'redeem: token marked spent');
select throws_ok(format('select tests.redeem(%L, %L, %L, %L)', :'imp1', 'f0000000-0000-4000-8000-000000000001', tests.pro_device(), 'tok-1'),
  'P0001', 'INVALID_TOKEN', 'redeem: a token works once only');

select tests.as_admin();
update public.import_tokens set expires_at = now() - interval '1 second' where jti = 'f0000000-0000-4000-8000-000000000002';
select tests.as_service();
select throws_ok(format('select tests.redeem(%L, %L, %L, %L)', :'imp2', 'f0000000-0000-4000-8000-000000000002', tests.pro_device(), 'tok-2'),
  'P0001', 'INVALID_TOKEN', 'redeem: expired token');

-- The import itself is past its queue window while the token still lives.
select tests.new_import(tests.pro(), tests.pro_device(), tests.version(2), 'f0000000-0000-4000-8000-000000000003', 'tok-3',
                        interval '-1 second') as imp3 \gset
select throws_ok(format('select tests.redeem(%L, %L, %L, %L)', :'imp3', 'f0000000-0000-4000-8000-000000000003', tests.pro_device(), 'tok-3'),
  'P0001', 'CONFLICT', 'redeem: an import past its window conflicts');
select is((select redeemed_at from public.import_tokens where jti = 'f0000000-0000-4000-8000-000000000003'), null,
  'redeem: a conflicting redemption does not spend the token');

-- Subscription cancelled between minting and redemption.
select tests.new_import(tests.pro(), tests.pro_device(), tests.version(2), 'f0000000-0000-4000-8000-000000000004', 'tok-4') as imp4 \gset
select tests.new_import(tests.pro(), tests.pro_device(), tests.version(1), 'f0000000-0000-4000-8000-000000000005', 'tok-5') as imp5 \gset
select tests.as_admin();
update public.subscriptions set status = 'canceled', canceled_at = now() where user_id = tests.pro();
select tests.as_service();
select is(tests.redeem(:'imp4', 'f0000000-0000-4000-8000-000000000004', tests.pro_device(), 'tok-4'), 'failed',
  'redeem after cancellation: the pro-shader import fails');
select is((select error_code from public.imports where id = :'imp4'), 'SUBSCRIPTION_REQUIRED', 'redeem after cancellation: SUBSCRIPTION_REQUIRED');
select throws_ok(format('select tests.redeem(%L, %L, %L, %L)', :'imp4', 'f0000000-0000-4000-8000-000000000004', tests.pro_device(), 'tok-4'),
  'P0001', 'INVALID_TOKEN', 'redeem after cancellation: the token is spent, no retry');
select is(tests.redeem(:'imp5', 'f0000000-0000-4000-8000-000000000005', tests.pro_device(), 'tok-5'), 'redeemed',
  'redeem after cancellation: a free shader still redeems');
select tests.as_admin();
update public.subscriptions set status = 'active', canceled_at = null where user_id = tests.pro();
update public.subscriptions set current_period_end = now() - interval '1 second' where user_id = tests.pro();
select tests.as_service();
select ok(not public.has_entitlement(tests.pro(), tests.shader(2)), 'an active subscription past its period end does not entitle');
select tests.as_admin();
update public.subscriptions set current_period_end = now() + interval '30 days' where user_id = tests.pro();

-- reissue_import_token ---------------------------------------------------------------------------
select tests.as_service();
select tests.new_import(tests.pro(), tests.pro_device(), tests.version(2), 'f0000000-0000-4000-8000-000000000006', 'tok-6') as imp6 \gset
select is((public.reissue_import_token(:'imp6', tests.pro(), tests.pro_device(), 'f0000000-0000-4000-8000-000000000007',
           tests.hash('tok-7'), now() + interval '120 seconds')).status::text, 'queued', 'reissue: a queued import gets a new token');
select isnt((select voided_at from public.import_tokens where jti = 'f0000000-0000-4000-8000-000000000006'), null, 'reissue: the old token is voided');
select throws_ok(format('select tests.redeem(%L, %L, %L, %L)', :'imp6', 'f0000000-0000-4000-8000-000000000006', tests.pro_device(), 'tok-6'),
  'P0001', 'INVALID_TOKEN', 'reissue: the voided token no longer redeems');
select throws_ok(format($$select public.reissue_import_token(%L, %L, %L, gen_random_uuid(), %L, now() + interval '2 minutes')$$,
  :'imp6', tests.pro(), tests.pro_device2(), tests.hash('x')), 'P0001', 'NOT_FOUND', 'reissue: only for the device it is addressed to');
select throws_ok(format($$select public.reissue_import_token(%L, %L, %L, gen_random_uuid(), %L, now() + interval '2 minutes')$$,
  :'imp6', tests.free(), tests.pro_device(), tests.hash('x')), 'P0001', 'NOT_FOUND', 'reissue: only for the import''s user');
select tests.as_admin();
update public.subscriptions set status = 'past_due' where user_id = tests.pro();
select tests.as_service();
select throws_ok(format($$select public.reissue_import_token(%L, %L, %L, gen_random_uuid(), %L, now() + interval '2 minutes')$$,
  :'imp6', tests.pro(), tests.pro_device(), tests.hash('x')), 'P0001', 'SUBSCRIPTION_REQUIRED', 'reissue: entitlement re-checked');
select tests.as_admin();
update public.subscriptions set status = 'active' where user_id = tests.pro();
select tests.as_service();
select is(tests.redeem(:'imp6', 'f0000000-0000-4000-8000-000000000007', tests.pro_device(), 'tok-7'), 'redeemed', 'reissue: the new token redeems');
select throws_ok(format($$select public.reissue_import_token(%L, %L, %L, gen_random_uuid(), %L, now() + interval '2 minutes')$$,
  :'imp6', tests.pro(), tests.pro_device(), tests.hash('x')), 'P0001', 'CONFLICT', 'reissue: not once redeemed');

-- pending_imports --------------------------------------------------------------------------------
select tests.new_import(tests.pro(), tests.pro_device2(), tests.version(3), 'f0000000-0000-4000-8000-000000000008', 'tok-8') as imp8 \gset
select tests.as_device(tests.pro(), tests.pro_device());
select set_eq($$select import_id from public.pending_imports()$$,
  $$select id from public.imports where device_id = 'd0000000-0000-4000-8000-0000000000a1' and status = 'queued' and expires_at > now()$$,
  'pending: a device gets its queued, unexpired imports');
select ok((select count(*) from public.pending_imports()) >= 2, 'pending: the device has queued imports (the check above is not vacuous)');
select is((select count(*)::int from public.pending_imports() where import_id in (:'imp1', :'imp3', :'imp8')), 0,
  'pending: never redeemed, expired, or other devices'' imports');
-- (Imports made in one transaction tie on created_at, so ties are put in id order on both sides.)
select results_eq($$select import_id, shader_slug, version from public.pending_imports() order by created_at, import_id$$ ,
  $$select i.id, s.slug, i.version from public.imports i join public.shaders s on s.id = i.shader_id
    where i.device_id = 'd0000000-0000-4000-8000-0000000000a1' and i.status = 'queued' and i.expires_at > now() order by i.created_at, i.id$$,
  'pending: oldest first, with slug and version');
select tests.as_device(tests.pro(), tests.pro_device2());
select results_eq($$select import_id from public.pending_imports()$$, array[:'imp8'::uuid], 'pending: the second device gets only its own');
select tests.as_user(tests.pro());
select is_empty($$select * from public.pending_imports()$$, 'pending: a web session (no device) gets nothing');
select tests.as_device(tests.free(), tests.pro_device());
select is_empty($$select * from public.pending_imports()$$, 'pending: another user claiming this device id gets nothing');
select tests.as_anon();
select throws_ok($$select * from public.pending_imports()$$, '42501', null, 'pending: anon may not call');
select tests.as_admin();
update public.devices set revoked_at = now() where id = tests.pro_device2();
select tests.as_device(tests.pro(), tests.pro_device2());
select is_empty($$select * from public.pending_imports()$$, 'pending: a revoked device gets nothing');
select tests.as_admin();
select is((select status::text from public.imports where id = :'imp8'), 'cancelled', 'revocation cancelled the queued import');

-- cancel_import ----------------------------------------------------------------------------------
select tests.new_import(tests.pro(), tests.pro_device(), tests.version(2), 'f0000000-0000-4000-8000-000000000009', 'tok-9') as imp9 \gset
select tests.as_user(tests.free());
select throws_ok(format('select public.cancel_import(%L)', :'imp9'), 'P0001', 'NOT_FOUND', 'cancel: not another user''s import');
select tests.as_user(tests.pro());
select is((public.cancel_import(:'imp9')).status::text, 'cancelled', 'cancel: the owner cancels a queued import');
select tests.as_service();
select throws_ok(format('select tests.redeem(%L, %L, %L, %L)', :'imp9', 'f0000000-0000-4000-8000-000000000009', tests.pro_device(), 'tok-9'),
  'P0001', 'INVALID_TOKEN', 'cancel: its token no longer redeems');
select tests.as_user(tests.pro());
select throws_ok(format('select public.cancel_import(%L)', tests.import_in('importing')), 'P0001', 'CONFLICT',
  'cancel: not once Blender is importing');

-- expire_imports ---------------------------------------------------------------------------------
select tests.as_service();
select is(public.expire_imports(), 1, 'expire: one queued import past its window');
select results_eq(format('select status::text, error_code from public.imports where id = %L', :'imp3'),
  $$values ('expired', 'EXPIRED')$$, 'expire: marked expired with EXPIRED');
select is(public.expire_imports(), 0, 'expire: running again changes nothing');
select tests.as_user(tests.pro());
select throws_ok($$select public.expire_imports()$$, '42501', null, 'expire: users may not call it');

select * from finish();
rollback;
