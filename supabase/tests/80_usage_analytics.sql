-- Usage analytics (issue 20 items 3 and 4) on generated data: the operator's aggregations against
-- numbers known by construction, who may call them (only an operator session), the search-miss
-- log, and the artist's own numbers.
begin;
\ir _helpers.psql
select plan(48);

select tests.add_operator_device();
update public.devices set platform_version = '4.2.0', addon_version = '1.1.0', last_seen_at = now()
 where id = tests.operator_device();
update public.devices set platform_version = '4.2.0', addon_version = '1.0.0', last_seen_at = now() - interval '2 days'
 where id = tests.pro_device();
update public.devices set platform_version = '3.6.5', addon_version = '1.0.0', last_seen_at = now() - interval '40 days'
 where id = tests.free_device();

-- Generated imports (superuser). In the 30-day window: 200 imports of pro, n = 1..200, on day
-- (n % 10) back from today; shader 2 when n % 4 = 0, else shader 3. n % 10 = 0 failed (20:
-- PACKAGE_UNSAFE for n % 20 = 0, else IMPORT_STALLED), n % 10 = 5 queued (20), the other 160 done,
-- each step of a done import taking a known time: the download n * 100 ms for n <= 100.
-- Outside the window: 50 done imports of free, 40 days ago.
create function tests.at(n int) returns timestamptz language sql stable
as $$ select date_trunc('day', now()) - make_interval(days => n % 10) + interval '1 hour' $$;
insert into public.imports (user_id, device_id, shader_id, shader_version_id, version, status, error_code, created_at, timings)
select tests.pro(), tests.pro_device(), tests.shader(s), tests.version(s), '1.0.0', st::public.import_status,
       case when st = 'failed' then case when n % 20 = 0 then 'PACKAGE_UNSAFE' else 'IMPORT_STALLED' end end,
       tests.at(n),
       case st
         when 'done' then jsonb_build_object(
           'queued', tests.at(n),
           'redeemed', tests.at(n) + interval '2 seconds',
           'downloading', tests.at(n) + interval '2.5 seconds',
           'verifying', tests.at(n) + interval '2.5 seconds' + make_interval(secs => (n * 100) / 1000.0),
           'importing', tests.at(n) + interval '3 seconds' + make_interval(secs => (n * 100) / 1000.0),
           'done', tests.at(n) + interval '4 seconds' + make_interval(secs => (n * 100) / 1000.0))
         when 'failed' then jsonb_build_object('queued', tests.at(n), 'failed', tests.at(n) + interval '1 second')
         else jsonb_build_object('queued', tests.at(n)) end
from generate_series(1, 200) as n,
     lateral (select case when n % 10 = 0 then 'failed' when n % 10 = 5 then 'queued' else 'done' end as st,
                     case when n % 4 = 0 then 2 else 3 end as s) x;
insert into public.imports (user_id, device_id, shader_id, shader_version_id, version, status, created_at)
select tests.free(), tests.free_device(), tests.shader(1), tests.version(1), '1.0.0', 'done', now() - interval '40 days'
from generate_series(1, 50);

-- Searches without results, as the site's server logs them (anon).
select tests.as_anon();
select lives_ok($$select public.log_search_miss('  Velvet   Rug ')$$, 'log_search_miss/anon: logs a miss');
select public.log_search_miss('velvet rug'), public.log_search_miss('VELVET RUG'), public.log_search_miss('velv'),
       public.log_search_miss('chrome'), public.log_search_miss('chrome'), public.log_search_miss('x'),
       public.log_search_miss(repeat('long ', 40));
select throws_ok($$select * from public.search_misses$$, '42501', null, 'search_misses/anon: not readable');
select throws_ok($$select * from public.operator_search_misses()$$, '42501', null, 'operator_search_misses/anon: not callable');
select throws_ok($$select * from public.operator_imports_per_day()$$, '42501', null, 'operator functions/anon: not callable');

-- Nobody but an operator session gets anything.
select tests.as_user(tests.pro());
select throws_ok(format('select * from public.%s', f), 'P0001', 'INSUFFICIENT_PERMISSIONS', 'artist: ' || f || ' refused')
from unnest(array['operator_imports_per_day()', 'operator_imports_per_shader()', 'operator_failure_codes()',
                  'operator_step_timings()', 'operator_active_devices()', 'operator_subscriptions()',
                  'operator_search_misses()']) as f;
