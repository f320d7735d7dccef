-- my_account(): the caller's own e-mail and one word for the subscription, for the add-on.
begin;
\ir _helpers.psql
select plan(10);

select tests.as_user(tests.pro());
select results_eq($$select email, subscription from public.my_account()$$,
  $$values ('pro@octane.local', 'active')$$, 'my_account: the subscriber sees their e-mail and active');
select tests.as_device(tests.pro(), tests.pro_device());
select results_eq($$select email, subscription from public.my_account()$$,
  $$values ('pro@octane.local', 'active')$$, 'my_account: a device JWT answers for its owner');
select tests.as_user(tests.free());
select results_eq($$select email, subscription from public.my_account()$$,
  $$values ('free@octane.local', 'inactive')$$, 'my_account: no subscription is inactive');

select tests.as_admin();
update public.subscriptions set status = 'trialing' where user_id = tests.pro();
select tests.as_user(tests.pro());
select is((select subscription from public.my_account()), 'trialing', 'my_account: trialing');

select tests.as_admin();
update public.subscriptions set status = 'past_due', updated_at = now() where user_id = tests.pro();
select tests.as_user(tests.pro());
select is((select subscription from public.my_account()), 'past_due', 'my_account: past_due says payment overdue');

select tests.as_admin();
update public.subscriptions set status = 'canceled', updated_at = now() where user_id = tests.pro();
select tests.as_user(tests.pro());
select is((select subscription from public.my_account()), 'canceled', 'my_account: canceled');

select tests.as_admin();
update public.subscriptions set status = 'active', current_period_end = now() - interval '1 hour' where user_id = tests.pro();
select tests.as_user(tests.pro());
select is((select subscription from public.my_account()), 'inactive', 'my_account: active but past its period is inactive');

select tests.as_admin();
update public.subscriptions set status = 'incomplete', current_period_end = null where user_id = tests.pro();
select tests.as_user(tests.pro());
select is((select subscription from public.my_account()), 'inactive', 'my_account: incomplete is inactive');

select tests.as_anon();
select throws_ok($$select * from public.my_account()$$, '42501', null, 'my_account: anon may not call');
select tests.as_service();
select is((select count(*)::int from public.my_account()), 0, 'my_account: no user in the JWT, no row');

select * from finish();
rollback;
