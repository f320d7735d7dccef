-- Catalog search (full text, prefixes, typos, filters, sorts, paging, never unpublished), the word
-- list behind typo tolerance, shader_versions immutability and entitlement.
begin;
\ir _helpers.psql
select plan(71);

-- Fixtures in a category of their own, so the assertions do not depend on the seed catalog.
insert into public.categories (id, name) values ('zz-test', 'Test');
insert into public.shaders (id, slug, name, description, category_id, tags, is_free, published, popularity, created_at) values
  ('5e000000-0000-4000-8000-000000000001', 'zz-copper-patina', 'Copper Patina', 'Green oxidised copper roof.', 'zz-test', '{metal,copper,aged}', true, true, 50, now() - interval '3 days'),
  ('5e000000-0000-4000-8000-000000000002', 'zz-polished-copper', 'Polished Copper', 'Mirror-like copper.', 'zz-test', '{metal,copper}', false, true, 80, now() - interval '2 days'),
  ('5e000000-0000-4000-8000-000000000003', 'zz-velvet-curtain', 'Velvet Curtain', 'Deep red theatre velvet.', 'zz-test', '{fabric,velvet}', false, true, 10, now() - interval '1 day'),
  ('5e000000-0000-4000-8000-000000000004', 'zz-copper-secret', 'Copper Secret Draft', 'Not ready.', 'zz-test', '{metal,copper}', true, false, 999, now()),
  ('5e000000-0000-4000-8000-000000000005', 'zz-walnut-veneer', 'Walnut Veneer', 'Dark walnut wood veneer.', 'zz-test', '{wood}', true, true, 30, now() - interval '1 hour'),
  ('5e000000-0000-4000-8000-000000000006', 'zz-anodized-aluminium', 'Anodized Aluminium', 'Blue anodised metal.', 'zz-test', '{metal}', false, true, 5, now() - interval '4 days');

create function tests.s(n int) returns uuid language sql immutable as $$ select ('5e000000-0000-4000-8000-00000000000' || n)::uuid $$;
-- ids of a search in the test category, in result order
create function tests.find(q text, tier text default 'all', sort text default 'popular', tags text[] default null,
                           size int default 24, off int default 0) returns uuid[]
language sql as $$
  select coalesce(array_agg(r.id), '{}') from public.search_shaders(q, 'zz-test', tags, tier, sort, size, off) r
$$;

select tests.as_anon();
select is(tests.find('copper', sort => 'popular'), array[tests.s(2), tests.s(1)], 'full text: "copper" finds both copper shaders, popular first');
select is(tests.find('oxidised'), array[tests.s(1)], 'full text: words from the description match');
select is(tests.find('aged'), array[tests.s(1)], 'full text: tags match');
select is(tests.find('coper'), array[tests.s(2), tests.s(1)], 'typo: "coper" still finds copper (trigram)');
select is(tests.find('velvit'), array[tests.s(3)], 'typo: "velvit" finds velvet');
select is(tests.find('alumin'), array[tests.s(6)], 'prefix: "alumin" finds aluminium');
select is(tests.find('xyzzy plugh'), '{}'::uuid[], 'nonsense finds nothing');
select is(tests.find('copper', tier => 'free'), array[tests.s(1)], 'tier free');
select is(tests.find('', tier => 'pro'), array[tests.s(2), tests.s(3), tests.s(6)], 'tier pro, browsing');
select is(tests.find('', tags => '{copper}'), array[tests.s(2), tests.s(1)], 'tag filter');
select is(tests.find('', tags => '{metal,aged}'), array[tests.s(1)], 'tag filter needs every tag');
reset role;
update public.shaders set tags = tags || '{cars.paint}' where id = tests.s(3);
select tests.as_anon();
select is(tests.find('', tags => '{cars.paint}'), array[tests.s(3)], 'tag filter: a tag containing "s." matches (filter values are never rewritten)');
reset role;
update public.shaders set tags = array_remove(tags, 'cars.paint') where id = tests.s(3);
select tests.as_anon();
select is(tests.find(''), array[tests.s(2), tests.s(1), tests.s(5), tests.s(3), tests.s(6)], 'browse: sort popular');
select is(tests.find('', sort => 'newest'), array[tests.s(5), tests.s(3), tests.s(2), tests.s(1), tests.s(6)], 'browse: sort newest');
select is(tests.find('', sort => 'name'), array[tests.s(6), tests.s(1), tests.s(2), tests.s(3), tests.s(5)], 'browse: sort name');
select is((tests.find('polished copper', sort => 'relevance'))[1], tests.s(2), 'relevance: the best match comes first');
select is(tests.find('', size => 2, off => 0), array[tests.s(2), tests.s(1)], 'paging: first page');
select is(tests.find('', size => 2, off => 2), array[tests.s(5), tests.s(3)], 'paging: second page');
select is(tests.find('', size => 2, off => 4), array[tests.s(6)], 'paging: last page');
select is(tests.find('', size => 2, off => 6), '{}'::uuid[], 'paging: past the end');
select results_eq($$select distinct total_count from public.search_shaders('', 'zz-test', null, 'all', 'popular', 2, 2)$$,
  array[5::bigint], 'paging: total_count counts every match, not the page');
