-- Package format v2 (issue 16): texture_sets (RLS matrix: readers of the version read its sets,
-- only the service role writes; rows agree with the signed manifest; immutable), the resolution
-- an import delivers (import_resolution: the asked-for set or INVALID_INPUT, else the account's
-- default, else 2k, else the largest below, else the smallest), create_import recording it and
-- the purpose, and imports.resolution readable where imports are.
begin;
\ir _helpers.psql
select plan(58);

-- A v2 version of seeded shader n: a manifest naming one set per resolution, and (unless
-- p_rows is false) the matching texture_sets rows.
create function tests.v2_version(p_shader int, p_version text, p_res text[], p_rows boolean default true)
returns uuid language plpgsql as $$
declare
  id uuid := gen_random_uuid();
begin
  insert into public.shader_versions (id, shader_id, version, package_key, sha256, size, manifest, manifest_sig, texture_resolutions)
  values (id, tests.shader(p_shader), p_version, format('packages/s%s/%s.zip', p_shader, p_version),
          tests.hash(p_version || p_shader), 2048,
          jsonb_build_object('schema_version', 2, 'texture_sets', coalesce((
            select jsonb_agg(jsonb_build_object('resolution', r, 'sha256', tests.hash(id::text || r),
                                                'size', left(r, -1)::int * 1000, 'files', '[]'::jsonb))
            from unnest(p_res) r), '[]'::jsonb)),
          'local-1.test', p_res);
  if p_rows then
    insert into public.texture_sets (version_id, resolution, object_key, sha256, size, files)
    select id, r, format('packages/s%s/%s/textures-%s.zip', p_shader, p_version, r), tests.hash(id::text || r),
           left(r, -1)::int * 1000, '[{"path": "albedo.jpg", "sha256": "00", "size": 1}]'
    from unnest(p_res) r;
  end if;
  return id;
end $$;

-- a: pro shader, published; b: no 2k; c: free shader, nothing at or below 2k; d: 2k beats the
-- 3k below a 4k preference; hidden: an unpublished shader; untextured: a v2 material without sets.
select tests.v2_version(2, '2.0.0', '{1k,2k,4k}') as a \gset
select tests.v2_version(3, '2.0.0', '{1k,4k}') as b \gset
select tests.v2_version(1, '2.0.0', '{4k,8k}') as c \gset
select tests.v2_version(3, '2.1.0', '{2k,3k,8k}') as d \gset
select tests.v2_version(4, '2.0.0', '{1k}', false) as hidden \gset
select tests.v2_version(2, '2.1.0', '{}') as untextured \gset

-- Schema -----------------------------------------------------------------------------------------
select has_table('public', 'texture_sets', 'texture_sets exists');
select col_is_pk('public', 'texture_sets', array['version_id', 'resolution'], 'one set per version and resolution');
select is((select relrowsecurity from pg_class where oid = 'public.texture_sets'::regclass), true, 'texture_sets has RLS');
select has_column('public', 'imports', 'resolution', 'imports.resolution exists');
select has_column('public', 'imports', 'purpose', 'imports.purpose exists');

-- Writes: the service role (the publisher) only, and only what the manifest says -------------------
select tests.as_service();
select lives_ok(format($$insert into public.texture_sets (version_id, resolution, object_key, sha256, size, files)
  values (%L, '1k', 'packages/s4/2.0.0/textures-1k.zip', tests.hash(%L || '1k'), 1000, '[]')$$, :'hidden', :'hidden'),
  'texture_sets/service: the publisher registers a set the manifest names');
select throws_ok(format($$insert into public.texture_sets (version_id, resolution, object_key, sha256, size, files)
  values (%L, '8k', 'packages/s2/2.0.0/textures-8k.zip', repeat('a', 64), 8000, '[]')$$, :'a'),
  'P0001', 'INVALID_INPUT', 'texture_sets/service: a set the manifest does not name is refused');
select throws_ok(format($$insert into public.texture_sets (version_id, resolution, object_key, sha256, size, files)
  values (%L, '1k', 'packages/s4/2.0.0/textures-1k.zip', repeat('b', 64), 1000, '[]')$$, :'untextured'),
  'P0001', 'INVALID_INPUT', 'texture_sets/service: a set for a version without sets is refused');
select throws_ok(format($$insert into public.texture_sets (version_id, resolution, object_key, sha256, size, files)
  values (%L, '1k', 'packages/s2/1.0.0/textures-1k.zip', repeat('c', 64), 1000, '[]')$$, tests.version(2)),
  'P0001', 'INVALID_INPUT', 'texture_sets/service: a v1 version has no sets');
select throws_ok(format($$update public.texture_sets set size = size + 1 where version_id = %L$$, :'a'),
  'P0001', null, 'texture_sets/service: a set is immutable');
