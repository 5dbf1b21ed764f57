/**
 * RFC 7009 (token revocation): server-side rows of section C of the conformance checklist.
 */
import { describe, expect, test } from 'vitest';
import { CI_CLIENT, CI_SECRET, WEB_CLIENT, basic, createTestIdp, type TestIdp } from '../testing/idpFixture.ts';
import { bearer, challenge, json } from './kit.ts';

const introspection = async (t: TestIdp, token: string) => json(await t.introspect(token));
const me = (t: TestIdp, at: string) => t.api('/me', { headers: bearer(at) });

describe('RFC 7009 §2 revocation support', () => {
  test('RFC7009-2-rt: a revoked refresh token is refused at the token endpoint with invalid_grant', async () => {
    const t = await createTestIdp();
    const tok = await t.login();
    const rt = tok.refresh_token!;
    expect(rt).toBeTypeOf('string');
    expect(await introspection(t, rt)).toMatchObject({ active: true });

    const res = await t.revoke(rt, { token_type_hint: 'refresh_token' });
    expect(res.status).toBe(200);

    const refreshed = await t.refresh(rt);
    expect(refreshed.status).toBe(400);
    expect(await json(refreshed)).toMatchObject({ error: 'invalid_grant' });
    expect(await introspection(t, rt)).toEqual({ active: false });
  });

  test('RFC7009-2-at: a revoked access token is inactive at introspection and refused by the API', async () => {
    const t = await createTestIdp();
    const { access_token: at } = await t.login();
    expect((await me(t, at)).status).toBe(200);

    const res = await t.revoke(at, { token_type_hint: 'access_token' });
    expect(res.status).toBe(200);
    expect(await introspection(t, at)).toEqual({ active: false });
    const after = await me(t, at);
    expect(after.status).toBe(401);
    expect(challenge(after, 'Bearer')).toMatchObject({ error: 'invalid_token' });
  });

  test('RFC7009-2-at: lab side: with apiChecksRevocation off a self-contained JWT access token cannot be revoked and works until exp', async () => {
    const t = await createTestIdp({ apiChecksRevocation: false, accessTokenLifetimeS: 600 });
    const { access_token: at, refresh_token: rt } = await t.login();

    const res = await t.revoke(at);
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ error: 'unsupported_token_type' });
    // Even revoking the whole grant through the refresh token leaves the JWT usable at the API ...
    expect((await t.revoke(rt!)).status).toBe(200);
    expect(await introspection(t, at)).toEqual({ active: false });
    expect((await me(t, at)).status).toBe(200);
    // ... until it expires.
    t.clock.advance(600_000);
    expect((await me(t, at)).status).toBe(401);
  });
});

