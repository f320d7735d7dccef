-- rate_limit_step: GCRA shared by every edge instance (burst, deny, retry_after, recovery).
begin;
\ir _helpers.psql
select plan(22);

create function tests.step(p_key text, p_rate int, p_burst int)
returns table (allowed boolean, remaining int, retry_after_ms bigint, reset_ms bigint)
language sql as $$ select * from public.rate_limit_step(p_key, p_rate, p_burst) $$;

select tests.as_service();
-- 6 per minute (one per 10 s, so a slow machine cannot refill between statements), bursts of 3.
select results_eq($$select allowed, remaining, retry_after_ms from tests.step('k:burst', 6, 3)$$, $$values (true, 2, 0::bigint)$$,
  'first request allowed, 2 left in the burst');
select results_eq($$select allowed, remaining from tests.step('k:burst', 6, 3)$$, $$values (true, 1)$$, 'second allowed, 1 left');
select results_eq($$select allowed, remaining from tests.step('k:burst', 6, 3)$$, $$values (true, 0)$$, 'third allowed, burst used up');
select * from tests.step('k:burst', 6, 3) \gset d_
select is(:'d_allowed'::boolean, false, 'fourth request in the same instant is denied');
select is(:'d_remaining'::int, 0, 'denied: nothing remaining');
select ok(:'d_retry_after_ms'::bigint between 9000 and 10000, 'denied: retry after about one emission interval (10 s)');
select ok(:'d_reset_ms'::bigint between 29000 and 30000, 'denied: full again after the whole burst drains (30 s)');
select tests.as_admin();
select tat as tat_before from public.rate_limits where key = 'k:burst' \gset
select tests.as_service();
select is((select allowed from tests.step('k:burst', 6, 3)), false, 'still denied');
select tests.as_admin();
select is((select tat from public.rate_limits where key = 'k:burst'), :'tat_before'::timestamptz, 'denied requests do not use up capacity');

select results_eq($$select allowed, remaining from tests.step('k:other', 60, 3)$$, $$values (true, 2)$$, 'another key has its own bucket');

-- Time passes: move the bucket ten seconds into the past, as if an interval had gone by.
update public.rate_limits set tat = tat - interval '10 seconds' where key = 'k:burst';
select tests.as_service();
select results_eq($$select allowed, remaining from tests.step('k:burst', 6, 3)$$, $$values (true, 0)$$, 'after one interval one request is allowed');
select is((select allowed from tests.step('k:burst', 6, 3)), false, 'and the next is denied again');
select tests.as_admin();
update public.rate_limits set tat = now() - interval '1 hour' where key = 'k:burst';
select tests.as_service();
select results_eq($$select allowed, remaining from tests.step('k:burst', 6, 3)$$, $$values (true, 2)$$, 'an idle bucket is full again (no credit beyond the burst)');

-- A slow limit: 1 per minute, burst 1.
select is((select allowed from tests.step('k:slow', 1, 1)), true, 'slow: first allowed');
select * from tests.step('k:slow', 1, 1) \gset s_
select is(:'s_allowed'::boolean, false, 'slow: second denied');
select ok(:'s_retry_after_ms'::bigint between 59000 and 60000, 'slow: retry after about a minute');

-- A burst of 300 (the web tier's size) lets exactly 300 through at once; the rate is kept low so
-- nothing refills while the statement runs.
select is((select count(*)::int from generate_series(1, 310) g, lateral tests.step(case when g > 0 then 'k:web' end, 1, 300) r where r.allowed), 300,
  'a burst of 300 allows exactly 300 of 310 simultaneous requests');

select throws_ok($$select * from tests.step('k:bad', 0, 3)$$, 'P0001', 'INVALID_INPUT', 'a zero rate is invalid input');
select throws_ok($$select * from tests.step('k:bad', 10, 0)$$, 'P0001', 'INVALID_INPUT', 'a zero burst is invalid input');

-- Only the edge steps buckets; old buckets are pruned.
select tests.as_user(tests.pro());
select throws_ok($$select * from public.rate_limit_step('user:me', 1000000, 1000000)$$, '42501', null, 'users cannot step (or reset) buckets');
select tests.as_admin();
update public.rate_limits set tat = now() - interval '1 hour' where key = 'k:other';
select tests.as_service();
select is(public.prune_rate_limits(), 1, 'prune removes buckets idle for more than 10 minutes');
select tests.as_admin();
select is((select count(*)::int from public.rate_limits where key = 'k:other'), 0, 'the idle bucket is gone');

select * from finish();
rollback;
