/**
 * Server-side conformance for RFC 6749 as the device flow uses it (token endpoint, token and error responses,
 * refresh, security notes): every S, UI and C+S row of section B of /work/shared/spec/conformance.md. Each test
 * name starts with the checklist row ID. Time comes only from the fixture's virtual clock.
 */
import fc from 'fast-check';
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { expectOAuthError, json, type Json } from './kit.ts';
import { DEVICE_CODE_GRANT_TYPE } from '../../protocol/constants.ts';
import { MAX_BODY_BYTES } from '../authServer/context.ts';
import { DEFAULT_SERVER_KNOBS, assessServerKnobs, resolveServerKnobs } from '../knobs.ts';
import { defaultRegistry } from '../registry.ts';
import {
  CI_CLIENT, CI_SECRET, CLI, ISSUER, RS_CLIENT, RS_SECRET, WEB_CLIENT, basic, createDpopKey, createTestIdp, type DeviceAuthorization, type TestIdp,
  type TokenResponse,
} from '../testing/idpFixture.ts';


/** RFC 6749 §5.2: the characters allowed in `error` and `error_description`. */
const ERROR_TEXT = /^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/;
/** RFC 6749 §5.2: the characters allowed in `error_uri`. */
const ERROR_URI_TEXT = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const B64URL_256 = /^[A-Za-z0-9_-]{43}$/;
const CI_AUTH = { authorization: basic(CI_CLIENT, CI_SECRET) };

function tokenRequest(t: TestIdp, params: Record<string, string | undefined>, headers: Record<string, string> = {}): Promise<Response> {
  return t.post('/token', params, headers);
}

/** A device login for the confidential CI client (HTTP Basic at both endpoints). */
async function ciLogin(t: TestIdp): Promise<TokenResponse & { device_code: string }> {
  const da = (await json(await t.post('/device_authorization', {}, CI_AUTH))) as unknown as DeviceAuthorization;
  await t.approve(da.user_code);
  t.clock.advance(5000);
  const res = await tokenRequest(t, { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: da.device_code }, CI_AUTH);
  expect(res.status).toBe(200);
  return { ...((await json(res)) as unknown as TokenResponse), device_code: da.device_code };
}

async function approvedCode(t: TestIdp, params: Record<string, string> = {}, scope?: string): Promise<DeviceAuthorization> {
  const d = await t.deviceAuthorize(params);
  await t.approve(d.user_code, scope ? { scope } : {});
  t.clock.advance(5000);
  return d;
}

afterEach(() => {
  vi.restoreAllMocks();
});

/** One response of every kind that carries secrets or an OAuth error. */
async function secretCarryingResponses(): Promise<Array<[string, Response]>> {
  const t = await createTestIdp();
  const out: Array<[string, Response]> = [];
  const daRes = await t.post('/device_authorization', { client_id: CLI });
  out.push(['device authorization (device_code)', daRes]);
  const d = (await daRes.clone().json()) as DeviceAuthorization;
  out.push(['poll error authorization_pending', await t.poll(d.device_code)]);
  out.push(['token error 401 invalid_client', await tokenRequest(t, { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: d.device_code }, { authorization: basic(CI_CLIENT, 'bad') })]);
  await t.approve(d.user_code);
  t.clock.advance(5000);
  const tokRes = await t.poll(d.device_code);
  out.push(['token success', tokRes]);
  const tok = (await tokRes.clone().json()) as TokenResponse;
  const refRes = await t.refresh(tok.refresh_token!);
  out.push(['refresh success', refRes]);
  const ref = (await refRes.clone().json()) as TokenResponse;
  out.push(['refresh error invalid_grant', await t.refresh(tok.refresh_token!)]);
  out.push(['introspection', await t.post('/introspect', { token: 'x' }, { authorization: basic(RS_CLIENT, RS_SECRET) })]);
  out.push(['revocation', await t.revoke(ref.refresh_token!)]);
  out.push(['browser sign-in (session id)', await t.post('/device/signin', { user: 'alice' })]);
  const gh = await createTestIdp({ profile: 'github' });
  out.push(['GitHub form-encoded device authorization', await gh.post('/login/device/code', { client_id: CLI })]);
  return out;
}

