-- The operator role (issue 20 item 1): the library operator is marked in a table of its own, which
-- no API role can read or write (granted by SQL or a migration, never by the user, never through
-- client-editable metadata). public.is_operator() is the one check for RLS, the operator's SQL
-- functions and the site's /operator pages; the edge reads the same table for its operator scopes.
-- It replaces profiles.is_operator, a column on a row its user may update (column grants kept the
-- flag out of reach, but one broad grant on profiles would have handed it out).

create table public.operators (
  user_id uuid primary key references auth.users (id) on delete cascade,
  granted_at timestamptz not null default now(),
  note text not null default '' check (char_length(note) <= 200)
);
alter table public.operators enable row level security;
-- No policies: no API role sees or changes a row; service_role (BYPASSRLS) and migrations do.
revoke all on public.operators from anon, authenticated;

insert into public.operators (user_id, note)
select id, 'from profiles.is_operator' from public.profiles where is_operator;
alter table public.profiles drop column is_operator;

-- True only for a signed-in web session of an operator: never for anon, never for a device JWT
-- (it carries the owner's sub, but a paired Blender is not the operator at the desk).
create function public.is_operator() returns boolean
language sql stable security definer set search_path = ''
as $$
  select auth.uid() is not null
     and public.current_device_id() is null
     and exists (select 1 from public.operators o where o.user_id = auth.uid())
$$;
revoke execute on function public.is_operator() from public, anon;
grant execute on function public.is_operator() to authenticated, service_role;
