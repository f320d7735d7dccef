-- Demo data for local development and tests. Data only: no schema here.
-- Three users: pro@octane.local has an active subscription, free@octane.local has none (both
-- artists), operator@octane.local is the library operator (public.operators) and no artist.

insert into auth.users (id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
values
  ('11111111-1111-4111-8111-111111111111', 'authenticated', 'authenticated', 'pro@octane.local',
   extensions.crypt('octane-demo-pro', extensions.gen_salt('bf', 10)), now(),
   '{"provider":"email","providers":["email"]}', '{"display_name":"Pro Artist"}', now(), now()),
  ('22222222-2222-4222-8222-222222222222', 'authenticated', 'authenticated', 'free@octane.local',
   extensions.crypt('octane-demo-free', extensions.gen_salt('bf', 10)), now(),
   '{"provider":"email","providers":["email"]}', '{"display_name":"Free Artist"}', now(), now()),
  ('99999999-9999-4999-8999-999999999999', 'authenticated', 'authenticated', 'operator@octane.local',
   extensions.crypt('octane-demo-operator', extensions.gen_salt('bf', 10)), now(),
   '{"provider":"email","providers":["email"]}', '{"display_name":"Library Operator"}', now(), now());

insert into public.operators (user_id, note) values ('99999999-9999-4999-8999-999999999999', 'demo operator');

insert into public.categories (id, name, sort_order) values
  ('metal', 'Metals', 10), ('plastic', 'Plastics', 20), ('glass', 'Glass & Liquids', 30),
  ('wood', 'Wood', 40), ('stone', 'Stone & Concrete', 50), ('fabric', 'Fabric & Leather', 60),
  ('car-paint', 'Car Paint', 70), ('emissive', 'Emissive', 80), ('ceramic', 'Ceramics', 90),
  ('organic', 'Organic', 100), ('ground', 'Ground & Terrain', 110), ('fx', 'Effects', 120);

insert into public.customers (user_id, stripe_customer_id) values
  ('11111111-1111-4111-8111-111111111111', 'cus_demo_pro');

-- The library's own product (STRIPE_PRODUCT_IDS in .env.example): only its subscriptions entitle.
insert into public.products (id, active, name, description, entitles) values
  ('prod_octane_pro', true, 'Octane Bridge Pro', 'Every shader in the library, imported in one click.', true);

insert into public.prices (id, product_id, active, currency, unit_amount, interval, interval_count, lookup_key) values
  ('price_pro_monthly', 'prod_octane_pro', true, 'usd', 1200, 'month', 1, 'pro_monthly'),
  ('price_pro_yearly', 'prod_octane_pro', true, 'usd', 12000, 'year', 1, 'pro_yearly');

insert into public.subscriptions (id, user_id, status, price_id, current_period_start, current_period_end, stripe_updated_at)
values ('sub_demo_pro', '11111111-1111-4111-8111-111111111111', 'active', 'price_pro_monthly',
        now() - interval '3 days', now() + interval '10 years', now());

-- Placeholder shaders so a fresh stack is not empty; `make dev` publishes the real demo catalog
-- (catalog/demo) on top of these.
insert into public.shaders (id, slug, name, description, category_id, tags, is_free, published, latest_version, popularity)
values
  ('a0000000-0000-4000-8000-000000000001', 'placeholder-brushed-steel', 'Brushed Steel (placeholder)',
   'Anisotropic brushed steel.', 'metal', '{metal,steel,brushed}', true, true, '1.0.0', 5),
  ('a0000000-0000-4000-8000-000000000002', 'placeholder-red-car-paint', 'Red Car Paint (placeholder)',
   'Metallic flake car paint with clear coat.', 'car-paint', '{car,paint,metallic}', false, true, '1.0.0', 9),
  ('a0000000-0000-4000-8000-000000000003', 'placeholder-frosted-glass', 'Frosted Glass (placeholder)',
   'Rough dielectric glass.', 'glass', '{glass,frosted}', false, true, '1.0.0', 3),
  ('a0000000-0000-4000-8000-000000000004', 'placeholder-draft-oak', 'Oak Planks (draft)',
   'Not yet published.', 'wood', '{wood,oak}', false, false, '1.0.0', 0);

insert into public.shader_versions (id, shader_id, version, package_key, sha256, size, manifest, manifest_sig,
                                    min_blender, min_octane, texture_resolutions)
select ('b0000000-0000-4000-8000-00000000000' || n)::uuid, ('a0000000-0000-4000-8000-00000000000' || n)::uuid,
       '1.0.0', 'packages/placeholder-' || n || '/1.0.0.zip',
       encode(extensions.digest('placeholder-' || n, 'sha256'), 'hex'), 1024,
       jsonb_build_object('schema_version', 1, 'placeholder', true), 'local-1.placeholder',
       '3.4', '2024.1', '{1k}'
from generate_series(1, 4) as n;