describe('RFC 6749 §3.2 / §3.3 token endpoint requests', () => {
  test('RFC6749-3.2-tls: every endpoint the AS advertises (token endpoint included) is https', async () => {
    const t = await createTestIdp();
    const md = await json(await t.get('/.well-known/oauth-authorization-server'));
    const urls = Object.entries(md).filter(([k]) => k === 'issuer' || k.endsWith('_endpoint') || k === 'jwks_uri');
    expect(urls.map(([k]) => k)).toEqual(expect.arrayContaining(['issuer', 'token_endpoint', 'device_authorization_endpoint', 'revocation_endpoint']));
    for (const [k, v] of urls) expect({ [k]: new URL(v as string).protocol }).toEqual({ [k]: 'https:' });
    expect(md.token_endpoint).toBe(`${ISSUER}/token`);
    const d = await t.deviceAuthorize();
    expect(new URL(d.verification_uri).protocol).toBe('https:');
  });

  test('RFC6749-3.2-params: at the token endpoint scope= and foo=1 are ignored, while a duplicate device_code is 400 invalid_request that does not consume the code', async () => {
    const t = await createTestIdp();
    const d = await approvedCode(t);
    const dup = await t.postRaw('/token', `grant_type=${encodeURIComponent(DEVICE_CODE_GRANT_TYPE)}&client_id=${CLI}&device_code=${d.device_code}&device_code=${d.device_code}`);
    const err = await expectOAuthError(dup, 400, 'invalid_request');
    expect(err.error_description).toBe('the parameter device_code is repeated');
    const emptyCode = await t.poll('');
    expect((await expectOAuthError(emptyCode, 400, 'invalid_request')).error_description).toBe('device_code is required');
    const ok = await t.poll(d.device_code, { scope: '', foo: '1' });
    expect(ok.status).toBe(200);
    expect((await json(ok)).scope).toBe('profile projects:read');
  });

  test('RFC6749-3.3-default-scope: with no scope the AS grants the configured default', async () => {
    const t = await createTestIdp();
    const tok = await t.login();
    expect(tok.scope).toBe(DEFAULT_SERVER_KNOBS.defaultScopes.join(' '));
    expect(tok.scope).toBe('profile projects:read');
    expect(decodeJwt(tok.access_token).scope).toBe('profile projects:read');

    const narrow = await createTestIdp({ defaultScopes: ['profile'] });
    expect((await narrow.login()).scope).toBe('profile');
  });

  test('RFC6749-3.3-partial: the user unticks scopes at consent and the token carries only the reduced scope; widening at consent is refused', async () => {
    const t = await createTestIdp();
    const d = await t.deviceAuthorize({ scope: 'profile projects:read projects:write' });
    const s = await t.signIn();
    await t.enterCode(s, d.user_code);
    const wider = await t.decide(s, d.user_code, 'approve', 'profile projects:admin');
    expect(wider.status).toBe(400);
    expect((await json(wider)).error).toBe('invalid_scope');
    const res = await json(await t.decide(s, d.user_code, 'approve', 'profile'));
    expect(res.granted_scope).toBe('profile');
    t.clock.advance(5000);
    const tok = await json(await t.poll(d.device_code));
    expect(tok.scope).toBe('profile');
    expect(t.idp.as.introspect(tok.access_token as string).scope).toBe('profile');
  });
});

