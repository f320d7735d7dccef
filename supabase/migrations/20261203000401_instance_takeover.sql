-- An import addressed to a Blender that is gone (it quit or crashed and has not come back within
-- the online window) is not stranded: another Blender of the same machine may take it over, as a
-- bridge of that machine took every import before there were instances (a Blender killed
-- mid-download resumes its import in the next Blender that opens). A Blender that runs keeps its
-- imports: no other Blender redeems or re-delivers them.
-- The catch-up lists say whether the addressed Blender runs (instance_online), so a bridge leaves
-- a running Blender's imports alone without asking the edge.

create function public.instance_running(p_instance uuid) returns boolean
language sql stable security definer set search_path = ''
as $$
  select coalesce((select public.instance_online(di) from public.device_instances di where di.id = p_instance), false)
$$;
revoke execute on function public.instance_running(uuid) from public, anon, authenticated;

drop function public.pending_imports();
create function public.pending_imports()
returns table (import_id uuid, shader_id uuid, shader_slug text, shader_name text, version text,
               created_at timestamptz, expires_at timestamptz, instance_id uuid, instance_online boolean)
language sql stable security definer set search_path = ''
as $$
  select i.id, i.shader_id, s.slug, s.name, i.version, i.created_at, i.expires_at, i.instance_id,
         case when i.instance_id is not null then public.instance_running(i.instance_id) end
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
               status public.import_status, updated_at timestamptz, instance_id uuid, instance_online boolean)
language sql stable security definer set search_path = ''
as $$
  select i.id, i.shader_id, s.slug, s.name, i.version, i.status, i.updated_at, i.instance_id,
         case when i.instance_id is not null then public.instance_running(i.instance_id) end
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

-- Redemption: another Blender's import is NOT_FOUND while that Blender runs; a gone Blender's
-- import becomes the redeeming one's.
create or replace function public.redeem_import_token(p_import uuid, p_jti uuid, p_device uuid, p_token_hash text,
                                                      p_instance uuid default null)
returns public.imports
language plpgsql security definer set search_path = ''
as $$
declare
  t public.import_tokens;
  imp public.imports;
begin
  select * into imp from public.imports where id = p_import for update;
  if found and imp.instance_id is not null and p_instance is not null and imp.instance_id <> p_instance
     and public.instance_running(imp.instance_id) then
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
  update public.imports set status = 'redeemed', instance_id = coalesce(p_instance, instance_id)
   where id = p_import returning * into imp;
  return imp;
end
$$;

create or replace function public.redeliver_import(p_import uuid, p_user uuid, p_device uuid, p_instance uuid default null)
returns public.imports
language plpgsql security definer set search_path = ''
as $$
declare
  imp public.imports;
begin
  select i.* into imp from public.imports i
  join public.devices d on d.id = i.device_id
  where i.id = p_import and i.user_id = p_user and i.device_id = p_device and d.revoked_at is null
    and (i.instance_id is null or p_instance is null or i.instance_id = p_instance
         or not public.instance_running(i.instance_id))
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
  update public.imports set status = 'redeemed', progress = 0, instance_id = coalesce(p_instance, instance_id)
   where id = p_import returning * into imp;
  return imp;
end
$$;
