-- A device JWT is not a user session (DESIGN: "Nothing on the account itself"; issue 14 item 1).
-- It carries the owner's sub, so every "user_id = auth.uid()" policy used to let a paired Blender
-- read and change the account through PostgREST: profile, favourites, billing records, the
-- user's devices (rename), API key metadata, and every import of every device. A device works
-- only through its definer RPCs (pending_imports, unfinished_imports, report_import_status,
-- device_heartbeat, my_account), which check its device_id themselves, its device topic, and the
-- rows of the imports addressed to it.
-- The account policies below now also require a token without a device_id claim; GoTrue refuses
-- device JWTs by its own session_id rule (docs/decisions.md).

drop policy "Users can read their own profile" on public.profiles;
create policy "Users can read their own profile" on public.profiles
  for select to authenticated using (id = auth.uid() and (select public.current_device_id()) is null);
drop policy "Users can update their own profile" on public.profiles;
create policy "Users can update their own profile" on public.profiles
  for update to authenticated
  using (id = auth.uid() and (select public.current_device_id()) is null)
  with check (id = auth.uid() and (select public.current_device_id()) is null);

drop policy "Users can read their own favourites" on public.favorites;
create policy "Users can read their own favourites" on public.favorites
  for select to authenticated using (user_id = auth.uid() and (select public.current_device_id()) is null);
drop policy "Users can add their own favourites" on public.favorites;
create policy "Users can add their own favourites" on public.favorites
  for insert to authenticated
  with check (
    user_id = auth.uid()
    and (select public.current_device_id()) is null
    and exists (select 1 from public.shaders s where s.id = shader_id and s.published)
  );
drop policy "Users can remove their own favourites" on public.favorites;
create policy "Users can remove their own favourites" on public.favorites
  for delete to authenticated using (user_id = auth.uid() and (select public.current_device_id()) is null);

drop policy "Users can read their own customer record" on public.customers;
create policy "Users can read their own customer record" on public.customers
  for select to authenticated using (user_id = auth.uid() and (select public.current_device_id()) is null);
drop policy "Users can read their own subscriptions" on public.subscriptions;
create policy "Users can read their own subscriptions" on public.subscriptions
  for select to authenticated using (user_id = auth.uid() and (select public.current_device_id()) is null);

-- A device sees its own row only (the device-topic policy on realtime.messages looks it up).
drop policy "Users can read their own devices" on public.devices;
create policy "Users can read their own devices" on public.devices
  for select to authenticated
  using (
    user_id = auth.uid()
    and ((select public.current_device_id()) is null or id = (select public.current_device_id()))
  );
drop policy "Users can rename their own devices" on public.devices;
create policy "Users can rename their own devices" on public.devices
  for update to authenticated
  using (user_id = auth.uid() and (select public.current_device_id()) is null)
  with check (user_id = auth.uid() and (select public.current_device_id()) is null);

drop policy "Users can read their own API keys" on public.api_keys;
create policy "Users can read their own API keys" on public.api_keys
  for select to authenticated using (user_id = auth.uid() and (select public.current_device_id()) is null);

-- A device reads only the imports addressed to it (what it receives and reports), not the
-- account's history on its other devices.
drop policy "Users can read their own imports" on public.imports;
create policy "Users can read their own imports" on public.imports
  for select to authenticated
  using (
    user_id = auth.uid()
    and ((select public.current_device_id()) is null or device_id = (select public.current_device_id()))
  );

-- Cancelling is the user's decision on the site; a device cannot cancel imports (its own end as
-- failed through report_import_status). To a device every import is NOT_FOUND here.
create or replace function public.cancel_import(p_import uuid) returns public.imports
language plpgsql security definer set search_path = ''
as $$
declare
  imp public.imports;
begin
  select * into imp from public.imports
   where id = p_import and user_id = auth.uid() and public.current_device_id() is null
   for update;
  if not found then
    raise exception 'NOT_FOUND' using errcode = 'P0001';
  end if;
  update public.imports set status = 'cancelled' where id = p_import returning * into imp;
  update public.import_tokens set voided_at = now()
   where import_id = p_import and redeemed_at is null and voided_at is null;
  return imp;
end
$$;