select throws_ok($$select * from public.search_misses$$, '42501', null, 'search_misses/artist: not readable');
select tests.as_device(tests.operator(), tests.operator_device());
select throws_ok($$select * from public.operator_imports_per_day()$$, 'P0001', 'INSUFFICIENT_PERMISSIONS',
  'the operator''s own device JWT: refused');
select tests.as_service();
select throws_ok($$select * from public.operator_failure_codes()$$, 'P0001', 'INSUFFICIENT_PERMISSIONS',
  'service_role (no operator session): refused');

select tests.as_user(tests.operator());
select throws_ok($$select * from public.operator_imports_per_day(0)$$, 'P0001', 'INVALID_INPUT', 'a window of 0 days is refused');
select throws_ok($$select * from public.operator_imports_per_day(367)$$, 'P0001', 'INVALID_INPUT', 'a window over 366 days is refused');

-- Imports per day.
select is((select count(*)::int from public.operator_imports_per_day(30)), 30, 'per day: every day of the window, empty ones too');
select is((select sum(imports)::int from public.operator_imports_per_day(30)), 200, 'per day: the window''s 200 imports');
select is((select sum(imports)::int from public.operator_imports_per_day(60)), 250, 'per day: a 60-day window adds the 50 older ones');
select results_eq($$select imports, done, failed from public.operator_imports_per_day(30) where day = current_date$$,
  $$values (20, 0, 20)$$, 'per day: today holds n % 10 = 0: 20 imports, all failed');
select results_eq($$select imports, done, failed from public.operator_imports_per_day(30) where day = current_date - 1$$,
  $$values (20, 20, 0)$$, 'per day: yesterday holds n % 10 = 1: 20 imports, all done');
select is((select sum(imports)::int from public.operator_imports_per_day(30) where day < current_date - 9), 0,
  'per day: nothing before the generated days');
select is((select round(100.0 * sum(done) / sum(done + failed))::int from public.operator_imports_per_day(30)), 89,
  'per day: success rate 160 of 180 finished');

-- Imports per shader.
select results_eq($$select slug, imports, done, failed from public.operator_imports_per_shader(30)$$,
  $$values ('placeholder-frosted-glass'::text, 150, 120, 10), ('placeholder-red-car-paint'::text, 50, 40, 10)$$,
  'per shader: shader 3 (n % 4 <> 0) 150, shader 2 50, with their done and failed');
select is((select count(*)::int from public.operator_imports_per_shader(30, 1)), 1, 'per shader: the limit applies');
select is((select imports from public.operator_imports_per_shader(60) where slug = 'placeholder-brushed-steel'), 50,
  'per shader: the 60-day window brings shader 1''s 50');

-- Failure codes.
select results_eq($$select error_code, failures from public.operator_failure_codes(30)$$,
  $$values ('IMPORT_STALLED'::text, 10), ('PACKAGE_UNSAFE'::text, 10)$$,
  'failure codes: 10 and 10, ties by name');

-- Step timings (p50 and p95 by construction).
select results_eq($$select step, imports from public.operator_step_timings(30)$$,
  $$values ('waiting for Blender'::text, 160), ('preparing'::text, 160), ('download'::text, 160),
           ('verify'::text, 160), ('import in Blender'::text, 160), ('total'::text, 160)$$,
  'step timings: every step of the 160 done imports, in pipeline order');
select results_eq($$select p50_ms, p95_ms from public.operator_step_timings(30) where step in ('waiting for Blender', 'verify') order by step$$,
  $$values (500, 500), (2000, 2000)$$, 'step timings: constant steps have p50 = p95 = their time');
select results_eq($$select p50_ms, p95_ms from public.operator_step_timings(30) where step = 'download'$$,
  $$select round(percentile_cont(0.5) within group (order by n * 100))::int, round(percentile_cont(0.95) within group (order by n * 100))::int
    from generate_series(1, 200) n where n % 10 not in (0, 5)$$,
  'step timings: download p50/p95 equal the percentiles of n * 100 ms over the done n');
select results_eq($$select p50_ms from public.operator_step_timings(30) where step = 'download'$$,
  $$values (10000)$$, 'step timings: download p50 is 10 s (between n = 99 and n = 101, the middle of the done n)');
