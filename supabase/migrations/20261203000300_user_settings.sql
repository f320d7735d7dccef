-- Account settings (issue 19): the texture resolution an import uses when none is asked for
-- (issue 16 reads it), the Blender an import goes to when none is chosen, and which notification
-- e-mails the user wants. One row per user, created on the first write; a user without a row has
-- the column defaults below. The site reads the row under RLS; every write goes
-- through the edge (PUT /v1/settings), which checks the default Blender is the user's and live.

-- The composite key lets user_settings refer to "a device of this user" in one constraint.
alter table public.devices add constraint devices_id_user_key unique (id, user_id);

create table public.user_settings (
  user_id uuid primary key references auth.users (id) on delete cascade,
  default_resolution text not null default '2k' check (default_resolution in ('1k', '2k', '4k')),
  default_device_id uuid,
  notify_import_failed boolean not null default true,
  notify_billing boolean not null default true,
  notify_product_news boolean not null default false,
  updated_at timestamptz not null default now(),
  constraint user_settings_default_device_fkey foreign key (default_device_id, user_id)
    references public.devices (id, user_id) on delete set null (default_device_id)
);
alter table public.user_settings enable row level security;

-- The account's own reader, not its devices (a device token carries the owner's sub).
create policy "Users can read their own settings" on public.user_settings
  for select to authenticated using (user_id = auth.uid() and (select public.current_device_id()) is null);
revoke insert, update, delete, truncate on public.user_settings from anon, authenticated;

-- A revoked Blender stops being the default: imports then go to the most recently seen one.
create function public.clear_revoked_default_device() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  update public.user_settings set default_device_id = null, updated_at = now()
  where default_device_id = new.id;
  return null;
end $$;
revoke execute on function public.clear_revoked_default_device() from public, anon, authenticated;
create trigger devices_revoked_clears_default after update of revoked_at on public.devices
  for each row when (new.revoked_at is not null and old.revoked_at is null)
  execute function public.clear_revoked_default_device();

-- An import without a device_id goes to the default Blender when it is set and live, else to the
-- most recently seen one (as before). Otherwise unchanged from 20261122000400.
create or replace function public.resolve_import_target(p_user uuid, p_shader uuid, p_version text, p_device uuid)
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
  left join public.user_settings us on us.user_id = p_user and us.default_device_id = dv.id
  where dv.user_id = p_user and dv.revoked_at is null and (p_device is null or dv.id = p_device)
  order by us.user_id is not null desc, dv.last_seen_at desc nulls last, dv.created_at desc
  limit 1;
  if d is null then
    raise exception 'DEVICE_NOT_FOUND' using errcode = 'P0001';
  end if;
  return query select v.id, v.version, v.sha256, v.size, d;
end
$$;
revoke execute on function public.resolve_import_target(uuid, uuid, text, uuid) from public, anon, authenticated;

-- The library subscription's state as the account shows it: active or trialing while entitled,
-- else past_due or canceled when the latest one is, else inactive. my_account (the site, the
-- bridge) and the edge's GET /v1/me read the same function.
create function public.subscription_state(p_user uuid) returns text
language sql stable security definer set search_path = ''
as $$
  with lib as (
    select s.status, s.updated_at from public.subscriptions s
    join public.prices p on p.id = s.price_id
    join public.products pr on pr.id = p.product_id
    where s.user_id = p_user and pr.entitles)
  select case
           when public.has_active_subscription(p_user) then
             (select lib.status from lib where lib.status in ('active', 'trialing')
               order by lib.status = 'active' desc, lib.updated_at desc limit 1)
           else coalesce((select case when lib.status in ('past_due', 'canceled') then lib.status end
                            from lib order by lib.updated_at desc limit 1), 'inactive')
         end
$$;
revoke execute on function public.subscription_state(uuid) from public, anon, authenticated;

create or replace function public.my_account() returns table (email text, subscription text)
language sql stable security definer set search_path = ''
as $$
  select u.email::text, public.subscription_state(u.id) from auth.users u where u.id = auth.uid()
$$;
