#!/usr/bin/env bash
# Operator dashboard benchmark (issue 20 item 3): the dashboard's SQL functions over 1,000,000
# generated imports (a year of them, 200 shaders, 20,000 devices, 2,000 subscriptions, 5,000
# search misses), called as the operator's session like PostgREST does. Reports each function's
# median of 5 runs and their sum (the page's data load; the page runs them in parallel, so its
# wait is at most the sum) for the default 30-day window, 90 days and the widest (366 days).
# Target: under 1000 ms for each window the page offers (30, the default, and 90 days); 366 days is
# reported only. Then the real page over the same database (frontend/tests/bench/analytics-page.mjs:
# `next start` of the production build and the Supabase stand-in through the stack launcher, over a
# clone of the scratch database, signed in as the seeded operator): p50/p95 of ANALYTICS_PAGE_RUNS
# (default 7) GETs of the server-rendered /operator/analytics, default window (30 days) and
# ?days=90. Scratch clone of the template database, dropped afterwards.
source "$(dirname "$0")/../lib.sh"
cd "$OCTANE_ROOT"
count=${ANALYTICS_BENCH_IMPORTS:-1000000}
bench_db bench_analytics
log "analytics bench: generating $count imports"
start=$(date +%s)
psql "$bench_url" -v ON_ERROR_STOP=1 -q -v count="$count" >/dev/null <<'SQL'
select setseed(0.2020);
-- Bulk load without the per-row triggers (the broadcast to the owner's topic, the state guard):
-- the rows are written as they would stand after their imports ran.
set session_replication_role = replica;
insert into auth.users (id, aud, role, email, created_at, updated_at)
select ('00000000-0000-4000-8000-' || lpad(to_hex(u), 12, '0'))::uuid, 'authenticated', 'authenticated',
       'bench' || u || '@example.com', now(), now()
from generate_series(1, 10000) u;
insert into public.devices (id, user_id, name, platform, platform_version, addon_version, last_seen_at)
select ('00000000-0000-4000-9000-' || lpad(to_hex(d), 12, '0'))::uuid,
       ('00000000-0000-4000-8000-' || lpad(to_hex(1 + d % 10000), 12, '0'))::uuid, 'Blender ' || d,
       (array['blender','blender','blender','rhino'])[1 + d % 4], (array['4.2.0','4.1.1','3.6.5','4.3.2'])[1 + d % 4],
       (array['1.0.0','1.1.0','1.2.0'])[1 + d % 3], now() - make_interval(days => (d % 90))
from generate_series(1, 20000) d;
insert into public.shaders (id, slug, name, category_id, published, latest_version)
select ('00000000-0000-4000-a000-' || lpad(to_hex(s), 12, '0'))::uuid, 'bench-shader-' || s, 'Bench Shader ' || s, 'metal', true, '1.0.0'
from generate_series(1, 200) s;
insert into public.shader_versions (id, shader_id, version, package_key, sha256, size, manifest, manifest_sig, min_blender, min_octane)
select ('00000000-0000-4000-b000-' || lpad(to_hex(s), 12, '0'))::uuid, ('00000000-0000-4000-a000-' || lpad(to_hex(s), 12, '0'))::uuid,
       '1.0.0', 'packages/bench-' || s || '/1.0.0.zip', repeat('0', 64), 1024, '{}', 'bench', '3.4', '2024.1'
from generate_series(1, 200) s;
-- A year of imports in the order they were made (as the table fills): popular shaders more often
-- (s ~ x^2), 85 % done, 7 % failed, the rest queued, expired or cancelled; each done import's
-- steps take a few seconds. step_ms as the trigger would set it.
insert into public.imports (user_id, device_id, shader_id, shader_version_id, version, status, error_code, created_at, updated_at, timings)
select ('00000000-0000-4000-8000-' || lpad(to_hex(1 + d % 10000), 12, '0'))::uuid,
       ('00000000-0000-4000-9000-' || lpad(to_hex(d), 12, '0'))::uuid,
       ('00000000-0000-4000-a000-' || lpad(to_hex(s), 12, '0'))::uuid,
       ('00000000-0000-4000-b000-' || lpad(to_hex(s), 12, '0'))::uuid, '1.0.0', st::public.import_status,
       case when st = 'failed' then (array['IMPORT_STALLED','PACKAGE_UNSAFE','DOWNLOAD_FAILED','DISK_FULL'])[1 + (n % 4)] end,
       t, t,
       case st when 'done' then jsonb_build_object('queued', t, 'redeemed', t + make_interval(secs => r * 3),
              'downloading', t + make_interval(secs => r * 3 + 0.2), 'verifying', t + make_interval(secs => r * 3 + 0.2 + r * 8),
              'importing', t + make_interval(secs => r * 3 + 0.5 + r * 8), 'done', t + make_interval(secs => r * 3 + 1.5 + r * 8))
            when 'failed' then jsonb_build_object('queued', t, 'failed', t + make_interval(secs => r * 20))
            else jsonb_build_object('queued', t) end
from (select n, 1 + (random() * 19999)::int as d, 1 + floor(200 * random() ^ 2)::int as s, random() as r,
             now() - make_interval(secs => random() * 365 * 86400) as t,
             case when n % 100 < 85 then 'done' when n % 100 < 92 then 'failed' when n % 100 < 96 then 'expired'
                  when n % 100 < 98 then 'cancelled' else 'queued' end as st
      from generate_series(1, :count) n) x
order by t;
update public.imports set step_ms = public.import_step_ms(timings) where status = 'done';
insert into public.subscriptions (id, user_id, status, price_id, created_at, canceled_at)
select 'sub_bench_' || k, ('00000000-0000-4000-8000-' || lpad(to_hex(1 + k), 12, '0'))::uuid,
       case when k % 5 = 0 then 'canceled' else 'active' end, 'price_pro_monthly',
       now() - make_interval(days => k % 365), case when k % 5 = 0 then now() - make_interval(days => (k % 365) / 2) end
from generate_series(1, 2000) k;
insert into public.search_misses (day, query, misses)
select current_date - (k % 30), 'missing word ' || k, 1 + k % 7 from generate_series(1, 5000) k;
set session_replication_role = origin;
SQL
psql "$bench_url" -qc "vacuum analyze" >/dev/null
log "analytics bench: $count imports loaded in $(( $(date +%s) - start )) s"

# Median of 5 timed runs of each dashboard function as the operator's session (role authenticated
# with the seeded operator's claims), after one warm-up run.
measure() { # measure DAYS -> lines "function ms"
  psql "$bench_url" -v ON_ERROR_STOP=1 -qtA -v days="$1" <<'SQL'
set request.jwt.claims = '{"sub":"99999999-9999-4999-8999-999999999999","role":"authenticated","aud":"authenticated"}';
set role authenticated;
create temp table timings (fn text, ms float8);
do $$
declare
  fns text[] := array['operator_imports_per_day(%s)', 'operator_imports_per_shader(%s)', 'operator_failure_codes(%s)',
                      'operator_step_timings(%s)', 'operator_active_devices(%s)', 'operator_subscriptions(%s)',
                      'operator_search_misses(%s)'];
  f text; t0 timestamptz; run int;
begin
  foreach f in array fns loop
    for run in 0..5 loop
      t0 := clock_timestamp();
      execute format('select count(*) from public.' || f, current_setting('bench.days'));
      if run > 0 then
        insert into timings values (split_part(f, '(', 1), extract(epoch from clock_timestamp() - t0) * 1000);
      end if;
    end loop;
  end loop;
end $$;
select fn || ' ' || round(percentile_cont(0.5) within group (order by ms)::numeric, 1) from timings group by fn order by fn;
SQL
}

for days in 30 90 366; do
  total=0
  while read -r fn ms; do
    [ -n "$fn" ] || continue
    bench_result "analytics_${days}d_${fn#operator_}_ms" "$ms" ms null null
    total=$(python3 -c "print(round($total + $ms, 1))")
    echo "  ${days} days: $fn ${ms} ms"
  done < <(PGOPTIONS="-c bench.days=$days" measure "$days")
  target=null; [ "$days" != 366 ] && target=1000
  echo "analytics: the dashboard's data over $count imports, ${days}-day window: ${total} ms (sum of the seven SQL functions' medians; SQL only, without PostgREST and rendering)"
  bench_result "analytics_${days}d_dashboard_ms" "$total" ms "$target" null
done

# The page itself: the stack launcher clones the scratch database (its template) for its stand-in.
log "analytics bench: the page /operator/analytics over $count imports"
out=$(OCTANE_PG_URL="$pg_url" OCTANE_PG_TEMPLATE="$_bench_db" node frontend/tests/bench/analytics-page.mjs | grep '^{"name"')
echo "$out"
echo "$out" >>"$OCTANE_LOCAL/reports/bench.jsonl"
