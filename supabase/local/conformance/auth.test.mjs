import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, freshUser, uniqueEmail, api, signIn, userJWT, PRO, SERVICE, ANON, URL_, sleep } from './helpers.mjs';

const decode = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

test('auth: signUp auto-confirms and returns a session with GoTrue user shape', async () => {
  const { session, user, email } = await freshUser('signup');
  assert.equal(session.token_type, 'bearer');
  assert.equal(session.expires_in, 3600);
  assert.match(session.refresh_token, /^[a-z0-9]{12}$/);
  assert.equal(user.email, email);
  assert.equal(user.aud, 'authenticated');
  assert.equal(user.role, 'authenticated');
  assert.ok(user.email_confirmed_at);
  assert.deepEqual(user.app_metadata, { provider: 'email', providers: ['email'] });
  assert.equal(user.user_metadata.email_verified, true);
  assert.equal(user.identities.length, 1);
  assert.equal(user.identities[0].provider, 'email');
  assert.equal(user.is_anonymous, false);
});

test('auth: access token carries GoTrue claim set', async () => {
  const { session, user } = await freshUser('claims');
  const c = decode(session.access_token);
  for (const k of ['sub', 'aud', 'exp', 'iat', 'iss', 'email', 'phone', 'app_metadata', 'user_metadata', 'role', 'aal', 'amr', 'session_id', 'is_anonymous']) {
    assert.ok(k in c, `claim ${k}`);
  }
  assert.equal(c.sub, user.id);
  assert.equal(c.role, 'authenticated');
  assert.equal(c.aal, 'aal1');
  assert.equal(c.amr[0].method, 'password');
  assert.equal(c.exp - c.iat, 3600);
  const hdr = JSON.parse(Buffer.from(session.access_token.split('.')[0], 'base64url').toString());
  assert.equal(hdr.alg, 'HS256');
});

test('auth: duplicate signUp is user_already_exists (422)', async () => {
  const { email } = await freshUser('dup');
  const { error } = await client().auth.signUp({ email, password: 'correct-horse-1' });
  assert.equal(error.status, 422);
  assert.equal(error.code, 'user_already_exists');
  assert.equal(error.message, 'User already registered');
});

test('auth: weak password is weak_password with reasons', async () => {
  const { error } = await client().auth.signUp({ email: uniqueEmail('weak'), password: '123' });
  assert.equal(error.status, 422);
  assert.equal(error.code, 'weak_password');
  assert.deepEqual(error.reasons, ['length']);
});

test('auth: invalid e-mail is validation_failed (400)', async () => {
  const { error } = await client().auth.signUp({ email: 'not-an-email', password: 'correct-horse-1' });
  assert.equal(error.status, 400);
  assert.equal(error.code, 'validation_failed');
});

test('auth: signInWithPassword with the seeded demo user', async () => {
  const sb = client();
  const { data, error } = await sb.auth.signInWithPassword({ email: PRO.email, password: PRO.password });
  assert.equal(error, null);
  assert.equal(data.user.id, PRO.id);
  assert.equal(decode(data.session.access_token).sub, PRO.id);
});

test('auth: wrong password is invalid_credentials (400)', async () => {
  const { error } = await client().auth.signInWithPassword({ email: PRO.email, password: 'nope-nope' });
  assert.equal(error.status, 400);
  assert.equal(error.code, 'invalid_credentials');
  assert.equal(error.message, 'Invalid login credentials');
});

test('auth: unknown user is invalid_credentials too', async () => {
  const { error } = await client().auth.signInWithPassword({ email: uniqueEmail('ghost'), password: 'whatever1' });
  assert.equal(error.code, 'invalid_credentials');
});

test('auth: getUser returns the user; getClaims verifies the JWT', async () => {
  const u = await freshUser('getuser');
  await u.sb.auth.setSession(u.session);
  const { data, error } = await u.sb.auth.getUser();
  assert.equal(error, null);
  assert.equal(data.user.id, u.user.id);
  const claims = await u.sb.auth.getClaims();
  assert.equal(claims.error, null);
  assert.equal(claims.data.claims.sub, u.user.id);
});

test('auth: GET /user without a token is no_authorization (401)', async () => {
  const r = await api('/auth/v1/user', { headers: { Authorization: '', 'X-Supabase-Api-Version': '2024-01-01' } });
  assert.equal(r.status, 401);
  assert.deepEqual(r.json, { code: 'no_authorization', message: 'This endpoint requires a valid Bearer token' });
});

