-- The operator dashboard over a million imports (issue 20 item 3, scripts/bench/analytics.sh).
-- Every dashboard function read the window's imports from the heap (~800 bytes a row with the
-- timings jsonb), so a 90-day window cost seq scans of the whole table: 2.1 s for the page's data.
-- One covering index holds everything those functions read (status, shader, error code and the
-- per-step times), so they run as index-only scans over ~100 bytes a row. status is already in the
-- predicates of imports_device_*_idx, so status updates were not HOT before and lose nothing here.
create index imports_created_cover_idx on public.imports (created_at)
  include (status, shader_id, error_code, step_ms);
-- Same leading key: the covering index serves every reader of the old one.
drop index public.imports_created_idx;
-- Failed imports are a few percent: the failure-code breakdown reads only those.
create index imports_failed_created_idx on public.imports (created_at) include (error_code)
  where status = 'failed';

-- Imports per day: one index range per day of the window instead of hashing every row of the
-- window by date_trunc (a third of the time at 366 days). Same days, same counts; create or replace
-- keeps the grants, and the settings are given again (replace resets them).
create or replace function public.operator_imports_per_day(p_days int default 30)
returns table (day date, imports int, done int, failed int)
language plpgsql stable security definer set search_path = '' set jit = off
as $$
declare
  since timestamptz := public.operator_since(p_days);
begin
  return query
  select g.d::date, c.n::int, c.ok::int, c.bad::int
  from generate_series(since, date_trunc('day', now()), interval '1 day') as g(d)
  cross join lateral (
    select count(*) as n, count(*) filter (where i.status = 'done') as ok, count(*) filter (where i.status = 'failed') as bad
    from public.imports i where i.created_at >= g.d and i.created_at < g.d + interval '1 day'
  ) c
  order by 1;
end
$$;
