-- prune_pairing_and_tokens: pairing grants and import tokens go once they can no longer be used
-- (an hour after their expiry by default); live ones stay; only the edge may call it.
begin;
\ir _helpers.psql
select plan(10);

insert into public.device_grants (device_code_hash, user_code, platform, name, status, expires_at) values
  (repeat('1', 64), 'BBBB-BBBB', 'blender', 'old pending',  'pending',  now() - interval '2 hours'),
  (repeat('2', 64), 'CCCC-CCCC', 'blender', 'old consumed', 'consumed', now() - interval '3 days'),
  (repeat('3', 64), 'DDDD-DDDD', 'blender', 'just expired', 'denied',   now() - interval '10 minutes'),
  (repeat('4', 64), 'FFFF-FFFF', 'blender', 'live',         'pending',  now() + interval '5 minutes');

-- One import with a live token, plus two spent/expired tokens of the same import.
select tests.new_import(tests.pro(), tests.pro_device(), tests.version(2), 'e0000000-0000-4000-8000-000000000001', 'live-token') as imp \gset
insert into public.import_tokens (jti, import_id, device_id, token_hash, expires_at, redeemed_at) values
  ('e0000000-0000-4000-8000-000000000002', :'imp', tests.pro_device(), tests.hash('old'),    now() - interval '2 hours', now() - interval '2 hours'),
  ('e0000000-0000-4000-8000-000000000003', :'imp', tests.pro_device(), tests.hash('recent'), now() - interval '5 minutes', null);

select tests.as_user(tests.pro());
select throws_ok($$select * from public.prune_pairing_and_tokens()$$, '42501', null, 'a user cannot prune');
select tests.as_anon();
select throws_ok($$select * from public.prune_pairing_and_tokens()$$, '42501', null, 'anon cannot prune');

select tests.as_service();
select results_eq($$select grants, tokens from public.prune_pairing_and_tokens()$$, $$values (2, 1)$$,
  'prunes the two grants and the one token expired over an hour ago');
select set_eq($$select name from public.device_grants$$, array['just expired', 'live'], 'recent and live grants stay');
select set_eq($$select jti::text from public.import_tokens$$,
  array['e0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000003'], 'the live and the recently expired token stay');
select results_eq($$select grants, tokens from public.prune_pairing_and_tokens()$$, $$values (0, 0)$$, 'pruning again removes nothing');
select ok(exists (select 1 from public.imports where id = :'imp'), 'the import itself is kept');
select results_eq($$select grants, tokens from public.prune_pairing_and_tokens(interval '0')$$, $$values (1, 1)$$,
  'with no grace, everything expired goes');
select set_eq($$select name from public.device_grants$$, array['live'], 'only the live grant is left');
select is((select count(*)::int from public.import_tokens), 1, 'only the live token is left');

select * from finish();
rollback;