describe('RFC 7009 §2.1 revocation request', () => {
  test('RFC7009-2.1-hint: revocation works with and without token_type_hint, for refresh and access tokens', async () => {
    const cases: Array<{ kind: 'refresh' | 'access'; hint?: string }> = [
      { kind: 'refresh' }, { kind: 'refresh', hint: 'refresh_token' }, { kind: 'access' }, { kind: 'access', hint: 'access_token' },
    ];
    for (const c of cases) {
      // accessTokenRevocationCascade off, so revoking the access token is seen on that token alone.
      const t = await createTestIdp({ accessTokenRevocationCascade: false });
      const tok = await t.login();
      const token = c.kind === 'refresh' ? tok.refresh_token! : tok.access_token;
      const res = await t.revoke(token, c.hint ? { token_type_hint: c.hint } : {});
      expect(res.status, `${c.kind} hint=${c.hint}`).toBe(200);
      expect(await introspection(t, token), `${c.kind} hint=${c.hint}`).toEqual({ active: false });
    }
  });

  test('RFC7009-2.1-hint-fallback: a token sent with the wrong hint is still found and revoked', async () => {
    const t = await createTestIdp({ accessTokenRevocationCascade: false, revocationCascade: false });
    const a = await t.login();
    expect((await t.revoke(a.refresh_token!, { token_type_hint: 'access_token' })).status).toBe(200);
    expect(await introspection(t, a.refresh_token!)).toEqual({ active: false });
    expect(await json(await t.refresh(a.refresh_token!))).toMatchObject({ error: 'invalid_grant' });

    const b = await t.login();
    expect((await t.revoke(b.access_token, { token_type_hint: 'refresh_token' })).status).toBe(200);
    expect(await introspection(t, b.access_token)).toEqual({ active: false });
    expect((await me(t, b.access_token)).status).toBe(401);
  });

  test("RFC7009-2.1-owner-check: another client cannot revoke the CLI's tokens (public: silent 200, confidential: invalid_request)", async () => {
    const t = await createTestIdp();
    const { access_token: at, refresh_token: rt } = await t.login();

    for (const token of [rt!, at]) {
      const publicOther = await t.revoke(token, { client_id: WEB_CLIENT });
      expect(publicOther.status).toBe(200);
      expect(await publicOther.text()).toBe('');

      const confidential = await t.revoke(token, { client_id: undefined }, { authorization: basic(CI_CLIENT, CI_SECRET) });
      expect(confidential.status).toBe(400);
      expect(await json(confidential)).toMatchObject({ error: 'invalid_request' });

      // A confidential client that does not authenticate is refused before the token is even looked at.
      const unauthenticated = await t.revoke(token, { client_id: CI_CLIENT });
      expect(unauthenticated.status).toBe(401);
      expect(await json(unauthenticated)).toMatchObject({ error: 'invalid_client' });
    }
    // Nothing was revoked.
    expect(await introspection(t, at)).toMatchObject({ active: true });
    expect(await introspection(t, rt!)).toMatchObject({ active: true });
    expect((await me(t, at)).status).toBe(200);
    expect((await t.refresh(rt!)).status).toBe(200);
  });

  test('RFC7009-2.1-immediate: right after the 200 the refresh token and its access token are dead (no clock advance)', async () => {
    const t = await createTestIdp();
    const { access_token: at, refresh_token: rt } = await t.login();
    expect((await t.revoke(rt!)).status).toBe(200);
    const refreshed = await t.refresh(rt!);
    expect(refreshed.status).toBe(400);
    expect(await json(refreshed)).toMatchObject({ error: 'invalid_grant' });
    expect((await me(t, at)).status).toBe(401);
  });

  test('RFC7009-2.1-cascade: revoking the refresh token revokes the access tokens of the grant (knob off shows the risk)', async () => {
    const secure = await createTestIdp();
    const s = await secure.login();
    // A second access token of the same grant, from a refresh (rotation gives a new refresh token).
    const refreshed = await json(await secure.refresh(s.refresh_token!));
    const at2 = refreshed.access_token as string;
    expect((await secure.revoke(refreshed.refresh_token as string)).status).toBe(200);
    for (const at of [s.access_token, at2]) {
      expect(await introspection(secure, at)).toEqual({ active: false });
      const res = await me(secure, at);
      expect(res.status).toBe(401);
      expect(challenge(res, 'Bearer')).toMatchObject({ error: 'invalid_token' });
    }

    const risky = await createTestIdp({ revocationCascade: false });
    const r = await risky.login();
    expect((await risky.revoke(r.refresh_token!)).status).toBe(200);
    expect(await json(await risky.refresh(r.refresh_token!))).toMatchObject({ error: 'invalid_grant' });
    // The access token outlives the logout.
    expect(await introspection(risky, r.access_token)).toMatchObject({ active: true });
    expect((await me(risky, r.access_token)).status).toBe(200);
  });

  test('RFC7009-2.1-at-cascade: revoking an access token also revokes its refresh token when configured, not otherwise', async () => {
    const cascade = await createTestIdp({ accessTokenRevocationCascade: true });
    const c = await cascade.login();
    expect((await cascade.revoke(c.access_token)).status).toBe(200);
    expect(await json(await cascade.refresh(c.refresh_token!))).toMatchObject({ error: 'invalid_grant' });

    const separate = await createTestIdp({ accessTokenRevocationCascade: false });
    const s = await separate.login();
    expect((await separate.revoke(s.access_token)).status).toBe(200);
    expect((await me(separate, s.access_token)).status).toBe(401);
    const refreshed = await separate.refresh(s.refresh_token!);
    expect(refreshed.status).toBe(200);
    expect((await me(separate, (await json(refreshed)).access_token as string)).status).toBe(200);
  });
});