select throws_ok(format($$delete from public.texture_sets where version_id = %L$$, :'a'),
  'P0001', null, 'texture_sets/service: a set goes only with its shader');

-- Reads: whoever may read the version -------------------------------------------------------------
select tests.as_anon();
select results_eq(format($$select resolution, size from public.texture_sets where version_id = %L order by size$$, :'a'),
  $$values ('1k'::text, 1000::bigint), ('2k', 2000), ('4k', 4000)$$, 'texture_sets/anon: reads the sets of a published version with sizes');
select is((select count(*)::int from public.texture_sets where version_id = :'hidden'), 0,
  'texture_sets/anon: nothing of an unpublished shader');
select throws_ok(format($$insert into public.texture_sets (version_id, resolution, object_key, sha256, size, files)
  values (%L, '8k', 'x', repeat('a', 64), 1, '[]')$$, :'c'), '42501', null, 'texture_sets/anon: insert denied');
select throws_ok($$update public.texture_sets set size = 1$$, '42501', null, 'texture_sets/anon: update denied');
select throws_ok($$delete from public.texture_sets$$, '42501', null, 'texture_sets/anon: delete denied');

select tests.as_user(tests.free());
select is((select count(*)::int from public.texture_sets where version_id in (:'a', :'b', :'c', :'d')), 10,
  'texture_sets/user: reads the sets of published versions, paid or not');
select is((select count(*)::int from public.texture_sets where version_id = :'hidden'), 0,
  'texture_sets/user: nothing of an unpublished shader');
select results_eq(format($$select t.resolution, v.size + t.size from public.shader_versions v
    join public.texture_sets t on t.version_id = v.id where v.id = %L order by t.size$$, :'b'),
  $$values ('1k'::text, 3048::bigint), ('4k', 6048)$$, 'texture_sets/user: the page''s download size per resolution (base + set)');
select throws_ok(format($$insert into public.texture_sets (version_id, resolution, object_key, sha256, size, files)
  values (%L, '8k', 'x', repeat('a', 64), 1, '[]')$$, :'c'), '42501', null, 'texture_sets/user: insert denied');
select throws_ok($$update public.texture_sets set object_key = 'evil'$$, '42501', null, 'texture_sets/user: update denied');

select tests.as_device(tests.pro(), tests.pro_device());
select is((select count(*)::int from public.texture_sets where version_id = :'a'), 3, 'texture_sets/device: reads published sets');
select throws_ok($$delete from public.texture_sets$$, '42501', null, 'texture_sets/device: delete denied');

select tests.as_user(tests.operator());
select is((select count(*)::int from public.texture_sets where version_id = :'hidden'),
  (select count(*)::int from public.shader_versions where id = :'hidden'),
  'texture_sets/operator: sees an unpublished shader''s sets exactly when it sees the version');

-- The resolution an import delivers -------------------------------------------------------------
select tests.as_admin();
select is(public.import_resolution(:'a', tests.pro()), '2k', 'default: 2k without a saved preference');
select is(public.import_resolution(:'b', tests.pro()), '1k', 'default: no 2k, the largest set below 2k');
select is(public.import_resolution(:'c', tests.pro()), '4k', 'default: nothing at or below 2k, the smallest');
select is(public.import_resolution(:'d', tests.pro()), '2k', 'default: 2k');
insert into public.user_settings (user_id, default_resolution) values (tests.pro(), '4k');
select is(public.import_resolution(:'a', tests.pro()), '4k', 'preference 4k: 4k');
select is(public.import_resolution(:'b', tests.pro()), '4k', 'preference 4k: 4k when the version has it');
select is(public.import_resolution(:'d', tests.pro()), '2k', 'preference 4k missing: 2k before the larger 3k below');
update public.user_settings set default_resolution = '1k' where user_id = tests.pro();
select is(public.import_resolution(:'c', tests.pro()), '4k', 'preference 1k: nothing at or below, the smallest');
select is(public.import_resolution(:'b', tests.pro()), '1k', 'preference 1k: 1k');
select is(public.import_resolution(:'b', tests.free()), '1k', 'another user''s preference is not this one''s (free has none: 2k rule)');
select is(public.import_resolution(:'a', tests.pro(), '4k'), '4k', 'asked for: the set asked for');
select throws_ok(format($$select public.import_resolution(%L, tests.pro(), '8k')$$, :'a'), 'P0001', 'INVALID_INPUT',
  'asked for a set the version lacks: INVALID_INPUT');
select is(public.import_resolution(:'a', tests.pro(), '8k', false), '2k', 'an update asking for a missing set: the rule from there (2k)');
select is(public.import_resolution(:'b', tests.pro(), '2k', false), '1k', 'an update asking for a missing 2k: the largest below');
select is(public.import_resolution(tests.version(2), tests.pro()), null, 'v1: no resolution');
select is(public.import_resolution(tests.version(2), tests.pro(), '1k'), null, 'v1: the resolution it was built with may be named');
select throws_ok($$select public.import_resolution(tests.version(2), tests.pro(), '4k')$$, 'P0001', 'INVALID_INPUT',
  'v1: another resolution is INVALID_INPUT');