test('auth: GET /user with a forged token is bad_jwt (403)', async () => {
  const r = await api('/auth/v1/user', { token: 'not.a.jwt', headers: { 'X-Supabase-Api-Version': '2024-01-01' } });
  assert.equal(r.status, 403);
  assert.equal(r.json.code, 'bad_jwt');
  assert.match(r.json.message, /^invalid JWT: unable to parse or verify signature/);
});

test('auth: legacy error shape without X-Supabase-Api-Version', async () => {
  const r = await api('/auth/v1/token?grant_type=password', { method: 'POST', body: { email: PRO.email, password: 'bad-bad-bad' } });
  assert.equal(r.status, 400);
  assert.equal(r.json.code, 400);
  assert.equal(r.json.error_code, 'invalid_credentials');
  assert.equal(r.json.msg, 'Invalid login credentials');
  assert.equal(r.headers.get('x-sb-error-code'), 'invalid_credentials');
});

test('auth: refresh rotates the refresh token', async () => {
  const u = await freshUser('refresh');
  const sb = client();
  const { data, error } = await sb.auth.refreshSession({ refresh_token: u.session.refresh_token });
  assert.equal(error, null);
  assert.notEqual(data.session.refresh_token, u.session.refresh_token);
  assert.equal(decode(data.session.access_token).session_id, decode(u.session.access_token).session_id);
});

test('auth: reuse of a rotated token within the reuse window returns the current token', async () => {
  const u = await freshUser('reusewin');
  const first = await api('/auth/v1/token?grant_type=refresh_token', { method: 'POST', body: { refresh_token: u.session.refresh_token } });
  assert.equal(first.status, 200);
  const again = await api('/auth/v1/token?grant_type=refresh_token', { method: 'POST', body: { refresh_token: u.session.refresh_token } });
  assert.equal(again.status, 200);
  assert.equal(again.json.refresh_token, first.json.refresh_token);
});

test('auth: unknown refresh token is refresh_token_not_found', async () => {
  const r = await api('/auth/v1/token?grant_type=refresh_token', { method: 'POST', body: { refresh_token: 'aaaaaaaaaaaa' }, headers: { 'X-Supabase-Api-Version': '2024-01-01' } });
  assert.equal(r.status, 400);
  assert.deepEqual(r.json, { code: 'refresh_token_not_found', message: 'Invalid Refresh Token: Refresh Token Not Found' });
});

test('auth: signOut (global) ends the session: refresh fails, /user is session_not_found', async () => {
  const u = await freshUser('logout');
  await u.sb.auth.setSession(u.session);
  const { error } = await u.sb.auth.signOut();
  assert.equal(error, null);
  const r = await api('/auth/v1/token?grant_type=refresh_token', { method: 'POST', body: { refresh_token: u.session.refresh_token }, headers: { 'X-Supabase-Api-Version': '2024-01-01' } });
  assert.equal(r.json.code, 'refresh_token_not_found');
  const me = await api('/auth/v1/user', { token: u.session.access_token, headers: { 'X-Supabase-Api-Version': '2024-01-01' } });
  assert.equal(me.status, 403);
  assert.equal(me.json.code, 'session_not_found');
});

test('auth: logout scope=others keeps the current session', async () => {
  const u = await freshUser('others');
  const second = await signIn(u);
  const r = await api('/auth/v1/logout?scope=others', { method: 'POST', token: second.session.access_token });
  assert.equal(r.status, 204);
  const mine = await api('/auth/v1/user', { token: second.session.access_token });
  assert.equal(mine.status, 200);
  const old = await api('/auth/v1/user', { token: u.session.access_token });
  assert.equal(old.status, 403);
});

test('auth: updateUser changes metadata and password', async () => {
  const u = await freshUser('update');
  await u.sb.auth.setSession(u.session);
  const { data, error } = await u.sb.auth.updateUser({ data: { display_name: 'Neo' }, password: 'new-password-9' });
  assert.equal(error, null);
  assert.equal(data.user.user_metadata.display_name, 'Neo');
  const again = await client().auth.signInWithPassword({ email: u.email, password: 'new-password-9' });
  assert.equal(again.error, null);
});

test('auth: settings and jwks', async () => {
  const s = await api('/auth/v1/settings');
  assert.equal(s.status, 200);
  assert.equal(s.json.external.email, true);
  assert.equal(s.json.mailer_autoconfirm, true);
  assert.equal(s.json.disable_signup, false);
  const j = await api('/auth/v1/.well-known/jwks.json');
  assert.deepEqual(j.json, { keys: [] });
});

