-- RLS matrix for the catalog tables: profiles, categories, shaders, shader_versions, favorites,
-- search_words.
-- Roles: anon, owner (pro), another user (free), pro's device JWT, service_role.
begin;
\ir _helpers.psql
select plan(113);

-- Fixtures (superuser) ---------------------------------------------------------------------------
insert into public.favorites (user_id, shader_id) values (tests.free(), tests.shader(1));
insert into auth.users (id, email) values ('33333333-3333-4333-8333-333333333333', 'third@octane.local');
delete from public.profiles where id = '33333333-3333-4333-8333-333333333333';
-- What the seed holds, counted as the superuser, so the matrix does not hard-code the catalog.
select count(*) as n_categories from public.categories \gset
select count(*) as n_shaders, count(*) filter (where published) as n_published,
       array_agg(id) filter (where published) as published_shaders from public.shaders \gset
select count(*) as n_versions, count(*) filter (where s.published) as n_published_versions,
       array_agg(v.id) filter (where s.published) as published_versions
from public.shader_versions v join public.shaders s on s.id = v.shader_id \gset

-- profiles ---------------------------------------------------------------------------------------
select tests.as_anon();
select is((select count(*)::int from public.profiles), 0, 'profiles/anon: select sees nothing');
select throws_ok($$insert into public.profiles (id) values ('11111111-1111-4111-8111-111111111111')$$,
  '42501', null, 'profiles/anon: insert denied');
select throws_ok($$update public.profiles set display_name = 'x'$$, '42501', null, 'profiles/anon: update denied');
select is(tests.affected($$delete from public.profiles$$), 0, 'profiles/anon: delete touches nothing');

select tests.as_user(tests.pro());
select results_eq($$select id from public.profiles$$, array[tests.pro()], 'profiles/owner: sees only own profile');
select throws_ok($$insert into public.profiles (id) values ('33333333-3333-4333-8333-333333333333')$$,
  '42501', null, 'profiles/owner: insert denied');
select is(tests.affected($$update public.profiles set display_name = 'Renamed' where id = auth.uid()$$), 1,
  'profiles/owner: may change display name');
select throws_ok($$insert into public.operators (user_id) values (auth.uid())$$, '42501', null,
  'profiles/owner: may not make themselves operator');
select is(tests.affected($$delete from public.profiles$$), 0, 'profiles/owner: delete touches nothing');

select tests.as_user(tests.free());
select is((select count(*)::int from public.profiles where id = tests.pro()), 0, 'profiles/other: cannot read another profile');
select throws_ok($$insert into public.profiles (id) values ('33333333-3333-4333-8333-333333333333')$$,
  '42501', null, 'profiles/other: insert denied');
select is(tests.affected($$update public.profiles set display_name = 'pwned' where id = '11111111-1111-4111-8111-111111111111'$$), 0,
  'profiles/other: update of another profile touches nothing');
select is(tests.affected($$delete from public.profiles where id = '11111111-1111-4111-8111-111111111111'$$), 0,
  'profiles/other: delete of another profile touches nothing');

select tests.as_device(tests.pro(), tests.pro_device());
select is_empty($$select id from public.profiles$$, 'profiles/device: sees nothing (a device JWT is not the account)');
select throws_ok($$insert into public.profiles (id) values ('33333333-3333-4333-8333-333333333333')$$,
  '42501', null, 'profiles/device: insert denied');
select throws_ok($$insert into public.operators (user_id) values (auth.uid())$$, '42501', null, 'profiles/device: cannot grant operator');
select is(tests.affected($$delete from public.profiles$$), 0, 'profiles/device: delete touches nothing');

select tests.as_service();
select is((select count(*)::int from public.profiles), 3, 'profiles/service: sees every profile (the three seeded users)');
select * from tests.can_write('profiles/service',
  $$insert into public.profiles (id, display_name) values ('33333333-3333-4333-8333-333333333333', 'Third')$$,
  $$update public.profiles set display_name = 'Third!' where id = '33333333-3333-4333-8333-333333333333'$$,
  $$delete from public.profiles where id = '33333333-3333-4333-8333-333333333333'$$);
select tests.as_admin();
select is((select display_name from public.profiles where id = tests.pro()), 'Renamed', 'profiles: only the owner''s rename landed');
select lives_ok($$insert into auth.users (id, email, raw_user_meta_data) values ('44444444-4444-4444-8444-444444444444', 'long@octane.local',
  jsonb_build_object('display_name', repeat('n', 200)))$$, 'profiles: sign-up with a 200-character display name works');
