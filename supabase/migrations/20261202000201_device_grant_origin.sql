-- /connect shows what is being approved, including whether the pairing was started from the same
-- internet address as the browser approving it. The edge keeps only a keyed hash of the address
-- the bridge called /v1/devices/authorize from (HMAC with its API-key pepper), never the address:
-- it can compare, not reveal. Grants are pruned a day after they expire (prune_pairing_and_tokens).
alter table public.device_grants add column origin_hash text;