test('auth: requests without apikey are refused by the gateway', async () => {
  const r = await fetch(`${URL_}/auth/v1/settings`);
  assert.equal(r.status, 401);
  assert.equal((await r.json()).message, 'No API key found in request');
});

test('auth: OTP sign-in: code from the local mailbox verifies into a session', async () => {
  const email = uniqueEmail('otp');
  const sb = client();
  const { error } = await sb.auth.signInWithOtp({ email });
  assert.equal(error, null);
  const box = await (await fetch(`${URL_}/mailbox?format=json&to=${encodeURIComponent(email)}`)).json();
  assert.equal(box.length, 1);
  assert.match(box[0].code, /^\d{6}$/);
  const v = await sb.auth.verifyOtp({ email, token: box[0].code, type: 'email' });
  assert.equal(v.error, null);
  assert.equal(v.data.user.email, email);
  const reuse = await client().auth.verifyOtp({ email, token: box[0].code, type: 'email' });
  assert.equal(reuse.error.code, 'otp_expired');
});

test('auth: magic link redirects with the session in the fragment', async () => {
  const email = uniqueEmail('link');
  await client().auth.signInWithOtp({ email, options: { emailRedirectTo: 'http://127.0.0.1:3000/welcome' } });
  const box = await (await fetch(`${URL_}/mailbox?format=json&to=${encodeURIComponent(email)}`)).json();
  const r = await fetch(box[0].link, { redirect: 'manual' });
  assert.equal(r.status, 303);
  const loc = new URL(r.headers.get('location'));
  assert.equal(loc.origin + loc.pathname, 'http://127.0.0.1:3000/welcome');
  const frag = new URLSearchParams(loc.hash.slice(1));
  assert.ok(frag.get('access_token'));
  assert.equal(frag.get('token_type'), 'bearer');
});

test('auth: OTP with shouldCreateUser=false for an unknown e-mail is otp_disabled', async () => {
  const { error } = await client().auth.signInWithOtp({ email: uniqueEmail('nocreate'), options: { shouldCreateUser: false } });
  assert.equal(error.code, 'otp_disabled');
});

test('auth: password recovery mails a code that signs in', async () => {
  const u = await freshUser('recover');
  const { error } = await client().auth.resetPasswordForEmail(u.email);
  assert.equal(error, null);
  const box = await (await fetch(`${URL_}/mailbox?format=json&to=${encodeURIComponent(u.email)}`)).json();
  const rec = box.find((m) => m.type === 'recovery');
  const v = await client().auth.verifyOtp({ email: u.email, token: rec.code, type: 'recovery' });
  assert.equal(v.error, null);
  assert.equal(v.data.user.id, u.user.id);
});

test('auth: admin API with the service role: create, get, list, update, delete', async () => {
  const admin = client(SERVICE).auth.admin;
  const email = uniqueEmail('admin');
  const created = await admin.createUser({ email, password: 'admin-made-1', email_confirm: true, user_metadata: { a: 1 } });
  assert.equal(created.error, null);
  const id = created.data.user.id;
  const got = await admin.getUserById(id);
  assert.equal(got.data.user.email, email);
  const list = await admin.listUsers({ page: 1, perPage: 1 });
  assert.equal(list.error, null);
  assert.equal(list.data.users.length, 1);
  assert.ok(list.data.total >= 3);
  const upd = await admin.updateUserById(id, { app_metadata: { plan: 'pro' } });
  assert.equal(upd.data.user.app_metadata.plan, 'pro');
  const del = await admin.deleteUser(id);
  assert.equal(del.error, null);
  const gone = await admin.getUserById(id);
  assert.equal(gone.error.status, 404);
});

test('auth: admin API refuses the anon key and user JWTs (not_admin)', async () => {
  const r = await api('/auth/v1/admin/users', { token: ANON, headers: { 'X-Supabase-Api-Version': '2024-01-01' } });
  assert.equal(r.status, 403);
  assert.deepEqual(r.json, { code: 'not_admin', message: 'User not allowed' });
});

test('auth: banned user cannot sign in', async () => {
  const admin = client(SERVICE).auth.admin;
  const email = uniqueEmail('ban');
  const c = await admin.createUser({ email, password: 'banned-pw-1', email_confirm: true });
  await admin.updateUserById(c.data.user.id, { ban_duration: '24h' });
  const { error } = await client().auth.signInWithPassword({ email, password: 'banned-pw-1' });
  assert.equal(error.code, 'user_banned');
});

