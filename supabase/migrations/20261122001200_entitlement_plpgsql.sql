-- has_active_subscription and has_entitlement as plpgsql: a `language sql security definer`
-- function is never inlined and is planned again on every call, while plpgsql caches its plans
-- per session. Minting an import calls them twice (resolve_import_target, create_import); measured
-- 0.53 → 0.25 ms for resolve_import_target. Same signatures, same answers (pgTAP 40/11/21 cover them).

create or replace function public.has_active_subscription(p_user uuid) returns boolean
language plpgsql stable security definer set search_path = ''
as $$
begin
  return exists (
    select 1 from public.subscriptions s
    where s.user_id = p_user
      and s.status in ('active', 'trialing')
      and (s.current_period_end is null or s.current_period_end > now())
  );
end $$;

create or replace function public.has_entitlement(p_user uuid, p_shader uuid) returns boolean
language plpgsql stable security definer set search_path = ''
as $$
begin
  return exists (
    select 1 from public.shaders sh
    where sh.id = p_shader and sh.published
      and (sh.is_free or public.has_active_subscription(p_user))
  );
end $$;