select results_eq($$select distinct total_count from public.search_shaders('copper', 'zz-test', null, 'all', 'popular', 1, 0)$$,
  array[2::bigint], 'search: total_count counts every match');
select results_eq($$select distinct total_capped from public.search_shaders('copper', 'zz-test')$$,
  array[false], 'search: an exact count is not marked capped');

-- Counts are capped so a broad query stays cheap; total_capped says the number is a floor.
reset role;
insert into public.categories (id, name) values ('zz-cap', 'Cap test');
insert into public.shaders (slug, name, category_id, published)
select 'zz-cap-' || g, 'Zzcap Panel ' || g, 'zz-cap', true from generate_series(1, 10001) g;
select tests.as_anon();
select results_eq($$select distinct total_count, total_capped from public.search_shaders('zzcap', 'zz-cap')$$,
  $$values (4000::bigint, true)$$, 'search: more than 4,000 matches count as 4,000, marked capped');
select results_eq($$select distinct total_count, total_capped from public.search_shaders('', 'zz-cap')$$,
  $$values (10000::bigint, true)$$, 'browse: more than 10,000 shaders count as 10,000, marked capped');
reset role;
delete from public.shaders where category_id = 'zz-cap';
select tests.as_anon();
select is(cardinality(tests.find('', size => 0)), 1, 'page_size is at least 1');
select ok((select count(*) from public.search_shaders('', null, null, 'all', 'popular', 100000, 0)) <= 100, 'page_size is at most 100');
select is(tests.find('', off => -5), tests.find(''), 'a negative offset counts as 0');

-- Unpublished shaders never appear, whoever asks and however.
select is_empty($$select 1 from public.search_shaders('secret', 'zz-test')$$, 'unpublished: not by name');
select is_empty($$select 1 from public.search_shaders('copper', null, null, 'all', 'popular', 100, 0) where id = '5e000000-0000-4000-8000-000000000004'$$,
  'unpublished: not among matches');
select is_empty($$select 1 from public.search_shaders('', null, null, 'all', 'popular', 100, 0) where not exists (select 1 from public.shaders s where s.id = search_shaders.id)$$,
  'anon sees only shaders it could read directly');
select tests.as_user(tests.pro());
select is_empty($$select 1 from public.search_shaders('copper secret', 'zz-test', '{copper}', 'free', 'relevance', 100, 0) where id = '5e000000-0000-4000-8000-000000000004'$$,
  'unpublished: not for a signed-in user either');
select tests.as_service();
select is_empty($$select 1 from public.search_shaders('', 'zz-test', null, 'all', 'popular', 100, 0) where id = '5e000000-0000-4000-8000-000000000004'$$,
  'unpublished: not even for service_role');

