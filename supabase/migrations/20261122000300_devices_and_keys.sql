-- Devices (one per paired Blender), the RFC 8628 pairing grants, and API keys.

create table public.devices (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 80),
  platform text not null check (platform in ('blender', 'rhino', 'sketchup', 'revit', 'autocad', 'archicad')),
  platform_version text,
  addon_version text,
  bridge_version text,
  os text,
  last_seen_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  offline_notified_at timestamptz   -- when sweep_offline_devices last told the owner it went offline
);
create index devices_user_idx on public.devices (user_id, last_seen_at desc nulls last);
alter table public.devices enable row level security;

create policy "Users can read their own devices" on public.devices
  for select to authenticated using (user_id = auth.uid());
-- Renaming is the only change a user makes directly; revocation goes through the edge.
create policy "Users can rename their own devices" on public.devices
  for update to authenticated using (user_id = auth.uid()) with check (user_id = auth.uid());
revoke update on public.devices from anon, authenticated;
grant update (name, updated_at) on public.devices to authenticated;

-- Device authorization grants (RFC 8628). Only hashes of the codes are stored.
create table public.device_grants (
  id uuid primary key default gen_random_uuid(),
  device_code_hash text not null unique,
  user_code text not null unique check (user_code ~ '^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$'),
  platform text not null,
  platform_version text,
  addon_version text,
  bridge_version text,
  os text,
  name text not null,
  status text not null default 'pending' check (status in ('pending', 'approved', 'denied', 'consumed')),
  user_id uuid references auth.users (id) on delete cascade,
  device_id uuid references public.devices (id) on delete cascade,
  interval_s int not null default 5,
  last_polled_at timestamptz,
  expires_at timestamptz not null,
  created_at timestamptz not null default now()
);
create index device_grants_expires_idx on public.device_grants (expires_at);
alter table public.device_grants enable row level security;
-- No policies: pairing goes through the edge, which checks the user code for the signed-in user.

create table public.api_keys (
  id text primary key check (id ~ '^[a-z0-9]{12,32}$'),   -- the public part of oct_live_<id>_...
  user_id uuid not null references auth.users (id) on delete cascade,
  device_id uuid references public.devices (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 80),
  platform text not null default 'web',
  secret_hash text not null,                               -- HMAC-SHA256 of the secret, hex
  prefix text not null,                                    -- first characters, for the masked list
  scopes text[] not null check (cardinality(scopes) > 0),
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz,
  created_at timestamptz not null default now()
);
create index api_keys_user_idx on public.api_keys (user_id, created_at desc);
alter table public.api_keys enable row level security;
create policy "Users can read their own API keys" on public.api_keys
  for select to authenticated using (user_id = auth.uid());
-- The hash never leaves the database through the user-facing API.
revoke select on public.api_keys from anon, authenticated;
grant select (id, user_id, device_id, name, platform, prefix, scopes, expires_at, revoked_at,
              last_used_at, created_at) on public.api_keys to authenticated;

-- The device a request comes from: set by device JWTs minted by the edge.
create function public.current_device_id() returns uuid
language sql stable
as $$ select nullif(auth.jwt() ->> 'device_id', '')::uuid $$;

-- Device heartbeat: marks this device as seen; tells the user's pages when it comes online.
create function public.device_heartbeat() returns timestamptz
language plpgsql security definer set search_path = ''
as $$
declare
  dev public.devices;
  was_online boolean;
begin
  select * into dev from public.devices d
  where d.id = public.current_device_id() and d.user_id = auth.uid() and d.revoked_at is null
  for update;
  if not found then
    raise exception 'unknown or revoked device' using errcode = '42501';
  end if;
  was_online := dev.last_seen_at is not null and dev.last_seen_at > now() - interval '90 seconds';
  update public.devices set last_seen_at = now() where id = dev.id;
  if not was_online then
    perform realtime.send(
      jsonb_build_object('device_id', dev.id, 'online', true, 'last_seen_at', now()),
      'device_status', 'user:' || dev.user_id::text, true);
  end if;
  return now();
end
$$;
revoke execute on function public.device_heartbeat() from public, anon;
grant execute on function public.device_heartbeat() to authenticated;

-- Devices whose bridge stopped beating: tell their owners once per silence, however often the edge
-- runs it (offline_notified_at remembers what was announced), also after a gap with no sweep (an
-- edge restart). Two edge instances sweeping at once skip each other's rows. Devices silent for
-- over a day are left alone: their pages have long shown them offline from last_seen_at.
create function public.sweep_offline_devices() returns int
language plpgsql security definer set search_path = ''
as $$
declare
  n int := 0;
  dev record;
begin
  for dev in
    select d.id, d.user_id, d.last_seen_at from public.devices d
    where d.revoked_at is null
      and d.last_seen_at <= now() - interval '90 seconds'
      and d.last_seen_at > now() - interval '1 day'
      and (d.offline_notified_at is null or d.offline_notified_at < d.last_seen_at)
    for update skip locked
  loop
    perform realtime.send(
      jsonb_build_object('device_id', dev.id, 'online', false, 'last_seen_at', dev.last_seen_at),
      'device_status', 'user:' || dev.user_id::text, true);
    update public.devices set offline_notified_at = now() where id = dev.id;
    n := n + 1;
  end loop;
  return n;
end
$$;
revoke execute on function public.sweep_offline_devices() from public, anon, authenticated;
