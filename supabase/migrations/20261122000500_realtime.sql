-- Realtime authorisation: private broadcast topics.
--   user:<user_id>     import status, device online/offline, subscription changes (web sessions)
--   device:<device_id> import requests carrying single-use tokens (that device's JWT only)
-- Clients only receive; every message is sent by the database (realtime.send) or the edge.

create policy "Users can receive broadcasts on their own user topic" on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and (select realtime.topic()) = 'user:' || (select auth.uid())::text
    and (select public.current_device_id()) is null
  );

create policy "Devices can receive broadcasts on their own device topic" on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and (select realtime.topic()) = 'device:' || (select public.current_device_id())::text
    and exists (
      select 1 from public.devices d
      where d.id = (select public.current_device_id())
        and d.user_id = (select auth.uid())
        and d.revoked_at is null)
  );

-- Subscription changes reach the user's pages live.
create function public.subscriptions_broadcast() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform realtime.send(
    jsonb_build_object('status', new.status, 'current_period_end', new.current_period_end,
                       'cancel_at_period_end', new.cancel_at_period_end),
    'subscription', 'user:' || new.user_id::text, true);
  return null;
end
$$;
create trigger subscriptions_broadcast after insert or update on public.subscriptions
  for each row execute function public.subscriptions_broadcast();

-- A revoked device's bridge is told at once; its JWT stops working at the next refresh.
create function public.devices_broadcast() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if new.revoked_at is not null and old.revoked_at is null then
    perform realtime.send(jsonb_build_object('device_id', new.id, 'revoked', true),
                          'device_revoked', 'device:' || new.id::text, true);
    perform realtime.send(jsonb_build_object('device_id', new.id, 'online', false, 'revoked', true),
                          'device_status', 'user:' || new.user_id::text, true);
    update public.imports set status = 'cancelled', error_code = 'DEVICE_REVOKED',
           error_message = 'This Blender was disconnected from your account.'
     where device_id = new.id and status = 'queued';
  end if;
  return null;
end
$$;
create trigger devices_broadcast after update of revoked_at on public.devices
  for each row execute function public.devices_broadcast();
