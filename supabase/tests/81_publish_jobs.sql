-- Publishing from the browser (issue 20 item 2): only an operator's web session asks for publish
-- jobs, reads them, unpublishes and lists the whole catalog; the worker's functions claim with
-- SKIP LOCKED, log, finish and take over a stopped worker's job; no API role reaches them.
begin;
\ir _helpers.psql
select plan(36);

select tests.add_operator_device();
create function tests.key(n int) returns text language sql immutable
as $$ select 'incoming/' || repeat(to_hex(n), 64 / length(to_hex(n))) || '.zip' $$;
create function tests.request(n int, p_new_version_of text default null) returns uuid
language sql as $$ select (public.request_publish(tests.key(n), 'pkg.zip', 1234, p_new_version_of)).id $$;

-- Who may ask ------------------------------------------------------------------------------------
select tests.as_anon();
select throws_ok($$select tests.request(1)$$, '42501', null, 'request_publish/anon: not callable');
select throws_ok($$select * from public.publish_jobs$$, '42501', null, 'publish_jobs/anon: select denied');
select throws_ok($$select * from public.operator_catalog()$$, '42501', null, 'operator_catalog/anon: not callable');
select tests.as_user(tests.pro());
select throws_ok($$select tests.request(1)$$, 'P0001', 'INSUFFICIENT_PERMISSIONS', 'request_publish/artist: refused');
select throws_ok($$select public.set_shader_published('placeholder-brushed-steel', false)$$, 'P0001', 'INSUFFICIENT_PERMISSIONS',
  'set_shader_published/artist: refused');
select throws_ok($$select * from public.operator_catalog()$$, 'P0001', 'INSUFFICIENT_PERMISSIONS', 'operator_catalog/artist: refused');
select throws_ok($$insert into public.publish_jobs (requested_by, upload_key, file_name, size) values (auth.uid(), 'incoming/' || repeat('a', 64) || '.zip', 'x', 1)$$,
  '42501', null, 'publish_jobs/artist: no direct insert');
select throws_ok($$select public.claim_publish_job('w')$$, '42501', null, 'claim_publish_job/artist: not callable');
select throws_ok($$select public.publish_job_progress(gen_random_uuid(), 'w', null, '[]')$$, '42501', null,
  'publish_job_progress/artist: not callable');
select throws_ok($$select public.finish_publish_job(gen_random_uuid(), 'w', 'failed', 'INTERNAL_ERROR', null, null, '[]')$$, '42501', null,
  'finish_publish_job/artist: not callable');
select tests.as_device(tests.operator(), tests.operator_device());
select throws_ok($$select tests.request(1)$$, 'P0001', 'INSUFFICIENT_PERMISSIONS', 'request_publish/operator''s device: refused');
select throws_ok($$select public.set_shader_published('placeholder-brushed-steel', false)$$, 'P0001', 'INSUFFICIENT_PERMISSIONS',
  'set_shader_published/operator''s device: refused');

-- The operator asks -------------------------------------------------------------------------------
select tests.as_user(tests.operator());
select throws_ok($$select public.request_publish('packages/x/1.0.0.zip', 'x.zip', 10)$$, 'P0001', 'INVALID_INPUT',
  'request_publish: only an incoming/ key');
select throws_ok($$select public.request_publish(tests.key(1), 'x.zip', 0)$$, 'P0001', 'INVALID_INPUT', 'request_publish: positive size');
select throws_ok($$select tests.request(1, 'no-such-shader')$$, 'P0001', 'NOT_FOUND', 'request_publish: a new version of an unknown shader');
select tests.request(1) as j1 \gset
select tests.request(2, 'placeholder-brushed-steel') as j2 \gset
select results_eq(format('select status, step, requested_by, new_version_of from public.publish_jobs where id = %L', :'j2'),
  format('values (%L, %L, %L::uuid, %L)', 'queued', 'queued', tests.operator(), 'placeholder-brushed-steel'),
  'the job is queued for the operator, naming the shader of the new version');
select tests.as_user(tests.pro());
select is((select count(*)::int from public.publish_jobs), 0, 'publish_jobs/artist: sees no job');
select tests.as_device(tests.operator(), tests.operator_device());
select is((select count(*)::int from public.publish_jobs), 0, 'publish_jobs/operator''s device: sees no job');

