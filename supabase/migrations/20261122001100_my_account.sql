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
