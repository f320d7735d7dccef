-- Usage analytics (issue 20 items 3 and 4): the operator's dashboard and the artist's own numbers.
-- Every aggregation is a SQL function; the site's server calls them and sends the browser numbers,
-- never SQL. The operator's functions are definers that refuse anyone but an operator session
-- (public.is_operator()); the artist's are invokers, so RLS keeps each artist to their own rows.
-- Each operator function takes the window in days (1..366, default 30) counted back from now.

-- The dashboard reads imports by creation time (the per-user index leads with user_id). Only
-- created_at is indexed, so an import's status updates stay HOT.
create index imports_created_idx on public.imports (created_at);

-- How long each step of a done import took, in ms, computed once when it is done (parsing the
-- timings of every import on each dashboard load cost seconds at a million rows): waiting for
-- Blender (queued -> redeemed), preparing (redeemed -> downloading), download (downloading ->
-- verifying), verify (verifying -> importing), import in Blender (importing -> done), total
-- (queued -> done). An element is null where the timings lack one of its ends.
create function public.import_step_ms(p_timings jsonb) returns int[]
language sql stable set search_path = ''
as $$
  select array[e[2] - e[1], e[3] - e[2], e[4] - e[3], e[5] - e[4], e[6] - e[5], e[6] - e[1]]::int[]
  from (select array(select date_part('epoch', (p_timings ->> k)::timestamptz) * 1000
                     from unnest(array['queued', 'redeemed', 'downloading', 'verifying', 'importing', 'done'])
                          with ordinality as u(k, o) order by o) as e) x
$$;

alter table public.imports add column step_ms int[];
update public.imports set step_ms = public.import_step_ms(timings) where status = 'done';

create function public.imports_step_ms() returns trigger
language plpgsql
as $$
begin
  if new.status = 'done' and new.step_ms is null then
    new.step_ms := public.import_step_ms(new.timings);
  end if;
  return new;
end
$$;
-- Runs after imports_guard (BEFORE triggers fire by name), which has stamped the 'done' time.
create trigger imports_step_ms before insert or update of status on public.imports
  for each row execute function public.imports_step_ms();

-- Searches that found nothing, one row per day and query: a miss is counted, a hit writes nothing.
create table public.search_misses (
  day date not null default current_date,
  query text not null check (char_length(query) between 2 and 80),
  misses int not null default 1,
  primary key (day, query)
);
alter table public.search_misses enable row level security;
-- No policies: written only by log_search_miss, read only by operator_search_misses.
revoke all on public.search_misses from anon, authenticated;

-- The site's server logs a search that returned nothing (first page, a query of 2 to 80
-- characters once normalised). A day holds at most 5000 distinct queries, so a flood of made-up
-- words cannot grow the table without bound; counts of known queries still rise.
create function public.log_search_miss(p_query text) returns void
language plpgsql security definer set search_path = ''
as $$
declare
  q text := left(lower(regexp_replace(btrim(coalesce(p_query, '')), '\s+', ' ', 'g')), 80);
begin
  if char_length(q) < 2 then
    return;
  end if;
  update public.search_misses set misses = misses + 1 where day = current_date and query = q;
  if found then
    return;
  end if;
  if (select count(*) from public.search_misses where day = current_date) >= 5000 then
    return;
  end if;
  insert into public.search_misses (query) values (q)
  on conflict (day, query) do update set misses = public.search_misses.misses + 1;
end
$$;
revoke execute on function public.log_search_miss(text) from public;
grant execute on function public.log_search_miss(text) to anon, authenticated;

-- The window's start; refuses anyone but an operator and a window outside 1..366 days.
create function public.operator_since(p_days int) returns timestamptz
language plpgsql stable security definer set search_path = ''
as $$
begin
  if not public.is_operator() then
    raise exception 'INSUFFICIENT_PERMISSIONS' using errcode = 'P0001';
  end if;
  if p_days is null or p_days not between 1 and 366 then
    raise exception 'INVALID_INPUT' using errcode = 'P0001', detail = 'p_days must be 1 to 366';
  end if;
  return date_trunc('day', now()) - make_interval(days => p_days - 1);
end
$$;
revoke execute on function public.operator_since(int) from public, anon, authenticated;

-- Imports per day: all, done, failed (every day of the window, zeros included).
create function public.operator_imports_per_day(p_days int default 30)
returns table (day date, imports int, done int, failed int)
language plpgsql stable security definer set search_path = ''
as $$
declare
  since timestamptz := public.operator_since(p_days);