select is(tests.find('polishd coper'), array[tests.s(2)], 'typo: every word of a query is corrected, and the words are ANDed');
select is(tests.find('velv'), array[tests.s(3)], 'prefix: the word being typed matches longer words');
select results_eq($$select distinct corrected_query from public.search_shaders('polishd coper', 'zz-test')$$,
  array['polished copper'], 'typo: the corrected query comes back for the page to show');
select results_eq($$select distinct corrected_query from public.search_shaders('velv', 'zz-test')$$,
  array[null::text], 'prefix: a word being typed is not reported as a correction');
select results_eq($$select distinct corrected_query from public.search_shaders('copper', 'zz-test')$$,
  array[null::text], 'exact: no correction');
select is(tests.find('polished c'), array[tests.s(2)], 'typing: a last word of one letter is left out until it grows');
select results_eq($$select distinct corrected_query from public.search_shaders('polishd copp', 'zz-test')$$,
  array['polished copp'], 'typing: an earlier word is corrected, the last one is a prefix');
select is(current_setting('enable_seqscan'), 'on', 'search: its planner setting does not outlive the call');

-- Exact matches first: prefixes and close words only widen a search with less than a page (24).
reset role;
insert into public.categories (id, name) values ('zz-oak', 'Oak test');
insert into public.shaders (slug, name, category_id, published)
select 'zz-oak-plank-' || g, 'Oak Plank ' || g, 'zz-oak', true from generate_series(1, 23) g
union all select 'zz-oaken-beam', 'Oaken Beam', 'zz-oak', true;
select tests.as_anon();
select is((select count(*)::int from public.search_shaders('oak', 'zz-oak', null, 'all', 'relevance', 100, 0)), 24,
  'exact first: 23 exact matches are padded with the prefix match "oaken"');
select is((select count(*)::int from public.search_shaders('oake', 'zz-oak', null, 'all', 'relevance', 100, 0) where name = 'Oaken Beam'), 1,
  'exact first: a prefix of a catalog word is not "corrected" to a shorter word');
reset role;
insert into public.shaders (slug, name, category_id, published) values ('zz-oak-plank-24', 'Oak Plank 24', 'zz-oak', true);
select tests.as_anon();
select is((select count(*)::int from public.search_shaders('oak', 'zz-oak', null, 'all', 'relevance', 100, 0) where name = 'Oaken Beam'), 0,
  'exact first: with a page of exact matches, "oak" does not drift to "oaken"');