select is((select char_length(display_name) from public.profiles where id = '44444444-4444-4444-8444-444444444444'), 80,
  'profiles: the display name is cut to 80 characters');
select is((select count(*)::int from public.operators where user_id in (tests.free(), tests.pro())), 0, 'profiles: no artist became an operator');

-- categories -------------------------------------------------------------------------------------
select tests.as_anon();
select is((select count(*)::int from public.categories), :n_categories, 'categories/anon: reads all categories');
select * from tests.cannot_write('categories/anon', 'public.categories',
  $$insert into public.categories (id, name) values ('evil', 'Evil')$$,
  $$update public.categories set name = 'x'$$);

select tests.as_user(tests.pro());
select is((select count(*)::int from public.categories), :n_categories, 'categories/owner: reads all categories');
select throws_ok($$insert into public.categories (id, name) values ('evil', 'Evil')$$, '42501', null, 'categories/owner: insert denied');
select is(tests.affected($$update public.categories set name = 'x'$$), 0, 'categories/owner: update touches nothing');
select is(tests.affected($$delete from public.categories where id = 'fx'$$), 0, 'categories/owner: delete touches nothing');

select tests.as_user(tests.free());
select is((select count(*)::int from public.categories), :n_categories, 'categories/other: reads all categories');
select * from tests.cannot_write('categories/other', 'public.categories',
  $$insert into public.categories (id, name) values ('evil', 'Evil')$$,
  $$update public.categories set sort_order = 0$$);

select tests.as_device(tests.pro(), tests.pro_device());
select is((select count(*)::int from public.categories), :n_categories, 'categories/device: reads all categories');
select * from tests.cannot_write('categories/device', 'public.categories',
  $$insert into public.categories (id, name) values ('evil', 'Evil')$$,
  $$update public.categories set name = 'x'$$);

select tests.as_service();
select * from tests.can_write('categories/service',
  $$insert into public.categories (id, name) values ('paper', 'Paper')$$,
  $$update public.categories set name = 'Paper & Card' where id = 'paper'$$,
  $$delete from public.categories where id = 'paper'$$);
select is((select count(*)::int from public.categories), :n_categories, 'categories/service: reads all categories');

-- shaders ----------------------------------------------------------------------------------------
select tests.as_anon();
select set_eq($$select id from public.shaders$$, :'published_shaders'::uuid[],
  'shaders/anon: sees the published shaders only');
select * from tests.cannot_write('shaders/anon', 'public.shaders',
  $$insert into public.shaders (slug, name, category_id, published) values ('evil', 'Evil', 'metal', true)$$,
  $$update public.shaders set is_free = true$$);

select tests.as_user(tests.pro());
select set_eq($$select id from public.shaders$$, :'published_shaders'::uuid[],
  'shaders/owner: sees the published shaders only');
select * from tests.cannot_write('shaders/owner', 'public.shaders',
  $$insert into public.shaders (slug, name, category_id) values ('evil', 'Evil', 'metal')$$,
  $$update public.shaders set popularity = 1000000$$);

select tests.as_user(tests.free());
select is((select count(*)::int from public.shaders where not published), 0, 'shaders/other: unpublished shaders are invisible');
select throws_ok($$insert into public.shaders (slug, name, category_id) values ('evil', 'Evil', 'metal')$$,
  '42501', null, 'shaders/other: insert denied');
select is(tests.affected($$update public.shaders set is_free = true where id = 'a0000000-0000-4000-8000-000000000002'$$), 0,
  'shaders/other: cannot make a pro shader free');
select is(tests.affected($$delete from public.shaders$$), 0, 'shaders/other: delete touches nothing');

select tests.as_device(tests.pro(), tests.pro_device());
select is((select count(*)::int from public.shaders), :n_published, 'shaders/device: sees the published shaders only');
select * from tests.cannot_write('shaders/device', 'public.shaders',
  $$insert into public.shaders (slug, name, category_id) values ('evil', 'Evil', 'metal')$$,
  $$update public.shaders set published = true$$);

