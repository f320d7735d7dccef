-- Billing: Stripe customers, products, prices, subscriptions, webhook idempotency, entitlement.
-- Only the edge (service connection) writes these; users read their own.

create table public.customers (
  user_id uuid primary key references auth.users (id) on delete cascade,
  stripe_customer_id text not null unique,
  created_at timestamptz not null default now()
);
alter table public.customers enable row level security;
create policy "Users can read their own customer record" on public.customers
  for select to authenticated using (user_id = auth.uid());

create table public.products (
  id text primary key,                       -- Stripe product id
  active boolean not null default true,
  name text not null,
  description text,
  metadata jsonb not null default '{}'::jsonb,
  updated_at timestamptz not null default now()
);
alter table public.products enable row level security;
create policy "Anyone can read active products" on public.products
  for select to anon, authenticated using (active);

create table public.prices (
  id text primary key,                       -- Stripe price id
  product_id text not null references public.products (id) on delete cascade,
  active boolean not null default true,
  currency text not null check (char_length(currency) = 3),
  unit_amount bigint check (unit_amount >= 0),
  interval text check (interval in ('day', 'week', 'month', 'year')),
  interval_count int not null default 1,
  lookup_key text unique,
  metadata jsonb not null default '{}'::jsonb,
  updated_at timestamptz not null default now()
);
create index prices_product_idx on public.prices (product_id);
alter table public.prices enable row level security;
create policy "Anyone can read active prices" on public.prices
  for select to anon, authenticated using (active);

create table public.subscriptions (
  id text primary key,                       -- Stripe subscription id
  user_id uuid not null references auth.users (id) on delete cascade,
  status text not null check (status in ('trialing', 'active', 'past_due', 'canceled', 'unpaid',
                                         'incomplete', 'incomplete_expired', 'paused')),
  price_id text references public.prices (id),
  cancel_at_period_end boolean not null default false,
  current_period_start timestamptz,
  current_period_end timestamptz,
  canceled_at timestamptz,
  stripe_updated_at timestamptz,             -- when Stripe last said this (for ordering)
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index subscriptions_user_idx on public.subscriptions (user_id, status);
alter table public.subscriptions enable row level security;
create policy "Users can read their own subscriptions" on public.subscriptions
  for select to authenticated using (user_id = auth.uid());

create table public.stripe_events (
  id text primary key,                       -- Stripe event id: the idempotency key
  type text not null,
  received_at timestamptz not null default now()
);
alter table public.stripe_events enable row level security;
-- No policies: only the service connection reads or writes webhook bookkeeping.

-- Entitlement -----------------------------------------------------------------------------------
-- plpgsql, not `language sql`: a sql security definer function is never inlined and is planned
-- again on every call, while plpgsql caches its plans per session. Minting an import calls these
-- twice (resolve_import_target, create_import): 0.53 -> 0.25 ms for resolve_import_target.
create function public.has_active_subscription(p_user uuid) returns boolean
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

-- A user may import a shader when it is published and either free or covered by a subscription.
create function public.has_entitlement(p_user uuid, p_shader uuid) returns boolean
language plpgsql stable security definer set search_path = ''
as $$
begin
  return exists (
    select 1 from public.shaders sh
    where sh.id = p_shader and sh.published
      and (sh.is_free or public.has_active_subscription(p_user))
  );
end $$;

-- Users may ask about themselves only; the edge (service connection) may ask about anyone.
revoke execute on function public.has_active_subscription(uuid) from public, anon, authenticated;
revoke execute on function public.has_entitlement(uuid, uuid) from public, anon, authenticated;

create function public.my_entitlement() returns table (subscribed boolean, status text, current_period_end timestamptz)
language sql stable security definer set search_path = ''
as $$
  select public.has_active_subscription(auth.uid()),
         (select s.status from public.subscriptions s where s.user_id = auth.uid()
            order by s.updated_at desc limit 1),
         (select s.current_period_end from public.subscriptions s where s.user_id = auth.uid()
            order by s.updated_at desc limit 1)
$$;
revoke execute on function public.my_entitlement() from public, anon;
grant execute on function public.my_entitlement() to authenticated;

-- What a signed-in client (the Blender add-on through its bridge) shows about its account: the
-- e-mail it is connected as and one word for the subscription. auth.users is not readable by API
-- roles, so this reviewed definer function hands out the caller's own e-mail and nothing else.
--   subscription: 'active' | 'trialing' (imports allowed), 'past_due' (payment overdue),
--                 'canceled' (the latest subscription ended), 'inactive' (none, or other states)
create function public.my_account() returns table (email text, subscription text)
language sql stable security definer set search_path = ''
as $$
  select u.email::text,
         case
           when public.has_active_subscription(u.id) then
             (select s.status from public.subscriptions s
               where s.user_id = u.id and s.status in ('active', 'trialing')
               order by s.status = 'active' desc, s.updated_at desc limit 1)
           else coalesce((select case when s.status in ('past_due', 'canceled') then s.status end
                            from public.subscriptions s where s.user_id = u.id
                            order by s.updated_at desc limit 1), 'inactive')
         end
  from auth.users u
  where u.id = auth.uid()
$$;
revoke execute on function public.my_account() from public, anon;
grant execute on function public.my_account() to authenticated;
