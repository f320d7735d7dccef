-- Imports after redemption can no longer hang. Before this, pending_imports(), expiry and re-issue
-- only knew `queued`: a bridge killed after redeeming, a Blender closed mid-download, or a redeem
-- answer lost after its commit left the row redeemed/downloading/verifying/importing for ever and
-- the page showed progress for ever. Now:
--   1. unfinished_imports(): the bridge lists its own device's imports that were redeemed but not
--      finished (device JWT, revoked devices see nothing), next to pending_imports().
--   2. redeliver_import(): the edge (POST /v1/imports/{id}/delivery, device credential) gives such
--      an import a fresh signed delivery: only for the device it is addressed to, entitlement
--      re-checked (a lapsed subscription fails the import, as at redemption), and the import goes
--      back to `redeemed` so the bridge walks the steps again (progress 0).
--   3. fail_stalled_imports(window): the edge's periodic maintenance ends every redeemed but
--      unfinished import with no progress (no status or progress change) for `window` as failed,
--      IMPORT_STALLED. The trigger broadcasts the change, so the page shows it.
-- The state machine gains exactly the steps redelivery needs: redeemed, downloading, verifying
-- and importing may go back to redeemed. Devices still cannot report `redeemed`
-- (report_import_status refuses it), so only the edge's redelivery takes those steps.

create or replace function public.import_transition_allowed(from_status public.import_status, to_status public.import_status)
returns boolean
language sql immutable parallel safe
as $$
  select case from_status
    when 'queued'      then to_status in ('redeemed', 'failed', 'expired', 'cancelled')
    when 'redeemed'    then to_status in ('redeemed', 'downloading', 'verifying', 'importing', 'failed', 'cancelled')
    when 'downloading' then to_status in ('redeemed', 'downloading', 'verifying', 'failed', 'cancelled')
    when 'verifying'   then to_status in ('redeemed', 'importing', 'failed', 'cancelled')
    when 'importing'   then to_status in ('redeemed', 'done', 'failed')
    else false                                 -- done, failed, expired, cancelled are final
  end
$$;

create index imports_device_unfinished_idx on public.imports (device_id, created_at)
  where status in ('redeemed', 'downloading', 'verifying', 'importing');
create index imports_unfinished_updated_idx on public.imports (updated_at)
  where status in ('redeemed', 'downloading', 'verifying', 'importing');

-- What this device started and did not finish (the bridge resumes each on every (re)connect).
create function public.unfinished_imports()
returns table (import_id uuid, shader_id uuid, shader_slug text, shader_name text, version text,
               status public.import_status, updated_at timestamptz)
language sql stable security definer set search_path = ''
as $$
  select i.id, i.shader_id, s.slug, s.name, i.version, i.status, i.updated_at
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

-- A fresh delivery for a redeemed but unfinished import (edge only). NOT_FOUND unless the import
-- is this user's and addressed to this (unrevoked) device; CONFLICT unless it is redeemed and
-- unfinished. A lapsed entitlement fails the import with SUBSCRIPTION_REQUIRED and returns it.
create function public.redeliver_import(p_import uuid, p_user uuid, p_device uuid)
returns public.imports
language plpgsql security definer set search_path = ''
as $$
declare
  imp public.imports;
begin
  select i.* into imp from public.imports i
  join public.devices d on d.id = i.device_id
  where i.id = p_import and i.user_id = p_user and i.device_id = p_device and d.revoked_at is null
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
  update public.imports set status = 'redeemed', progress = 0 where id = p_import returning * into imp;
  return imp;
end
$$;
revoke execute on function public.redeliver_import(uuid, uuid, uuid) from public, anon, authenticated;

-- Ends imports that made no progress for p_window (edge maintenance; IMPORT_STALL_WINDOW).
-- Two edge instances sweeping at once skip each other's rows.
create function public.fail_stalled_imports(p_window interval default interval '10 minutes') returns int
language plpgsql security definer set search_path = ''
as $$
declare
  n int;
begin
  if p_window is null or p_window <= interval '0' then
    raise exception 'INVALID_INPUT' using errcode = 'P0001', detail = 'the window must be positive';
  end if;
  update public.imports i
     set status = 'failed', error_code = 'IMPORT_STALLED',
         error_message = 'Blender stopped working on this import (closed, crashed or offline). Import again.'
   where i.id in (
     select s.id from public.imports s
      where s.status in ('redeemed', 'downloading', 'verifying', 'importing')
        and s.updated_at <= now() - p_window
      for update skip locked);
  get diagnostics n = row_count;
  return n;
end
$$;
revoke execute on function public.fail_stalled_imports(interval) from public, anon, authenticated;
