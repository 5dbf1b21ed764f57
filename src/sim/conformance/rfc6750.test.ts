/**
 * RFC 6750 (bearer token usage): API and server rows of section G of the conformance checklist. The
 * client-actor row RFC6750-2-one-method is tested here only for its API half (the API refuses two methods).
 */
import { describe, expect, test } from 'vitest';
import { DEFAULT_SERVER_KNOBS, assessServerKnobs } from '../knobs.ts';
import { API, createTestIdp, type TestIdp } from '../testing/idpFixture.ts';
import { BILLING, bearer, call, challenge, challenges, claimsOf, json } from './kit.ts';

const me = (t: TestIdp, at: string) => t.api('/me', { headers: bearer(at) });

async function world() {
  const t = await createTestIdp({ allowedScopes: [...DEFAULT_SERVER_KNOBS.allowedScopes, 'billing:read'] });
  const tok = await t.login();
  return { t, at: tok.access_token, tok };
}

describe('RFC 6750 §2 sending the token', () => {
  test('RFC6750-2-one-method: API side: a token sent by two methods in one request is 400 invalid_request', async () => {
    const { t, at } = await world();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const cases: Array<[string, () => Promise<Response>]> = [
      ['header + query', () => call(t, `${API}/me?access_token=${at}`, bearer(at))],
      ['header + body', () => call(t, `${API}/projects`, { ...bearer(at), ...form }, 'POST', `access_token=${at}`)],
      ['query + body', () => call(t, `${API}/projects?access_token=${at}`, form, 'POST', `access_token=${at}`)],
    ];
    for (const [label, send] of cases) {
      const res = await send();
      expect(res.status, label).toBe(400);
      expect(await json(res), label).toEqual({ error: 'invalid_request' });
      expect(challenge(res, 'Bearer'), label).toMatchObject({ error: 'invalid_request' });
    }
    expect((await me(t, at)).status).toBe(200);
  });

  test('RFC6750-2.1-rs: the API accepts a token in the Authorization header (scheme name case-insensitive)', async () => {
    const { t, at } = await world();
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const res = await call(t, `${API}/me`, { authorization: `${scheme} ${at}` });
      expect(res.status, scheme).toBe(200);
      expect(await json(res)).toEqual({ sub: 'alice' });
    }
    const projects = await t.api('/projects', { headers: bearer(at) });
    expect(projects.status).toBe(200);
    expect(await json(projects)).toHaveProperty('projects');
  });
});

