-- Imports: the request to put a shader version onto a device, its single-use tokens, the status
-- state machine, and the broadcasts that keep the web page and the bridge informed.

create type public.import_status as enum (
  'queued', 'redeemed', 'downloading', 'verifying', 'importing', 'done', 'failed', 'expired', 'cancelled'
);

create table public.imports (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  device_id uuid not null references public.devices (id) on delete cascade,
  shader_id uuid not null references public.shaders (id),
  shader_version_id uuid not null references public.shader_versions (id),
  version text not null,
  status public.import_status not null default 'queued',
  progress smallint not null default 0 check (progress between 0 and 100),
  error_code text check (error_code ~ '^[A-Z][A-Z0-9_]{1,63}$'),
  error_message text check (char_length(error_message) <= 500),
  timings jsonb not null default '{}'::jsonb,   -- status -> first time it was reached (ISO 8601)
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  expires_at timestamptz not null default now() + interval '15 minutes'
);
create index imports_user_idx on public.imports (user_id, created_at desc);
create index imports_device_pending_idx on public.imports (device_id, created_at) where status = 'queued';
alter table public.imports enable row level security;
create policy "Users can read their own imports" on public.imports
  for select to authenticated using (user_id = auth.uid());
-- Every change goes through the functions below, which validate the state machine.

create table public.import_tokens (
  jti uuid primary key,
  import_id uuid not null references public.imports (id) on delete cascade,
  device_id uuid not null references public.devices (id) on delete cascade,
  token_hash text not null check (token_hash ~ '^[0-9a-f]{64}$'),   -- sha256 of the whole token
  expires_at timestamptz not null,
  redeemed_at timestamptz,
  voided_at timestamptz,
  created_at timestamptz not null default now()
);
create index import_tokens_import_idx on public.import_tokens (import_id);
alter table public.import_tokens enable row level security;
-- No policies: tokens are the edge's business alone.

-- State machine ---------------------------------------------------------------------------------
create function public.import_transition_allowed(from_status public.import_status, to_status public.import_status)
returns boolean
language sql immutable parallel safe
as $$
  select case from_status
    when 'queued'      then to_status in ('redeemed', 'failed', 'expired', 'cancelled')
    when 'redeemed'    then to_status in ('downloading', 'verifying', 'importing', 'failed', 'cancelled')
    when 'downloading' then to_status in ('downloading', 'verifying', 'failed', 'cancelled')
    when 'verifying'   then to_status in ('importing', 'failed', 'cancelled')
    when 'importing'   then to_status in ('done', 'failed')
    else false                                 -- done, failed, expired, cancelled are final
  end
$$;

create function public.imports_guard() returns trigger
language plpgsql
as $$
begin
  if tg_op = 'UPDATE' then
    -- Every update is a step of the machine; only downloading may repeat (progress).
    if not public.import_transition_allowed(old.status, new.status) then
      raise exception 'ILLEGAL_TRANSITION'
        using errcode = 'P0001', detail = format('%s -> %s', old.status, new.status);
    end if;
    if new.user_id <> old.user_id or new.device_id <> old.device_id
       or new.shader_version_id <> old.shader_version_id then
      raise exception 'IMMUTABLE_FIELD' using errcode = 'P0001';
    end if;
    new.updated_at := now();
  end if;
  if not new.timings ? new.status::text then
    new.timings := new.timings || jsonb_build_object(new.status::text, now());
  end if;
  return new;
end
$$;
create trigger imports_guard before insert or update on public.imports
  for each row execute function public.imports_guard();

-- Every change is broadcast to the owner's private topic.
create function public.imports_broadcast() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform realtime.send(
    jsonb_build_object(
      'id', new.id, 'status', new.status, 'progress', new.progress,
      'error_code', new.error_code, 'error_message', new.error_message,
      'shader_id', new.shader_id, 'version', new.version, 'device_id', new.device_id,
      'timings', new.timings, 'updated_at', new.updated_at),
    'import_status', 'user:' || new.user_id::text, true);
  if tg_op = 'UPDATE' and new.status = 'done' and old.status <> 'done' then
    update public.shaders set popularity = popularity + 1 where id = new.shader_id;
  end if;
  return null;
end
$$;
create trigger imports_broadcast after insert or update on public.imports
  for each row execute function public.imports_broadcast();