select tests.as_service();
select is((select count(*)::int from public.shaders), :n_shaders, 'shaders/service: sees unpublished shaders too');
select * from tests.can_write('shaders/service',
  $$insert into public.shaders (id, slug, name, category_id) values ('a0000000-0000-4000-8000-0000000000ff', 'svc-shader', 'Service', 'metal')$$,
  $$update public.shaders set description = 'd' where id = 'a0000000-0000-4000-8000-0000000000ff'$$,
  $$delete from public.shaders where id = 'a0000000-0000-4000-8000-0000000000ff'$$);

-- shader_versions --------------------------------------------------------------------------------
select tests.as_anon();
select set_eq($$select id from public.shader_versions$$, :'published_versions'::uuid[],
  'shader_versions/anon: sees versions of published shaders only');
select * from tests.cannot_write('shader_versions/anon', 'public.shader_versions',
  $$insert into public.shader_versions (shader_id, version, package_key, sha256, size, manifest, manifest_sig)
  values ('a0000000-0000-4000-8000-000000000001', '9.9.9', 'k', repeat('a', 64), 1, '{}', 's')$$,
  $$update public.shader_versions set size = 1$$);

select tests.as_user(tests.pro());
select is((select count(*)::int from public.shader_versions where id = tests.version(4)), 0,
  'shader_versions/owner: versions of unpublished shaders are invisible');
select * from tests.cannot_write('shader_versions/owner', 'public.shader_versions',
  $$insert into public.shader_versions (shader_id, version, package_key, sha256, size, manifest, manifest_sig)
  values ('a0000000-0000-4000-8000-000000000001', '9.9.9', 'k', repeat('a', 64), 1, '{}', 's')$$,
  $$update public.shader_versions set sha256 = repeat('0', 64)$$);

select tests.as_user(tests.free());
select is((select count(*)::int from public.shader_versions), :n_published_versions, 'shader_versions/other: sees published versions');
select is(tests.affected($$update public.shader_versions set package_key = 'evil'$$), 0, 'shader_versions/other: update touches nothing');
select is(tests.affected($$delete from public.shader_versions$$), 0, 'shader_versions/other: delete touches nothing');

select tests.as_device(tests.pro(), tests.pro_device());
select is((select count(*)::int from public.shader_versions), :n_published_versions, 'shader_versions/device: sees published versions');
select throws_ok($$insert into public.shader_versions (shader_id, version, package_key, sha256, size, manifest, manifest_sig)
  values ('a0000000-0000-4000-8000-000000000001', '9.9.9', 'k', repeat('a', 64), 1, '{}', 's')$$,
  '42501', null, 'shader_versions/device: insert denied');
select is(tests.affected($$delete from public.shader_versions$$), 0, 'shader_versions/device: delete touches nothing');

select tests.as_service();
select is((select count(*)::int from public.shader_versions), :n_versions, 'shader_versions/service: sees every version');
select lives_ok($$insert into public.shader_versions (id, shader_id, version, package_key, sha256, size, manifest, manifest_sig)
  values ('b0000000-0000-4000-8000-0000000000ff', 'a0000000-0000-4000-8000-000000000001', '1.1.0', 'k', repeat('a', 64), 1, '{}', 's')$$,
  'shader_versions/service: insert allowed');
select throws_ok($$update public.shader_versions set size = 2 where id = 'b0000000-0000-4000-8000-0000000000ff'$$,
  'P0001', 'shader versions are immutable; publish a new version instead', 'shader_versions/service: even service_role cannot update (immutable)');
select throws_ok($$delete from public.shader_versions where id = 'b0000000-0000-4000-8000-0000000000ff'$$,
  'P0001', 'shader versions are immutable; publish a new version instead', 'shader_versions/service: a version cannot be deleted and republished');
select lives_ok($$delete from public.shaders where id = 'a0000000-0000-4000-8000-000000000004'$$,
  'shader_versions/service: a version goes away with its shader');
select is((select count(*)::int from public.shader_versions where id = 'b0000000-0000-4000-8000-000000000004'), 0,
  'shader_versions/service: the cascade removed it');

-- favorites --------------------------------------------------------------------------------------
select tests.as_anon();
select is((select count(*)::int from public.favorites), 0, 'favorites/anon: select sees nothing');
select * from tests.cannot_write('favorites/anon', 'public.favorites',
  $$insert into public.favorites (user_id, shader_id) values ('22222222-2222-4222-8222-222222222222', 'a0000000-0000-4000-8000-000000000002')$$,
  $$update public.favorites set created_at = now()$$);

