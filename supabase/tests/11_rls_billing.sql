-- RLS matrix for billing: customers, products, prices, subscriptions, stripe_events.
-- Only the edge (service_role) writes these; users read their own rows; products/prices are public.
begin;
\ir _helpers.psql
select plan(96);

-- Fixtures: the free user once had a subscription that is now canceled; an inactive price.
insert into public.subscriptions (id, user_id, status, price_id, current_period_end)
values ('sub_free_old', tests.free(), 'canceled', 'price_pro_monthly', now() - interval '1 day');
insert into public.prices (id, product_id, active, currency, unit_amount, interval)
values ('price_legacy', 'prod_octane_pro', false, 'usd', 900, 'month');
insert into public.stripe_events (id, type) values ('evt_seen', 'customer.subscription.updated');

-- customers --------------------------------------------------------------------------------------
select tests.as_anon();
select is((select count(*)::int from public.customers), 0, 'customers/anon: select sees nothing');
select * from tests.cannot_write('customers/anon', 'public.customers',
  $$insert into public.customers (user_id, stripe_customer_id) values ('22222222-2222-4222-8222-222222222222', 'cus_x')$$,
  $$update public.customers set stripe_customer_id = 'cus_evil'$$);

select tests.as_user(tests.pro());
select results_eq($$select stripe_customer_id from public.customers$$, array['cus_demo_pro'], 'customers/owner: reads own customer record');
select * from tests.cannot_write('customers/owner', 'public.customers',
  $$insert into public.customers (user_id, stripe_customer_id) values ('11111111-1111-4111-8111-111111111111', 'cus_x')$$,
  $$update public.customers set stripe_customer_id = 'cus_evil'$$);

select tests.as_user(tests.free());
select is((select count(*)::int from public.customers), 0, 'customers/other: cannot read another customer record');
select * from tests.cannot_write('customers/other', 'public.customers',
  $$insert into public.customers (user_id, stripe_customer_id) values ('22222222-2222-4222-8222-222222222222', 'cus_x')$$,
  $$update public.customers set stripe_customer_id = 'cus_evil'$$);

select tests.as_device(tests.pro(), tests.pro_device());
select is((select count(*)::int from public.customers), 0, 'customers/device: reads nothing of its owner''s billing');
select * from tests.cannot_write('customers/device', 'public.customers',
  $$insert into public.customers (user_id, stripe_customer_id) values ('11111111-1111-4111-8111-111111111111', 'cus_x')$$,
  $$update public.customers set stripe_customer_id = 'cus_evil'$$);

select tests.as_service();
select lives_ok($$insert into public.customers (user_id, stripe_customer_id) values ('22222222-2222-4222-8222-222222222222', 'cus_free')$$,
  'customers/service: insert allowed');
select is((select count(*)::int from public.customers), 2, 'customers/service: sees every record');
select is(tests.affected($$update public.customers set stripe_customer_id = 'cus_free2' where stripe_customer_id = 'cus_free'$$), 1,
  'customers/service: update allowed');
select is(tests.affected($$delete from public.customers where stripe_customer_id = 'cus_free2'$$), 1, 'customers/service: delete allowed');

-- products ---------------------------------------------------------------------------------------
select tests.as_anon();
select results_eq($$select id from public.products$$, array['prod_octane_pro'], 'products/anon: reads active products');
select * from tests.cannot_write('products/anon', 'public.products',
  $$insert into public.products (id, name) values ('prod_evil', 'Evil')$$,
  $$update public.products set name = 'x'$$);

select tests.as_user(tests.pro());
select is((select count(*)::int from public.products), 1, 'products/owner: reads active products');
select * from tests.cannot_write('products/owner', 'public.products',
  $$insert into public.products (id, name) values ('prod_evil', 'Evil')$$,
  $$update public.products set active = false$$);

select tests.as_user(tests.free());
select is((select count(*)::int from public.products), 1, 'products/other: reads active products');
select * from tests.cannot_write('products/other', 'public.products',
  $$insert into public.products (id, name) values ('prod_evil', 'Evil')$$,
  $$update public.products set name = 'x'$$);

