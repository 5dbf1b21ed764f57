/**
 * RFC 9068 (JWT profile for OAuth 2.0 access tokens): server and API rows of section H of the checklist.
 * Forged tokens reuse the claims (and so the `jti`) of a genuinely issued token, so the API's revocation
 * lookup would accept them and the only thing wrong with each is the property under test.
 */
import { SignJWT, generateKeyPair, importJWK, jwtVerify, type JWK } from 'jose';
import { describe, expect, test } from 'vitest';
import { DEFAULT_SERVER_KNOBS } from '../knobs.ts';
import { API, CLI, ISSUER, createTestIdp, type TestIdp } from '../testing/idpFixture.ts';
import { BILLING, bearer, call, challenge, claimsOf, forgeJwt, headerOf, json, tamperPayload, unsignedJwt } from './kit.ts';

const me = (t: TestIdp, at: string) => t.api('/me', { headers: bearer(at) });

async function world() {
  const t = await createTestIdp({ allowedScopes: [...DEFAULT_SERVER_KNOBS.allowedScopes, 'billing:read'] });
  const tok = await t.login({ user: 'bob' });
  return { t, at: tok.access_token, claims: claimsOf(tok.access_token), tok };
}

/** Expect 401 with a Bearer invalid_token challenge whose description matches `reason`. */
async function expectInvalidToken(res: Response, reason: RegExp, label = ''): Promise<void> {
  expect(res.status, label).toBe(401);
  expect(await json(res), label).toEqual({ error: 'invalid_token' });
  const ch = challenge(res, 'Bearer');
  expect(ch, label).toMatchObject({ error: 'invalid_token' });
  expect(ch!.error_description, label).toMatch(reason);
}

describe('RFC 9068 §2 the access token the server issues', () => {
  test('RFC9068-2.1-signed: access tokens are signed (ES256, verifiable with the published JWKS), never alg none; the API rejects none', async () => {
    const { t, at, claims } = await world();
    const header = headerOf(at);
    expect(header.alg).toBe('ES256');
    expect(header.kid).toBe(t.idp.as.keys.kid);
    const jwks = (await json(await t.get('/jwks'))).keys as JWK[];
    const jwk = jwks.find((k) => k.kid === header.kid)!;
    expect(jwk).toBeDefined();
    expect(jwk).not.toHaveProperty('d');
    const { payload } = await jwtVerify(at, await importJWK(jwk, 'ES256'), { currentDate: new Date(t.clock.now()) });
    expect(payload.sub).toBe('bob');

    await expectInvalidToken(await me(t, unsignedJwt({ alg: 'none', typ: 'at+jwt' }, claims)), /./, 'alg none');
    // Positive control: the same claims properly signed are accepted.
    expect((await me(t, await forgeJwt(t, claims))).status).toBe(200);
  });

  test('RFC9068-2.1-signed: AS and API support RS256 too: with the accessTokenAlg knob at RS256 tokens are RS256-signed, published in the JWKS beside the ES256 key, and accepted', async () => {
    const t = await createTestIdp({ accessTokenAlg: 'RS256' });
    const tok = await t.login();
    const header = headerOf(tok.access_token);
    expect(header.alg).toBe('RS256');
    const jwks = (await json(await t.get('/jwks'))).keys as JWK[];
    expect(jwks.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    const jwk = jwks.find((k) => k.kid === header.kid)!;
    expect(jwk.kty).toBe('RSA');
    expect(jwk).not.toHaveProperty('d');
    const { payload } = await jwtVerify(tok.access_token, await importJWK(jwk, 'RS256'), { currentDate: new Date(t.clock.now()) });
    expect(payload.sub).toBe('alice');
    expect((await t.api('/me', { headers: bearer(tok.access_token) })).status).toBe(200);
    // An RS256 token under the ES256 key's kid does not verify: the key must match kid and alg.
    const forged = await new SignJWT(claimsOf(tok.access_token)).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: t.idp.as.keys.kid })
      .sign((await generateKeyPair('RS256')).privateKey);
    expect((await t.api('/me', { headers: bearer(forged) })).status).toBe(401);
  });

  test('RFC9068-2.1-typ: the header typ is at+jwt', async () => {
    const { at, tok } = await world();
    expect(headerOf(at).typ).toBe('at+jwt');
    expect(tok.access_token.split('.')).toHaveLength(3);
  });

  test('RFC9068-2.2-claims: iss, exp, aud, sub, client_id, iat and jti are present; sub is the approving user', async () => {
    const { t, claims } = await world();
    const now = Math.floor(t.clock.now() / 1000);
    expect(claims).toMatchObject({ iss: ISSUER, aud: API, sub: 'bob', client_id: CLI, iat: now, exp: now + DEFAULT_SERVER_KNOBS.accessTokenLifetimeS });
    expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    const second = claimsOf((await t.login({ user: 'alice' })).access_token);
    expect(second.sub).toBe('alice');
    expect(second.jti).not.toBe(claims.jti);
  });

  test('RFC9068-2.2.3-scope: the scope claim equals the granted scopes, all of them meaningful for the audience', async () => {
    const t = await createTestIdp({ allowedScopes: [...DEFAULT_SERVER_KNOBS.allowedScopes, 'billing:read'] });
    const resources = t.idp.as.registry.resources;
    const cases: Array<{ request?: string; approve?: string; want: string }> = [
      { want: 'profile projects:read' },
      { request: 'profile projects:read projects:write', want: 'profile projects:read projects:write' },
      { request: 'profile projects:read projects:write', approve: 'profile', want: 'profile' },
      { request: 'billing:read', want: 'billing:read' },
    ];
    for (const c of cases) {
      const tok = await t.login({ ...(c.request ? { params: { scope: c.request } } : {}), ...(c.approve ? { scope: c.approve } : {}) });
      const claims = claimsOf(tok.access_token);
      expect(claims.scope).toBe(c.want);
      expect(tok.scope).toBe(c.want);
      const resource = resources.find((r) => r.id === claims.aud)!;
      for (const s of (claims.scope as string).split(' ')) expect(Object.keys(resource.scopes)).toContain(s);
    }
  });
});

