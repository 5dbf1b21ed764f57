/**
 * RFC 9700 (OAuth 2.0 Security Best Current Practice): server and API rows of section E of the checklist.
 */
import { describe, expect, test } from 'vitest';
import { DEVICE_CODE_GRANT_TYPE, REFRESH_TOKEN_GRANT_TYPE } from '../../protocol/constants.ts';
import { DEFAULT_SERVER_KNOBS, assessServerKnobs, type ServerKnobs } from '../knobs.ts';
import { API, CI_CLIENT, CI_SECRET, CLI, ISSUER, basic, createDpopKey, createTestIdp, type TestIdp } from '../testing/idpFixture.ts';
import { BILLING, bearer, call, challenge, claimsOf, dpopCall, forgeJwt, json } from './kit.ts';

const introspection = async (t: TestIdp, token: string) => json(await t.introspect(token));
const me = (t: TestIdp, at: string) => t.api('/me', { headers: bearer(at) });
const rotationFindings = (patch: Partial<ServerKnobs>) =>
  assessServerKnobs({ ...DEFAULT_SERVER_KNOBS, ...patch }).filter((f) => f.knob === 'rotateRefreshTokens');

describe('RFC 9700 §2 recommendations', () => {
  test('RFC9700-2.2.1-sender-constrained: a stolen bearer token replays, a stolen DPoP-bound token does not', async () => {
    // Bearer mode: whoever holds the token is the client.
    const bearerWorld = await createTestIdp();
    const stolen = (await bearerWorld.login()).access_token;
    const replay = await me(bearerWorld, stolen);
    expect(replay.status).toBe(200);
    expect(await json(replay)).toEqual({ sub: 'alice' });

    // DPoP mode: the token is bound to the CLI's key.
    const t = await createTestIdp({ dpopRequired: true });
    const cliKey = await createDpopKey(t.clock);
    const attackerKey = await createDpopKey(t.clock);
    const tok = await t.login({ dpop: cliKey });
    expect(tok.token_type).toBe('DPoP');
    expect((await dpopCall(t, cliKey, tok.access_token)).status).toBe(200);
    expect((await me(t, tok.access_token)).status).toBe(401); // replayed as Bearer
    expect((await dpopCall(t, attackerKey, tok.access_token)).status).toBe(401); // with the attacker's own key
    // The refresh token is bound too.
    const stolenRefresh = await t.refresh(tok.refresh_token!, {}, { dpop: await attackerKey.proof('POST', `${ISSUER}/token`) });
    expect(stolenRefresh.status).toBe(400);
    expect(await json(stolenRefresh)).toMatchObject({ error: 'invalid_grant' });
  });

  test('RFC9700-2.2.2-public-rt: public-client refresh tokens are rotated by default; "no rotation and no DPoP" is flagged', async () => {
    expect(rotationFindings({})).toEqual([]);
    for (const patch of [{ rotateRefreshTokens: false }, { invalidateRotatedRefreshTokens: false }]) {
      const findings = rotationFindings(patch);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 'risk' });
      expect(findings[0]!.message).toMatch(/RFC 9700 §2\.2\.2/);
    }
    // Sender-constrained instead of rotated is acceptable.
    expect(rotationFindings({ rotateRefreshTokens: false, dpopRequired: true })).toEqual([]);

    // Behaviour behind the default: the CLI (a public client) gets a new refresh token and the old one dies.
    const t = await createTestIdp();
    const rt1 = (await t.login()).refresh_token!;
    const r = await json(await t.refresh(rt1));
    expect(r.refresh_token).toBeTypeOf('string');
    expect(r.refresh_token).not.toBe(rt1);
    expect(await introspection(t, rt1)).toEqual({ active: false });

    // Rotation off but DPoP on: the non-rotating refresh token only works with the CLI's key.
    const d = await createTestIdp({ rotateRefreshTokens: false, dpopRequired: true });
    const key = await createDpopKey(d.clock);
    const other = await createDpopKey(d.clock);
    const tok = await d.login({ dpop: key });
    const ok = await d.refresh(tok.refresh_token!, {}, { dpop: await key.proof('POST', `${ISSUER}/token`) });
    expect(ok.status).toBe(200);
    expect(await json(ok)).not.toHaveProperty('refresh_token');
    expect((await d.refresh(tok.refresh_token!, {}, { dpop: await other.proof('POST', `${ISSUER}/token`) })).status).toBe(400);
    expect((await d.refresh(tok.refresh_token!)).status).toBe(400);
  });

  test('RFC9700-2.3-least-privilege: the default device-flow scope is read-only; write and admin need an explicit request', async () => {
    const t = await createTestIdp();
    const tok = await t.login();
    expect(tok.scope.split(' ').sort()).toEqual(['profile', 'projects:read']);
    expect(claimsOf(tok.access_token).scope).toBe('profile projects:read');
    expect((await t.api('/projects', { headers: bearer(tok.access_token) })).status).toBe(200);
    const del = await t.api('/projects/p1', { method: 'DELETE', headers: bearer(tok.access_token) });
    expect(del.status).toBe(403);
    const write = await t.api('/projects', { method: 'POST', headers: bearer(tok.access_token) });
    expect(write.status).toBe(403);
  });

  test('RFC9700-2.3-audience: access tokens carry one audience, the API they were requested for', async () => {
    const t = await createTestIdp({ allowedScopes: [...DEFAULT_SERVER_KNOBS.allowedScopes, 'billing:read'] });
    const api = await t.login();
    expect(claimsOf(api.access_token).aud).toBe(API);
    const billing = await t.login({ params: { scope: 'billing:read' } });
    expect(claimsOf(billing.access_token).aud).toBe(BILLING);
    // Scopes of two resources cannot be mixed into one token.
    const mixed = await t.post('/device_authorization', { client_id: CLI, scope: 'profile billing:read' });
    expect(mixed.status).toBe(400);
    expect(await json(mixed)).toMatchObject({ error: 'invalid_scope' });
  });

  test('RFC9700-2.3-rs-refuse: the API refuses a token meant for another audience with 401 invalid_token', async () => {
    const t = await createTestIdp({ allowedScopes: [...DEFAULT_SERVER_KNOBS.allowedScopes, 'billing:read'] });
    const { access_token: at } = await t.login();
    // Positive control: the same claims, re-signed by the server's key, are accepted.
    expect((await me(t, await forgeJwt(t, claimsOf(at)))).status).toBe(200);
    for (const aud of ['https://other-api.acme.test', BILLING, [BILLING, 'https://other-api.acme.test']]) {
      const res = await me(t, await forgeJwt(t, { ...claimsOf(at), aud }));
      expect(res.status).toBe(401);
      expect(challenge(res, 'Bearer')).toMatchObject({ error: 'invalid_token' });
      expect(challenge(res, 'Bearer')!.error_description).toMatch(/aud/);
    }
    // A genuine billing token is refused by the main API and accepted by billing.
    const billing = (await t.login({ params: { scope: 'billing:read' } })).access_token;
    expect((await me(t, billing)).status).toBe(401);
    expect((await call(t, `${BILLING}/invoices`, bearer(billing))).status).toBe(200);
  });

  test('RFC9700-2.5-client-auth: a client that holds credentials (the CI runner) must authenticate; the CLI stays public', async () => {
    const t = await createTestIdp();
    const noSecret = await t.post('/device_authorization', { client_id: CI_CLIENT });
    expect(noSecret.status).toBe(401);
    expect(await json(noSecret)).toMatchObject({ error: 'invalid_client' });
    const wrong = await t.post('/device_authorization', {}, { authorization: basic(CI_CLIENT, 'guess') });
    expect(wrong.status).toBe(401);
    const ok = await t.post('/device_authorization', {}, { authorization: basic(CI_CLIENT, CI_SECRET) });
    expect(ok.status).toBe(200);
    const { device_code } = await json(ok);
    const unauthPoll = await t.post('/token', { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: device_code as string, client_id: CI_CLIENT });
    expect(unauthPoll.status).toBe(401);
    // The CLI cannot keep a secret and is not asked for one.
    expect((await t.post('/device_authorization', { client_id: CLI })).status).toBe(200);
  });
});