describe('RFC 6749 §5.1 successful token response', () => {
  test('RFC6749-5.1-access_token: the success body has a non-empty access_token that the AS recognises as active', async () => {
    const t = await createTestIdp();
    const tok = await t.login();
    expect(typeof tok.access_token).toBe('string');
    expect(tok.access_token.split('.')).toHaveLength(3);
    expect(t.idp.as.introspect(tok.access_token)).toMatchObject({ active: true, client_id: CLI, sub: 'alice' });
    const ref = await json(await t.refresh(tok.refresh_token!));
    expect(typeof ref.access_token).toBe('string');
    expect(ref.access_token).not.toBe(tok.access_token);
  });

  test('RFC6749-5.1-token_type: token_type is always present: Bearer for bearer tokens (device grant and refresh), DPoP for DPoP-bound ones', async () => {
    const t = await createTestIdp();
    const tok = await t.login();
    expect(tok.token_type).toBe('Bearer');
    expect((await json(await t.refresh(tok.refresh_token!))).token_type).toBe('Bearer');
    const key = await createDpopKey(t.clock);
    const bound = await t.login({ dpop: key });
    expect(bound.token_type).toBe('DPoP');
  });

  test('RFC6749-5.1-expires_in: expires_in is present on every success, equals the configured AT lifetime and matches the JWT exp', async () => {
    const t = await createTestIdp();
    const tok = await t.login();
    expect(tok.expires_in).toBe(900);
    const claims = decodeJwt(tok.access_token);
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(claims.iat! * 1000).toBe(t.clock.now());
    expect((await json(await t.refresh(tok.refresh_token!))).expires_in).toBe(900);
    const short = await createTestIdp({ accessTokenLifetimeS: 300 });
    expect((await short.login()).expires_in).toBe(300);
  });

  test('RFC6749-5.1-refresh_token: a refresh token is issued per policy (on by default, absent when the knob is off or the client lacks the refresh grant policy)', async () => {
    const t = await createTestIdp();
    const tok = await t.login();
    expect(tok.refresh_token).toMatch(B64URL_256);
    const off = await createTestIdp({ issueRefreshTokens: false });
    const noRt = await off.login();
    expect(noRt).not.toHaveProperty('refresh_token');
    expect(noRt.access_token).toEqual(expect.any(String));
    expect(off.idp.as.state.refreshTokens.size).toBe(0);
  });

  test('RFC6749-5.1-scope: requested "profile projects:read projects:write", granted "projects:read" → the response says scope "projects:read"', async () => {
    const t = await createTestIdp();
    const d = await approvedCode(t, { scope: 'profile projects:read projects:write' }, 'projects:read');
    const tok = await json(await t.poll(d.device_code));
    expect(tok.scope).toBe('projects:read');
    // Identical to the request: still stated.
    const same = await t.login({ params: { scope: 'profile projects:write' } });
    expect(same.scope).toBe('profile projects:write');
  });

  test('RFC6749-5.1-json: token responses are application/json objects of top-level members; expires_in is a JSON number, not a string', async () => {
    const t = await createTestIdp();
    const d = await approvedCode(t);
    const res = await t.poll(d.device_code);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const text = await res.text();
    const body = JSON.parse(text) as Json;
    expect(text).toMatch(/"expires_in":900[,}]/);
    expect(typeof body.expires_in).toBe('number');
    for (const v of Object.values(body)) expect(['string', 'number']).toContain(typeof v);
    const ref = await t.refresh(body.refresh_token as string);
    expect(ref.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(typeof (await json(ref)).expires_in).toBe('number');
  });

  test('RFC6749-5.1-no-store: Cache-Control: no-store on token success, refresh, device authorization, errors, introspection, revocation and browser sessions', async () => {
    const all = await secretCarryingResponses();
    expect(all.length).toBeGreaterThanOrEqual(10);
    for (const [label, res] of all) expect({ label, cc: res.headers.get('cache-control') }).toEqual({ label, cc: 'no-store' });
  });

  test('RFC6749-5.1-pragma: Pragma: no-cache on the same responses (unlike node-oidc-provider)', async () => {
    for (const [label, res] of await secretCarryingResponses()) expect({ label, pragma: res.headers.get('pragma') }).toEqual({ label, pragma: 'no-cache' });
  });
});

