-- Rate limits shared by every edge instance: GCRA with one row per bucket.

create table public.rate_limits (
  key text primary key check (char_length(key) <= 200),
  tat timestamptz not null          -- theoretical arrival time
);
alter table public.rate_limits enable row level security;
-- No policies: only the edge's service connection touches buckets.

-- One step of the generic cell rate algorithm. rate_per_minute requests per minute, bursts of up
-- to burst. Returns whether this request is allowed, how many remain in the burst, how long to
-- wait before retrying (ms, 0 when allowed) and when the bucket is full again (ms).
create function public.rate_limit_step(p_key text, p_rate_per_minute int, p_burst int)
returns table (allowed boolean, remaining int, retry_after_ms bigint, reset_ms bigint)
language plpgsql security definer set search_path = ''
as $$
declare
  t_now timestamptz := clock_timestamp();
  emission interval;
  tolerance interval;
  cur timestamptz;
  new_tat timestamptz;
  allow_at timestamptz;
begin
  if p_rate_per_minute <= 0 or p_burst <= 0 then
    raise exception 'INVALID_INPUT' using errcode = 'P0001';
  end if;
  emission := interval '60 seconds' / p_rate_per_minute;
  tolerance := emission * p_burst;
  insert into public.rate_limits as r (key, tat) values (p_key, t_now)
  on conflict (key) do nothing;
  select r.tat into cur from public.rate_limits r where r.key = p_key for update;
  new_tat := greatest(cur, t_now) + emission;
  allow_at := new_tat - tolerance;
  if t_now < allow_at then
    return query select false, 0,
      ceil(extract(epoch from (allow_at - t_now)) * 1000)::bigint,
      ceil(extract(epoch from (greatest(cur, t_now) - t_now)) * 1000)::bigint;
    return;
  end if;
  update public.rate_limits set tat = new_tat where key = p_key;
  return query select true,
    greatest(floor(extract(epoch from (t_now - allow_at)) / extract(epoch from emission))::int, 0),
    0::bigint,
    ceil(extract(epoch from (new_tat - t_now)) * 1000)::bigint;
end
$$;
revoke execute on function public.rate_limit_step(text, int, int) from public, anon, authenticated;

-- Old buckets are full again and carry no information; the edge prunes them now and then.
create function public.prune_rate_limits() returns int
language sql security definer set search_path = ''
as $$
  with d as (delete from public.rate_limits where tat < now() - interval '10 minutes' returning 1)
  select count(*)::int from d
$$;
revoke execute on function public.prune_rate_limits() from public, anon, authenticated;
