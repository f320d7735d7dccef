-- Local-only shim (stand-in): GoTrue's PKCE flow state. E-mail links of a PKCE flow redirect with
-- ?code=<auth_code>, which the client exchanges with its code_verifier at /token?grant_type=pkce.
-- The stand-in also applies this file itself at start, so it must stay idempotent.
create table if not exists auth.flow_state (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  auth_code text not null unique,
  code_challenge text not null,
  code_challenge_method text not null check (code_challenge_method in ('s256', 'plain')),
  authentication_method text not null,
  token_hash text not null,
  verified_at timestamptz,
  created_at timestamptz not null default now()
);
create index if not exists flow_state_token_hash_idx on auth.flow_state (token_hash);