describe('RFC 6749 §5.2 error response', () => {
  /** A matrix of token- and device-endpoint errors. */
  async function errorMatrix(): Promise<Array<[string, Response]>> {
    const t = await createTestIdp();
    const out: Array<[string, Response]> = [];
    const d = await t.deviceAuthorize();
    out.push(['authorization_pending', await t.poll(d.device_code)]);
    out.push(['slow_down', await t.poll(d.device_code)]);
    const denied = await t.deviceAuthorize();
    await t.deny(denied.user_code);
    out.push(['access_denied', await t.poll(denied.device_code)]);
    out.push(['invalid_grant', await t.poll('unknown-device-code')]);
    out.push(['invalid_request', await tokenRequest(t, { client_id: CLI })]);
    out.push(['unsupported_grant_type', await tokenRequest(t, { grant_type: 'password', client_id: CLI })]);
    out.push(['unauthorized_client', await t.post('/device_authorization', { client_id: WEB_CLIENT })]);
    out.push(['invalid_scope', await t.post('/device_authorization', { client_id: CLI, scope: 'admin:everything' })]);
    out.push(['invalid_client', await tokenRequest(t, { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: 'x' }, { authorization: basic(CI_CLIENT, 'bad') })]);
    t.clock.advance(600_000);
    out.push(['expired_token', await t.poll(d.device_code)]);
    return out;
  }

  test('RFC6749-5.2-status: authorization_pending, slow_down, access_denied, expired_token and invalid_grant are HTTP 400 (invalid_client via Basic is 401)', async () => {
    for (const [code, res] of await errorMatrix()) {
      const status = code === 'invalid_client' ? 401 : 400;
      await expectOAuthError(res, status, code);
    }
  });

  test('RFC6749-5.2-error: every error body has exactly one error member holding a single ASCII error code', async () => {
    for (const [code, res] of await errorMatrix()) {
      const text = await res.text();
      expect(text.match(/"error":/g)).toHaveLength(1);
      const body = JSON.parse(text) as Json;
      expect(body.error).toBe(code);
      expect(body.error).toMatch(/^[a-z_]+$/);
      expect(body.error).toMatch(ERROR_TEXT);
    }
  });

  test('RFC6749-5.2-error_description: errors carry optional human-readable error_description text within the allowed characters', async () => {
    for (const [code, res] of await errorMatrix()) {
      const body = await json(res);
      expect({ code, type: typeof body.error_description }).toEqual({ code, type: 'string' });
      expect(String(body.error_description).length).toBeGreaterThan(0);
      expect(body.error_description).toMatch(ERROR_TEXT);
    }
  });

  test('RFC6749-5.2-charset: fuzzed grant_type, scope, parameter names and content types never put a character outside %x20-21 / %x23-5B / %x5D-7E into error or error_description', async () => {
    const t = await createTestIdp({ rateLimitPerMinute: 100_000 });
    const tok = await t.login();
    const seen = new Set<string>();
    const check = async (res: Response) => {
      const body = await json(res);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(typeof body.error).toBe('string');
      seen.add(body.error as string);
      expect(body.error).toMatch(ERROR_TEXT);
      if (body.error_description !== undefined) expect(body.error_description).toMatch(ERROR_TEXT);
    };
    const nasty = fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }).map((s) => `"\\\u00e9${s}\u2028`);
    await fc.assert(
      fc.asyncProperty(nasty, async (s) => {
        await check(await tokenRequest(t, { grant_type: s, client_id: CLI }));
        await check(await t.post('/device_authorization', { client_id: CLI, scope: s }));
        await check(await t.refresh(tok.refresh_token!, { scope: `profile ${s}` }));
        const name = encodeURIComponent(s);
        await check(await t.postRaw('/token', `${name}=1&${name}=2`));
      }),
      { numRuns: 150 },
    );
    for (const ct of ['text/"plain"', 'text/plain\\x', 'application/json', 'multipart/form-data; boundary="\\"']) {
      await check(await t.postRaw('/token', 'grant_type=x', { 'content-type': ct }));
    }
    expect([...seen].sort()).toEqual(['invalid_request', 'invalid_scope', 'unsupported_grant_type']);
    // The refresh token survived all the refused refreshes.
    expect((await t.refresh(tok.refresh_token!)).status).toBe(200);
  });

  test('RFC6749-5.2-error_uri: absent by default; when enabled it is a URI-reference made of the allowed characters', async () => {
    const t = await createTestIdp();
    expect(await json(await t.poll('nope'))).not.toHaveProperty('error_uri');
    const on = await createTestIdp({ errorUri: true });
    const body = await expectOAuthError(await on.poll('nope'), 400, 'invalid_grant');
    expect(body.error_uri).toBe(`${ISSUER}/docs/errors#invalid_grant`);
    expect(body.error_uri).toMatch(ERROR_URI_TEXT);
    expect(new URL(body.error_uri as string).protocol).toBe('https:');
  });

  test('RFC6749-5.2-invalid_request: missing device_code or grant_type, a repeated parameter, Basic plus client_secret, GET, or a non-form body', async () => {
    const t = await createTestIdp();
    const d = await t.deviceAuthorize();
    await expectOAuthError(await tokenRequest(t, { grant_type: DEVICE_CODE_GRANT_TYPE, client_id: CLI }), 400, 'invalid_request');
    await expectOAuthError(await tokenRequest(t, { device_code: d.device_code, client_id: CLI }), 400, 'invalid_request');
    await expectOAuthError(await t.postRaw('/token', `grant_type=refresh_token&client_id=${CLI}&refresh_token=a&refresh_token=b`), 400, 'invalid_request');
    const both = await tokenRequest(t, { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: d.device_code, client_secret: CI_SECRET }, CI_AUTH);
    expect((await expectOAuthError(both, 400, 'invalid_request')).error_description).toMatch(/one client authentication method/);
    const get = await t.get('/token');
    expect(get.headers.get('allow')).toBe('POST');
    await expectOAuthError(get, 400, 'invalid_request');
    const jsonBody = await t.postRaw('/token', JSON.stringify({ grant_type: DEVICE_CODE_GRANT_TYPE }), { 'content-type': 'application/json' });
    await expectOAuthError(jsonBody, 400, 'invalid_request');
    // Nothing of this touched the code.
    await expectOAuthError(await t.poll(d.device_code), 400, 'authorization_pending');
  });

  test('RFC6749-5.2-invalid_request: a body over 64 KiB of UTF-8 is refused, counted in bytes, not characters', async () => {
    const t = await createTestIdp();
    const d = await t.deviceAuthorize();
    const poll = `grant_type=${encodeURIComponent(DEVICE_CODE_GRANT_TYPE)}&device_code=${d.device_code}&client_id=${CLI}&pad=`;
    const room = MAX_BODY_BYTES - poll.length;
    // "€" is 3 bytes: a third of the room in characters fits (within 2 bytes of the limit); one more is over it.
    const euros = (n: number) => poll + '€'.repeat(n);
    t.clock.advance(5000);
    expect(new TextEncoder().encode(euros(Math.floor(room / 3))).length).toBeLessThanOrEqual(MAX_BODY_BYTES);
    await expectOAuthError(await t.postRaw('/token', euros(Math.floor(room / 3))), 400, 'authorization_pending');
    const over = await expectOAuthError(await t.postRaw('/token', euros(Math.floor(room / 3) + 1)), 400, 'invalid_request');
    expect(over.error_description).toMatch(/larger than 65536 bytes/);
    // ASCII: the limit itself is accepted, a byte more is not (a poll the interval later, so not slow_down).
    t.clock.advance(5000);
    await expectOAuthError(await t.postRaw('/token', poll + 'a'.repeat(room)), 400, 'authorization_pending');
    await expectOAuthError(await t.postRaw('/token', poll + 'a'.repeat(room + 1)), 400, 'invalid_request');
  });

  test('RFC6749-5.2-invalid_client: unknown client_id → invalid_client; bad Basic credentials → 401 with WWW-Authenticate: Basic', async () => {
    const t = await createTestIdp();
    const d = await t.deviceAuthorize();
    await expectOAuthError(await t.poll(d.device_code, { client_id: 'ghost' }), 400, 'invalid_client');
    for (const authorization of [basic(CI_CLIENT, 'wrong'), basic('ghost', 'x'), 'Basic !!!not-base64', basic(RS_CLIENT, CI_SECRET)]) {
      const res = await tokenRequest(t, { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: d.device_code }, { authorization });
      expect(res.headers.get('www-authenticate')).toBe(`Basic realm="${ISSUER}"`);
      await expectOAuthError(res, 401, 'invalid_client');
    }
    // A confidential client that sends no credentials at all.
    const none = await tokenRequest(t, { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: d.device_code, client_id: CI_CLIENT });
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic /);
    await expectOAuthError(none, 401, 'invalid_client');
  });

  test('RFC6749-5.2-invalid_grant: unknown device_code; another client\'s device_code (both ways); a revoked or rotated-out refresh token', async () => {
    const t = await createTestIdp();
    expect((await expectOAuthError(await t.poll('no-such-code'), 400, 'invalid_grant')).error_description).toBe('device code not found');
    const cliCode = await approvedCode(t);
    const viaCi = await tokenRequest(t, { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: cliCode.device_code }, CI_AUTH);
    expect((await expectOAuthError(viaCi, 400, 'invalid_grant')).error_description).toBe('device code was issued to another client');
    const ciCode = (await json(await t.post('/device_authorization', {}, CI_AUTH))) as unknown as DeviceAuthorization;
    await expectOAuthError(await t.poll(ciCode.device_code), 400, 'invalid_grant');
    // The rightful client still redeems its code.
    expect((await t.poll(cliCode.device_code)).status).toBe(200);

    const tok = await t.login();
    const rotated = await json(await t.refresh(tok.refresh_token!));
    await expectOAuthError(await t.refresh(tok.refresh_token!), 400, 'invalid_grant');
    const other = await t.login();
    expect((await t.revoke(other.refresh_token!)).status).toBe(200);
    await expectOAuthError(await t.refresh(other.refresh_token!), 400, 'invalid_grant');
    expect(rotated.refresh_token).toEqual(expect.any(String));
  });

  test('RFC6749-5.2-invalid_grant: a device code is single-use: a second redemption gets invalid_grant and revokes everything the first one issued', async () => {
    const t = await createTestIdp();
    const d = await approvedCode(t);
    const first = await json(await t.poll(d.device_code));
    expect(t.idp.as.introspect(first.access_token as string).active).toBe(true);
    expect((await t.api('/me', { headers: { authorization: `Bearer ${first.access_token as string}` } })).status).toBe(200);
    t.clock.advance(5000);
    const second = await expectOAuthError(await t.poll(d.device_code), 400, 'invalid_grant');
    expect(second.error_description).toBe('device code already used');
    expect(t.idp.as.introspect(first.access_token as string)).toEqual({ active: false });
    expect(t.idp.as.introspect(first.refresh_token as string)).toEqual({ active: false });
    await expectOAuthError(await t.refresh(first.refresh_token as string), 400, 'invalid_grant');
    expect((await t.api('/me', { headers: { authorization: `Bearer ${first.access_token as string}` } })).status).toBe(401);
    expect(t.idp.as.audit.ofType('device_code.reused')).toHaveLength(1);
  });

  test('RFC6749-5.2-unauthorized_client: a client registered without the device grant gets unauthorized_client at the device and token endpoints', async () => {
    const t = await createTestIdp();
    await expectOAuthError(await t.post('/device_authorization', { client_id: WEB_CLIENT }), 400, 'unauthorized_client');
    const d = await t.deviceAuthorize();
    await expectOAuthError(await t.poll(d.device_code, { client_id: WEB_CLIENT }), 400, 'unauthorized_client');
    await expectOAuthError(await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: 'x', client_id: WEB_CLIENT }), 400, 'unauthorized_client');
    const rs = await tokenRequest(t, { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: d.device_code }, { authorization: basic(RS_CLIENT, RS_SECRET) });
    await expectOAuthError(rs, 400, 'unauthorized_client');
    await expectOAuthError(await t.poll(d.device_code), 400, 'authorization_pending');
  });

  test('RFC6749-5.2-unsupported_grant_type: grant_type=device_code (not the URN), authorization_code, password and client_credentials → 400 unsupported_grant_type', async () => {
    const t = await createTestIdp();
    const d = await t.deviceAuthorize();
    for (const grant_type of ['device_code', 'authorization_code', 'password', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device-code']) {
      const body = await expectOAuthError(await t.poll(d.device_code, { grant_type }), 400, 'unsupported_grant_type');
      expect(body.error_description).toBe(`grant_type ${grant_type} is not supported`);
    }
    await expectOAuthError(await t.poll(d.device_code), 400, 'authorization_pending');
  });

  test('RFC6749-5.2-invalid_scope: an unknown, not allowed or cross-resource scope at the device endpoint, and a refresh asking for an extra scope', async () => {
    const t = await createTestIdp({ allowedScopes: ['profile', 'projects:read', 'projects:write', 'billing:read'] });
    await expectOAuthError(await t.post('/device_authorization', { client_id: CLI, scope: 'admin:everything' }), 400, 'invalid_scope');
    await expectOAuthError(await t.post('/device_authorization', { client_id: CLI, scope: 'profile projects:admin' }), 400, 'invalid_scope');
    await expectOAuthError(await t.post('/device_authorization', { client_id: CLI, scope: 'profile billing:read' }), 400, 'invalid_scope');
    expect(t.idp.as.state.deviceGrants.size).toBe(0);
    const tok = await t.login({ params: { scope: 'profile' } });
    const body = await expectOAuthError(await t.refresh(tok.refresh_token!, { scope: 'profile projects:write' }), 400, 'invalid_scope');
    expect(body.error_description).toBe('scope exceeds what was granted: projects:write');
  });
});