select tests.as_user(tests.pro());
select lives_ok($$insert into public.favorites (shader_id) values ('a0000000-0000-4000-8000-000000000002')$$,
  'favorites/owner: insert own (user_id defaults to auth.uid())');
select results_eq($$select user_id, shader_id from public.favorites$$,
  $$values ('11111111-1111-4111-8111-111111111111'::uuid, 'a0000000-0000-4000-8000-000000000002'::uuid)$$,
  'favorites/owner: sees only own favourites');
select throws_ok($$insert into public.favorites (shader_id) values ('a0000000-0000-4000-8000-000000000004')$$,
  '42501', null, 'favorites/owner: cannot favourite an unpublished shader');
select is(tests.affected($$update public.favorites set created_at = now()$$), 0, 'favorites/owner: update touches nothing (no update policy)');
select is(tests.affected($$delete from public.favorites where shader_id = 'a0000000-0000-4000-8000-000000000002'$$), 1,
  'favorites/owner: delete own');

select tests.as_user(tests.free());
select throws_ok($$insert into public.favorites (user_id, shader_id) values ('11111111-1111-4111-8111-111111111111', 'a0000000-0000-4000-8000-000000000003')$$,
  '42501', null, 'favorites/other: cannot add a favourite for another user');
select is((select count(*)::int from public.favorites where user_id = tests.pro()), 0, 'favorites/other: cannot see another user''s favourites');

select tests.as_user(tests.pro());
select is(tests.affected($$delete from public.favorites where user_id = '22222222-2222-4222-8222-222222222222'$$), 0,
  'favorites/other: delete of another user''s favourite touches nothing');
select is(tests.affected($$update public.favorites set shader_id = 'a0000000-0000-4000-8000-000000000003' where user_id = '22222222-2222-4222-8222-222222222222'$$), 0,
  'favorites/other: update of another user''s favourite touches nothing');

select tests.as_device(tests.pro(), tests.pro_device());
select is((select count(*)::int from public.favorites where user_id <> auth.uid()), 0, 'favorites/device: sees nobody else''s favourites');
select throws_ok($$insert into public.favorites (user_id, shader_id) values ('22222222-2222-4222-8222-222222222222', 'a0000000-0000-4000-8000-000000000003')$$,
  '42501', null, 'favorites/device: cannot add a favourite for another user');
select is(tests.affected($$delete from public.favorites where user_id = '22222222-2222-4222-8222-222222222222'$$), 0,
  'favorites/device: delete of another user''s favourite touches nothing');

select tests.as_service();
select is((select count(*)::int from public.favorites), 1, 'favorites/service: sees every favourite');
select * from tests.can_write('favorites/service',
  $$insert into public.favorites (user_id, shader_id) values ('11111111-1111-4111-8111-111111111111', 'a0000000-0000-4000-8000-000000000003')$$,
  $$update public.favorites set created_at = now() where user_id = '11111111-1111-4111-8111-111111111111'$$,
  $$delete from public.favorites where user_id = '11111111-1111-4111-8111-111111111111'$$);
select tests.as_admin();
select results_eq($$select user_id, shader_id from public.favorites$$,
  $$values ('22222222-2222-4222-8222-222222222222'::uuid, 'a0000000-0000-4000-8000-000000000001'::uuid)$$,
  'favorites: the other user''s favourite survived every attempt');

-- search_words (read only by search_shaders, as definer) -----------------------------------------
-- API roles have no privilege on it at all, so every statement is refused outright.
select tests.as_anon();
select throws_ok($$select 1 from public.search_words$$, '42501', null, 'search_words/anon: select denied');
select throws_ok($$insert into public.search_words (word, uses) values ('zzword', 1)$$, '42501', null, 'search_words/anon: insert denied');
select tests.as_user(tests.pro());
select throws_ok($$select 1 from public.search_words$$, '42501', null, 'search_words/user: select denied');
select throws_ok($$update public.search_words set uses = 0$$, '42501', null, 'search_words/user: update denied');
select throws_ok($$delete from public.search_words$$, '42501', null, 'search_words/user: delete denied');
select tests.as_device(tests.pro(), tests.pro_device());
select throws_ok($$select 1 from public.search_words$$, '42501', null, 'search_words/device: select denied');
select tests.as_service();
select ok((select count(*) from public.search_words) > 0, 'search_words/service: reads the word list');

select * from finish();
rollback;