select tests.as_device(tests.pro(), tests.pro_device());
select is((select count(*)::int from public.products), 1, 'products/device: reads active products');
select * from tests.cannot_write('products/device', 'public.products',
  $$insert into public.products (id, name) values ('prod_evil', 'Evil')$$,
  $$update public.products set name = 'x'$$);

select tests.as_service();
select lives_ok($$insert into public.products (id, active, name) values ('prod_old', false, 'Old')$$, 'products/service: insert allowed');
select is((select count(*)::int from public.products), 2, 'products/service: sees inactive products too');
select is(tests.affected($$update public.products set name = 'Older' where id = 'prod_old'$$), 1, 'products/service: update allowed');
select tests.as_anon();
select is((select count(*)::int from public.products where id = 'prod_old'), 0, 'products/anon: inactive products are invisible');
select tests.as_service();
select is(tests.affected($$delete from public.products where id = 'prod_old'$$), 1, 'products/service: delete allowed');

-- prices -----------------------------------------------------------------------------------------
select tests.as_anon();
select set_eq($$select id from public.prices$$, array['price_pro_monthly', 'price_pro_yearly'], 'prices/anon: reads active prices only');
select * from tests.cannot_write('prices/anon', 'public.prices',
  $$insert into public.prices (id, product_id, currency, unit_amount) values ('price_evil', 'prod_octane_pro', 'usd', 0)$$,
  $$update public.prices set unit_amount = 0$$);

select tests.as_user(tests.pro());
select set_eq($$select id from public.prices$$, array['price_pro_monthly', 'price_pro_yearly'], 'prices/owner: reads active prices only');
select * from tests.cannot_write('prices/owner', 'public.prices',
  $$insert into public.prices (id, product_id, currency, unit_amount) values ('price_evil', 'prod_octane_pro', 'usd', 0)$$,
  $$update public.prices set unit_amount = 0$$);

select tests.as_user(tests.free());
select is((select count(*)::int from public.prices where not active), 0, 'prices/other: inactive prices are invisible');
select * from tests.cannot_write('prices/other', 'public.prices',
  $$insert into public.prices (id, product_id, currency, unit_amount) values ('price_evil', 'prod_octane_pro', 'usd', 0)$$,
  $$update public.prices set unit_amount = 0$$);

select tests.as_device(tests.pro(), tests.pro_device());
select is((select count(*)::int from public.prices), 2, 'prices/device: reads active prices');
select * from tests.cannot_write('prices/device', 'public.prices',
  $$insert into public.prices (id, product_id, currency, unit_amount) values ('price_evil', 'prod_octane_pro', 'usd', 0)$$,
  $$update public.prices set unit_amount = 0$$);

select tests.as_service();
select is((select count(*)::int from public.prices), 3, 'prices/service: sees inactive prices too');
select * from tests.can_write('prices/service',
  $$insert into public.prices (id, product_id, currency, unit_amount, interval) values ('price_week', 'prod_octane_pro', 'usd', 300, 'week')$$,
  $$update public.prices set active = false where id = 'price_week'$$,
  $$delete from public.prices where id = 'price_week'$$);

-- subscriptions ----------------------------------------------------------------------------------
select tests.as_anon();
select is((select count(*)::int from public.subscriptions), 0, 'subscriptions/anon: select sees nothing');
select * from tests.cannot_write('subscriptions/anon', 'public.subscriptions',
  $$insert into public.subscriptions (id, user_id, status) values ('sub_evil', '22222222-2222-4222-8222-222222222222', 'active')$$,
  $$update public.subscriptions set status = 'active'$$);

select tests.as_user(tests.pro());
select results_eq($$select id, status from public.subscriptions$$, $$values ('sub_demo_pro', 'active')$$,
  'subscriptions/owner: reads own subscription only');
select throws_ok($$insert into public.subscriptions (id, user_id, status) values ('sub_evil', '11111111-1111-4111-8111-111111111111', 'active')$$,
  '42501', null, 'subscriptions/owner: insert denied');
