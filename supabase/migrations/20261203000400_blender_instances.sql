-- Several Blenders on one machine, and cancel (issue 17 items 1 and 2).
--
-- Pairing stays once per machine and account (one `devices` row, one device key); each running
-- Blender on it is a `device_instances` row, named by the add-on's per-session id, announced and
-- kept fresh by its bridge (instance_heartbeat) with what tells it apart: the open .blend file's
-- name and the Blender version. An import may be addressed to one instance (imports.instance_id):
-- the import_request broadcast on device:<id> names it, the other bridges of the machine leave it,
-- and redemption refuses any other instance. An import addressed to the machine only (no Blender
-- ran there when it was made) is claimed by the first instance that redeems it.
-- The instance id is chosen by software on the machine that holds the device key: it routes
-- imports between the Blenders of one account's machine, it is not a credential
-- (docs/decisions.md, "Several Blenders on one machine").
--
-- Cancel: the user (the edge's POST /v1/imports/{id}/cancel, or the cancel_import RPC) cancels a
-- queued or running import until Blender has it (importing); the bridge cancels from Blender
-- through report_import_status. Every cancellation is sent to the device's topic
-- (import_cancelled), so the bridge working on it stops its download at once.

create table public.device_instances (
  id uuid primary key,   -- the add-on's id for one Blender session
  device_id uuid not null references public.devices (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  blend_file text not null default '' check (char_length(blend_file) <= 255),
  blender_version text not null default '' check (char_length(blender_version) <= 40),
  started_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  stopped_at timestamptz   -- set when its bridge said goodbye; a later heartbeat clears it
);
create index device_instances_device_idx on public.device_instances (device_id, last_seen_at desc);
create index device_instances_user_idx on public.device_instances (user_id, last_seen_at desc);
alter table public.device_instances enable row level security;
-- The site lists them; only instance_heartbeat writes them. A device reads nothing here.
create policy "Users can read the Blenders running on their own devices" on public.device_instances
  for select to authenticated using (user_id = auth.uid() and (select public.current_device_id()) is null);
revoke insert, update, delete on public.device_instances from anon, authenticated;

-- No foreign key: an instance row may be pruned while imports keep naming it.
alter table public.imports add column instance_id uuid;

-- Online: seen within the window the site uses for devices, and not stopped.
create function public.instance_online(i public.device_instances) returns boolean
language sql stable
as $$ select i.stopped_at is null and i.last_seen_at > now() - interval '90 seconds' $$;

-- The bridge of one Blender: it runs (p_online) with this file open, or it stops. Marks the
-- device seen as device_heartbeat does; tells the owner's pages when the instance comes online,
-- goes offline or opens another file. Instances of this device silent for a week are pruned.
create function public.instance_heartbeat(
  p_instance uuid, p_blend_file text default '', p_blender_version text default '', p_online boolean default true
) returns timestamptz
language plpgsql security definer set search_path = ''
as $$
declare
  dev uuid := public.current_device_id();
  uid uuid := auth.uid();
  prev public.device_instances;
  cur public.device_instances;
  bf text := left(coalesce(p_blend_file, ''), 255);
  bv text := left(coalesce(p_blender_version, ''), 40);
begin
  if p_instance is null then
    raise exception 'INVALID_INPUT' using errcode = 'P0001', detail = 'p_instance is required';
  end if;
  if coalesce(p_online, true) then
    perform public.device_heartbeat();   -- refuses an unknown or revoked device (42501)
  else
    perform 1 from public.devices d where d.id = dev and d.user_id = uid and d.revoked_at is null;
    if not found then
      raise exception 'unknown or revoked device' using errcode = '42501';
    end if;
  end if;
  select * into prev from public.device_instances where id = p_instance for update;
  if found and prev.device_id <> dev then
    raise exception 'NOT_FOUND' using errcode = 'P0001';   -- another machine's Blender
  end if;
  insert into public.device_instances as i (id, device_id, user_id, blend_file, blender_version, last_seen_at, stopped_at)
  values (p_instance, dev, uid, bf, bv, now(), case when coalesce(p_online, true) then null else now() end)
  on conflict (id) do update
    set blend_file = excluded.blend_file, blender_version = excluded.blender_version,
        last_seen_at = excluded.last_seen_at, stopped_at = excluded.stopped_at
  returning * into cur;
  if prev.id is null or public.instance_online(prev) <> public.instance_online(cur)
     or prev.blend_file <> cur.blend_file or prev.blender_version <> cur.blender_version then
    perform realtime.send(
      jsonb_build_object('device_id', dev, 'instance_id', cur.id, 'online', public.instance_online(cur),
                         'blend_file', cur.blend_file, 'blender_version', cur.blender_version,
                         'last_seen_at', cur.last_seen_at),
      'device_status', 'user:' || uid::text, true);
  end if;
  delete from public.device_instances
   where device_id = dev and id <> p_instance and last_seen_at < now() - interval '7 days';
  return now();
end
$$;
revoke execute on function public.instance_heartbeat(uuid, text, text, boolean) from public, anon;
grant execute on function public.instance_heartbeat(uuid, text, text, boolean) to authenticated;

-- The Blender an import goes to, on a device resolve_import_target chose: the instance asked
-- for (DEVICE_NOT_FOUND unless it runs on that device of that user), else the most recently seen
-- Blender running there, else none (the first Blender to start there takes the import).
-- resolve_import_target itself is unchanged (it picks the device).
create function public.import_instance(p_user uuid, p_device uuid, p_instance uuid)
returns uuid
language plpgsql stable security definer set search_path = ''
as $$
declare
  inst uuid;
begin
  if p_instance is not null then
    select di.id into inst from public.device_instances di
    where di.id = p_instance and di.device_id = p_device and di.user_id = p_user;
    if inst is null then
      raise exception 'DEVICE_NOT_FOUND' using errcode = 'P0001';
    end if;
    return inst;
  end if;
  select di.id into inst from public.device_instances di
  where di.device_id = p_device and di.user_id = p_user and public.instance_online(di)
  order by di.last_seen_at desc, di.started_at desc
  limit 1;
  return inst;
end
$$;
revoke execute on function public.import_instance(uuid, uuid, uuid) from public, anon, authenticated;

-- create_import records the instance, re-checking that it runs on that device of that user.
drop function public.create_import(uuid, uuid, uuid, uuid, uuid, text, timestamptz, interval);
create function public.create_import(
  p_id uuid, p_user uuid, p_shader_version uuid, p_device uuid,
  p_jti uuid, p_token_hash text, p_token_expires_at timestamptz,
  p_queue_window interval default interval '15 minutes', p_instance uuid default null
) returns public.imports
language plpgsql security definer set search_path = ''
as $$
declare
  v public.shader_versions;
  imp public.imports;
begin
  select sv.* into v from public.shader_versions sv
  join public.shaders s on s.id = sv.shader_id
  where sv.id = p_shader_version and s.published;
  if not found then
    raise exception 'NOT_FOUND' using errcode = 'P0001';
  end if;
  if not public.has_entitlement(p_user, v.shader_id) then
    raise exception 'SUBSCRIPTION_REQUIRED' using errcode = 'P0001';
  end if;
  if not exists (select 1 from public.devices d
                 where d.id = p_device and d.user_id = p_user and d.revoked_at is null) then
    raise exception 'DEVICE_NOT_FOUND' using errcode = 'P0001';
  end if;
  if p_instance is not null and not exists (
       select 1 from public.device_instances di
       where di.id = p_instance and di.device_id = p_device and di.user_id = p_user) then
    raise exception 'DEVICE_NOT_FOUND' using errcode = 'P0001';
  end if;
  insert into public.imports (id, user_id, device_id, instance_id, shader_id, shader_version_id, version, expires_at)
  values (p_id, p_user, p_device, p_instance, v.shader_id, v.id, v.version, now() + p_queue_window)
  returning * into imp;
  insert into public.import_tokens (jti, import_id, device_id, token_hash, expires_at)
  values (p_jti, imp.id, p_device, p_token_hash, p_token_expires_at);
  return imp;
end
$$;
revoke execute on function public.create_import(uuid, uuid, uuid, uuid, uuid, text, timestamptz, interval, uuid) from public, anon, authenticated;

-- Redemption by one instance: an import addressed to another Blender of the machine is
-- NOT_FOUND to it (nothing is spent: the exception rolls the token back); one addressed to the
-- machine only becomes this instance's. A bridge that names no instance (older add-ons) is
-- treated as before.
drop function public.redeem_import_token(uuid, uuid, uuid, text);
create function public.redeem_import_token(p_import uuid, p_jti uuid, p_device uuid, p_token_hash text,
                                           p_instance uuid default null)
returns public.imports
language plpgsql security definer set search_path = ''
as $$
declare
  t public.import_tokens;
  imp public.imports;
begin
  select * into imp from public.imports where id = p_import for update;
  if found and imp.instance_id is not null and p_instance is not null and imp.instance_id <> p_instance then
    raise exception 'NOT_FOUND' using errcode = 'P0001';
  end if;
  update public.import_tokens
     set redeemed_at = now()
   where jti = p_jti and import_id = p_import and device_id = p_device and token_hash = p_token_hash
     and redeemed_at is null and voided_at is null and expires_at > now()
  returning * into t;
  if not found then
    raise exception 'INVALID_TOKEN' using errcode = 'P0001';
  end if;
  if imp.status <> 'queued' or imp.expires_at <= now() then
    raise exception 'CONFLICT' using errcode = 'P0001', detail = imp.status::text;
  end if;
  if not public.has_entitlement(imp.user_id, imp.shader_id) then
    update public.imports
       set status = 'failed', error_code = 'SUBSCRIPTION_REQUIRED',
           error_message = 'Your subscription is no longer active.'
     where id = p_import returning * into imp;
    return imp;
  end if;
  update public.imports set status = 'redeemed', instance_id = coalesce(instance_id, p_instance)
   where id = p_import returning * into imp;
  return imp;
end
$$;
revoke execute on function public.redeem_import_token(uuid, uuid, uuid, text, uuid) from public, anon, authenticated;

-- A fresh delivery only for the instance that has the import (or any, for a bridge naming none).
drop function public.redeliver_import(uuid, uuid, uuid);
create function public.redeliver_import(p_import uuid, p_user uuid, p_device uuid, p_instance uuid default null)
returns public.imports
language plpgsql security definer set search_path = ''
as $$
declare
  imp public.imports;
begin
  select i.* into imp from public.imports i
  join public.devices d on d.id = i.device_id
  where i.id = p_import and i.user_id = p_user and i.device_id = p_device and d.revoked_at is null
    and (i.instance_id is null or p_instance is null or i.instance_id = p_instance)
  for update of i;
  if not found then
    raise exception 'NOT_FOUND' using errcode = 'P0001';
  end if;
  if imp.status not in ('redeemed', 'downloading', 'verifying', 'importing') then
    raise exception 'CONFLICT' using errcode = 'P0001', detail = imp.status::text;
  end if;
  if not public.has_entitlement(imp.user_id, imp.shader_id) then
    update public.imports
       set status = 'failed', error_code = 'SUBSCRIPTION_REQUIRED',
           error_message = 'Your subscription is no longer active.'
     where id = p_import returning * into imp;
    return imp;
  end if;
  update public.imports set status = 'redeemed', progress = 0, instance_id = coalesce(instance_id, p_instance)
   where id = p_import returning * into imp;
  return imp;
end
$$;
revoke execute on function public.redeliver_import(uuid, uuid, uuid, uuid) from public, anon, authenticated;

-- The bridge's catch-up lists name the instance each import is addressed to (null: any Blender
-- of the machine), so each bridge takes only its own.
drop function public.pending_imports();
create function public.pending_imports()
returns table (import_id uuid, shader_id uuid, shader_slug text, shader_name text, version text,
               created_at timestamptz, expires_at timestamptz, instance_id uuid)
language sql stable security definer set search_path = ''
as $$
  select i.id, i.shader_id, s.slug, s.name, i.version, i.created_at, i.expires_at, i.instance_id
  from public.imports i
  join public.shaders s on s.id = i.shader_id
  join public.devices d on d.id = i.device_id
  where i.device_id = public.current_device_id()
    and i.user_id = auth.uid()
    and d.revoked_at is null
    and i.status = 'queued'
    and i.expires_at > now()
  order by i.created_at
$$;
revoke execute on function public.pending_imports() from public, anon;
grant execute on function public.pending_imports() to authenticated;

drop function public.unfinished_imports();
create function public.unfinished_imports()
returns table (import_id uuid, shader_id uuid, shader_slug text, shader_name text, version text,
               status public.import_status, updated_at timestamptz, instance_id uuid)
language sql stable security definer set search_path = ''
as $$
  select i.id, i.shader_id, s.slug, s.name, i.version, i.status, i.updated_at, i.instance_id
  from public.imports i
  join public.shaders s on s.id = i.shader_id
  join public.devices d on d.id = i.device_id
  where i.device_id = public.current_device_id()
    and i.user_id = auth.uid()
    and d.revoked_at is null
    and i.status in ('redeemed', 'downloading', 'verifying', 'importing')
  order by i.created_at
$$;
revoke execute on function public.unfinished_imports() from public, anon;
grant execute on function public.unfinished_imports() to authenticated;

-- Cancel by the user (the edge). Until Blender has it: queued, redeemed, downloading, verifying.
-- Cancelling a cancelled import answers it again (a double click, a retried request); any other
-- end, or importing, is CONFLICT with the status as detail. Unspent tokens are voided.
create function public.cancel_import_as(p_import uuid, p_user uuid) returns public.imports
language plpgsql security definer set search_path = ''
as $$
declare
  imp public.imports;
begin
  select * into imp from public.imports where id = p_import and user_id = p_user for update;
  if not found then
    raise exception 'NOT_FOUND' using errcode = 'P0001';
  end if;
  if imp.status = 'cancelled' then
    return imp;
  end if;
  if imp.status not in ('queued', 'redeemed', 'downloading', 'verifying') then
    raise exception 'CONFLICT' using errcode = 'P0001', detail = imp.status::text;
  end if;
  update public.imports set status = 'cancelled' where id = p_import returning * into imp;
  update public.import_tokens set voided_at = now()
   where import_id = p_import and redeemed_at is null and voided_at is null;
  return imp;
end
$$;
revoke execute on function public.cancel_import_as(uuid, uuid) from public, anon, authenticated;

-- The session RPC is the same decision for the signed-in user (NOT_FOUND to a device).
create or replace function public.cancel_import(p_import uuid) returns public.imports
language plpgsql security definer set search_path = ''
as $$
begin
  if public.current_device_id() is not null then
    raise exception 'NOT_FOUND' using errcode = 'P0001';
  end if;
  return public.cancel_import_as(p_import, auth.uid());
end
$$;

-- Broadcasts: the page learns which Blender an import went to; the device learns of every
-- cancellation (site, Blender or revocation), so the bridge working on it stops.
create or replace function public.imports_broadcast() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform realtime.send(
    jsonb_build_object(
      'id', new.id, 'status', new.status, 'progress', new.progress,
      'error_code', new.error_code, 'error_message', new.error_message,
      'shader_id', new.shader_id, 'version', new.version, 'device_id', new.device_id,
      'instance_id', new.instance_id, 'timings', new.timings, 'updated_at', new.updated_at),
    'import_status', 'user:' || new.user_id::text, true);
  if tg_op = 'UPDATE' and new.status = 'cancelled' and old.status <> 'cancelled' then
    perform realtime.send(jsonb_build_object('import_id', new.id, 'instance_id', new.instance_id),
                          'import_cancelled', 'device:' || new.device_id::text, true);
  end if;
  if tg_op = 'UPDATE' and new.status = 'done' and old.status <> 'done' then
    update public.shaders set popularity = popularity + 1 where id = new.shader_id;
  end if;
  return null;
end
$$;