-- Hostile input is just text.
select tests.as_anon();
select lives_ok($$select * from public.search_shaders($q$'); drop table public.shaders; --$q$)$$, 'search: SQL in the query is inert');
select lives_ok($$select * from public.search_shaders('%_\', 'zz-test', '{"x''y"}', 'pro', 'bogus')$$, 'search: wildcards, quotes and an unknown sort are inert');
select is(tests.find('%'), '{}'::uuid[], 'search: % is a literal, not a wildcard');

-- shader_versions are immutable ------------------------------------------------------------------
select tests.as_admin();
select throws_ok($$update public.shader_versions set sha256 = repeat('0', 64) where id = 'b0000000-0000-4000-8000-000000000001'$$,
  'P0001', 'shader versions are immutable; publish a new version instead', 'versions: the hash cannot change, even for the superuser');
select throws_ok($$update public.shader_versions set manifest = '{}' where id = 'b0000000-0000-4000-8000-000000000001'$$,
  'P0001', 'shader versions are immutable; publish a new version instead', 'versions: the manifest cannot change');
select throws_ok($$insert into public.shader_versions (shader_id, version, package_key, sha256, size, manifest, manifest_sig)
  values ('a0000000-0000-4000-8000-000000000001', '1.0.0', 'other', repeat('b', 64), 1, '{}', 's')$$,
  '23505', null, 'versions: a version number is published once per shader');
select throws_ok($$insert into public.shader_versions (shader_id, version, package_key, sha256, size, manifest, manifest_sig)
  values ('a0000000-0000-4000-8000-000000000001', '1.1', 'k', repeat('b', 64), 1, '{}', 's')$$,
  '23514', null, 'versions: versions are major.minor.patch');
select throws_ok($$insert into public.shader_versions (shader_id, version, package_key, sha256, size, manifest, manifest_sig)
  values ('a0000000-0000-4000-8000-000000000001', '1.1.0', 'k', repeat('B', 64), 1, '{}', 's')$$,
  '23514', null, 'versions: sha256 is lower-case hex');

-- Entitlement ------------------------------------------------------------------------------------
select tests.as_service();
select ok(public.has_entitlement(tests.pro(), tests.shader(2)), 'entitlement: subscriber, pro shader');
select ok(public.has_entitlement(tests.pro(), tests.shader(1)), 'entitlement: subscriber, free shader');
select ok(not public.has_entitlement(tests.free(), tests.shader(2)), 'entitlement: no subscription, pro shader');
select ok(public.has_entitlement(tests.free(), tests.shader(1)), 'entitlement: no subscription, free shader');
select ok(not public.has_entitlement(tests.pro(), tests.shader(4)), 'entitlement: nobody gets an unpublished shader');
select tests.as_admin();
update public.subscriptions set status = 'trialing' where user_id = tests.pro();
select ok(public.has_entitlement(tests.pro(), tests.shader(2)), 'entitlement: trialing counts');
update public.subscriptions set status = 'past_due' where user_id = tests.pro();
select ok(not public.has_entitlement(tests.pro(), tests.shader(2)), 'entitlement: past_due does not');
update public.subscriptions set status = 'active' where user_id = tests.pro();
select tests.as_user(tests.pro());
select throws_ok(format('select public.has_entitlement(%L, %L)', tests.free(), tests.shader(2)), '42501', null,
  'entitlement: users cannot ask about others (edge only)');
select results_eq($$select subscribed, status from public.my_entitlement()$$, $$values (true, 'active')$$, 'my_entitlement: the subscriber');
select tests.as_user(tests.free());
select results_eq($$select subscribed, status from public.my_entitlement()$$, $$values (false, null::text)$$, 'my_entitlement: the free user');
select tests.as_anon();
select throws_ok($$select * from public.my_entitlement()$$, '42501', null, 'my_entitlement: anon may not call');

-- The word list follows every change to the catalog ---------------------------------------------
select tests.as_admin();
-- Words (with their counts) the list has and the published catalog does not, and the reverse.
create function tests.words_drift() returns setof text language sql as $$
  with truth as (select w || ':' || count(*) as e from public.shaders s, public.search_words_of(s.name, s.tags) w
                 where s.published group by w),
       list as (select word || ':' || uses as e from public.search_words)
  (select e from list except select e from truth) union all (select e from truth except select e from list)
$$;
select is_empty($$select * from tests.words_drift()$$, 'search_words: matches the published catalog after inserts');
update public.shaders set name = 'Velvet Drape Zzquux' where id = tests.s(3);
select is_empty($$select * from tests.words_drift()$$, 'search_words: matches after a rename');
select is((select uses from public.search_words where word = 'zzquux'), 1, 'search_words: a renamed shader''s new word is known');
update public.shaders set published = false where id = tests.s(3);
select is_empty($$select * from tests.words_drift()$$, 'search_words: matches after unpublishing');
select is_empty($$select 1 from public.search_words where word = 'zzquux'$$, 'search_words: an unpublished shader''s words are forgotten');
delete from public.shaders where id = tests.s(6);
select is_empty($$select * from tests.words_drift()$$, 'search_words: matches after a delete');
create temp table words_before as select word, ctid::text as c from public.search_words;
update public.shaders set popularity = popularity + 1 where category_id = 'zz-test';
select is_empty($$select word, ctid::text from public.search_words except select word, c from words_before$$,
  'search_words: a popularity change (every finished import) rewrites no word');
select ok(not has_function_privilege('anon', 'public.search_fuzzy_query(text)', 'execute')
          and not has_function_privilege('authenticated', 'public.search_fuzzy_query(text)', 'execute')
          and not has_function_privilege('anon', 'public.search_words_of(text, text[])', 'execute')
          and not has_function_privilege('authenticated', 'public.search_words_sync()', 'execute'),
  'search helpers are not API entry points');

select * from finish();
rollback;
