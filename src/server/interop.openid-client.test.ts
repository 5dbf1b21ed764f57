/**
 * Interop: openid-client v6, unchanged from npm, against `npm run idp` on loopback, with real fetch and real
 * time (shortened by knobs, not mocks). If a real, widely used client can complete every outcome against the
 * simulated identity provider, what a trainee learns here holds against real providers.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { postForm, spawnIdp, type SpawnedIdp } from './testing/spawnIdp.ts';

const CLIENT_ID = 'acme-cli';
const SCOPE = 'profile projects:read';

async function configure(issuer: string): Promise<client.Configuration> {
  return client.discovery(new URL(issuer), CLIENT_ID, undefined, client.None(), {
    algorithm: 'oauth2',
    execute: [client.allowInsecureRequests],
  });
}

/** openid-client reports OAuth errors as ResponseBodyError with the `error` code. */
async function oauthErrorOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof client.ResponseBodyError) return e.error;
    throw e;
  }
  throw new Error('expected an OAuth error, got success');
}

describe('openid-client v6 against npm run idp', () => {
  let idp: SpawnedIdp;
  let expiring: SpawnedIdp;

  beforeAll(async () => {
    [idp, expiring] = await Promise.all([
      spawnIdp(['--interval', '1', '--code-lifetime', '60']),
      spawnIdp(['--interval', '1', '--code-lifetime', '3']),
    ]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([idp?.stop(), expiring?.stop()]);
  });

  test('discovery, device authorization, authorization_pending and slow_down, tokens, refresh with rotation, revocation', async () => {
    const config = await configure(idp.issuer);
    expect(config.serverMetadata().device_authorization_endpoint).toBe(`${idp.issuer}/device_authorization`);

    const da = await client.initiateDeviceAuthorization(config, { scope: SCOPE });
    expect(da.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(da.interval).toBe(1);

    const polling = client.pollDeviceAuthorizationGrant(config, da);
    // The first poll (after 1 s) is still pending; then force one slow_down and approve, as a rehearsal would.
    await idp.waitForLine(/POST \/token 400 authorization_pending/);
    expect((await postForm(`${idp.issuer}/control/slow-down`, { user_code: da.user_code.toLowerCase() })).status).toBe(200);
    expect((await postForm(`${idp.issuer}/control/approve`, { user_code: da.user_code, user: 'bob' })).status).toBe(200);
    const tokens = await polling;

    const polls = idp.lines.filter((l) => l.includes('POST /token'));
    expect(polls.map((l) => l.replace(/^\S+ /, ''))).toEqual([
      'POST /token 400 authorization_pending',
      'POST /token 400 slow_down',
      'POST /token 200',
    ]);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.scope).toBe(SCOPE);
    expect(tokens.expires_in).toBe(900);
    expect(tokens.refresh_token).toEqual(expect.any(String));

    // The access token works at the API.
    const me = await fetch(`${idp.issuer}/api/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(await me.json()).toEqual({ sub: 'bob' });

    // Refresh rotates the refresh token; replaying the old one is reuse and revokes the family.
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(await oauthErrorOf(client.refreshTokenGrant(config, tokens.refresh_token!))).toBe('invalid_grant');
    expect(await oauthErrorOf(client.refreshTokenGrant(config, refreshed.refresh_token!))).toBe('invalid_grant');

    // A second login, then logout by revocation: the refresh token and the access token stop working.
    const da2 = await client.initiateDeviceAuthorization(config, { scope: SCOPE });
    await postForm(`${idp.issuer}/control/approve`, { user_code: da2.user_code });
    const t2 = await client.pollDeviceAuthorizationGrant(config, da2);
    await client.tokenRevocation(config, t2.refresh_token!, { token_type_hint: 'refresh_token' });
    await client.tokenRevocation(config, t2.access_token, { token_type_hint: 'access_token' });
    expect(await oauthErrorOf(client.refreshTokenGrant(config, t2.refresh_token!))).toBe('invalid_grant');
    const after = await fetch(`${idp.issuer}/api/me`, { headers: { authorization: `Bearer ${t2.access_token}` } });
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toContain('error="invalid_token"');
  }, 30_000);

  test('denial: the user denies and the client stops with access_denied', async () => {
    const config = await configure(idp.issuer);
    const da = await client.initiateDeviceAuthorization(config, { scope: SCOPE });
    const polling = client.pollDeviceAuthorizationGrant(config, da);
    await postForm(`${idp.issuer}/control/deny`, { user_code: da.user_code });
    expect(await oauthErrorOf(polling)).toBe('access_denied');
  }, 20_000);

  test('expiry: nobody acts and the server answers expired_token once the code lifetime has passed', async () => {
    const config = await configure(expiring.issuer);
    const da = await client.initiateDeviceAuthorization(config, { scope: SCOPE });
    expect(da.expires_in).toBe(3);
    // Give the client a longer deadline than the code, so the server's expired_token is what ends it.
    const error = await oauthErrorOf(client.pollDeviceAuthorizationGrant(config, da, undefined, { signal: AbortSignal.timeout(15_000) }));
    expect(error).toBe('expired_token');
  }, 20_000);
});