select is((select p50_ms - 4000 from public.operator_step_timings(30) where step = 'total'),
          (select p50_ms from public.operator_step_timings(30) where step = 'download'),
  'step timings: total = 4 s + download');

-- Active devices.
select results_eq($$select platform, blender_version, addon_version, devices from public.operator_active_devices(30)$$,
  $$values ('blender'::text, '4.2.0'::text, '1.0.0'::text, 1), ('blender'::text, '4.2.0'::text, '1.1.0'::text, 1)$$,
  'active devices: seen in the window, by platform, Blender and add-on version (free''s 40-day-old one left out)');
select is((select sum(devices)::int from public.operator_active_devices(60)), 3, 'active devices: 60 days include free''s (never-seen ones never count)');

-- Subscriptions (library products only; an unpaid checkout never counts). The seed's pro
-- subscription started long before the window.
select tests.as_admin();
update public.subscriptions set created_at = now() - interval '100 days' where id = 'sub_demo_pro';
insert into public.subscriptions (id, user_id, status, price_id, created_at, canceled_at) values
  ('sub_t1', tests.free(), 'active', 'price_pro_monthly', date_trunc('day', now()) - interval '5 days' + interval '1 hour', null),
  ('sub_t2', tests.free(), 'canceled', 'price_pro_yearly', date_trunc('day', now()) - interval '4 days' + interval '1 hour',
   date_trunc('day', now()) - interval '2 days' + interval '1 hour'),
  ('sub_t3', tests.free(), 'incomplete', 'price_pro_monthly', date_trunc('day', now()) - interval '3 days', null);
select tests.as_user(tests.operator());
select results_eq($$select started, cancelled, active from public.operator_subscriptions(30) where day = current_date - 5$$,
  $$values (1, 0, 2)$$, 'subscriptions: day -5 starts sub_t1 (the seed''s pro subscription is active too)');
select results_eq($$select started, cancelled, active from public.operator_subscriptions(30) where day = current_date - 4$$,
  $$values (1, 0, 3)$$, 'subscriptions: day -4 starts sub_t2');
select results_eq($$select started, cancelled, active from public.operator_subscriptions(30) where day = current_date - 2$$,
  $$values (0, 1, 2)$$, 'subscriptions: day -2 cancels sub_t2');
select is((select sum(started)::int from public.operator_subscriptions(30)), 2,
  'subscriptions: the incomplete checkout is not a start');

-- Searches without results.
select results_eq($$select query, misses from public.operator_search_misses(30)$$,
  $$values ('velvet rug'::text, 3), ('chrome'::text, 2), (left(rtrim(repeat('long ', 40)), 80), 1)$$,
  'search misses: normalised, counted, "velv" folded into "velvet rug", one-letter queries dropped, long ones cut');
select tests.as_admin();
insert into public.search_misses (query) select 'filler ' || g from generate_series(1, 4996) g;
select tests.as_anon();
select public.log_search_miss('brand new word'), public.log_search_miss('chrome');
select tests.as_admin();
select is((select count(*)::int from public.search_misses where day = current_date), 5000,
  'search misses: a day keeps at most 5000 distinct queries');
select is((select misses from public.search_misses where day = current_date and query = 'chrome'), 3,
  'search misses: a known query still counts past the cap');

-- The artist's own numbers.
select tests.as_user(tests.pro());
select is((select count(*)::int from public.my_imports_per_month()), 12, 'my imports per month: twelve months, empty ones too');
select is((select sum(imports)::int from public.my_imports_per_month()), 200, 'my imports per month: only pro''s 200');
select results_eq($$select slug, imports from public.my_top_shaders()$$,
  $$values ('placeholder-frosted-glass'::text, 120), ('placeholder-red-car-paint'::text, 40)$$,
  'my top shaders: done imports per shader, most first');
select tests.as_user(tests.free());
select results_eq($$select slug, imports from public.my_top_shaders()$$, $$values ('placeholder-brushed-steel'::text, 50)$$,
  'my top shaders: free sees only their own');
select tests.as_device(tests.pro(), tests.pro_device());
select is_empty($$select * from public.my_imports_per_month()$$, 'my imports per month/device JWT: nothing');
select is_empty($$select * from public.my_top_shaders()$$, 'my top shaders/device JWT: nothing');
select tests.as_anon();
select throws_ok($$select * from public.my_top_shaders()$$, '42501', null, 'my top shaders/anon: not callable');

select * from finish();
rollback;