-- Import creation (edge) ------------------------------------------------------------------------
-- What an import of (shader, version?) to (device?) would use, or a stable error:
-- NOT_FOUND (no such published shader or version), SUBSCRIPTION_REQUIRED, DEVICE_NOT_FOUND.
-- The default device is the user's most recently seen one.
create function public.resolve_import_target(p_user uuid, p_shader uuid, p_version text, p_device uuid)
returns table (shader_version_id uuid, version text, sha256 text, size bigint, device_id uuid)
language plpgsql stable security definer set search_path = ''
as $$
declare
  v public.shader_versions;
  d uuid;
begin
  select sv.* into v
  from public.shader_versions sv join public.shaders s on s.id = sv.shader_id
  where sv.shader_id = p_shader and s.published
    and (p_version is null or sv.version = p_version)
  order by sv.created_at desc
  limit 1;
  if not found then
    raise exception 'NOT_FOUND' using errcode = 'P0001';
  end if;
  if not public.has_entitlement(p_user, p_shader) then
    raise exception 'SUBSCRIPTION_REQUIRED' using errcode = 'P0001';
  end if;
  select dv.id into d from public.devices dv
  where dv.user_id = p_user and dv.revoked_at is null and (p_device is null or dv.id = p_device)
  order by dv.last_seen_at desc nulls last, dv.created_at desc
  limit 1;
  if d is null then
    raise exception 'DEVICE_NOT_FOUND' using errcode = 'P0001';
  end if;
  return query select v.id, v.version, v.sha256, v.size, d;
end
$$;

