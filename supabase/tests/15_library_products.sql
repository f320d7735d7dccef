-- Only the library's own products entitle (products.entitles, set by the edge from
-- STRIPE_PRODUCT_IDS): a subscription to a second product on the same Stripe account unlocks
-- nothing, is not what the account page or the add-on reports, and its prices are not offered.
begin;
\ir _helpers.psql
select plan(17);

-- A second product on the account (merchandise) with a recurring price; the free user subscribes.
insert into public.products (id, active, name) values ('prod_tshirt', true, 'T-shirt club');
insert into public.prices (id, product_id, active, currency, unit_amount, interval)
values ('price_tshirt_monthly', 'prod_tshirt', true, 'usd', 500, 'month');
insert into public.subscriptions (id, user_id, status, price_id, current_period_end, updated_at)
values ('sub_tshirt', tests.free(), 'active', 'price_tshirt_monthly', now() + interval '30 days', now());

select ok(not (select entitles from public.products where id = 'prod_tshirt'), 'a new product does not entitle by default');
select ok((select entitles from public.products where id = 'prod_octane_pro'), 'the seeded library product entitles');

select ok(not public.has_active_subscription(tests.free()), 'a subscription to another product is not an active library subscription');
select ok(not public.has_entitlement(tests.free(), tests.shader(2)), 'it does not unlock a Pro shader');
select ok(public.has_entitlement(tests.free(), tests.shader(1)), 'free shaders stay free');
select ok(public.has_entitlement(tests.pro(), tests.shader(2)), 'the library subscription still entitles');
select throws_ok($$select * from public.resolve_import_target(tests.free(), tests.shader(2), null, tests.free_device())$$,
  'P0001', 'SUBSCRIPTION_REQUIRED', 'minting refuses the other product''s subscriber');

select tests.as_user(tests.free());
select results_eq($$select subscribed, status from public.my_entitlement()$$, $$values (false, null::text)$$,
  'my_entitlement: the other subscription is neither subscribed nor shown');
select is((select subscription from public.my_account()), 'inactive', 'my_account: the add-on says inactive');
select set_eq($$select id from public.prices$$, array['price_pro_monthly', 'price_pro_yearly'],
  'prices: the site offers only the library''s prices');

-- set_library_products is the edge's switch; only the service connection may call it.
select throws_ok($$select public.set_library_products(array['prod_tshirt'])$$, '42501', null,
  'set_library_products: a user cannot mark products');
select tests.as_anon();
select throws_ok($$select public.set_library_products(array['prod_tshirt'])$$, '42501', null,
  'set_library_products: anon cannot mark products');

select tests.as_service();
select is(public.set_library_products(array['prod_octane_pro', 'prod_tshirt']), 1, 'configuring the second product changes one row');
select ok(public.has_entitlement(tests.free(), tests.shader(2)), 'a configured product entitles');
select is(public.set_library_products(array['prod_octane_pro', 'prod_tshirt']), 0, 'marking is idempotent');
select is(public.set_library_products(array['prod_octane_pro']), 1, 'removing it from the configuration unmarks it');
select ok(not public.has_entitlement(tests.free(), tests.shader(2)), 'and its subscribers lose the library');

select * from finish();
rollback;