test('auth: PKCE magic link: ?code= redirect exchanged with the code verifier', async () => {
  const sb = client(ANON, { auth: { flowType: 'pkce' } });
  const email = uniqueEmail('pkce');
  const { error } = await sb.auth.signInWithOtp({ email, options: { emailRedirectTo: 'http://127.0.0.1:3000/auth/callback' } });
  assert.equal(error, null);
  const box = await (await fetch(`${URL_}/mailbox?format=json&to=${encodeURIComponent(email)}`)).json();
  const r = await fetch(box[0].link, { redirect: 'manual' });
  assert.equal(r.status, 303);
  const loc = new URL(r.headers.get('location'));
  assert.equal(loc.pathname, '/auth/callback');
  const code = loc.searchParams.get('code');
  assert.ok(code, 'code in the redirect');
  const flowId = [...loc.searchParams.entries()].find(([k]) => k !== 'code')?.[1];
  const ex = await sb.auth.exchangeCodeForSession(code, flowId ? { flowId } : undefined);
  assert.equal(ex.error, null);
  assert.equal(ex.data.user.email, email);
  const again = await api('/auth/v1/token?grant_type=pkce', { method: 'POST', body: { auth_code: code, code_verifier: 'x'.repeat(43) }, headers: { 'X-Supabase-Api-Version': '2024-01-01' } });
  assert.equal(again.status, 404);
  assert.equal(again.json.code, 'flow_state_not_found');
});

// GoTrue's session_id rules (supabase/auth internal/api/auth.go maybeLoadUserOrSession, read at
// commit bc32168e; docs/decisions.md): absent or all-zero → no session, the request proceeds; not
// a UUID → 403 bad_jwt; a UUID naming no session → 403 session_not_found. The same on every
// endpoint that requires authentication, before anything changes.
const V = { 'X-Supabase-Api-Version': '2024-01-01' };
const BAD_SID = { code: 'bad_jwt', message: 'invalid claim: session_id claim must be a UUID' };
const NO_SESSION = { code: 'session_not_found', message: 'Session from session_id claim in JWT does not exist' };
const authEndpoints = [
  ['GET /user', (t) => api('/auth/v1/user', { token: t, headers: V })],
  ['PUT /user {password}', (t) => api('/auth/v1/user', { method: 'PUT', token: t, headers: V, body: { password: 'taken-over-1' } })],
  ['PUT /user {email}', (t) => api('/auth/v1/user', { method: 'PUT', token: t, headers: V, body: { email: uniqueEmail('taken') } })],
  ['PUT /user {data}', (t) => api('/auth/v1/user', { method: 'PUT', token: t, headers: V, body: { data: { owned: true } } })],
  ['POST /logout', (t) => api('/auth/v1/logout', { method: 'POST', token: t, headers: V })],
  ['POST /logout?scope=local', (t) => api('/auth/v1/logout?scope=local', { method: 'POST', token: t, headers: V })],
  ['POST /logout?scope=others', (t) => api('/auth/v1/logout?scope=others', { method: 'POST', token: t, headers: V })],
];

// unchanged asserts that nothing of u's account moved: password, e-mail, metadata, its session.
async function unchanged(u) {
  const me = await api('/auth/v1/user', { token: u.session.access_token, headers: V });
  assert.equal(me.status, 200, 'the real session still works');
  assert.equal(me.json.email, u.email);
  assert.equal(me.json.user_metadata.owned, undefined);
  const again = await client().auth.signInWithPassword({ email: u.email, password: u.password });
  assert.equal(again.error, null, 'the password is unchanged');
}

test('auth: session_id that is not a UUID is bad_jwt (403) on every authenticated endpoint', async () => {
  const u = await freshUser('sidbad');
  for (const sid of ['device', '8ce1c02e-266d-5953-a595-ba0af84fdb0', '{8ce1c02e266d5953a595ba0af84fdb00}', 'URN:UUID:8ce1c02e-266d-5953-a595-ba0af84fdb00']) {
    for (const [name, call] of authEndpoints) {
      const r = await call(userJWT(u.user.id, { session_id: sid }));
      assert.equal(r.status, 403, `${name} with session_id ${sid}`);
      assert.deepEqual(r.json, BAD_SID, `${name} with session_id ${sid}`);
      assert.equal(r.headers.get('x-sb-error-code'), 'bad_jwt');
    }
  }
  // A session_id that is not a string fails GoTrue's claims parse itself.
  const r = await api('/auth/v1/user', { token: userJWT(u.user.id, { session_id: 42 }), headers: V });
  assert.equal(r.status, 403);
  assert.equal(r.json.code, 'bad_jwt');
  assert.match(r.json.message, /^invalid JWT: unable to parse or verify signature, token is malformed: could not JSON decode claim: .*session_id/);
  await unchanged(u);
});