-- Inserts the import and its first token. Re-checks everything resolve_import_target checked
-- (NOT_FOUND also for a version of an unpublished shader, whatever the subscription), so a caller
-- cannot skip it. The caller sends the token to the device in the same transaction.
create function public.create_import(
  p_id uuid, p_user uuid, p_shader_version uuid, p_device uuid,
  p_jti uuid, p_token_hash text, p_token_expires_at timestamptz,
  p_queue_window interval default interval '15 minutes'
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
  insert into public.imports (id, user_id, device_id, shader_id, shader_version_id, version, expires_at)
  values (p_id, p_user, p_device, v.shader_id, v.id, v.version, now() + p_queue_window)
  returning * into imp;
  insert into public.import_tokens (jti, import_id, device_id, token_hash, expires_at)
  values (p_jti, imp.id, p_device, p_token_hash, p_token_expires_at);
  return imp;
end
$$;

-- Single-use redemption in one UPDATE: of any number of concurrent callers exactly one gets the
-- row. INVALID_TOKEN when the token is unknown, spent, voided, expired or bound to another
-- import/device. When the entitlement lapsed since minting, the import fails with
-- SUBSCRIPTION_REQUIRED (the token is spent either way, so it cannot be retried). The import row
-- is locked first, as reissue_import_token and cancel_import lock it, so a redemption racing
-- either never deadlocks.
create function public.redeem_import_token(p_import uuid, p_jti uuid, p_device uuid, p_token_hash text)
returns public.imports
language plpgsql security definer set search_path = ''
as $$
declare
  t public.import_tokens;
  imp public.imports;
begin
  perform 1 from public.imports where id = p_import for update;
  update public.import_tokens
     set redeemed_at = now()
   where jti = p_jti and import_id = p_import and device_id = p_device and token_hash = p_token_hash
     and redeemed_at is null and voided_at is null and expires_at > now()
  returning * into t;
  if not found then
    raise exception 'INVALID_TOKEN' using errcode = 'P0001';
  end if;
  select * into imp from public.imports where id = p_import;
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
  update public.imports set status = 'redeemed' where id = p_import returning * into imp;
  return imp;
end
$$;

-- A fresh token for a queued import whose token expired: only for the device it is addressed to,
-- entitlement re-checked, every earlier token voided.
create function public.reissue_import_token(
  p_import uuid, p_user uuid, p_device uuid, p_jti uuid, p_token_hash text, p_token_expires_at timestamptz
) returns public.imports
language plpgsql security definer set search_path = ''
as $$
declare
  imp public.imports;
begin
  select * into imp from public.imports
  where id = p_import and user_id = p_user and device_id = p_device
  for update;
  if not found then
    raise exception 'NOT_FOUND' using errcode = 'P0001';
  end if;
  if imp.status <> 'queued' or imp.expires_at <= now() then
    raise exception 'CONFLICT' using errcode = 'P0001', detail = imp.status::text;
  end if;
  if not public.has_entitlement(imp.user_id, imp.shader_id) then
    raise exception 'SUBSCRIPTION_REQUIRED' using errcode = 'P0001';
  end if;
  update public.import_tokens set voided_at = now()
   where import_id = p_import and redeemed_at is null and voided_at is null;
  insert into public.import_tokens (jti, import_id, device_id, token_hash, expires_at)
  values (p_jti, p_import, p_device, p_token_hash, p_token_expires_at);
  return imp;
end
$$;

revoke execute on function public.resolve_import_target(uuid, uuid, text, uuid) from public, anon, authenticated;
revoke execute on function public.create_import(uuid, uuid, uuid, uuid, uuid, text, timestamptz, interval) from public, anon, authenticated;
revoke execute on function public.redeem_import_token(uuid, uuid, uuid, text) from public, anon, authenticated;
revoke execute on function public.reissue_import_token(uuid, uuid, uuid, uuid, text, timestamptz) from public, anon, authenticated;

-- Bridge-facing RPCs (device JWT) ---------------------------------------------------------------
-- The bridge reports each step. Only the device the import is addressed to may report, only while
-- that device is not revoked (its JWT outlives the revocation by minutes), and only along the
-- state machine; progress is clamped and only moves forward while downloading.
create function public.report_import_status(
  p_import uuid, p_status public.import_status, p_progress int default null,
  p_error_code text default null, p_error_message text default null
) returns public.imports
language plpgsql security definer set search_path = ''
as $$
declare
  imp public.imports;
begin
  select i.* into imp from public.imports i
  join public.devices d on d.id = i.device_id
  where i.id = p_import and i.user_id = auth.uid() and i.device_id = public.current_device_id()
    and d.revoked_at is null
  for update of i;
  if not found then
    raise exception 'NOT_FOUND' using errcode = 'P0001';
  end if;
  if p_status in ('queued', 'redeemed', 'expired') then
    raise exception 'ILLEGAL_TRANSITION' using errcode = 'P0001',
      detail = format('%s -> %s', imp.status, p_status);
  end if;
  update public.imports
     set status = p_status,
         progress = case
           when p_status = 'done' then 100
           when p_progress is null then progress
           else greatest(progress, least(greatest(p_progress, 0), 100)) end,
         error_code = case when p_status = 'failed' then coalesce(p_error_code, 'INTERNAL_ERROR') end,
         error_message = case when p_status = 'failed' then left(p_error_message, 500) end
   where id = p_import
  returning * into imp;
  return imp;
end
$$;
revoke execute on function public.report_import_status(uuid, public.import_status, int, text, text) from public, anon;
grant execute on function public.report_import_status(uuid, public.import_status, int, text, text) to authenticated;

-- What this device still has to do: queued imports that have not expired. Called by the bridge on
-- every (re)connect because Realtime delivers at most once.
create function public.pending_imports()
returns table (import_id uuid, shader_id uuid, shader_slug text, shader_name text, version text,
               created_at timestamptz, expires_at timestamptz)
language sql stable security definer set search_path = ''
as $$
  select i.id, i.shader_id, s.slug, s.name, i.version, i.created_at, i.expires_at
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

-- Users may cancel their own imports that have not reached Blender yet.
create function public.cancel_import(p_import uuid) returns public.imports
language plpgsql security definer set search_path = ''
as $$
declare
  imp public.imports;
begin
  select * into imp from public.imports where id = p_import and user_id = auth.uid() for update;
  if not found then
    raise exception 'NOT_FOUND' using errcode = 'P0001';
  end if;
  update public.imports set status = 'cancelled' where id = p_import returning * into imp;
  update public.import_tokens set voided_at = now()
   where import_id = p_import and redeemed_at is null and voided_at is null;
  return imp;
end
$$;
revoke execute on function public.cancel_import(uuid) from public, anon;
grant execute on function public.cancel_import(uuid) to authenticated;

-- Queued imports past their window become expired. Run periodically by the edge.
create function public.expire_imports() returns int
language plpgsql security definer set search_path = ''
as $$
declare
  n int;
begin
  update public.imports set status = 'expired', error_code = 'EXPIRED',
         error_message = 'Blender did not pick this import up in time.'
   where status = 'queued' and expires_at <= now();
  get diagnostics n = row_count;
  return n;
end
$$;
revoke execute on function public.expire_imports() from public, anon, authenticated;
