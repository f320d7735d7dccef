-- Local-only shim: Supabase Realtime's broadcast-from-database surface.
-- realtime.send() inserts the message and notifies the stand-in, which reads the row by id and
-- fans it out to joined channels (NOTIFY payloads are capped at 8000 bytes, so only the id travels).
create schema if not exists realtime;
grant usage on schema realtime to anon, authenticated, service_role;

create table if not exists realtime.messages (
  id uuid primary key default gen_random_uuid(),
  topic text not null,
  extension text not null default 'broadcast',
  payload jsonb,
  event text,
  private boolean not null default false,
  inserted_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists messages_topic_idx on realtime.messages (topic, inserted_at);
alter table realtime.messages enable row level security;
grant select, insert on realtime.messages to anon, authenticated;
grant all on realtime.messages to service_role;

create or replace function realtime.topic() returns text
language sql stable
as $$ select nullif(current_setting('realtime.topic', true), '')::text $$;

create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  msg_id uuid;
begin
  insert into realtime.messages (topic, extension, payload, event, private)
  values (send.topic, 'broadcast', send.payload, send.event, send.private)
  returning id into msg_id;
  perform pg_notify('realtime:broadcast', msg_id::text);
end
$$;

grant execute on all functions in schema realtime to anon, authenticated, service_role;