select is(public.import_resolution(:'untextured', tests.pro()), null, 'untextured v2: no resolution');
select throws_ok(format($$select public.import_resolution(%L, tests.pro(), '2k')$$, :'untextured'), 'P0001', 'INVALID_INPUT',
  'untextured v2: asking for a resolution is INVALID_INPUT');

-- create_import records it ------------------------------------------------------------------------
create function tests.import_at(p_version uuid, p_resolution text, p_purpose text default 'import') returns public.imports
language sql as $$
  select * from public.create_import(gen_random_uuid(), tests.pro(), p_version, tests.pro_device(), gen_random_uuid(),
    tests.hash(gen_random_uuid()::text), now() + interval '120 seconds', interval '15 minutes', null, p_resolution, p_purpose)
$$;
select is((tests.import_at(:'a', null)).resolution, '1k', 'create_import: the default rule (preference 1k)');
select is((tests.import_at(:'a', '4k')).resolution, '4k', 'create_import: the resolution asked for');
select throws_ok(format($$select tests.import_at(%L, '8k')$$, :'a'), 'P0001', 'INVALID_INPUT',
  'create_import: a resolution the version lacks is INVALID_INPUT');
select is((select count(*)::int from public.imports where shader_version_id = :'a'), 2, 'create_import: the refused one left no row');
select results_eq(format($$select (i).resolution, (i).purpose from tests.import_at(%L, '4k', 'switch') i$$, :'b'),
  $$values ('4k'::text, 'switch'::text)$$, 'create_import: a switch records its purpose');
select results_eq(format($$select (i).resolution, (i).purpose from tests.import_at(%L, '2k', 'update') i$$, :'b'),
  $$values ('1k'::text, 'update'::text)$$, 'create_import: an update falls back to a set the new version has');
select throws_ok(format($$select tests.import_at(%L, null, 'steal')$$, :'a'), '23514', null, 'create_import: an unknown purpose is refused');
select is((tests.import_at(tests.version(2), null)).resolution, null, 'create_import: a v1 version records no resolution');
select is((select (tests.new_import(tests.pro(), tests.pro_device(), :'d', gen_random_uuid(), 'tok-d')) is not null), true,
  'create_import: older callers (no resolution, no purpose) still work');
select results_eq(format($$select resolution, purpose from public.imports where shader_version_id = %L$$, :'d'),
  $$values ('2k'::text, 'import'::text)$$, 'create_import: ... with the default rule and purpose import');

-- imports.resolution where imports are read ---------------------------------------------------------
select tests.as_user(tests.pro());
select is((select count(*)::int from public.imports where shader_version_id = :'a' and resolution = '4k'), 1,
  'imports/owner: reads the resolution of their imports (the history''s Import again)');
select tests.as_user(tests.free());
select is((select count(*)::int from public.imports where shader_version_id = :'a'), 0, 'imports/other: nothing of another user''s');

-- The bridge's catch-up lists hold only the web's imports ------------------------------------------
-- (Blender's own switch or update is answered to the bridge that asked, which alone knows the
-- material to change; catching it up would import it as a new material.)
select tests.as_admin();
select (tests.import_at(:'a', '2k', 'update')).id as updating \gset
select tests.new_import(tests.pro(), tests.pro_device(), :'a', gen_random_uuid(), 'tok-web') as web \gset
update public.imports set status = 'redeemed' where id in (:'updating', :'web');
select array_agg(id order by id) filter (where purpose = 'import') as queued_web,
       count(*) filter (where purpose <> 'import') as queued_blender
from public.imports where device_id = tests.pro_device() and status = 'queued' \gset
select tests.as_device(tests.pro(), tests.pro_device());
select is(array(select import_id from public.pending_imports() order by import_id), :'queued_web'::uuid[],
  format('pending_imports: the web''s queued imports, not the %s Blender asked for', :'queued_blender'));
select results_eq(format($$select import_id from public.unfinished_imports() where import_id in (%L, %L)$$, :'updating', :'web'),
  format($$values (%L::uuid)$$, :'web'), 'unfinished_imports: the web import, not the update Blender asked for');

-- Cascade: a shader deleted takes its versions and their sets --------------------------------------
select tests.as_admin();
delete from public.imports where shader_id = tests.shader(3);
delete from public.shaders where id = tests.shader(3);
select is((select count(*)::int from public.texture_sets where version_id in (:'b', :'d')), 0, 'a deleted shader takes its sets');

select * from finish();
rollback;