describe('RFC 6749 §6 refreshing an access token', () => {
  test('RFC6749-6-scope-subset: a wider refresh scope → 400 invalid_scope (RT untouched); a narrower one → a narrower AT; omitted → the original scope', async () => {
    const t = await createTestIdp();
    const tok = await t.login({ params: { scope: 'profile projects:read' } });
    await expectOAuthError(await t.refresh(tok.refresh_token!, { scope: 'profile projects:read projects:write' }), 400, 'invalid_scope');
    const narrow = await json(await t.refresh(tok.refresh_token!, { scope: 'profile' }));
    expect(narrow.scope).toBe('profile');
    expect(decodeJwt(narrow.access_token as string).scope).toBe('profile');
    expect((await t.api('/projects', { headers: { authorization: `Bearer ${narrow.access_token as string}` } })).status).toBe(403);
    const omitted = await json(await t.refresh(narrow.refresh_token as string));
    expect(omitted.scope).toBe('profile projects:read');
  });

  test('RFC6749-6-as-checks: another client\'s RT → invalid_grant; expired, idle or revoked RT → invalid_grant; a confidential client without auth → 401 invalid_client', async () => {
    const t = await createTestIdp();
    const cli = await t.login();
    const ci = await ciLogin(t);
    await expectOAuthError(await t.refresh(cli.refresh_token!, { client_id: undefined }, CI_AUTH), 400, 'invalid_grant');
    await expectOAuthError(await t.refresh(ci.refresh_token!), 400, 'invalid_grant');
    await expectOAuthError(await t.refresh(ci.refresh_token!, { client_id: CI_CLIENT }), 401, 'invalid_client');
    const ciOk = await t.refresh(ci.refresh_token!, { client_id: undefined }, CI_AUTH);
    expect(ciOk.status).toBe(200);
    expect((await t.refresh(cli.refresh_token!)).status).toBe(200);

    // Absolute lifetime (of the family, kept across rotation): works 2 s before, refused 1 s after.
    const life = await createTestIdp({ refreshTokenLifetimeS: 3600 });
    const a = await life.login();
    life.clock.advance(3598_000);
    const a2 = await json(await life.refresh(a.refresh_token!));
    expect(a2.refresh_token).toEqual(expect.any(String));
    life.clock.advance(3000);
    expect((await expectOAuthError(await life.refresh(a2.refresh_token as string), 400, 'invalid_grant')).error_description).toBe('refresh token has expired');

    // Idle expiry.
    const idle = await createTestIdp({ refreshTokenIdleS: 3600 });
    const b = await idle.login();
    idle.clock.advance(3600_000);
    expect((await expectOAuthError(await idle.refresh(b.refresh_token!), 400, 'invalid_grant')).error_description).toMatch(/inactivity/);

    // Revoked.
    const c = await t.login();
    await t.revoke(c.refresh_token!);
    await expectOAuthError(await t.refresh(c.refresh_token!), 400, 'invalid_grant');
  });

  test('RFC6749-6-new-rt: with rotation on every refresh returns a new RT; with the rotation knob off no RT is returned and the old one keeps working (flagged)', async () => {
    const t = await createTestIdp();
    const tok = await t.login();
    const r1 = await json(await t.refresh(tok.refresh_token!));
    expect(r1.refresh_token).toMatch(B64URL_256);
    expect(r1.refresh_token).not.toBe(tok.refresh_token);

    const off = await createTestIdp({ rotateRefreshTokens: false });
    expect(assessServerKnobs(resolveServerKnobs({ rotateRefreshTokens: false })).map((f) => f.knob)).toContain('rotateRefreshTokens');
    expect(assessServerKnobs(DEFAULT_SERVER_KNOBS).map((f) => f.knob)).not.toContain('rotateRefreshTokens');
    const o = await off.login();
    const o1 = await json(await off.refresh(o.refresh_token!));
    expect(o1).not.toHaveProperty('refresh_token');
    expect((await off.refresh(o.refresh_token!)).status).toBe(200);
  });

  test('RFC6749-6-revoke-old: with rotation on, replaying RT1 after it was exchanged → invalid_grant; without invalidation (Entra-like knob) it still works', async () => {
    const t = await createTestIdp();
    const tok = await t.login();
    expect((await t.refresh(tok.refresh_token!)).status).toBe(200);
    await expectOAuthError(await t.refresh(tok.refresh_token!), 400, 'invalid_grant');
    expect(t.idp.as.introspect(tok.refresh_token!)).toEqual({ active: false });

    const lax = await createTestIdp({ invalidateRotatedRefreshTokens: false, reuseDetection: false });
    const l = await lax.login();
    expect((await lax.refresh(l.refresh_token!)).status).toBe(200);
    expect((await lax.refresh(l.refresh_token!)).status).toBe(200);
  });

  test('RFC6749-6-same-scope: a refresh with a narrower scope gives a narrow AT but the new RT keeps the original scope', async () => {
    const t = await createTestIdp();
    const tok = await t.login({ params: { scope: 'profile projects:read projects:write' } });
    const narrow = await json(await t.refresh(tok.refresh_token!, { scope: 'projects:read' }));
    expect(narrow.scope).toBe('projects:read');
    const rt2 = narrow.refresh_token as string;
    expect(t.idp.as.introspect(rt2)).toMatchObject({ active: true, scope: 'profile projects:read projects:write' });
    const back = await json(await t.refresh(rt2, { scope: 'profile projects:write' }));
    expect(back.scope).toBe('profile projects:write');
    const full = await json(await t.refresh(back.refresh_token as string));
    expect(full.scope).toBe('profile projects:read projects:write');
  });
});