describe('RFC 9700 §4 attacks and mitigations', () => {
  test('RFC9700-4.9.3-rs-secrets: neither the API log nor the AS audit log holds a token, a proof or a raw Authorization value', async () => {
    const t = await createTestIdp();
    const key = await createDpopKey(t.clock);
    const bearerTok = await t.login();
    const dpopTok = await t.login({ dpop: key });
    const proof = await key.proof('GET', `${API}/me`, { accessToken: dpopTok.access_token });
    await me(t, bearerTok.access_token);
    await call(t, `${API}/me`, { authorization: `DPoP ${dpopTok.access_token}`, dpop: proof });
    await call(t, `${API}/me?access_token=${bearerTok.access_token}`);
    await call(t, `${API}/me`, { authorization: bearerTok.access_token }); // scheme forgotten: the raw token
    await call(t, `${API}/me`, { authorization: `bearer  ${bearerTok.access_token}` }); // malformed
    await t.refresh(bearerTok.refresh_token!);
    await t.revoke(dpopTok.refresh_token!);

    const apiLog = t.idp.apis.flatMap((a) => a.log);
    expect(apiLog.length).toBeGreaterThanOrEqual(5);
    const secrets = [bearerTok.access_token, bearerTok.refresh_token!, dpopTok.access_token, dpopTok.refresh_token!, proof];
    const logs = JSON.stringify(apiLog) + JSON.stringify(t.idp.as.audit.events);
    for (const s of secrets) {
      expect(logs).not.toContain(s);
      expect(logs).not.toContain(s.slice(-24)); // not even the signature / tail
    }
    expect(apiLog[0]).toMatchObject({ authorization: 'Bearer [redacted]', dpop: '' });
    expect(apiLog[1]).toMatchObject({ authorization: 'DPoP [redacted]', dpop: '[redacted]' });
    expect(apiLog[3]).toMatchObject({ authorization: '[redacted]' }); // no scheme: nothing of the value is kept
  });

  test('RFC9700-4.14.2-risk: refresh tokens are issued only where policy allows (server knob and per-client registration)', async () => {
    const t = await createTestIdp();
    expect((await t.login()).refresh_token).toBeTypeOf('string');

    const off = await createTestIdp({ issueRefreshTokens: false });
    expect(await off.login()).not.toHaveProperty('refresh_token');

    const perClient = await createTestIdp();
    const cli = perClient.idp.as.registry.clients.find((c) => c.clientId === CLI)!;
    cli.grantTypes = [DEVICE_CODE_GRANT_TYPE];
    const tok = await perClient.login();
    expect(tok).not.toHaveProperty('refresh_token');
    expect(cli.grantTypes).not.toContain(REFRESH_TOKEN_GRANT_TYPE);
  });

  test('RFC9700-4.14.2-bound-scope: a refresh can narrow but never widen the scope or change the audience', async () => {
    const t = await createTestIdp({ allowedScopes: [...DEFAULT_SERVER_KNOBS.allowedScopes, 'billing:read'] });
    const tok = await t.login({ params: { scope: 'profile projects:read' } });

    const wider = await t.refresh(tok.refresh_token!, { scope: 'profile projects:read projects:admin' });
    expect(wider.status).toBe(400);
    expect(await json(wider)).toMatchObject({ error: 'invalid_scope' });
    const otherResource = await t.refresh(tok.refresh_token!, { scope: 'billing:read' });
    expect(await json(otherResource)).toMatchObject({ error: 'invalid_scope' });

    const narrow = await json(await t.refresh(tok.refresh_token!, { scope: 'profile' }));
    expect(narrow.scope).toBe('profile');
    expect(claimsOf(narrow.access_token as string).scope).toBe('profile');
    // The narrowed access token does not shrink the grant: the next refresh may ask for all of it again.
    const full = await json(await t.refresh(narrow.refresh_token as string, { resource: BILLING }));
    expect(full.scope).toBe('profile projects:read');
    const claims = claimsOf(full.access_token as string);
    expect(claims.scope).toBe('profile projects:read');
    expect(claims.aud).toBe(API); // `resource` cannot move the token to another API
  });

  test('RFC9700-4.14.2-rotation: RT1→RT2, replaying RT1 gives invalid_grant and RT2 then fails too', async () => {
    const t = await createTestIdp();
    const tok = await t.login();
    const rt1 = tok.refresh_token!;
    const r2 = await json(await t.refresh(rt1));
    const rt2 = r2.refresh_token as string;
    const at2 = r2.access_token as string;
    expect(rt2).not.toBe(rt1);

    const replay = await t.refresh(rt1);
    expect(replay.status).toBe(400);
    expect(await json(replay)).toMatchObject({ error: 'invalid_grant' });
    const legit = await t.refresh(rt2);
    expect(legit.status).toBe(400);
    expect(await json(legit)).toMatchObject({ error: 'invalid_grant' });
    expect((await me(t, at2)).status).toBe(401);
    expect(t.idp.as.audit.ofType('refresh_token.reuse_detected')).toHaveLength(1);
  });

  test('RFC9700-4.14.2-rotation: misconfigured knobs show the risk (no invalidation: RT1 keeps working; no reuse detection: the thief keeps RT2)', async () => {
    const entra = await createTestIdp({ invalidateRotatedRefreshTokens: false });
    const rt1 = (await entra.login()).refresh_token!;
    expect((await entra.refresh(rt1)).status).toBe(200);
    expect((await entra.refresh(rt1)).status).toBe(200);

    const noReuse = await createTestIdp({ reuseDetection: false });
    const first = (await noReuse.login()).refresh_token!;
    const thief = await json(await noReuse.refresh(first)); // the attacker refreshes first
    expect(await json(await noReuse.refresh(first))).toMatchObject({ error: 'invalid_grant' }); // the victim fails
    expect((await noReuse.refresh(thief.refresh_token as string)).status).toBe(200); // and the thief keeps going
  });

  test('RFC9700-4.14.2-integrity: a tampered refresh token is refused with invalid_grant', async () => {
    const t = await createTestIdp();
    const rt = (await t.login()).refresh_token!;
    const last = rt.at(-1) === 'A' ? 'B' : 'A';
    for (const tampered of [rt.slice(0, -1) + last, `${rt}x`, rt.slice(1), rt.toUpperCase()]) {
      if (tampered === rt) continue;
      const res = await t.refresh(tampered);
      expect(res.status).toBe(400);
      expect(await json(res)).toMatchObject({ error: 'invalid_grant' });
    }
    expect((await t.refresh(rt)).status).toBe(200);
  });

  test('RFC9700-4.14.2-auto-revoke: "sign out everywhere" revokes every grant of that user and nobody else\'s', async () => {
    const t = await createTestIdp();
    const alice1 = await t.login({ user: 'alice' });
    const alice2 = await t.login({ user: 'alice' });
    const bob = await t.login({ user: 'bob' });
    const session = await t.signIn('alice');
    const res = await t.post('/device/signout-everywhere', {}, { 'x-session': session });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ revoked_grants: 2 });
    for (const tok of [alice1, alice2]) {
      expect(await json(await t.refresh(tok.refresh_token!))).toMatchObject({ error: 'invalid_grant' });
      expect((await me(t, tok.access_token)).status).toBe(401);
    }
    expect((await me(t, bob.access_token)).status).toBe(200);
    expect((await t.refresh(bob.refresh_token!)).status).toBe(200);
    // Without a session nothing happens.
    expect((await t.post('/device/signout-everywhere', {})).status).toBe(401);
    // The browser session that signed out everywhere is itself over: using it again needs a new sign-in.
    expect((await t.post('/device/signout-everywhere', {}, { 'x-session': session })).status).toBe(401);
    expect((await t.get('/device', { 'x-session': session })).status).toBe(200);
    expect(await json(await t.get('/device', { 'x-session': session }))).toMatchObject({ page: 'enter_code', signed_in: null });
  });

  test('RFC9700-4.14.2-idle-expiry: a refresh token unused for the idle window is refused with invalid_grant', async () => {
    const idle = 3600;
    for (const rotate of [true, false]) {
      const t = await createTestIdp({ refreshTokenIdleS: idle, rotateRefreshTokens: rotate });
      let rt = (await t.login()).refresh_token!;
      // Used just inside the window, twice: it stays alive (each use restarts the idle clock).
      for (let i = 0; i < 2; i++) {
        t.clock.advance((idle - 1) * 1000);
        const res = await t.refresh(rt);
        expect(res.status, `rotate=${rotate} use ${i}`).toBe(200);
        if (rotate) rt = (await json(res)).refresh_token as string;
      }
      t.clock.advance(idle * 1000);
      const res = await t.refresh(rt);
      expect(res.status).toBe(400);
      expect(await json(res)).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/inactiv/) });
    }
  });
});
