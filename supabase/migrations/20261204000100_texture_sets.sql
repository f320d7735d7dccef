-- Package format v2 (issue 16): a version is a base object plus one texture set per resolution,
-- each its own S3 object with its own sha256 and size in the signed manifest. texture_sets holds
-- one row per set of a v2 version (v1 versions have none); an import records the resolution it
-- delivers (imports.resolution, chosen by import_resolution) and why it was made (imports.purpose:
-- a web import, or a switch/update Blender asked for through POST /v1/device/imports).

create table public.texture_sets (
  version_id uuid not null references public.shader_versions (id) on delete cascade,
  resolution text not null check (resolution ~ '^[1-9][0-9]?k$'),
  object_key text not null check (object_key <> ''),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  size bigint not null check (size > 0),
  files jsonb not null check (jsonb_typeof(files) = 'array'),
  primary key (version_id, resolution)
);
alter table public.texture_sets enable row level security;

-- Whoever may read the version row may read its sets: the subquery runs under the reader's own
-- policies on shader_versions (published shaders for everyone). Only the publisher (service role,
-- which bypasses RLS) writes.
create policy "Readers of a version can read its texture sets" on public.texture_sets
  for select to anon, authenticated
  using (exists (select 1 from public.shader_versions v where v.id = version_id));
revoke insert, update, delete, truncate on public.texture_sets from anon, authenticated;
grant select on public.texture_sets to anon, authenticated;

-- A set is part of an immutable version, and it is what the signed manifest says: the same
-- resolution, sha256 and size as one of the manifest's texture_sets, or no row at all.
create function public.texture_set_matches_manifest() returns trigger
language plpgsql
as $$
begin
  if not exists (
       select 1 from public.shader_versions v, jsonb_array_elements(
         case when jsonb_typeof(v.manifest -> 'texture_sets') = 'array' then v.manifest -> 'texture_sets' else '[]' end) s
       where v.id = new.version_id and s ->> 'resolution' = new.resolution
         and s ->> 'sha256' = new.sha256 and (s ->> 'size')::bigint = new.size) then
    raise exception 'INVALID_INPUT' using errcode = 'P0001',
      detail = format('the version''s manifest has no %s texture set with this sha256 and size', new.resolution);
  end if;
  return new;
end
$$;
revoke execute on function public.texture_set_matches_manifest() from public, anon, authenticated;
create trigger texture_sets_match_manifest before insert on public.texture_sets
  for each row execute function public.texture_set_matches_manifest();
create trigger texture_sets_immutable before update on public.texture_sets
  for each row execute function public.forbid_version_change();

-- Deleted only with its version, which goes only with its shader (the version's rule).
create function public.forbid_texture_set_delete() returns trigger
language plpgsql
as $$
begin
  if exists (select 1 from public.shader_versions v join public.shaders s on s.id = v.shader_id
             where v.id = old.version_id) then
    raise exception 'shader versions are immutable; publish a new version instead'
      using errcode = 'P0001', hint = 'VERSION_IMMUTABLE';
  end if;
  return old;
end
$$;
revoke execute on function public.forbid_texture_set_delete() from public, anon, authenticated;
create trigger texture_sets_no_delete before delete on public.texture_sets
  for each row execute function public.forbid_texture_set_delete();

-- The resolution an import delivers (null: a v1 version or one without sets) and why it was made.
alter table public.imports
  add column resolution text check (resolution ~ '^[1-9][0-9]?k$'),
  add column purpose text not null default 'import' check (purpose in ('import', 'switch', 'update'));

-- The set an import of p_version by p_user delivers. Asked for (p_resolution): that one, or
-- INVALID_INPUT when the version has no such set; with p_exact false (an update to a newer
-- version, which may lack the set the old one was at) the ask is only the preference below. Not
-- asked for: the account's default resolution (user_settings; '2k' without a row). A preference
-- the version lacks: 2k if it has it, else the largest set below the preference, else the
-- smallest. A version without sets (v1, or untextured) delivers null; asked for a resolution, it
-- must be one the package was built with (texture_resolutions) unless p_exact is false.
create function public.import_resolution(p_version uuid, p_user uuid, p_resolution text default null,
                                         p_exact boolean default true)
returns text
language plpgsql stable security definer set search_path = ''
as $$
declare
  sets text[];   -- the version's texture sets, smallest first (null: none)
  named text[];  -- what a request may name: the sets, else what a v1 package was built with
  pref int;      -- the preference's number of k (0: none readable)
  pick text;
begin
  select array_agg(t.resolution order by left(t.resolution, -1)::int) into sets
  from public.texture_sets t where t.version_id = p_version;
  named := coalesce(sets, (select v.texture_resolutions from public.shader_versions v where v.id = p_version), '{}');
  if p_resolution is not null and p_exact and not (p_resolution = any (named)) then
    raise exception 'INVALID_INPUT' using errcode = 'P0001',
      detail = format('this version has no %s textures (it has %s)', left(p_resolution, 8),
                      coalesce(nullif(array_to_string(named, ', '), ''), 'none'));
  end if;
  if sets is null then
    return null;
  end if;
  pick := coalesce(p_resolution, (select us.default_resolution from public.user_settings us where us.user_id = p_user), '2k');
  if pick = any (sets) then
    return pick;
  end if;
  pref := case when pick ~ '^[1-9][0-9]?k$' then left(pick, -1)::int else 0 end;
  if '2k' = any (sets) then
    return '2k';
  end if;
  select r into pick from unnest(sets) r
  where left(r, -1)::int < pref
  order by left(r, -1)::int desc limit 1;
  return coalesce(pick, sets[1]);
end
$$;
revoke execute on function public.import_resolution(uuid, uuid, text, boolean) from public, anon, authenticated;

-- create_import records the resolution (import_resolution, re-checked here inside the write) and
-- the purpose; otherwise unchanged from 20261203000400_blender_instances. Whoever redefines it
-- keeps p_resolution and p_purpose.
drop function public.create_import(uuid, uuid, uuid, uuid, uuid, text, timestamptz, interval, uuid);
create function public.create_import(
  p_id uuid, p_user uuid, p_shader_version uuid, p_device uuid,
  p_jti uuid, p_token_hash text, p_token_expires_at timestamptz,
  p_queue_window interval default interval '15 minutes', p_instance uuid default null,
  p_resolution text default null, p_purpose text default 'import'
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
  insert into public.imports (id, user_id, device_id, instance_id, shader_id, shader_version_id, version,
                              expires_at, resolution, purpose)
  values (p_id, p_user, p_device, p_instance, v.shader_id, v.id, v.version, now() + p_queue_window,
          public.import_resolution(v.id, p_user, p_resolution, coalesce(p_purpose, 'import') <> 'update'), coalesce(p_purpose, 'import'))
  returning * into imp;
  insert into public.import_tokens (jti, import_id, device_id, token_hash, expires_at)
  values (p_jti, imp.id, p_device, p_token_hash, p_token_expires_at);
  return imp;
end
$$;
revoke execute on function public.create_import(uuid, uuid, uuid, uuid, uuid, text, timestamptz, interval, uuid, text, text)
  from public, anon, authenticated;

-- Device keys gain imports:device (POST /v1/device/imports, GET /v1/device/shaders/{slug}): a
-- Blender asks for a resolution switch or a version update of a shader its account may import.
update public.api_keys set scopes = scopes || '{imports:device}'::text[]
 where device_id is not null and not ('imports:device' = any (scopes));