-- The worker ----------------------------------------------------------------------------------------
select tests.as_service();
select is((public.claim_publish_job('w1')).id, :'j1'::uuid, 'claim: the oldest queued job first');
select is((public.claim_publish_job('w2')).id, :'j2'::uuid, 'claim: the next worker gets the next job');
select is((public.claim_publish_job('w3')).id, null, 'claim: nothing left');
select lives_ok(format($$select public.publish_job_progress(%L, 'w1', 'validate', '[{"text": "validate: 1 packages ok", "problem": false}]')$$, :'j1'),
  'progress: the worker logs a line and moves the step');
select throws_ok(format($$select public.publish_job_progress(%L, 'w2', 'vet', '[]')$$, :'j1'), 'P0001', 'CONFLICT',
  'progress: another worker''s job is refused');
select throws_ok(format($$select public.finish_publish_job(%L, 'w1', 'published', null, null, null, '[]')$$, :'j1'), 'P0001', 'INVALID_INPUT',
  'finish: published names the shader and version');
select lives_ok(format($$select public.finish_publish_job(%L, 'w1', 'refused', 'PACKAGE_UNSAFE', null, null, '[{"text": "pkg: material.blend: a text block is registered as a module", "problem": true}]')$$, :'j1'),
  'finish: refused with its problem lines');
select results_eq(format($$select status, step, error_code, jsonb_array_length(log), log->1->>'text', finished_at is not null from public.publish_jobs where id = %L$$, :'j1'),
  $$values ('refused', 'validate', 'PACKAGE_UNSAFE', 2, 'pkg: material.blend: a text block is registered as a module', true)$$,
  'a refused job keeps its step, code and every line');
select throws_ok(format($$select public.publish_job_progress(%L, 'w1', null, '[]')$$, :'j1'), 'P0001', 'CONFLICT',
  'progress: a finished job takes no more lines');

-- A stopped worker's job is taken over (log restarted), at most three attempts in all.
select tests.as_admin();
update public.publish_jobs set heartbeat_at = now() - interval '5 minutes' where id = :'j2';
select tests.as_service();
select results_eq(format($$select (j).worker, (j).attempts, jsonb_array_length((j).log) from (select public.claim_publish_job('w4') j) x where (j).id = %L$$, :'j2'),
  $$values ('w4', 2, 0)$$, 'claim: a running job without heartbeat is taken over');
select tests.as_admin();
update public.publish_jobs set heartbeat_at = now() - interval '5 minutes', attempts = 3 where id = :'j2';
select tests.as_service();
select is((public.claim_publish_job('w5')).id, null, 'claim: not a fourth time');
select results_eq(format($$select status, error_code from public.publish_jobs where id = %L$$, :'j2'),
  $$values ('failed', 'INTERNAL_ERROR')$$, 'the job failed after three stopped attempts');

-- Unpublish / publish again and the operator's catalog ---------------------------------------------
select tests.as_user(tests.operator());
select is(public.set_shader_published('placeholder-brushed-steel', false), false, 'set_shader_published: hidden');
select tests.as_anon();
select is((select count(*)::int from public.shaders where slug = 'placeholder-brushed-steel'), 0, 'an unpublished shader is not in the catalog');
select tests.as_user(tests.operator());
select is((select published from public.operator_catalog() where slug = 'placeholder-brushed-steel'), false,
  'operator_catalog lists the hidden shader too');
select throws_ok($$select public.set_shader_published('no-such-shader', false)$$, 'P0001', 'NOT_FOUND', 'set_shader_published: unknown shader');
select tests.as_admin();
insert into public.shaders (slug, name, category_id) values ('e2e-no-versions', 'No versions', 'metal');
select tests.as_user(tests.operator());
select throws_ok($$select public.set_shader_published('e2e-no-versions', true)$$, 'P0001', 'CONFLICT',
  'set_shader_published: a shader without a version cannot be shown');
select is(public.set_shader_published('placeholder-brushed-steel', true), true, 'set_shader_published: shown again');

select * from finish();
rollback;