describe('RFC 6749 §10 security considerations (server side)', () => {
  test('RFC6749-10.1-no-native-secret: the CLI (native app) registration has no client secret and no response ever hands one out', async () => {
    const cli = defaultRegistry().clients.find((c) => c.clientId === CLI)!;
    expect(cli.tokenEndpointAuthMethod).toBe('none');
    expect(cli).not.toHaveProperty('clientSecret');
    const t = await createTestIdp();
    const md = await json(await t.get('/.well-known/oauth-authorization-server'));
    expect(md).not.toHaveProperty('registration_endpoint');
    const da = await t.post('/device_authorization', { client_id: CLI });
    const daText = await da.text();
    const d = JSON.parse(daText) as DeviceAuthorization;
    await t.approve(d.user_code);
    t.clock.advance(5000);
    const tokText = await (await t.poll(d.device_code)).text();
    for (const text of [daText, tokText, JSON.stringify(md)]) {
      expect(text).not.toMatch(/client_secret"\s*:/);
      expect(text).not.toContain(CI_SECRET);
    }
  });

  test('RFC6749-10.2-consent-info: after explicit sign-in, consent lists the client name, the requested scopes and the token lifetime; minimal consent (misconfiguration) does not', async () => {
    const t = await createTestIdp({ accessTokenLifetimeS: 600 });
    const d = await t.deviceAuthorize({ scope: 'profile projects:write' });
    expect((await t.enterCode('', d.user_code)).status).toBe(401);
    const s = await t.signIn('bob');
    const consent = await json(await t.enterCode(s, d.user_code));
    expect(consent).toMatchObject({
      page: 'consent',
      client: { id: CLI, name: 'Acme CLI' },
      scopes: [
        { name: 'profile', description: 'See your name and e-mail address' },
        { name: 'projects:write', description: 'Create and change projects' },
      ],
      access_token_lifetime_s: 600,
      refresh_token: true,
      resource: { id: 'https://api.acme.test/api', name: 'Acme API' },
    });
    const bad = await createTestIdp({ consentDetail: 'minimal' });
    const d2 = await bad.deviceAuthorize();
    const minimal = await json(await bad.enterCode(await bad.signIn(), d2.user_code));
    expect(minimal).not.toHaveProperty('scopes');
    expect(minimal).not.toHaveProperty('access_token_lifetime_s');
  });

  test('RFC6749-10.4-abuse-detection: rotation with reuse detection: replaying a rotated-out RT revokes the whole family (RT2 and the ATs); without detection only the replay fails', async () => {
    const t = await createTestIdp();
    const tok = await t.login();
    const r2 = await json(await t.refresh(tok.refresh_token!));
    expect(t.idp.as.introspect(r2.access_token as string).active).toBe(true);
    const replay = await expectOAuthError(await t.refresh(tok.refresh_token!), 400, 'invalid_grant');
    expect(replay.error_description).toMatch(/already used/);
    await expectOAuthError(await t.refresh(r2.refresh_token as string), 400, 'invalid_grant');
    expect(t.idp.as.introspect(r2.access_token as string)).toEqual({ active: false });
    expect(t.idp.as.introspect(tok.access_token)).toEqual({ active: false });
    expect(t.idp.as.audit.ofType('refresh_token.reuse_detected')).toHaveLength(1);

    const noDetect = await createTestIdp({ reuseDetection: false });
    const n = await noDetect.login();
    const n2 = await json(await noDetect.refresh(n.refresh_token!));
    await expectOAuthError(await noDetect.refresh(n.refresh_token!), 400, 'invalid_grant');
    expect((await noDetect.refresh(n2.refresh_token as string)).status).toBe(200);
  });

  test('RFC6749-10.10-guessing: device_code, refresh tokens and session ids carry 256 CSPRNG bits; access tokens are ES256-signed JWTs with a 256-bit jti; Math.random is never used', async () => {
    const t = await createTestIdp();
    const getRandomValues = vi.spyOn(globalThis.crypto, 'getRandomValues');
    const mathRandom = vi.spyOn(Math, 'random');
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const d = await approvedCode(t);
      const tok = (await json(await t.poll(d.device_code))) as unknown as TokenResponse;
      for (const v of [d.device_code, tok.refresh_token!]) {
        expect(v).toMatch(B64URL_256);
        expect(Buffer.from(v, 'base64url')).toHaveLength(32);
        seen.add(v);
      }
      const jti = decodeJwt(tok.access_token).jti!;
      expect(Buffer.from(jti, 'base64url').length * 8).toBeGreaterThanOrEqual(160);
      seen.add(jti);
    }
    expect(seen.size).toBe(120);
    const session = await t.signIn();
    expect(session).toMatch(B64URL_256);
    expect(getRandomValues).toHaveBeenCalled();
    expect(mathRandom).not.toHaveBeenCalled();

    // Guessing an access token means forging its signature.
    const tok = await t.login();
    expect(decodeProtectedHeader(tok.access_token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    const jwks = (await json(await t.get('/jwks'))).keys as Array<Record<string, unknown>>;
    const key = await importJWK(jwks[0]!, 'ES256');
    const currentDate = new Date(t.clock.now());
    await expect(jwtVerify(tok.access_token, key, { currentDate })).resolves.toBeTruthy();
    const [h, p, sig] = tok.access_token.split('.') as [string, string, string];
    const flipped = `${h}.${p}.${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    await expect(jwtVerify(flipped, key, { currentDate })).rejects.toThrow();
    expect((await t.api('/me', { headers: { authorization: `Bearer ${flipped}` } })).status).toBe(401);
  });

  test('RFC6749-10.10-end-user-creds: user codes are protected by an attempt limit and a short lifetime (and turning the limit off is flagged)', async () => {
    const t = await createTestIdp();
    const d = await t.deviceAuthorize();
    const attacker = await t.signIn('mallory');
    for (let i = 0; i < 5; i++) expect((await t.enterCode(attacker, 'ZZZZ-ZZZ' + 'BCDFG'[i])).status).toBe(400);
    expect((await t.enterCode(attacker, d.user_code)).status).toBe(429);
    t.clock.advance(600_000);
    const owner = await t.signIn('alice');
    const late = await t.enterCode(owner, d.user_code);
    expect(late.status).toBe(400);
    expect((await json(late)).error).toBe('expired_user_code');
    expect(DEFAULT_SERVER_KNOBS.codeLifetimeS).toBeLessThanOrEqual(900);
    expect(assessServerKnobs(resolveServerKnobs({ userCodeAttemptLimit: 0 })).some((f) => f.knob === 'userCodeAttemptLimit')).toBe(true);
  });
});
