-- Only the library's own products entitle. The Stripe account may sell other things (a second
-- product, another integration's plans); a subscription to one of those must not unlock the
-- library. Which products are the library's is configuration of the edge (STRIPE_PRODUCT_IDS):
-- the edge writes it into products.entitles at start, on every product/price webhook and in the
-- backfill (set_library_products, upsert), and every entitlement check below counts only
-- subscriptions whose price belongs to such a product. New rows default to "does not entitle",
-- so an unknown product fails closed until the edge says otherwise.

alter table public.products add column entitles boolean not null default false;

-- The edge (service connection) marks exactly the configured products; returns rows changed.
create function public.set_library_products(p_ids text[]) returns integer
language sql volatile set search_path = ''
as $$
  with changed as (
    update public.products set entitles = (id = any(coalesce(p_ids, '{}'))), updated_at = now()
    where entitles is distinct from (id = any(coalesce(p_ids, '{}')))
    returning 1)
  select count(*)::int from changed
$$;
revoke execute on function public.set_library_products(text[]) from public, anon, authenticated;
grant execute on function public.set_library_products(text[]) to service_role;

-- An active subscription counts only when its price is one of the library's products. An archived
-- product (active = false) still entitles its existing subscribers, as Stripe keeps billing them.
create or replace function public.has_active_subscription(p_user uuid) returns boolean
language plpgsql stable security definer set search_path = ''
as $$
begin
  return exists (
    select 1 from public.subscriptions s
    join public.prices p on p.id = s.price_id
    join public.products pr on pr.id = p.product_id
    where s.user_id = p_user
      and pr.entitles
      and s.status in ('active', 'trialing')
      and (s.current_period_end is null or s.current_period_end > now())
  );
end $$;

-- The status words shown to the user describe their library subscription, not another purchase.
create or replace function public.my_entitlement() returns table (subscribed boolean, status text, current_period_end timestamptz)
language sql stable security definer set search_path = ''
as $$
  with lib as (
    select s.status, s.current_period_end, s.updated_at from public.subscriptions s
    join public.prices p on p.id = s.price_id
    join public.products pr on pr.id = p.product_id
    where s.user_id = auth.uid() and pr.entitles)
  select public.has_active_subscription(auth.uid()),
         (select lib.status from lib order by lib.updated_at desc limit 1),
         (select lib.current_period_end from lib order by lib.updated_at desc limit 1)
$$;
revoke execute on function public.my_entitlement() from public, anon;
grant execute on function public.my_entitlement() to authenticated;

create or replace function public.my_account() returns table (email text, subscription text)
language sql stable security definer set search_path = ''
as $$
  with lib as (
    select s.status, s.updated_at from public.subscriptions s
    join public.prices p on p.id = s.price_id
    join public.products pr on pr.id = p.product_id
    where s.user_id = auth.uid() and pr.entitles)
  select u.email::text,
         case
           when public.has_active_subscription(u.id) then
             (select lib.status from lib where lib.status in ('active', 'trialing')
               order by lib.status = 'active' desc, lib.updated_at desc limit 1)
           else coalesce((select case when lib.status in ('past_due', 'canceled') then lib.status end
                            from lib order by lib.updated_at desc limit 1), 'inactive')
         end
  from auth.users u
  where u.id = auth.uid()
$$;
revoke execute on function public.my_account() from public, anon;
grant execute on function public.my_account() to authenticated;

-- The site offers only prices that can be bought: active prices of the library's active products.
drop policy "Anyone can read active prices" on public.prices;
create policy "Anyone can read active prices of the library's products" on public.prices
  for select to anon, authenticated using (
    active and exists (select 1 from public.products pr where pr.id = product_id and pr.active and pr.entitles));
