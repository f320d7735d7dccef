-- Minting an import in one statement (issue 21: minting under load). The edge used two: a read
-- that resolved the ask (resolve_import_target, import_instance, the shader's name and slug), then,
-- with the token signed for that target, create_import and the device message. Now the edge signs
-- for the target it expects (its last resolution of the same ask) and mint_import resolves the ask
-- again inside the write: when the target is still that one it writes with create_import (which
-- re-checks entitlement, device and instance; EDGE's definition of 20261204000100, called as is)
-- and sends the device message (p_message, unless null), all in this one transaction; otherwise
-- it writes nothing and answers the current target, which the edge signs and sends again. Null
-- expectations only resolve. So a target is never older than the statement that writes it.
create function public.mint_import(
  p_id uuid, p_user uuid, p_shader uuid, p_version text, p_device uuid, p_instance uuid,
  p_expect_version uuid, p_expect_device uuid, p_expect_instance uuid, p_expect_name text, p_expect_slug text,
  p_jti uuid, p_token_hash text, p_token_expires_at timestamptz, p_queue_window interval,
  p_resolution text, p_purpose text, p_message jsonb, p_event text
) returns table (minted boolean, shader_version_id uuid, version text, sha256 text, device_id uuid,
                 instance_id uuid, shader_name text, shader_slug text, status text, expires_at timestamptz,
                 resolution text)
language plpgsql security definer set search_path = ''
as $$
#variable_conflict use_column
declare
  t record;
  inst uuid;
  sname text;
  sslug text;
  imp public.imports;
begin
  select r.shader_version_id, r.version, r.sha256, r.device_id into t
  from public.resolve_import_target(p_user, p_shader, p_version, p_device) r;
  inst := public.import_instance(p_user, t.device_id, p_instance);
  select s.name, s.slug into sname, sslug from public.shaders s where s.id = p_shader;
  if p_expect_version is distinct from t.shader_version_id or p_expect_device is distinct from t.device_id
     or p_expect_instance is distinct from inst or p_expect_name is distinct from sname
     or p_expect_slug is distinct from sslug then
    return query select false, t.shader_version_id, t.version, t.sha256, t.device_id, inst, sname, sslug,
      null::text, null::timestamptz, null::text;
    return;
  end if;
  imp := public.create_import(p_id, p_user, t.shader_version_id, t.device_id, p_jti, p_token_hash,
                              p_token_expires_at, p_queue_window, inst, p_resolution, p_purpose);
  if p_message is not null then
    perform realtime.send(p_message, p_event, 'device:' || imp.device_id::text, true);
  end if;
  return query select true, t.shader_version_id, t.version, t.sha256, t.device_id, inst, sname, sslug,
    imp.status::text, imp.expires_at, imp.resolution;
end
$$;
revoke execute on function public.mint_import(uuid, uuid, uuid, text, uuid, uuid, uuid, uuid, uuid, text, text, uuid, text,
                                              timestamptz, interval, text, text, jsonb, text)
  from public, anon, authenticated;
