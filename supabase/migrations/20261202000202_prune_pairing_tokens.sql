-- Pairing grants and import tokens are pruned once they can no longer be used: a grant past its
-- expiry answers expired_token whatever its status, and redeem/reissue accept only a token whose
-- expires_at is in the future. Both are kept p_keep longer (default one hour) so a late poll or
-- redemption still gets its precise answer, then deleted by the edge's maintenance loop (every
-- instance, idempotent), so neither table grows with every pairing and import ever made.
create index import_tokens_expires_idx on public.import_tokens (expires_at);

create function public.prune_pairing_and_tokens(p_keep interval default interval '1 hour')
returns table (grants int, tokens int)
language plpgsql set search_path = ''
as $$
declare
  g int;
  t int;
begin
  delete from public.device_grants where expires_at < now() - greatest(p_keep, interval '0');
  get diagnostics g = row_count;
  delete from public.import_tokens where expires_at < now() - greatest(p_keep, interval '0');
  get diagnostics t = row_count;
  return query select g, t;
end
$$;
revoke execute on function public.prune_pairing_and_tokens(interval) from public, anon, authenticated;
grant execute on function public.prune_pairing_and_tokens(interval) to service_role;
