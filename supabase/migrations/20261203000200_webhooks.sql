-- Outgoing webhooks (issue 19 item 1): endpoints a user registers, and one queue of deliveries
-- shared by every edge instance. Events are enqueued by triggers on the tables whose changes
-- they announce, so an event exists exactly when its change commits. The edge claims due
-- deliveries with FOR UPDATE SKIP LOCKED and a lease (webhook_claim), signs them by the Standard
-- Webhooks specification and records each attempt (webhook_record); the backoff schedule and the
-- disabling rule are here, so every instance applies the same ones.

create table public.webhook_endpoints (
  id uuid primary key,                        -- chosen by the edge: it binds the encrypted secret
  user_id uuid not null references auth.users (id) on delete cascade,
  url text not null check (char_length(url) between 10 and 2048),
  description text not null default '' check (char_length(description) <= 200),
  events text[] not null check (cardinality(events) > 0 and events <@ array['import.completed',
    'import.failed', 'subscription.updated', 'device.paired', 'device.revoked']),
  -- whsec_ secrets, AES-256-GCM under a key the edge derives from API_KEY_PEPPER (never in the
  -- database); the previous secret keeps signing beside the new one until its expiry (rotation).
  secret_enc bytea not null,
  previous_secret_enc bytea,
  previous_secret_expires_at timestamptz,
  failing_since timestamptz,                  -- first failed attempt since the last success
  disabled_at timestamptz,
  disabled_reason text check (disabled_reason in ('failing')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index webhook_endpoints_user_idx on public.webhook_endpoints (user_id, created_at);
alter table public.webhook_endpoints enable row level security;
create policy "Users can read their own webhook endpoints" on public.webhook_endpoints
  for select to authenticated using (user_id = auth.uid() and (select public.current_device_id()) is null);
revoke all on public.webhook_endpoints from anon, authenticated;
grant select (id, user_id, url, description, events, previous_secret_expires_at, failing_since,
              disabled_at, disabled_reason, created_at, updated_at) on public.webhook_endpoints to authenticated;

-- One row per (event, endpoint): the queue and the user's delivery log. message_id is the
-- webhook-id header, the same on every attempt so receivers can deduplicate.
create table public.webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  endpoint_id uuid not null references public.webhook_endpoints (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  message_id text not null check (message_id ~ '^msg_[0-9a-f]{32}$'),
  event_type text not null,
  payload jsonb not null,                     -- {type, timestamp, data}: the body, frozen at the event
  status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
  attempts int not null default 0,
  next_attempt_at timestamptz not null,       -- while an attempt runs: the end of its lease
  last_attempt_at timestamptz,
  response_status int,
  latency_ms int,
  error text check (char_length(error) <= 300),
  created_at timestamptz not null,            -- the event's time
  delivered_at timestamptz,
  unique (endpoint_id, message_id)
);
create index webhook_deliveries_due_idx on public.webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_log_idx on public.webhook_deliveries (endpoint_id, created_at desc);
create index webhook_deliveries_age_idx on public.webhook_deliveries (created_at);
alter table public.webhook_deliveries enable row level security;
create policy "Users can read their own webhook deliveries" on public.webhook_deliveries
  for select to authenticated using (user_id = auth.uid() and (select public.current_device_id()) is null);
revoke all on public.webhook_deliveries from anon, authenticated;
grant select on public.webhook_deliveries to authenticated;

-- Retries after the n-th failed attempt (Standard Webhooks' reference schedule): 5 s, 5 min,
-- 30 min, 2 h, 5 h, 10 h, 10 h, so 8 attempts over 27.5 hours; null: give up.
create function public.webhook_backoff(p_attempts int) returns interval
language sql immutable parallel safe
as $$
  select (array[interval '5 seconds', interval '5 minutes', interval '30 minutes', interval '2 hours',
                interval '5 hours', interval '10 hours', interval '10 hours'])[p_attempts]
$$;

-- Queues one event (one message id) for every enabled endpoint of p_user subscribed to p_type.
create function public.webhook_enqueue(p_user uuid, p_type text, p_data jsonb) returns int
language plpgsql security definer set search_path = ''
as $$
declare
  at timestamptz := clock_timestamp();   -- distinct per event, also within one transaction
  msg text := 'msg_' || replace(gen_random_uuid()::text, '-', '');
  n int;
begin
  insert into public.webhook_deliveries (endpoint_id, user_id, message_id, event_type, payload, created_at, next_attempt_at)
  select e.id, e.user_id, msg, p_type,
         jsonb_build_object('type', p_type,
                            'timestamp', to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                            'data', p_data),
         at, at
  from public.webhook_endpoints e
  where e.user_id = p_user and e.disabled_at is null and p_type = any (e.events);
  get diagnostics n = row_count;
  return n;
end
$$;
revoke execute on function public.webhook_enqueue(uuid, text, jsonb) from public, anon, authenticated;

-- Events --------------------------------------------------------------------------------------
create function public.webhook_import_event() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if new.status in ('done', 'failed') and new.status is distinct from old.status then
    perform public.webhook_enqueue(new.user_id,
      case new.status when 'done' then 'import.completed' else 'import.failed' end,
      jsonb_build_object('id', new.id, 'status', new.status, 'shader_id', new.shader_id,
        'shader_slug', s.slug, 'shader_name', s.name, 'version', new.version, 'device_id', new.device_id,
        'error_code', new.error_code, 'error_message', new.error_message,
        'created_at', new.created_at, 'updated_at', new.updated_at))
    from public.shaders s where s.id = new.shader_id;
  end if;
  return null;
end
$$;
create trigger webhook_import_event after update of status on public.imports
  for each row execute function public.webhook_import_event();

create function public.webhook_subscription_event() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if tg_op = 'INSERT' or (new.status, new.price_id, new.cancel_at_period_end, new.current_period_end, new.canceled_at)
       is distinct from (old.status, old.price_id, old.cancel_at_period_end, old.current_period_end, old.canceled_at) then
    perform public.webhook_enqueue(new.user_id, 'subscription.updated',
      jsonb_build_object('id', new.id, 'status', new.status, 'price_id', new.price_id,
        'cancel_at_period_end', new.cancel_at_period_end, 'current_period_start', new.current_period_start,
        'current_period_end', new.current_period_end, 'canceled_at', new.canceled_at));
  end if;
  return null;
end
$$;
create trigger webhook_subscription_event after insert or update on public.subscriptions
  for each row execute function public.webhook_subscription_event();

create function public.webhook_device_event() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform public.webhook_enqueue(new.user_id, 'device.paired',
      jsonb_build_object('id', new.id, 'name', new.name, 'platform', new.platform,
        'platform_version', new.platform_version, 'addon_version', new.addon_version, 'os', new.os,
        'created_at', new.created_at));
  elsif new.revoked_at is not null and old.revoked_at is null then
    perform public.webhook_enqueue(new.user_id, 'device.revoked',
      jsonb_build_object('id', new.id, 'name', new.name, 'platform', new.platform, 'revoked_at', new.revoked_at));
  end if;
  return null;
end
$$;
create trigger webhook_device_paired after insert on public.devices
  for each row execute function public.webhook_device_event();
create trigger webhook_device_revoked after update of revoked_at on public.devices
  for each row execute function public.webhook_device_event();

-- Delivery (edge) -----------------------------------------------------------------------------
-- Claims up to p_limit due deliveries of enabled endpoints, oldest first, for p_lease: the
-- attempt is counted now, and a claim whose edge dies before recording it is due again when the
-- lease ends (at least once). Rows another instance holds are skipped, not waited for.
create function public.webhook_claim(p_limit int, p_lease interval)
returns table (id uuid, endpoint_id uuid, message_id text, payload jsonb, attempts int, created_at timestamptz,
               url text, secret_enc bytea, previous_secret_enc bytea)
language sql set search_path = ''
as $$
  with due as (
    select d.id from public.webhook_deliveries d
    join public.webhook_endpoints e on e.id = d.endpoint_id
    where d.status = 'pending' and d.next_attempt_at <= now() and e.disabled_at is null
    order by d.next_attempt_at, d.created_at
    limit greatest(p_limit, 0)
    for update of d skip locked
  )
  update public.webhook_deliveries d
     set attempts = d.attempts + 1, next_attempt_at = now() + p_lease, last_attempt_at = now()
    from due, public.webhook_endpoints e
   where d.id = due.id and e.id = d.endpoint_id
  returning d.id, d.endpoint_id, d.message_id, d.payload, d.attempts, d.created_at, e.url, e.secret_enc,
            case when e.previous_secret_expires_at > now() then e.previous_secret_enc end
$$;
revoke execute on function public.webhook_claim(int, interval) from public, anon, authenticated;

-- Records the outcome of attempt p_attempt (ignored when the lease ran out and the delivery was
-- claimed again). A 2xx ends the delivery; otherwise it is retried after webhook_backoff, or
-- failed after the last attempt. An endpoint that has failed every attempt for a day by the time
-- a delivery gives up is disabled, its queue closed, and its owner told on user:<uid>.
create function public.webhook_record(p_delivery uuid, p_attempt int, p_status int, p_latency_ms int, p_error text)
returns text
language plpgsql set search_path = ''
as $$
declare
  d public.webhook_deliveries;
  ok boolean := p_status between 200 and 299;
  wait interval;
  e public.webhook_endpoints;
begin
  select * into d from public.webhook_deliveries x
   where x.id = p_delivery and x.attempts = p_attempt and x.status = 'pending' for update;
  if not found then
    return 'stale';
  end if;
  wait := public.webhook_backoff(d.attempts);
  update public.webhook_deliveries
     set status = case when ok then 'succeeded' when wait is null then 'failed' else 'pending' end,
         next_attempt_at = case when ok or wait is null then now() else now() + wait * (1 + random() * 0.1) end,
         delivered_at = case when ok then now() end,
         response_status = p_status, latency_ms = p_latency_ms,
         error = case when ok then null else left(p_error, 300) end
   where id = d.id;
  if ok then
    update public.webhook_endpoints set failing_since = null where id = d.endpoint_id and failing_since is not null;
    return 'succeeded';
  end if;
  update public.webhook_endpoints set failing_since = coalesce(failing_since, d.last_attempt_at)
   where id = d.endpoint_id returning * into e;
  if wait is not null then
    return 'retry';
  end if;
  if e.disabled_at is null and e.failing_since <= now() - interval '24 hours' then
    update public.webhook_endpoints set disabled_at = now(), disabled_reason = 'failing', updated_at = now()
     where id = e.id;
    update public.webhook_deliveries set status = 'failed', error = 'endpoint disabled after failing for a day'
     where endpoint_id = e.id and status = 'pending';
    perform realtime.send(
      jsonb_build_object('endpoint_id', e.id, 'url', e.url, 'disabled_reason', 'failing', 'disabled_at', now()),
      'webhook_disabled', 'user:' || e.user_id::text, true);
    return 'disabled';
  end if;
  return 'failed';
end
$$;
revoke execute on function public.webhook_record(uuid, int, int, int, text) from public, anon, authenticated;

-- The log keeps 30 days.
create function public.prune_webhook_deliveries(p_keep interval default interval '30 days') returns int
language plpgsql set search_path = ''
as $$
declare
  n int;
begin
  delete from public.webhook_deliveries where created_at < now() - p_keep and status <> 'pending';
  get diagnostics n = row_count;
  return n;
end
$$;
revoke execute on function public.prune_webhook_deliveries(interval) from public, anon, authenticated;
