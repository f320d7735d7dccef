-- rate_limit_step in one statement on its usual path (issue 21: minting under load). An allowed
-- step was three (insert the bucket if missing, lock it, move it); now one upsert moves the
-- bucket only when the request fits in the burst, and says so by returning the row, so a refused
-- step still changes nothing. Only a refusal reads the bucket again, for Retry-After. Same
-- answers as 20261122000600_rate_limits (50_rate_limits.sql, the edge's store conformance tests);
-- about half the function's time per step.
create or replace function public.rate_limit_step(p_key text, p_rate_per_minute int, p_burst int)
returns table (allowed boolean, remaining int, retry_after_ms bigint, reset_ms bigint)
language plpgsql security definer set search_path = ''
as $$
declare
  t_now timestamptz := clock_timestamp();
  emission interval;
  tolerance interval;
  new_tat timestamptz;
  cur timestamptz;
begin
  if p_rate_per_minute <= 0 or p_burst <= 0 then
    raise exception 'INVALID_INPUT' using errcode = 'P0001';
  end if;
  emission := interval '60 seconds' / p_rate_per_minute;
  tolerance := emission * p_burst;
  -- A new bucket always takes its first request (burst >= 1); an existing one (locked by the
  -- upsert) when its next arrival time still fits in the burst.
  insert into public.rate_limits as r (key, tat) values (p_key, t_now + emission)
  on conflict (key) do update set tat = greatest(r.tat, t_now) + emission
    where greatest(r.tat, t_now) + emission - tolerance <= t_now
  returning r.tat into new_tat;
  if found then
    return query select true,
      greatest(floor(extract(epoch from (t_now - (new_tat - tolerance))) / extract(epoch from emission))::int, 0),
      0::bigint,
      ceil(extract(epoch from (new_tat - t_now)) * 1000)::bigint;
    return;
  end if;
  -- Refused (the bucket's arrival time is ahead of now): wait until the next request fits.
  select r.tat into cur from public.rate_limits r where r.key = p_key;
  cur := greatest(coalesce(cur, t_now), t_now);
  return query select false, 0,
    ceil(extract(epoch from (cur + emission - tolerance - t_now)) * 1000)::bigint,
    ceil(extract(epoch from (cur - t_now)) * 1000)::bigint;
end
$$;
revoke execute on function public.rate_limit_step(text, int, int) from public, anon, authenticated;
