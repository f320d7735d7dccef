-- The bridge's catch-up lists name only the web's imports (purpose 'import'). A switch or an
-- update Blender asked for (POST /v1/device/imports) is answered to the bridge that asked, which
-- alone knows the material to change in place; a bridge catching up after a reconnect or a
-- restart would otherwise import it as a new material on the selection. Such an import that its
-- bridge lost ends as any other: queued ones expire, unfinished ones are failed as stalled.
-- Otherwise unchanged from 20261203000401_instance_takeover.
create or replace function public.pending_imports()
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
    and i.purpose = 'import'
  order by i.created_at
$$;

create or replace function public.unfinished_imports()
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
    and i.purpose = 'import'
  order by i.created_at
$$;