describe('RFC 9068 §4 validation at the API', () => {
  test('RFC9068-4-typ: the API rejects anything but at+jwt / application/at+jwt, e.g. an ID token (typ JWT)', async () => {
    const { t, claims } = await world();
    const idToken = await forgeJwt(t, { ...claims, aud: CLI, nonce: 'n-0S6_WzA2Mj' }, { header: { typ: 'JWT' } });
    await expectInvalidToken(await me(t, idToken), /typ/, 'ID token');
    await expectInvalidToken(await me(t, await forgeJwt(t, claims, { header: { typ: 'JWT' } })), /typ/, 'typ JWT, access token claims');
    await expectInvalidToken(await me(t, await forgeJwt(t, claims, { header: { typ: undefined } })), /typ/, 'no typ');
    await expectInvalidToken(await me(t, await forgeJwt(t, claims, { header: { typ: 'dpop+jwt' } })), /typ/, 'typ dpop+jwt');
    expect((await me(t, await forgeJwt(t, claims, { header: { typ: 'application/at+jwt' } }))).status).toBe(200);
  });

  test('RFC9068-4-iss: the issuer must match exactly', async () => {
    const { t, claims } = await world();
    for (const iss of ['https://evil.test', `${ISSUER}/`, ISSUER.toUpperCase(), 'http://idp.acme.test']) {
      await expectInvalidToken(await me(t, await forgeJwt(t, { ...claims, iss })), /iss/, iss);
    }
    const { iss: _drop, ...noIss } = claims;
    void _drop;
    await expectInvalidToken(await me(t, await forgeJwt(t, noIss)), /iss/, 'no iss');
  });

  test('RFC9068-4-aud: the API accepts only tokens whose aud contains its own identifier', async () => {
    const { t, claims } = await world();
    for (const aud of ['https://other-api.acme.test', BILLING, [BILLING], `${API}/`]) {
      await expectInvalidToken(await me(t, await forgeJwt(t, { ...claims, aud })), /aud/, JSON.stringify(aud));
    }
    expect((await me(t, await forgeJwt(t, { ...claims, aud: [BILLING, API] }))).status).toBe(200);
  });

  test('RFC9068-4-sig: a tampered payload, a foreign key, alg none and a MAC are all rejected', async () => {
    const { t, at, claims } = await world();
    await expectInvalidToken(await me(t, tamperPayload(at, { sub: 'mallory' })), /signature/, 'tampered sub');
    await expectInvalidToken(await me(t, tamperPayload(at, { scope: 'profile projects:read projects:admin' })), /signature/, 'tampered scope');
    const foreign = await generateKeyPair('ES256');
    await expectInvalidToken(await me(t, await forgeJwt(t, claims, { key: foreign.privateKey })), /signature/, 'foreign key, same kid');
    await expectInvalidToken(await me(t, unsignedJwt({ alg: 'none', typ: 'at+jwt', kid: t.idp.as.keys.kid }, claims)), /./, 'alg none');
    const mac = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(new TextEncoder().encode('x'.repeat(32)));
    await expectInvalidToken(await me(t, mac), /alg|algorithm/, 'HS256');
    expect((await me(t, at)).status).toBe(200);
  });

  test('RFC9068-4-exp: the token works until exp and is refused from exp on (no leeway); exp is required', async () => {
    const { t, at, claims } = await world();
    const { exp: _drop, ...noExp } = claims;
    void _drop;
    await expectInvalidToken(await me(t, await forgeJwt(t, noExp)), /exp/, 'no exp');
    const msToExp = (claims.exp as number) * 1000 - t.clock.now();
    t.clock.advance(msToExp - 1000);
    expect((await me(t, at)).status).toBe(200);
    t.clock.advance(1000);
    await expectInvalidToken(await me(t, at), /expired/, 'at exp');
  });

  test('RFC9068-4-error: every validation failure is a 401 with a Bearer invalid_token challenge', async () => {
    const { t, at, claims } = await world();
    const bad: Array<[string, string]> = [
      ['typ', await forgeJwt(t, claims, { header: { typ: 'JWT' } })],
      ['iss', await forgeJwt(t, { ...claims, iss: 'https://evil.test' })],
      ['aud', await forgeJwt(t, { ...claims, aud: BILLING })],
      ['signature', tamperPayload(at, { sub: 'mallory' })],
      ['alg none', unsignedJwt({ alg: 'none', typ: 'at+jwt' }, claims)],
      ['sub missing', await forgeJwt(t, { ...claims, sub: undefined })],
      ['client_id missing', await forgeJwt(t, { ...claims, client_id: undefined })],
      ['not a JWT', 'abc'],
    ];
    for (const [label, token] of bad) await expectInvalidToken(await me(t, token), /./, label);
    t.clock.advance(900_000);
    await expectInvalidToken(await me(t, at), /expired/, 'expired');
  });
});

describe('RFC 9068 §5 security', () => {
  test('RFC9068-5-distinct-aud: the two simulated APIs get distinct aud values and each refuses the other\'s tokens', async () => {
    const { t, at } = await world();
    const ids = t.idp.as.registry.resources.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const billingTok = (await t.login({ params: { scope: 'billing:read' } })).access_token;
    expect(claimsOf(at).aud).toBe(API);
    expect(claimsOf(billingTok).aud).toBe(BILLING);

    expect((await call(t, `${BILLING}/invoices`, bearer(billingTok))).status).toBe(200);
    await expectInvalidToken(await call(t, `${BILLING}/invoices`, bearer(at)), /aud/, 'API token at billing');
    await expectInvalidToken(await me(t, billingTok), /aud/, 'billing token at API');
  });
});