test('auth: session_id naming no session is session_not_found (403) on every authenticated endpoint', async () => {
  const u = await freshUser('sidnone');
  // Any UUID spelling GoTrue's parser reads, looked up as a UUID.
  for (const sid of ['8ce1c02e-266d-5953-a595-ba0af84fdb00', crypto.randomUUID(), '8CE1C02E266D5953A595BA0AF84FDB00',
    '{8ce1c02e-266d-5953-a595-ba0af84fdb00}', 'urn:uuid:8ce1c02e266d5953a595ba0af84fdb00', '{00000000-0000-0000-0000-000000000000}']) {
    for (const [name, call] of authEndpoints) {
      const r = await call(userJWT(u.user.id, { session_id: sid }));
      assert.equal(r.status, 403, `${name} with session_id ${sid}`);
      assert.deepEqual(r.json, NO_SESSION, `${name} with session_id ${sid}`);
      assert.equal(r.headers.get('x-sb-error-code'), 'session_not_found');
    }
  }
  // The legacy shape carries the same code.
  const legacy = await api('/auth/v1/user', { token: userJWT(u.user.id, { session_id: crypto.randomUUID() }) });
  assert.equal(legacy.status, 403);
  assert.equal(legacy.json.error_code, 'session_not_found');
  await unchanged(u);
});

test('auth: a session_id in another spelling of a live session finds it (GoTrue parses, then looks up)', async () => {
  const u = await freshUser('sidspell');
  const sid = decode(u.session.access_token).session_id;
  for (const spelled of [sid.toUpperCase(), sid.replaceAll('-', ''), `{${sid}}`, `urn:uuid:${sid}`]) {
    const r = await api('/auth/v1/user', { token: userJWT(u.user.id, { session_id: spelled }), headers: V });
    assert.equal(r.status, 200, spelled);
  }
});

test('auth: a token without session_id (or all-zero) proceeds without a session, as GoTrue does', async () => {
  for (const extra of [{}, { session_id: '00000000-0000-0000-0000-000000000000' }, { session_id: '' }, { session_id: null }]) {
    const u = await freshUser('sidabsent');
    const tok = userJWT(u.user.id, extra);
    const me = await api('/auth/v1/user', { token: tok, headers: V });
    assert.equal(me.status, 200, JSON.stringify(extra));
    assert.equal(me.json.id, u.user.id);
    const upd = await api('/auth/v1/user', { method: 'PUT', token: tok, headers: V, body: { data: { note: 'x' } } });
    assert.equal(upd.status, 200);
    assert.equal(upd.json.user_metadata.note, 'x');
    const mail = uniqueEmail('moved');
    const moved = await api('/auth/v1/user', { method: 'PUT', token: tok, headers: V, body: { email: mail } });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.json.email, mail);
    // Logout without a session ends every session of the user, whatever the scope.
    const out = await api('/auth/v1/logout?scope=local', { method: 'POST', token: tok, headers: V });
    assert.equal(out.status, 204);
    const old = await api('/auth/v1/user', { token: u.session.access_token, headers: V });
    assert.deepEqual(old.json, NO_SESSION);
  }
});

test('auth: sub rules: missing is 403 bad_jwt, not a UUID is 400 bad_jwt, unknown is 403 user_not_found', async () => {
  const now = Math.floor(Date.now() / 1000);
  const noSub = userJWT('', {});
  let r = await api('/auth/v1/user', { token: noSub, headers: V });
  assert.equal(r.status, 403);
  assert.deepEqual(r.json, { code: 'bad_jwt', message: 'invalid claim: missing sub claim' });
  r = await api('/auth/v1/user', { token: userJWT('device-1', {}), headers: V });
  assert.equal(r.status, 400);
  assert.deepEqual(r.json, { code: 'bad_jwt', message: 'invalid claim: sub claim must be a UUID' });
  r = await api('/auth/v1/user', { token: userJWT(crypto.randomUUID(), { iat: now }), headers: V });
  assert.equal(r.status, 403);
  assert.deepEqual(r.json, { code: 'user_not_found', message: 'User from sub claim in JWT does not exist' });
});