select is(tests.affected($$update public.subscriptions set current_period_end = now() + interval '100 years'$$), 0,
  'subscriptions/owner: cannot extend own subscription');
select is(tests.affected($$delete from public.subscriptions$$), 0, 'subscriptions/owner: delete touches nothing');

select tests.as_user(tests.free());
select results_eq($$select id from public.subscriptions$$, array['sub_free_old'], 'subscriptions/other: sees own, never the pro user''s');
select throws_ok($$insert into public.subscriptions (id, user_id, status) values ('sub_evil', '22222222-2222-4222-8222-222222222222', 'active')$$,
  '42501', null, 'subscriptions/other: cannot give themselves a subscription');
select is(tests.affected($$update public.subscriptions set status = 'active'$$), 0,
  'subscriptions/other: cannot reactivate a canceled subscription');
select is(tests.affected($$delete from public.subscriptions where id = 'sub_demo_pro'$$), 0, 'subscriptions/other: delete touches nothing');

select tests.as_device(tests.pro(), tests.pro_device());
select is((select count(*)::int from public.subscriptions), 0, 'subscriptions/device: reads nothing (my_account answers the add-on)');
select * from tests.cannot_write('subscriptions/device', 'public.subscriptions',
  $$insert into public.subscriptions (id, user_id, status) values ('sub_evil', '11111111-1111-4111-8111-111111111111', 'active')$$,
  $$update public.subscriptions set status = 'active'$$);

select tests.as_service();
select is((select count(*)::int from public.subscriptions), 2, 'subscriptions/service: sees every subscription');
select * from tests.can_write('subscriptions/service',
  $$insert into public.subscriptions (id, user_id, status, price_id) values ('sub_new', '22222222-2222-4222-8222-222222222222', 'incomplete', 'price_pro_monthly')$$,
  $$update public.subscriptions set status = 'incomplete_expired' where id = 'sub_new'$$,
  $$delete from public.subscriptions where id = 'sub_new'$$);

-- stripe_events (service only) -------------------------------------------------------------------
select tests.as_anon();
select is((select count(*)::int from public.stripe_events), 0, 'stripe_events/anon: select sees nothing');
select * from tests.cannot_write('stripe_events/anon', 'public.stripe_events',
  $$insert into public.stripe_events (id, type) values ('evt_forged', 'x')$$,
  $$update public.stripe_events set type = 'x'$$);

select tests.as_user(tests.pro());
select is((select count(*)::int from public.stripe_events), 0, 'stripe_events/owner: select sees nothing');
select throws_ok($$insert into public.stripe_events (id, type) values ('evt_forged', 'x')$$, '42501', null, 'stripe_events/owner: insert denied');
select is(tests.affected($$delete from public.stripe_events$$), 0, 'stripe_events/owner: delete touches nothing');

select tests.as_user(tests.free());
select is((select count(*)::int from public.stripe_events), 0, 'stripe_events/other: select sees nothing');
select is(tests.affected($$update public.stripe_events set type = 'x'$$), 0, 'stripe_events/other: update touches nothing');

select tests.as_device(tests.pro(), tests.pro_device());
select is((select count(*)::int from public.stripe_events), 0, 'stripe_events/device: select sees nothing');
select throws_ok($$insert into public.stripe_events (id, type) values ('evt_forged', 'x')$$, '42501', null, 'stripe_events/device: insert denied');

select tests.as_service();
select is((select count(*)::int from public.stripe_events), 1, 'stripe_events/service: reads');
select lives_ok($$insert into public.stripe_events (id, type) values ('evt_new', 'invoice.paid')$$, 'stripe_events/service: insert allowed');
select throws_ok($$insert into public.stripe_events (id, type) values ('evt_new', 'invoice.paid')$$, '23505', null,
  'stripe_events/service: the same event twice is a unique violation (idempotency)');
select is(tests.affected($$delete from public.stripe_events where id = 'evt_new'$$), 1, 'stripe_events/service: delete allowed');

select * from finish();
rollback;
