-- Realtime authorisation: private broadcast topics.
--   user:<user_id>     import status, device online/offline, subscription changes (web sessions)
--   device:<device_id> import requests carrying single-use tokens (that device's JWT only)
-- Clients only receive; every message is sent by the database (realtime.send) or the edge.

-- A policy matches a stored message only on the topic being joined (row topic = realtime.topic()):
-- otherwise a session authorised for its own topic could read every stored message of every topic,
-- device topics' import tokens included. Realtime's join probe is a row of the joined topic.
create policy "Users can receive broadcasts on their own user topic" on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and realtime.messages.topic = (select realtime.topic())
    and (select realtime.topic()) = 'user:' || (select auth.uid())::text
    and (select public.current_device_id()) is null
  );

create policy "Devices can receive broadcasts on their own device topic" on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and realtime.messages.topic = (select realtime.topic())
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

-- A revoked device's bridge is told at once; its JWT stops working at the next refresh. Its
-- imports end too, since it can no longer report them: cancelled where the state machine allows,
-- failed once Blender had them (importing ends only in done or failed); its unspent tokens are
-- voided.
create function public.devices_broadcast() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if new.revoked_at is not null and old.revoked_at is null then
    perform realtime.send(jsonb_build_object('device_id', new.id, 'revoked', true),
                          'device_revoked', 'device:' || new.id::text, true);
    perform realtime.send(jsonb_build_object('device_id', new.id, 'online', false, 'revoked', true),
                          'device_status', 'user:' || new.user_id::text, true);
    update public.imports
       set status = case when status = 'importing' then 'failed'::public.import_status
                         else 'cancelled'::public.import_status end,
           error_code = 'DEVICE_REVOKED',
           error_message = 'This Blender was disconnected from your account.'
     where device_id = new.id
       and status in ('queued', 'redeemed', 'downloading', 'verifying', 'importing');
    update public.import_tokens set voided_at = now()
     where device_id = new.id and redeemed_at is null and voided_at is null;
  end if;
  return null;
end
$$;
create trigger devices_broadcast after update of revoked_at on public.devices
  for each row execute function public.devices_broadcast();