describe('RFC 7009 §2.2 revocation response', () => {
  test('RFC7009-2.2-200: unknown, garbage and already-revoked tokens all get 200 with no body', async () => {
    const t = await createTestIdp();
    const { access_token: at, refresh_token: rt } = await t.login();
    for (const token of ['garbage', 'x'.repeat(300), rt!, rt!, at, at]) {
      const res = await t.revoke(token);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    expect(await introspection(t, rt!)).toEqual({ active: false });
    // An expired token is "invalid" too: still 200.
    const other = await t.login();
    t.clock.advance(901_000);
    expect((await t.revoke(other.access_token)).status).toBe(200);
  });

  test('RFC7009-2.2-body-hint: an unknown token_type_hint is ignored: 200 and the token is revoked', async () => {
    const t = await createTestIdp({ accessTokenRevocationCascade: false, revocationCascade: false });
    const a = await t.login();
    const res = await t.revoke(a.refresh_token!, { token_type_hint: 'foo' });
    expect(res.status).toBe(200);
    expect(await introspection(t, a.refresh_token!)).toEqual({ active: false });
    expect((await t.revoke(a.access_token, { token_type_hint: 'id_token' })).status).toBe(200);
    expect(await introspection(t, a.access_token)).toEqual({ active: false });
  });

  test('RFC7009-2.2.1-unsupported_token_type: a server that cannot revoke JWT access tokens says so in RFC 6749 §5.2 form', async () => {
    const t = await createTestIdp({ apiChecksRevocation: false });
    const { access_token: at, refresh_token: rt } = await t.login();
    const res = await t.revoke(at, { token_type_hint: 'access_token' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await json(res);
    expect(body.error).toBe('unsupported_token_type');
    expect(body.error_description).toBeTypeOf('string');
    // Nothing was revoked, and refresh tokens remain revocable.
    expect(await introspection(t, at)).toMatchObject({ active: true });
    expect((await t.revoke(rt!)).status).toBe(200);

    // The default server supports access token revocation.
    const d = await createTestIdp();
    expect((await d.revoke((await d.login()).access_token)).status).toBe(200);
  });
});

describe('RFC 7009 §5 security', () => {
  test('RFC7009-5-dos: the revocation endpoint shares the token endpoint rate limiter; over it, revocation answers 503 with Retry-After (RFC 7009 §2.2.1) and a refresh 429 with Retry-After, never temporarily_unavailable', async () => {
    const t = await createTestIdp({ rateLimitPerMinute: 4 });
    const { refresh_token: rt } = await t.login(); // 1 token-endpoint request
    for (let i = 0; i < 3; i++) expect((await t.revoke(`junk-${i}`)).status).toBe(200); // 4 requests in all

    const limited = await t.revoke('junk-4');
    expect(limited.status).toBe(503);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('cache-control')).toBe('no-store');
    // Not an RFC 6749 §5.2 error: temporarily_unavailable is defined for the authorization endpoint only (§4.1.2.1).
    const body = await json(limited);
    expect(body).not.toHaveProperty('error');
    expect(body.error_description).toMatch(/^too many requests from this client; retry after \d+ seconds$/);
    // The token endpoint is over the same budget: a refresh gets 429 Too Many Requests (RFC 6585 §4).
    const tokenLimited = await t.refresh(rt!);
    expect(tokenLimited.status).toBe(429);
    expect(Number(tokenLimited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await json(tokenLimited)).not.toHaveProperty('error');
    // The refusal revoked nothing and used nothing up.
    expect((await t.introspect(rt!)).status).toBe(200);
    expect(await json(await t.introspect(rt!))).toMatchObject({ active: true });

    t.clock.advance(60_000);
    expect((await t.revoke('junk-5')).status).toBe(200);
    expect((await t.refresh(rt!)).status).toBe(200);

    // GitHub-like errors come back as 200, but a rate-limit refusal is not an OAuth error and keeps its status.
    const gh = await createTestIdp({ profile: 'github', rateLimitPerMinute: 1 });
    const ghTok = await gh.login();
    expect((await gh.refresh(ghTok.refresh_token!, {}, { accept: 'application/json' })).status).toBe(429);
  });
});