begin
  return query
  with counts as (
    select date_trunc('day', i.created_at)::date as d, count(*) as n,
           count(*) filter (where i.status = 'done') as ok, count(*) filter (where i.status = 'failed') as bad
    from public.imports i where i.created_at >= since group by 1
  )
  select g.d::date, coalesce(c.n, 0)::int, coalesce(c.ok, 0)::int, coalesce(c.bad, 0)::int
  from generate_series(since, date_trunc('day', now()), interval '1 day') as g(d)
  left join counts c on c.d = g.d::date
  order by 1;
end
$$;

-- The most imported shaders of the window with their done and failed counts.
create function public.operator_imports_per_shader(p_days int default 30, p_limit int default 10)
returns table (shader_id uuid, slug text, name text, imports int, done int, failed int)
language plpgsql stable security definer set search_path = ''
as $$
declare
  since timestamptz := public.operator_since(p_days);
begin
  return query
  with top as (
    select i.shader_id as id, count(*) as n,
           count(*) filter (where i.status = 'done') as ok, count(*) filter (where i.status = 'failed') as bad
    from public.imports i where i.created_at >= since
    group by 1 order by 2 desc, 1 limit least(greatest(coalesce(p_limit, 10), 1), 100)
  )
  select t.id, s.slug, s.name, t.n::int, t.ok::int, t.bad::int
  from top t join public.shaders s on s.id = t.id
  order by t.n desc, s.name;
end
$$;

-- The failure codes behind the window's failed imports, most frequent first.
create function public.operator_failure_codes(p_days int default 30)
returns table (error_code text, failures int)
language plpgsql stable security definer set search_path = ''
as $$
declare
  since timestamptz := public.operator_since(p_days);
begin
  return query
  select coalesce(i.error_code, 'INTERNAL_ERROR'), count(*)::int
  from public.imports i where i.created_at >= since and i.status = 'failed'
  group by 1 order by 2 desc, 1;
end
$$;

-- p50 and p95 of each step of the window's done imports, in ms (imports.step_ms).
create function public.operator_step_timings(p_days int default 30)
returns table (step text, imports int, p50_ms int, p95_ms int)
language plpgsql stable security definer set search_path = ''
as $$
declare
  since timestamptz := public.operator_since(p_days);
begin
  return query
  with p as (
    select count(i.step_ms[1]) as n1, count(i.step_ms[2]) as n2, count(i.step_ms[3]) as n3,
           count(i.step_ms[4]) as n4, count(i.step_ms[5]) as n5, count(i.step_ms[6]) as n6,
           percentile_cont(array[0.5, 0.95]) within group (order by i.step_ms[1]) as s1,
           percentile_cont(array[0.5, 0.95]) within group (order by i.step_ms[2]) as s2,
           percentile_cont(array[0.5, 0.95]) within group (order by i.step_ms[3]) as s3,
           percentile_cont(array[0.5, 0.95]) within group (order by i.step_ms[4]) as s4,
           percentile_cont(array[0.5, 0.95]) within group (order by i.step_ms[5]) as s5,
           percentile_cont(array[0.5, 0.95]) within group (order by i.step_ms[6]) as s6
    from public.imports i where i.created_at >= since and i.status = 'done'
  )
  select x.step, x.n::int, round(x.q[1])::int, round(x.q[2])::int
  from p cross join lateral (values
    (1, 'waiting for Blender', p.n1, p.s1), (2, 'preparing', p.n2, p.s2), (3, 'download', p.n3, p.s3),
    (4, 'verify', p.n4, p.s4), (5, 'import in Blender', p.n5, p.s5), (6, 'total', p.n6, p.s6)
  ) as x(ord, step, n, q)
  where x.n > 0
  order by x.ord;
end
$$;

-- Devices seen in the window (not revoked) by platform, Blender version and add-on version.
create function public.operator_active_devices(p_days int default 30)
returns table (platform text, blender_version text, addon_version text, devices int)
language plpgsql stable security definer set search_path = ''
as $$
declare
  since timestamptz := public.operator_since(p_days);
begin
  return query
  select d.platform, coalesce(nullif(d.platform_version, ''), 'unknown'), coalesce(nullif(d.addon_version, ''), 'unknown'),
         count(*)::int
  from public.devices d
  where d.last_seen_at >= since and d.revoked_at is null
  group by 1, 2, 3 order by 4 desc, 1, 2, 3;
end
$$;

