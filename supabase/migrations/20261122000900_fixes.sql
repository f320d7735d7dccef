-- Fixes found by the database test suite (supabase/tests, supabase/dbtest). Append-only: earlier
-- migrations may already be applied somewhere, so corrections land here as new statements.

-- 1. A revoked device could keep reporting import status with a JWT minted before revocation
--    (device JWTs live 10-15 minutes). pending_imports(), device_heartbeat() and the device topic
--    policy all refuse revoked devices; report_import_status() now does too.
create or replace function public.report_import_status(
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

-- 2. Because a revoked device can no longer report (fix 1), its imports that were already under
--    way (redeemed, downloading, verifying, importing) would stay "in progress" on the web page
--    forever. Revocation now ends them too: cancelled where the state machine allows it, failed
--    once Blender had them (importing can only end in done or failed).
create or replace function public.devices_broadcast() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if new.revoked_at is not null and old.revoked_at is null then
    perform realtime.send(jsonb_build_object('device_id', new.id, 'revoked', true),
                          'device_revoked', 'device:' || new.id::text, true);
    perform realtime.send(jsonb_build_object('device_id', new.id, 'online', false, 'revoked', true),
                          'device_status', 'user:' || new.user_id::text, true);
    update public.imports
       set status = case when status = 'importing' then 'failed'::public.import_status
                         else 'cancelled'::public.import_status end,
           error_code = 'DEVICE_REVOKED',
           error_message = 'This Blender was disconnected from your account.'
     where device_id = new.id
       and status in ('queued', 'redeemed', 'downloading', 'verifying', 'importing');
    update public.import_tokens set voided_at = now()
     where device_id = new.id and redeemed_at is null and voided_at is null;
  end if;
  return null;
end
$$;

-- 3. create_import() answered SUBSCRIPTION_REQUIRED for a version of an unpublished shader
--    (has_entitlement() is false for unpublished shaders), even for a subscriber. The stable code
--    for "no such published shader or version" is NOT_FOUND, as resolve_import_target() says.
create or replace function public.create_import(
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

-- 4. The realtime.messages read policies compared only realtime.topic() with the caller, not the
--    row's own topic: a session authorised for its own topic could read every stored message of
--    every topic (including device topics whose messages carry import tokens). Realtime's join
--    probe uses a row of the joined topic, so requiring row topic = realtime.topic() keeps joins
--    working and hides everything else.
drop policy "Users can receive broadcasts on their own user topic" on realtime.messages;
create policy "Users can receive broadcasts on their own user topic" on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and realtime.messages.topic = (select realtime.topic())
    and (select realtime.topic()) = 'user:' || (select auth.uid())::text
    and (select public.current_device_id()) is null
  );

drop policy "Devices can receive broadcasts on their own device topic" on realtime.messages;
create policy "Devices can receive broadcasts on their own device topic" on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and realtime.messages.topic = (select realtime.topic())
    and (select realtime.topic()) = 'device:' || (select public.current_device_id())::text
    and exists (
      select 1 from public.devices d
      where d.id = (select public.current_device_id())
        and d.user_id = (select auth.uid())
        and d.revoked_at is null)
  );

-- 5. redeem_import_token() locked the token row first and the import row second, while
--    reissue_import_token() and cancel_import() lock the import first and its tokens second. A
--    redemption racing a reissue or a cancel deadlocked (40P01, seen in supabase/dbtest). Now every
--    path locks the import first. Redemption is still decided by the single conditional UPDATE,
--    so of any number of concurrent callers exactly one gets the token.
create or replace function public.redeem_import_token(p_import uuid, p_jti uuid, p_device uuid, p_token_hash text)
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

-- 6. handle_new_user() copied a user-supplied display_name (sign-up metadata) or the email's
--    local part into profiles.display_name, which is limited to 80 characters: a longer name made
--    the auth.users insert fail, so sign-up itself failed with a database error. Cut it to 80.
create or replace function public.handle_new_user() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  insert into public.profiles (id, display_name)
  values (new.id, left(coalesce(new.raw_user_meta_data ->> 'display_name', split_part(new.email, '@', 1)), 80))
  on conflict (id) do nothing;
  return new;
end
$$;

-- 7. Users could favourite an unpublished shader by id (the foreign key check ignores RLS), which
--    also told them the id exists. Favourites now need a shader the user can see.
drop policy "Users can add their own favourites" on public.favorites;
create policy "Users can add their own favourites" on public.favorites
  for insert to authenticated
  with check (user_id = auth.uid()
              and exists (select 1 from public.shaders s where s.id = shader_id and s.published));

-- 8. shader_versions rejected UPDATE but not DELETE, so "1.0.0" could be deleted and published
--    again with other content, and a bridge would then get a different package under a version
--    it already knows. A version row now goes away only with its shader (ON DELETE CASCADE).
create function public.forbid_version_delete() returns trigger
language plpgsql
as $$
begin
  if exists (select 1 from public.shaders s where s.id = old.shader_id) then
    raise exception 'shader versions are immutable; publish a new version instead'
      using errcode = 'P0001', hint = 'VERSION_IMMUTABLE';
  end if;
  return old;
end
$$;
create trigger shader_versions_no_delete before delete on public.shader_versions
  for each row execute function public.forbid_version_delete();

-- 9. sweep_offline_devices() announced every device last seen 90-180 seconds ago, on every run:
--    run more often than every 90 s it told users the same device went offline several times,
--    and a device whose last beat fell outside the window while no sweep ran (an edge restart)
--    was never announced offline at all. The sweep now remembers what it announced
--    (offline_notified_at), announces each silence exactly once however often it runs, and two
--    edge instances sweeping at once skip each other's rows. Devices silent for over a day are
--    left alone (their pages have long shown them as offline from last_seen_at).
alter table public.devices add column offline_notified_at timestamptz;

create or replace function public.sweep_offline_devices() returns int
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
