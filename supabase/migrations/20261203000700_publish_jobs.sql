-- Publishing from the browser (issue 20 item 2). The operator's page uploads a package zip to
-- incoming/<fingerprint>.zip through the edge's presigned multipart upload, then asks for a
-- publish job here. A publish worker (`publish worker`, the CLI's pipeline) claims queued jobs
-- with SKIP LOCKED, runs validate → vet in headless Blender (Octane graph included) → sign →
-- register, and appends every line it prints to the job's log, which the page polls. Nothing is
-- published unless every step passed: the catalog rows are written by the last step only.
-- The operator may also hide a shader from the catalog (unpublish) and show it again.

create table public.publish_jobs (
  id uuid primary key default gen_random_uuid(),
  requested_by uuid not null references auth.users (id) on delete cascade,
  upload_key text not null check (upload_key ~ '^incoming/[0-9a-f]{64}\.zip$'),
  file_name text not null check (char_length(file_name) between 1 and 255),
  size bigint not null check (size > 0),
  -- "Publish a new version" of this shader: a package of another shader is refused.
  new_version_of text check (new_version_of ~ '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$'),
  status text not null default 'queued'
    check (status in ('queued', 'running', 'published', 'refused', 'failed')),
  step text not null default 'queued'
    check (step in ('queued', 'download', 'validate', 'vet', 'sign', 'register', 'done')),
  -- Every line of the pipeline, in order: {"at": timestamptz, "problem": bool, "text": text}.
  log jsonb not null default '[]' check (jsonb_typeof(log) = 'array'),
  error_code text,
  shader_slug text,
  version text,
  attempts int not null default 0,
  worker text,
  heartbeat_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz
);
alter table public.publish_jobs enable row level security;
create index publish_jobs_queued_idx on public.publish_jobs (created_at) where status in ('queued', 'running');
create index publish_jobs_requested_by_idx on public.publish_jobs (requested_by, created_at desc);

-- Operators read every job (a colleague's too); nobody writes through the API: jobs are created
-- by request_publish() and moved by the worker's functions below.
create policy "Operators can read publish jobs" on public.publish_jobs
  for select to authenticated using (public.is_operator());
revoke all on public.publish_jobs from anon, authenticated;
grant select on public.publish_jobs to authenticated;

-- A publish job for an uploaded package (operator session only). The upload must have finished
-- (the page calls this after the edge's /v1/uploads/complete); the worker fails the job when the
-- object is missing. p_new_version_of names the shader a "new version" must belong to.
create function public.request_publish(p_upload_key text, p_file_name text, p_size bigint,
                                       p_new_version_of text default null)
returns public.publish_jobs
language plpgsql security definer set search_path = ''
as $$
declare
  job public.publish_jobs;
begin
  if not public.is_operator() then
    raise exception 'INSUFFICIENT_PERMISSIONS' using errcode = 'P0001';
  end if;
  if p_upload_key is null or p_upload_key !~ '^incoming/[0-9a-f]{64}\.zip$'
     or p_size is null or p_size <= 0
     or p_file_name is null or char_length(p_file_name) not between 1 and 255 then
    raise exception 'INVALID_INPUT' using errcode = 'P0001',
      detail = 'upload_key must be incoming/<64 hex>.zip, size positive, file_name 1..255 characters';
  end if;
  if p_new_version_of is not null
     and not exists (select 1 from public.shaders s where s.slug = p_new_version_of) then
    raise exception 'NOT_FOUND' using errcode = 'P0001', detail = p_new_version_of;
  end if;
  insert into public.publish_jobs (requested_by, upload_key, file_name, size, new_version_of)
  values (auth.uid(), p_upload_key, p_file_name, p_size, p_new_version_of)
  returning * into job;
  return job;
end $$;
revoke execute on function public.request_publish(text, text, bigint, text) from public, anon;
grant execute on function public.request_publish(text, text, bigint, text) to authenticated;

-- Hide a shader from the catalog or show it again (operator session only). Versions stay
-- (immutable); an unpublished shader is neither listed nor importable (has_entitlement and the
-- catalog policies require published). Showing needs at least one version.
create function public.set_shader_published(p_slug text, p_published boolean)
returns boolean
language plpgsql security definer set search_path = ''
as $$
declare
  sid uuid;
begin
  if not public.is_operator() then
    raise exception 'INSUFFICIENT_PERMISSIONS' using errcode = 'P0001';
  end if;
  if p_published is null then
    raise exception 'INVALID_INPUT' using errcode = 'P0001', detail = 'p_published is required';
  end if;
  select s.id into sid from public.shaders s where s.slug = p_slug for update;
  if not found then
    raise exception 'NOT_FOUND' using errcode = 'P0001', detail = p_slug;
  end if;
  if p_published and not exists (select 1 from public.shader_versions v where v.shader_id = sid) then
    raise exception 'CONFLICT' using errcode = 'P0001', detail = 'the shader has no published version';
  end if;
  update public.shaders set published = p_published, updated_at = now() where id = sid;
  return p_published;
end $$;
revoke execute on function public.set_shader_published(text, boolean) from public, anon;
grant execute on function public.set_shader_published(text, boolean) to authenticated;

-- The operator's catalog: every shader, listed or not, with its versions (operator session only).
create function public.operator_catalog()
returns table (slug text, name text, published boolean, is_free boolean, latest_version text,
               versions text[], updated_at timestamptz)
language plpgsql stable security definer set search_path = ''
as $$
begin
  if not public.is_operator() then
    raise exception 'INSUFFICIENT_PERMISSIONS' using errcode = 'P0001';
  end if;
  return query
    select s.slug, s.name, s.published, s.is_free, s.latest_version,
           coalesce((select array_agg(v.version order by string_to_array(v.version, '.')::int[] desc)
                     from public.shader_versions v where v.shader_id = s.id), '{}'),
           s.updated_at
    from public.shaders s
    order by s.updated_at desc, s.slug;
end $$;
revoke execute on function public.operator_catalog() from public, anon;
grant execute on function public.operator_catalog() to authenticated;

-- Worker side (the publisher's database connection; no API role may call these).

-- The oldest queued job, or a running one whose worker stopped beating for p_stale (a crashed
-- worker's job is taken over, at most three attempts in all; then it fails). SKIP LOCKED lets
-- any number of workers poll.
create function public.claim_publish_job(p_worker text, p_stale interval default interval '2 minutes')
returns public.publish_jobs
language plpgsql security definer set search_path = ''
as $$
declare
  job public.publish_jobs;
begin
  update public.publish_jobs
     set status = 'failed', error_code = 'INTERNAL_ERROR', finished_at = now(), updated_at = now(),
         log = log || jsonb_build_array(jsonb_build_object('at', now(), 'problem', true,
               'text', 'the publish worker stopped three times on this job; giving up'))
   where status = 'running' and heartbeat_at < now() - p_stale and attempts >= 3;
  select j.* into job from public.publish_jobs j
  where j.status = 'queued' or (j.status = 'running' and j.heartbeat_at < now() - p_stale)
  order by j.created_at
  for update skip locked
  limit 1;
  if not found then
    return null;
  end if;
  update public.publish_jobs
     set status = 'running', step = 'download', worker = p_worker, attempts = attempts + 1,
         heartbeat_at = now(), updated_at = now(), log = '[]'
   where id = job.id
  returning * into job;
  return job;
end $$;

-- The job is at p_step (null: unchanged) and printed p_lines; also the worker's heartbeat.
-- CONFLICT when the job is no longer this worker's (taken over, or finished).
create function public.publish_job_progress(p_job uuid, p_worker text, p_step text, p_lines jsonb)
returns void
language plpgsql security definer set search_path = ''
as $$
begin
  update public.publish_jobs
     set step = coalesce(p_step, step), log = log || coalesce(p_lines, '[]'),
         heartbeat_at = now(), updated_at = now()
   where id = p_job and worker = p_worker and status = 'running';
  if not found then
    raise exception 'CONFLICT' using errcode = 'P0001', detail = 'the job is not running on this worker';
  end if;
end $$;

-- The job's outcome: published (with the shader and version), refused (a package problem:
-- p_code names it, the log holds the lines) or failed (the pipeline itself broke).
create function public.finish_publish_job(p_job uuid, p_worker text, p_status text, p_code text,
                                          p_slug text, p_version text, p_lines jsonb)
returns void
language plpgsql security definer set search_path = ''
as $$
begin
  if p_status not in ('published', 'refused', 'failed')
     or (p_status = 'published') <> (p_code is null)
     or (p_status = 'published' and (p_slug is null or p_version is null)) then
    raise exception 'INVALID_INPUT' using errcode = 'P0001', detail = 'a published job has a shader and version and no code; others a code';
  end if;
  update public.publish_jobs
     set status = p_status, error_code = p_code, shader_slug = coalesce(p_slug, shader_slug),
         version = coalesce(p_version, version),
         step = case when p_status = 'published' then 'done' else step end,
         log = log || coalesce(p_lines, '[]'), finished_at = now(), heartbeat_at = now(), updated_at = now()
   where id = p_job and worker = p_worker and status = 'running';
  if not found then
    raise exception 'CONFLICT' using errcode = 'P0001', detail = 'the job is not running on this worker';
  end if;
end $$;

revoke execute on function public.claim_publish_job(text, interval) from public, anon, authenticated;
revoke execute on function public.publish_job_progress(uuid, text, text, jsonb) from public, anon, authenticated;
revoke execute on function public.finish_publish_job(uuid, text, text, text, text, text, jsonb) from public, anon, authenticated;
grant execute on function public.claim_publish_job(text, interval) to service_role;
grant execute on function public.publish_job_progress(uuid, text, text, jsonb) to service_role;
grant execute on function public.finish_publish_job(uuid, text, text, text, text, text, jsonb) to service_role;