-- Subscriptions to the library's products per day: started, cancelled, and active at the day's end
-- (started by then and not yet cancelled; a checkout that was never paid does not count).
create function public.operator_subscriptions(p_days int default 30)
returns table (day date, started int, cancelled int, active int)
language plpgsql stable security definer set search_path = ''
as $$
declare
  since timestamptz := public.operator_since(p_days);
begin
  return query
  with subs as (
    select s.created_at, coalesce(s.canceled_at, case when s.status = 'canceled' then s.updated_at end) as ended
    from public.subscriptions s
    join public.prices p on p.id = s.price_id
    join public.products pr on pr.id = p.product_id and pr.entitles
    where s.status not in ('incomplete', 'incomplete_expired')
  ),
  starts as (select date_trunc('day', created_at) as d, count(*) as n from subs where created_at >= since group by 1),
  ends as (select date_trunc('day', ended) as d, count(*) as n from subs where ended >= since group by 1),
  before as (select count(*) as n from subs where created_at < since and (ended is null or ended >= since))
  select g.d::date, coalesce(st.n, 0)::int, coalesce(en.n, 0)::int,
         (before.n + sum(coalesce(st.n, 0) - coalesce(en.n, 0)) over (order by g.d))::int
  from generate_series(since, date_trunc('day', now()), interval '1 day') as g(d)
  cross join before
  left join starts st on st.d = g.d
  left join ends en on en.d = g.d
  order by 1;
end
$$;

-- The most frequent searches without results in the window. A query that is the start of another
-- missed query of the same day is left out: the site searches as the artist types, so "velv"
-- misses on the way to "velvet", which is the word that was wanted.
create function public.operator_search_misses(p_days int default 30, p_limit int default 20)
returns table (query text, misses int)
language plpgsql stable security definer set search_path = ''
as $$
declare
  since timestamptz := public.operator_since(p_days);
begin
  return query
  -- In byte order a query's successor starts with it whenever any longer query does.
  select m.query, sum(m.misses)::int
  from (select l.query, l.misses, lead(l.query) over (partition by l.day order by l.query collate "C") as next
        from public.search_misses l where l.day >= since::date) m
  where m.next is null or not starts_with(m.next, m.query)
  group by 1 order by 2 desc, 1
  limit least(greatest(coalesce(p_limit, 20), 1), 100);
end
$$;

do $$
declare
  f text;
begin
  foreach f in array array['operator_imports_per_day(int)', 'operator_imports_per_shader(int, int)',
    'operator_failure_codes(int)', 'operator_step_timings(int)', 'operator_active_devices(int)',
    'operator_subscriptions(int)', 'operator_search_misses(int, int)'] loop
    execute format('revoke execute on function public.%s from public, anon', f);
    execute format('grant execute on function public.%s to authenticated', f);
    -- Compiling these mid-sized queries (JIT) costs more than it saves.
    execute format('alter function public.%s set jit = off', f);
  end loop;
end
$$;

-- The artist's own numbers (account page). Invokers: RLS shows each artist only their imports,
-- and a device JWT gets nothing (a paired Blender is not the account).
create function public.my_imports_per_month(p_months int default 12)
returns table (month date, imports int, done int)
language sql stable security invoker set search_path = ''
as $$
  with since as (select date_trunc('month', now()) - make_interval(months => least(greatest(coalesce(p_months, 12), 1), 60) - 1) as t),
  counts as (
    select date_trunc('month', i.created_at) as m, count(*) as n, count(*) filter (where i.status = 'done') as ok
    from public.imports i, since
    where i.user_id = auth.uid() and public.current_device_id() is null and i.created_at >= since.t
    group by 1
  )
  select g.m::date, coalesce(c.n, 0)::int, coalesce(c.ok, 0)::int
  from since, generate_series(since.t, date_trunc('month', now()), interval '1 month') as g(m)
  left join counts c on c.m = g.m
  where auth.uid() is not null and public.current_device_id() is null
  order by 1
$$;

create function public.my_top_shaders(p_limit int default 5)
returns table (shader_id uuid, slug text, name text, imports int)
language sql stable security invoker set search_path = ''
as $$
  select s.id, s.slug, s.name, count(*)::int
  from public.imports i join public.shaders s on s.id = i.shader_id
  where i.user_id = auth.uid() and public.current_device_id() is null and i.status = 'done'
  group by s.id, s.slug, s.name
  order by 4 desc, s.name
  limit least(greatest(coalesce(p_limit, 5), 1), 50)
$$;
revoke execute on function public.my_imports_per_month(int), public.my_top_shaders(int) from public, anon;
grant execute on function public.my_imports_per_month(int), public.my_top_shaders(int) to authenticated;