describe('RFC 6750 §3 the WWW-Authenticate response header', () => {
  test('RFC6750-3-challenge: a request without a token gets 401 and a Bearer challenge with the realm', async () => {
    const { t, at } = await world();
    const res = await t.api('/me');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="Acme API"/);
    const billing = await call(t, `${BILLING}/invoices`);
    expect(billing.status).toBe(401);
    expect(challenge(billing, 'Bearer')).toMatchObject({ realm: 'Acme Billing' });
    // A token that is not usable also gets a Bearer challenge.
    const bad = await me(t, `${at.slice(0, -4)}AAAA`);
    expect(bad.status).toBe(401);
    expect(challenge(bad, 'Bearer')).toMatchObject({ realm: 'Acme API', error: 'invalid_token' });
  });

  test('RFC6750-3.1-no-error-unauth: with no credentials at all the challenge has no error attribute', async () => {
    const { t } = await world();
    for (const path of ['/me', '/projects', '/nope']) {
      const res = await t.api(path);
      expect(res.status).toBe(401);
      const header = res.headers.get('www-authenticate')!;
      expect(header).not.toMatch(/\berror=/);
      expect(header).not.toMatch(/error_description=|error_uri=/);
    }
  });

  test('RFC6750-3-error-attr: a failed token gets an error attribute; error, error_description and error_uri each appear at most once', async () => {
    const { t, at } = await world();
    const sends: Array<[string, () => Promise<Response>, string]> = [
      ['insufficient scope', () => t.api('/projects/p1', { method: 'DELETE', headers: bearer(at) }), 'insufficient_scope'],
      ['malformed header', () => call(t, `${API}/me`, { authorization: 'Bearer' }), 'invalid_request'],
      ['two methods', () => call(t, `${API}/me?access_token=${at}`, bearer(at)), 'invalid_request'],
      ['garbage token', () => me(t, 'abc'), 'invalid_token'],
      ['expired token', () => { t.clock.advance(900_000); return me(t, at); }, 'invalid_token'],
    ];
    for (const [label, send, error] of sends) {
      const res = await send();
      const all = challenges(res.headers.get('www-authenticate')).flatMap((c) => c.attrs.map(([k]) => k));
      for (const name of ['error', 'error_description', 'error_uri']) {
        expect(all.filter((k) => k === name).length, `${label}: ${name}`).toBeLessThanOrEqual(1);
      }
      expect(challenge(res, 'Bearer'), label).toMatchObject({ error });
    }
  });

  test('RFC6750-3.1-invalid_token: expired, revoked and malformed tokens are 401 invalid_token', async () => {
    const { t, at, tok } = await world();
    const other = await t.login();
    await t.revoke(other.refresh_token!);
    const cases: Array<[string, () => Promise<Response>]> = [
      ['malformed', () => me(t, 'not.a.jwt')],
      ['not a JWT at all', () => me(t, 'abc')],
      ['revoked', () => me(t, other.access_token)],
      ['expired', () => { t.clock.advance(900_000); return me(t, at); }],
    ];
    expect((await me(t, tok.access_token)).status).toBe(200);
    for (const [label, send] of cases) {
      const res = await send();
      expect(res.status, label).toBe(401);
      expect(await json(res), label).toEqual({ error: 'invalid_token' });
      expect(challenge(res, 'Bearer'), label).toMatchObject({ error: 'invalid_token' });
    }
  });

  test('RFC6750-3.1-insufficient_scope: a valid token without the needed scope is 403 insufficient_scope naming the scope', async () => {
    const { t, at } = await world();
    const del = await t.api('/projects/p1', { method: 'DELETE', headers: bearer(at) });
    expect(del.status).toBe(403);
    expect(await json(del)).toEqual({ error: 'insufficient_scope' });
    expect(challenge(del, 'Bearer')).toMatchObject({ error: 'insufficient_scope', scope: 'projects:admin' });

    const profileOnly = (await t.login({ scope: 'profile' })).access_token;
    const projects = await t.api('/projects', { headers: bearer(profileOnly) });
    expect(projects.status).toBe(403);
    expect(challenge(projects, 'Bearer')).toMatchObject({ error: 'insufficient_scope', scope: 'projects:read' });

    // With the scope, the same call succeeds.
    const admin = (await t.login({ params: { scope: 'projects:admin' } })).access_token;
    const ok = await t.api('/projects/p1', { method: 'DELETE', headers: bearer(admin) });
    expect(ok.status).toBe(200);
  });

  test('RFC6750-3.1-invalid_request: a malformed Authorization header (or a token only in the URL) is 400 invalid_request', async () => {
    const { t, at } = await world();
    for (const authorization of ['Bearer', 'Bearer ', `Bearer ${at} extra`, `Bearer  ${at}`, 'Bearer tok"en', `Bearer ${at},x`]) {
      const res = await call(t, `${API}/me`, { authorization });
      expect(res.status, authorization.slice(0, 20)).toBe(400);
      expect(challenge(res, 'Bearer')).toMatchObject({ error: 'invalid_request' });
    }
    const queryOnly = await call(t, `${API}/me?access_token=${at}`);
    expect(queryOnly.status).toBe(400);
    expect(challenge(queryOnly, 'Bearer')).toMatchObject({ error: 'invalid_request' });
  });
});

describe('RFC 6750 §5 security', () => {
  test('RFC6750-5.2-lifetime: every access token has expires_in and a matching exp, and stops working at exp', async () => {
    const { t, tok } = await world();
    const refreshed = await json(await t.refresh(tok.refresh_token!));
    for (const r of [tok as unknown as Record<string, unknown>, refreshed]) {
      expect(r.expires_in).toBeTypeOf('number');
      expect(r.expires_in as number).toBeGreaterThan(0);
      const c = claimsOf(r.access_token as string);
      expect(c.exp).toBeTypeOf('number');
      expect((c.exp as number) - (c.iat as number)).toBe(r.expires_in);
    }
    t.clock.advance((tok.expires_in - 1) * 1000);
    expect((await me(t, refreshed.access_token as string)).status).toBe(200);
    t.clock.advance(1000);
    expect((await me(t, tok.access_token)).status).toBe(401);
  });

  test('RFC6750-5.3-short-lived: the default access token lifetime is at most one hour; longer settings are flagged', async () => {
    expect(DEFAULT_SERVER_KNOBS.accessTokenLifetimeS).toBeLessThanOrEqual(3600);
    const { tok } = await world();
    expect(tok.expires_in).toBe(DEFAULT_SERVER_KNOBS.accessTokenLifetimeS);
    expect(assessServerKnobs({ ...DEFAULT_SERVER_KNOBS })).not.toContainEqual(expect.objectContaining({ knob: 'accessTokenLifetimeS' }));
    expect(assessServerKnobs({ ...DEFAULT_SERVER_KNOBS, accessTokenLifetimeS: 3601 }))
      .toContainEqual(expect.objectContaining({ knob: 'accessTokenLifetimeS', severity: 'risk' }));
  });
});
