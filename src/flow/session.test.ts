/**
 * After approval: the token response, storage, API calls, refresh with rotation, and logout with revocation.
 * RFC 6749 §5.1, §6, §7.1, §10.3-10.4; RFC 6750; RFC 7009; RFC 9068 §6.
 */
import { describe, expect, test } from 'vitest';
import { base64url } from '../protocol/random.ts';
import { REFRESH_TOKEN_GRANT_TYPE } from '../protocol/constants.ts';
import { storagePlan } from './storage.ts';
import { EARLY_REFRESH_MARGIN_S } from './types.ts';
import { replies, type Reply } from './testing/fake-server.ts';
import { startCli, type HarnessOptions } from './testing/harness.ts';

const HOUR = 3_600_000;
const keychain = storagePlan('keychain', 'https://auth.acme.test').primary;

async function loggedIn(opts: HarnessOptions = {}, approval: Reply = replies.tokens()) {
  const cli = await startCli(opts);
  cli.server.on('poll', approval);
  await cli.login();
  return cli;
}

/** A JWT-shaped access token whose payload says it lives for a year (the client must not care). */
function jwtLikeToken(bytes: number): string {
  const enc = (o: unknown) => base64url(new TextEncoder().encode(JSON.stringify(o)));
  const head = enc({ alg: 'RS256', typ: 'at+jwt' });
  const body = enc({ exp: 1_800_000_000 + 365 * 86400, sub: 'alice', pad: 'x'.repeat(bytes) });
  return `${head}.${body}.${'s'.repeat(86)}`;
}

describe('token response', () => {
  test('RFC6749-5.1-access_token: a token response without access_token → failed, no API call possible', async () => {
    const cli = await loggedIn({}, { json: { token_type: 'Bearer', expires_in: 60 } });
    expect(cli.state()).toBe('failed');
    await cli.send({ type: 'user.api', method: 'GET', path: '/api/me' });
    expect(cli.server.of('api')).toHaveLength(0);
  });

  test.each(['Bearer', 'bearer', 'BEARER'])('RFC6749-5.1-token_type: token_type %s is accepted and sent as "Bearer"', async (tokenType) => {
    const cli = await loggedIn({}, replies.tokens({ token_type: tokenType }));
    await cli.send({ type: 'user.whoami' });
    expect(cli.server.of('api')[0]?.headers.authorization).toBe(`Bearer ${cli.server.accessTokens[0]}`);
  });

  test('RFC6749-7.1-unknown-type: token_type "mac" → failed; the token is never stored or used', async () => {
    const cli = await loggedIn({}, replies.tokens({ token_type: 'mac' }));
    expect(cli.state()).toBe('failed');
    expect(cli.output().at(-1)).toBe('✗ Login failed: token response: "token_type" must be "Bearer" or "DPoP" (case-insensitive; RFC 6749 §7.1), got "mac"');
    await cli.send({ type: 'user.api', method: 'GET', path: '/api/me' });
    expect(cli.server.of('api')).toHaveLength(0);
    expect(cli.storage.log).toEqual([]);
  });

  test('RFC6749-5.1-scope: the store keeps the granted scope, not the requested one', async () => {
    const cli = await loggedIn({ knobs: { scopes: 'broad' } }, replies.tokens({ scope: 'profile projects:read' }));
    expect(cli.server.of('device')[0]?.form.scope).toBe('profile projects:read projects:write projects:admin');
    expect(cli.storage.get(keychain)?.scope).toBe('profile projects:read');
  });

  test('GitHub-style comma-separated scope is stored space-delimited', async () => {
    const cli = await loggedIn({}, replies.tokens({ scope: 'profile,projects:read' }));
    expect(cli.storage.get(keychain)?.scope).toBe('profile projects:read');
  });

  test('GitHub-style form-urlencoded token response is understood', async () => {
    const cli = await loggedIn({}, (_ex, server) => {
      const t = server.mintTokens('profile projects:read');
      return { form: { access_token: String(t.access_token), token_type: 'bearer', expires_in: '28800', scope: 'profile,projects:read' } };
    });
    expect(cli.state()).toBe('authenticated.ready');
    expect(cli.storage.get(keychain)).toMatchObject({ accessToken: cli.server.accessTokens[0], tokenType: 'Bearer', expiresAt: cli.clock.now() + 28_800_000 });
  });

  test('RFC6749-5.1-ignore-unknown: GitHub\'s refresh_token_expires_in and other unknown members are ignored', async () => {
    const cli = await loggedIn({}, replies.tokens({ refresh_token_expires_in: 15_897_600, id_token: undefined, foo: { bar: 1 } }));
    expect(cli.state()).toBe('authenticated.ready');
    expect(Object.keys(cli.storage.get(keychain)!).sort()).toEqual(['accessToken', 'clientId', 'expiresAt', 'issuer', 'receivedAt', 'refreshToken', 'scope', 'tokenType']);
  });

  test.each([
    ['a 4 KB JWT', jwtLikeToken(4096)],
    ['an 8-character opaque token', 'Xy7_k2Qa'],
  ])('RFC6749-5.1-sizes: %s round-trips through the store and the API header', async (_name, token) => {
    const cli = await startCli();
    cli.server.on('poll', (_ex, server) => {
      server.liveAccess.set(token, 'profile projects:read');
      return { json: { access_token: token, token_type: 'Bearer', expires_in: 900 } };
    });
    await cli.login();
    expect(cli.storage.get(keychain)?.accessToken).toBe(token);
    await cli.send({ type: 'user.whoami' });
    expect(cli.server.of('api')[0]?.headers.authorization).toBe(`Bearer ${token}`);
    expect(cli.output().at(-1)).toBe('{"ok":true,"path":"/api/me"}');
  });

  test('RFC9068-6-client-opaque: expiry comes from expires_in, never from the JWT exp', async () => {
    const token = jwtLikeToken(100);
    const cli = await startCli();
    cli.server.on('poll', (_ex, server) => {
      server.liveAccess.set(token, 'profile projects:read');
      server.liveRefresh.set('RT-opaque', 'profile projects:read');
      return { json: { access_token: token, token_type: 'Bearer', expires_in: 60, refresh_token: 'RT-opaque' } };
    });
    await cli.login();
    expect(cli.storage.get(keychain)?.expiresAt).toBe(cli.clock.now() + 60_000);
    await cli.advance(60_000);
    await cli.send({ type: 'user.whoami' });
    // The JWT says "valid for a year"; expires_in said 60 s, so the CLI refreshed before calling.
    expect(cli.server.exchanges.slice(-2).map((e) => e.kind)).toEqual(['refresh', 'api']);
  });

  test('RFC6749-10.3-at-confidential, RFC6749-10.4-rt-confidential: tokens never reach terminal or debug log and are stored in the keychain', async () => {
    const cli = await loggedIn({ knobs: { debug: 'bodies' } });
    await cli.send({ type: 'user.api', method: 'GET', path: '/api/projects' });
    await cli.advance(900_000);
    await cli.send({ type: 'user.whoami' });
    await cli.send({ type: 'user.logout' });
    expect(cli.server.accessTokens).toHaveLength(2);
    expect(cli.server.refreshTokens).toHaveLength(2);
    const lines = [...cli.output(), ...cli.debug(), ...cli.events('cli.exec').flatMap((e) => [...e.argv, ...Object.values(e.env)])];
    for (const secret of cli.server.secrets) for (const text of lines) expect(text).not.toContain(secret);
    expect(cli.storage.log.filter((w) => w.action === 'save').map((w) => w.target.kind)).toEqual(['keychain', 'keychain']);
    for (const e of cli.server.exchanges) expect(e.url.startsWith('https://')).toBe(true);
  });
});

describe('API calls', () => {
  test('RFC6750-2.1-client, RFC6750-2.3-no-query, RFC6750-2-one-method: the token travels only in the Authorization header', async () => {
    const cli = await loggedIn();
    await cli.send({ type: 'user.api', method: 'GET', path: '/api/projects' });
    const [api] = cli.server.of('api');
    expect(api?.url).toBe('https://api.acme.test/api/projects');
    expect(api?.query).toBe('');
    expect(api?.headers.authorization).toBe(`Bearer ${cli.server.accessTokens[0]}`);
    expect(api?.rawBody).toBe('');
    expect(cli.events('cli.exec')).toEqual([expect.objectContaining({ argv: ['acme', 'api', 'GET', '/api/projects'], env: {} })]);
  });

  test('user.whoami calls GET /api/me; user.token prints the token only when asked', async () => {
    const cli = await loggedIn();
    await cli.send({ type: 'user.whoami' });
    expect(cli.server.of('api').map((e) => `${e.method} ${e.path}`)).toEqual(['GET /api/me']);
    expect(cli.output()).not.toContain(cli.server.accessTokens[0]);
    await cli.send({ type: 'user.token' });
    expect(cli.output().at(-1)).toBe(cli.server.accessTokens[0]);
  });

  test('RFC6750-3.1-invalid_token: a 401 invalid_token → one refresh and one retry with the new token', async () => {
    const cli = await loggedIn();
    cli.server.liveAccess.clear(); // the server forgot the token (revoked elsewhere)
    await cli.send({ type: 'user.api', method: 'GET', path: '/api/projects' });
    expect(cli.server.exchanges.slice(-3).map((e) => `${e.kind} ${e.status}`)).toEqual(['api 401', 'refresh 200', 'api 200']);
    expect(cli.server.of('api')[1]?.headers.authorization).toBe(`Bearer ${cli.server.accessTokens[1]}`);
    expect(cli.state()).toBe('authenticated.ready');
  });

  test('RFC6750-3.1-invalid_token: a second 401 after the refresh → reauthRequired, store cleared, no further requests', async () => {
    const cli = await loggedIn();
    cli.server.on('api', { status: 401, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } }, { status: 401, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
    await cli.send({ type: 'user.api', method: 'GET', path: '/api/projects' });
    expect(cli.server.exchanges.slice(-3).map((e) => `${e.kind} ${e.status}`)).toEqual(['api 401', 'refresh 200', 'api 401']);
    expect(cli.state()).toBe('reauthRequired');
    expect(cli.storage.get(keychain)).toBeUndefined();
    const count = cli.server.exchanges.length;
    await cli.advance(HOUR);
    expect(cli.server.exchanges).toHaveLength(count);
    expect(cli.output().at(-1)).toBe('✗ Your session has ended. Run `acme login` to start again.');
  });

  test('RFC6750-3.1-insufficient_scope: a 403 never triggers a refresh; the CLI offers re-login with the scope', async () => {
    const cli = await loggedIn();
    await cli.send({ type: 'user.api', method: 'DELETE', path: '/api/projects/42' });
    expect(cli.server.exchanges.at(-1)?.status).toBe(403);
    expect(cli.server.of('refresh')).toHaveLength(0);
    expect(cli.state()).toBe('authenticated.ready');
    expect(cli.output().slice(-2)).toEqual([
      '✗ This command needs more permissions than this session has (projects:admin).',
      'A refresh cannot widen scope. Run `acme logout` and `acme login --scope projects:admin`.',
    ]);
    await cli.send({ type: 'user.logout' });
    cli.server.on('poll', replies.tokens());
    await cli.login({ type: 'user.login', scopes: ['projects:admin'] });
    expect(cli.server.of('device')[1]?.form.scope).toBe('profile projects:read projects:admin');
    await cli.send({ type: 'user.api', method: 'DELETE', path: '/api/projects/42' });
    expect(cli.server.exchanges.at(-1)?.status).toBe(200);
  });

  test('an expired access token is refreshed before the call (the clock says so, no 401 needed)', async () => {
    const cli = await loggedIn();
    await cli.advance(60_000);
    await cli.send({ type: 'user.whoami' });
    expect(cli.server.of('refresh')).toHaveLength(0);
    await cli.advance(840_000);
    await cli.send({ type: 'user.whoami' });
    expect(cli.server.exchanges.slice(-2).map((e) => `${e.kind} ${e.status}`)).toEqual(['refresh 200', 'api 200']);
  });

  test('early refresh needs a refresh token: without one, a token inside the margin is still used until it expires', async () => {
    const cli = await loggedIn({ server: { issueRefreshTokens: false } });
    await cli.advance(899_999);
    await cli.send({ type: 'user.whoami' });
    expect(cli.state()).toBe('authenticated.ready');
    expect(cli.server.exchanges.slice(-1).map((e) => `${e.kind} ${e.status}`)).toEqual(['api 200']);
    await cli.advance(1);
    await cli.send({ type: 'user.whoami' });
    expect(cli.state()).toBe('reauthRequired');
    expect(cli.server.of('api')).toHaveLength(1);
  });

  test('early refresh: a stored record without receivedAt (written before it existed) refreshes at expiry, not earlier', async () => {
    const first = await loggedIn();
    const rec = first.storage.get(keychain)!;
    const { receivedAt: _dropped, ...legacy } = rec;
    await first.storage.open(keychain).save(legacy);
    const cli = await startCli({ storage: first.storage, clock: first.clock });
    cli.server.liveAccess.set(rec.accessToken, 'profile projects:read');
    cli.server.liveRefresh.set(rec.refreshToken!, 'profile projects:read');
    await cli.advance(rec.expiresAt! - 1 - cli.clock.now());
    await cli.send({ type: 'user.whoami' });
    expect(cli.server.exchanges.filter((e) => e.kind === 'api' || e.kind === 'refresh').map((e) => `${e.kind} ${e.status}`)).toEqual(['api 200']);
    await cli.advance(1);
    await cli.send({ type: 'user.whoami' });
    expect(cli.server.exchanges.filter((e) => e.kind === 'api' || e.kind === 'refresh').map((e) => `${e.kind} ${e.status}`)).toEqual(['api 200', 'refresh 200', 'api 200']);
  });

  test('RFC6749-5.1-expires_in: without expires_in the expiry is unknown; the CLI refreshes on a 401 invalid_token', async () => {
    const cli = await loggedIn({}, replies.tokens({ expires_in: undefined }));
    expect(cli.storage.get(keychain)?.expiresAt).toBeUndefined();
    await cli.advance(10 * HOUR);
    await cli.send({ type: 'user.whoami' });
    expect(cli.server.exchanges.slice(-1).map((e) => `${e.kind} ${e.status}`)).toEqual(['api 200']);
    cli.server.liveAccess.clear();
    await cli.send({ type: 'user.whoami' });
    expect(cli.server.exchanges.slice(-3).map((e) => `${e.kind} ${e.status}`)).toEqual(['api 401', 'refresh 200', 'api 200']);
  });

  test('RFC6749-5.1-refresh_token: with no refresh token, expiry forces a new device flow', async () => {
    const cli = await loggedIn({ server: { issueRefreshTokens: false } });
    await cli.advance(900_000);
    await cli.send({ type: 'user.whoami' });
    expect(cli.state()).toBe('reauthRequired');
    expect(cli.server.of('api')).toHaveLength(0);
    expect(cli.server.of('refresh')).toHaveLength(0);
    await cli.advance(HOUR);
    expect(cli.server.of('device')).toHaveLength(1);
  });
});

describe('refresh', () => {
  test('RFC6749-6-request, RFC6749-6-scope-subset: the refresh is a form POST with grant_type, refresh_token, client_id and no scope', async () => {
    const cli = await loggedIn();
    await cli.advance(900_000);
    await cli.send({ type: 'user.whoami' });
    const [refresh] = cli.server.of('refresh');
    expect(refresh?.method).toBe('POST');
    expect(refresh?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(refresh?.form).toEqual({ grant_type: REFRESH_TOKEN_GRANT_TYPE, refresh_token: cli.server.refreshTokens[0], client_id: 'acme-cli' });
  });

  test('RFC6749-3.2-post: every token endpoint call (polls and refreshes) is a POST', async () => {
    const cli = await startCli();
    cli.server.on('poll', replies.pending(), replies.tokens());
    await cli.login();
    await cli.advance(900_000);
    await cli.send({ type: 'user.whoami' });
    const tokenCalls = cli.server.exchanges.filter((e) => e.path === '/token');
    expect(tokenCalls.map((e) => `${e.method} ${e.kind}`)).toEqual(['POST poll', 'POST poll', 'POST refresh']);
  });

  test('RFC6749-6-discard-old: after rotation the store holds only RT2, and the next refresh sends RT2', async () => {
    const cli = await loggedIn();
    const [rt1] = cli.server.refreshTokens;
    await cli.advance(900_000);
    await cli.send({ type: 'user.whoami' });
    const rt2 = cli.server.refreshTokens[1]!;
    expect(cli.storage.get(keychain)?.refreshToken).toBe(rt2);
    expect(JSON.stringify([...cli.storage.slots.values()])).not.toContain(rt1);
    expect(JSON.stringify({ ...cli.context, storage: 'host', clock: 'clock' })).not.toContain(rt1);
    await cli.advance(900_000);
    await cli.send({ type: 'user.whoami' });
    expect(cli.server.of('refresh').map((e) => e.form.refresh_token)).toEqual([rt1, rt2]);
  });

  test('a refresh refused with invalid_grant → reauthRequired: store cleared, no automatic login', async () => {
    const cli = await loggedIn();
    cli.server.on('refresh', replies.error('invalid_grant', 400, 'refresh token already used'));
    await cli.advance(900_000);
    await cli.send({ type: 'user.whoami' });
    expect(cli.state()).toBe('reauthRequired');
    expect(cli.output().at(-1)).toBe('✗ Your session has ended (invalid_grant: refresh token already used). Run `acme login` to start again.');
    expect(cli.events('cli.store').at(-1)).toEqual(expect.objectContaining({ action: 'clear', target: keychain }));
    expect(cli.storage.get(keychain)).toBeUndefined();
    await cli.advance(HOUR);
    expect(cli.server.of('device')).toHaveLength(1);
    expect(cli.server.of('api')).toHaveLength(0);
  });

  test('early refresh: a call once the access token expires within the margin refreshes first (no 401 on the wire)', async () => {
    const cli = await loggedIn();
    const expiresAt = cli.storage.get(keychain)!.expiresAt!;
    // 900 s token: the margin is EARLY_REFRESH_MARGIN_S (30 s), well under a tenth of its lifetime.
    await cli.advance(expiresAt - EARLY_REFRESH_MARGIN_S * 1000 - cli.clock.now());
    await cli.send({ type: 'user.whoami' });
    expect(cli.server.exchanges.slice(-2).map((e) => `${e.kind} ${e.status}`)).toEqual(['refresh 200', 'api 200']);
    expect(cli.server.of('api').map((e) => e.headers.authorization)).toEqual([`Bearer ${cli.server.accessTokens[1]}`]);
    expect(cli.clock.now()).toBeLessThan(expiresAt);
  });

  test('early refresh: a call well before the margin does not refresh', async () => {
    const cli = await loggedIn();
    const expiresAt = cli.storage.get(keychain)!.expiresAt!;
    await cli.advance(60_000);
    await cli.send({ type: 'user.whoami' });
    await cli.advance(expiresAt - EARLY_REFRESH_MARGIN_S * 1000 - 1 - cli.clock.now());
    await cli.send({ type: 'user.whoami' });
    expect(cli.server.exchanges.filter((e) => e.kind !== 'metadata' && e.kind !== 'device' && e.kind !== 'poll').map((e) => `${e.kind} ${e.status}`))
      .toEqual(['api 200', 'api 200']);
  });

  test('early refresh: the margin is at most a tenth of the lifetime, so a 60 s token is not refreshed on every call', async () => {
    const cli = await loggedIn({ server: { accessTokenTtlS: 60 } });
    const t0 = cli.clock.now();
    await cli.advance(53_999);
    await cli.send({ type: 'user.whoami' });
    expect(cli.server.of('refresh')).toHaveLength(0);
    await cli.advance(1);
    await cli.send({ type: 'user.whoami' });
    expect(cli.server.of('refresh')).toHaveLength(1);
    expect(cli.storage.get(keychain)?.expiresAt).toBe(t0 + 54_000 + 60_000);
    await cli.advance(1_000);
    await cli.send({ type: 'user.whoami' });
    expect(cli.server.of('refresh')).toHaveLength(1);
    expect(cli.server.of('api').map((e) => e.status)).toEqual([200, 200, 200]);
  });

  /** What the simulated server's rate limiter sends (RFC 6585 §4): 429, Retry-After, no OAuth error code. */
  const tooMany = (retryAfter?: string): Reply => ({
    status: 429, json: { error_description: 'too many requests from this client' }, ...(retryAfter === undefined ? {} : { headers: { 'Retry-After': retryAfter } }),
  });
  const refreshGaps = (cli: Awaited<ReturnType<typeof loggedIn>>) => cli.server.of('refresh').map((e, i, all) => (i ? e.at - all[i - 1]!.at : 0));

  test('a refresh answered 429 with Retry-After and no OAuth error keeps the refresh token and retries at the Retry-After time', async () => {
    const cli = await loggedIn();
    cli.server.on('refresh', tooMany('30'));
    await cli.advance(900_000);
    await cli.send({ type: 'user.whoami' });
    expect(cli.state()).toBe('authenticated.waitingToRetryRefresh');
    expect(cli.storage.get(keychain)?.refreshToken).toBe(cli.server.refreshTokens[0]);
    expect(cli.output().at(-1)).toBe('The server is busy (HTTP 429); trying the refresh again in 30 s.');
    await cli.advance(29_999);
    expect(cli.server.of('refresh')).toHaveLength(1);
    await cli.advance(1);
    expect(refreshGaps(cli)).toEqual([0, 30_000]);
    expect(cli.server.of('refresh').map((e) => e.form.refresh_token)).toEqual([cli.server.refreshTokens[0], cli.server.refreshTokens[0]]);
    // The retried refresh went through and the queued command ran with the new token.
    expect(cli.state()).toBe('authenticated.ready');
    expect(cli.server.exchanges.slice(-2).map((e) => `${e.kind} ${e.status}`)).toEqual(['refresh 200', 'api 200']);
    expect(cli.server.of('api').map((e) => e.headers.authorization)).toEqual([`Bearer ${cli.server.accessTokens[1]}`]);
  });

  test('a refresh answered 503 with an HTTP-date Retry-After retries at that date on the world clock', async () => {
    const cli = await loggedIn();
    cli.server.on('refresh', (_ex, server) => ({ status: 503, headers: { 'Retry-After': new Date(server.clock.now() + 90_000).toUTCString() }, json: { error: 'temporarily_unavailable' } }));
    await cli.advance(900_000);
    await cli.send({ type: 'user.whoami' });
    expect(cli.output().at(-1)).toBe('The server is busy (HTTP 503); trying the refresh again in 90 s.');
    await cli.advance(HOUR);
    expect(refreshGaps(cli)).toEqual([0, 90_000]);
    expect(cli.server.exchanges.slice(-2).map((e) => `${e.kind} ${e.status}`)).toEqual(['refresh 200', 'api 200']);
  });

  test('without Retry-After a busy refresh backs off 5, 10, 20 s; after 3 retries it gives up, keeps the refresh token and the session', async () => {
    const cli = await loggedIn();
    const proxy: Reply = { status: 502, headers: { 'content-type': 'text/html' }, text: '<html><body>502 Bad Gateway</body></html>' };
    cli.server.on('refresh', tooMany(), { status: 503, text: '' }, proxy, tooMany());
    await cli.advance(900_000);
    await cli.send({ type: 'user.whoami' });
    await cli.advance(HOUR);
    expect(refreshGaps(cli)).toEqual([0, 5_000, 10_000, 20_000]);
    expect(cli.state()).toBe('authenticated.ready');
    expect(cli.server.of('api')).toHaveLength(0);
    expect(cli.output().slice(-4)).toEqual([
      'The server is busy (HTTP 429); trying the refresh again in 5 s.',
      'The server is busy (HTTP 503); trying the refresh again in 10 s.',
      'The server is busy (HTTP 502); trying the refresh again in 20 s.',
      '✗ Could not refresh the session: the server is still busy (HTTP 429) after 3 retries. The session is kept; try again later.',
    ]);
    expect(cli.storage.get(keychain)?.refreshToken).toBe(cli.server.refreshTokens[0]);
    expect(cli.events('cli.store').filter((e) => e.action === 'clear')).toEqual([]);
    // The next command refreshes again, with the same refresh token, and this time it works.
    await cli.send({ type: 'user.whoami' });
    expect(cli.server.of('refresh').at(-1)?.form.refresh_token).toBe(cli.server.refreshTokens[0]);
    expect(cli.server.exchanges.slice(-2).map((e) => `${e.kind} ${e.status}`)).toEqual(['refresh 200', 'api 200']);
  });

  test('a Retry-After past the CLI\'s bound (5 min) is not waited for: no retry, the session is kept, the person is told when to try again', async () => {
    const cli = await loggedIn();
    cli.server.on('refresh', tooMany('3600'));
    await cli.advance(900_000);
    await cli.send({ type: 'user.whoami' });
    expect(cli.state()).toBe('authenticated.ready');
    expect(cli.output().at(-1)).toBe('✗ Could not refresh the session: the server is busy (HTTP 429) and asked to wait 60 min, longer than this CLI waits (5 min). The session is kept; try again in 60 min.');
    await cli.advance(HOUR);
    expect(cli.server.of('refresh')).toHaveLength(1);
    expect(cli.storage.get(keychain)?.refreshToken).toBe(cli.server.refreshTokens[0]);
  });

  test('RFC6749-5.2-invalid_grant: a 429 is retried, but an invalid_grant on the retry still ends in reauthRequired', async () => {
    const cli = await loggedIn();
    cli.server.on('refresh', tooMany('1'), replies.error('invalid_grant', 400, 'refresh token revoked'));
    await cli.advance(900_000);
    await cli.send({ type: 'user.whoami' });
    await cli.advance(1_000);
    expect(cli.state()).toBe('reauthRequired');
    expect(cli.server.of('refresh').map((e) => e.status)).toEqual([429, 400]);
    expect(cli.storage.get(keychain)).toBeUndefined();
    expect(cli.output().at(-1)).toBe('✗ Your session has ended (invalid_grant: refresh token revoked). Run `acme login` to start again.');
  });

  test('Ctrl+C while waiting to retry a refresh drops the command and keeps the session; nothing more is sent', async () => {
    const cli = await loggedIn();
    cli.server.on('refresh', tooMany('30'));
    await cli.advance(900_000);
    await cli.send({ type: 'user.whoami' });
    await cli.send({ type: 'user.cancel' });
    expect(cli.state()).toBe('authenticated.ready');
    expect(cli.output().at(-1)).toBe('✗ Cancelled.');
    await cli.advance(HOUR);
    expect(cli.server.of('refresh')).toHaveLength(1);
    expect(cli.storage.get(keychain)?.refreshToken).toBe(cli.server.refreshTokens[0]);
  });

  test('a refresh that meets a 500 server_error keeps the session (the refresh token may still be good) and is not retried', async () => {
    const cli = await loggedIn();
    cli.server.on('refresh', replies.error('server_error', 500));
    await cli.advance(900_000);
    await cli.send({ type: 'user.whoami' });
    expect(cli.state()).toBe('authenticated.ready');
    expect(cli.server.of('refresh')).toHaveLength(1);
    expect(cli.storage.get(keychain)?.refreshToken).toBe(cli.server.refreshTokens[0]);
    await cli.send({ type: 'user.whoami' });
    expect(cli.server.exchanges.slice(-2).map((e) => `${e.kind} ${e.status}`)).toEqual(['refresh 200', 'api 200']);
  });
});

describe('logout', () => {
  test('RFC7009-2.1-request, RFC7009-2.1-hint: logout revokes the refresh token, then the access token, each with its hint', async () => {
    const cli = await loggedIn();
    await cli.send({ type: 'user.logout' });
    const revokes = cli.server.of('revoke');
    expect(revokes.map((e) => e.rawBody)).toEqual([
      `token=${cli.server.refreshTokens[0]}&token_type_hint=refresh_token&client_id=acme-cli`,
      `token=${cli.server.accessTokens[0]}&token_type_hint=access_token&client_id=acme-cli`,
    ].map((b) => new URLSearchParams(b).toString()));
    for (const e of revokes) {
      expect(e.method).toBe('POST');
      expect(e.headers['content-type']).toBe('application/x-www-form-urlencoded');
    }
  });

  test('RFC7009-2.1-immediate: the local store is wiped after the server said 200, and the session forgotten', async () => {
    const cli = await loggedIn();
    expect(cli.storage.get(keychain)).toBeDefined();
    await cli.send({ type: 'user.logout' });
    expect(cli.state()).toBe('loggedOut');
    expect(cli.storage.get(keychain)).toBeUndefined();
    expect(cli.events('cli.store').at(-1)).toEqual(expect.objectContaining({ action: 'clear', target: keychain }));
    const clearAt = cli.storage.log.findIndex((w) => w.action === 'clear');
    expect(clearAt).toBeGreaterThan(0);
    expect(cli.context.session).toBeUndefined();
    expect(cli.output().at(-1)).toBe('✓ Logged out.');
    await cli.send({ type: 'user.whoami' });
    expect(cli.server.of('api')).toHaveLength(0);
  });

  test('RFC7009-2.2-body-hint: the revocation response body is not parsed (garbage is fine)', async () => {
    const cli = await loggedIn();
    cli.server.on('revoke', { status: 200, text: '<<not json>>', headers: { 'content-type': 'application/json' } }, { status: 200, text: '{' });
    await cli.send({ type: 'user.logout' });
    expect(cli.state()).toBe('loggedOut');
    expect(cli.output().filter((l) => l.startsWith('✗') || l.startsWith('warning'))).toEqual([]);
  });

  test('RFC7009-2.2.1-503: on 503 the local token is kept and a retry is scheduled after Retry-After', async () => {
    const cli = await loggedIn();
    cli.server.on('revoke', { status: 503, headers: { 'Retry-After': '7' }, json: { error: 'temporarily_unavailable' } });
    await cli.send({ type: 'user.logout' });
    expect(cli.state()).toBe('loggingOut.waitingToRetry');
    expect(cli.storage.get(keychain)).toBeDefined();
    await cli.advance(6_999);
    expect(cli.server.of('revoke')).toHaveLength(1);
    await cli.advance(1);
    const revokes = cli.server.of('revoke');
    expect(revokes.map((e) => [e.at - revokes[0]!.at, e.form.token_type_hint, e.status])).toEqual([
      [0, 'refresh_token', 503],
      [7_000, 'refresh_token', 200],
      [7_000, 'access_token', 200],
    ]);
    expect(cli.state()).toBe('loggedOut');
  });

  test('RFC7009-2.2.1-503: when the access token\'s revocation keeps getting 503, logout still deletes the local credentials and says the token may still be valid', async () => {
    const cli = await loggedIn();
    const busy = { status: 503, json: { error: 'temporarily_unavailable' } };
    cli.server.on('revoke', { status: 200 }, busy, busy, busy, busy);
    await cli.send({ type: 'user.logout' });
    await cli.advance(HOUR);
    expect(cli.server.of('revoke').map((e) => [e.form.token_type_hint, e.status])).toEqual([
      ['refresh_token', 200], ['access_token', 503], ['access_token', 503], ['access_token', 503], ['access_token', 503],
    ]);
    // RFC 7009 §2.2: the client cannot know; deleting the local copy is what the person asked for.
    expect(cli.state()).toBe('loggedOut');
    expect(cli.storage.get(keychain)).toBeUndefined();
    expect(cli.events('cli.store').at(-1)).toEqual(expect.objectContaining({ action: 'clear', target: keychain }));
    expect(cli.context.session).toBeUndefined();
    const out = cli.output();
    expect(out).not.toContain('✓ Logged out.');
    expect(out.slice(-3)).toEqual([
      '✓ Logged out on this machine: the stored credentials are deleted.',
      '✗ Logout incomplete: the server did not confirm revoking the access token (HTTP 503), so it may still be valid at the server until it expires (in about 15 min).',
      'To revoke it now, sign out everywhere (or remove the access you gave acme) at your identity provider, https://auth.acme.test.',
    ]);
    for (const secret of cli.server.secrets) for (const text of out) expect(text).not.toContain(secret);
    // The next command does not use (or refresh with) anything: the person is simply logged out.
    await cli.send({ type: 'user.whoami' });
    expect(cli.output().at(-1)).toBe('Not logged in. Run `acme login` first.');
    expect(cli.server.exchanges.filter((e) => e.kind === 'api' || e.kind === 'refresh')).toEqual([]);
  });

  test('RFC7009-2.2.1-503: when the refresh token\'s revocation gives up, the rest is not tried, both are named and the local copy is deleted', async () => {
    const cli = await loggedIn();
    const busy = { status: 503, json: { error: 'temporarily_unavailable' } };
    cli.server.on('revoke', busy, busy, busy, busy);
    await cli.send({ type: 'user.logout' });
    await cli.advance(HOUR);
    expect(cli.server.of('revoke').map((e) => e.form.token_type_hint)).toEqual(['refresh_token', 'refresh_token', 'refresh_token', 'refresh_token']);
    expect(cli.state()).toBe('loggedOut');
    expect(cli.storage.get(keychain)).toBeUndefined();
    expect(cli.output().slice(-2)).toEqual([
      '✗ Logout incomplete: the server did not confirm revoking the refresh token and the access token (HTTP 503), so they may still be valid at the server: the refresh token until it expires or is revoked, the access token until it expires (in about 15 min).',
      'To revoke them now, sign out everywhere (or remove the access you gave acme) at your identity provider, https://auth.acme.test.',
    ]);
  });

  test('logout whose revocation meets only network errors deletes the local credentials and names both tokens', async () => {
    const cli = await loggedIn();
    cli.server.on('revoke', 'network-error', 'network-error', 'network-error', 'network-error');
    await cli.send({ type: 'user.logout' });
    await cli.advance(HOUR);
    expect(cli.state()).toBe('loggedOut');
    expect(cli.storage.get(keychain)).toBeUndefined();
    expect(cli.output().at(-2)).toMatch(/^✗ Logout incomplete: the server did not confirm revoking the refresh token and the access token \(/);
  });

  test('logout that cannot even discover the revocation endpoint deletes the local credentials and says so', async () => {
    const first = await loggedIn();
    const cli = await startCli({ storage: first.storage, clock: first.clock });
    expect(cli.state()).toBe('authenticated.ready');
    cli.server.on('metadata', 'network-error');
    await cli.send({ type: 'user.logout' });
    await cli.advance(HOUR);
    expect(cli.state()).toBe('loggedOut');
    expect(first.storage.get(keychain)).toBeUndefined();
    expect(cli.output().at(-2)).toMatch(/^✗ Logout incomplete: the server did not confirm revoking the refresh token and the access token \(could not read the server's metadata/);
  });

  test('a revocation refused with 400 unsupported_token_type is reported and logout continues', async () => {
    const cli = await loggedIn();
    cli.server.on('revoke', { status: 200 }, replies.error('unsupported_token_type'));
    await cli.send({ type: 'user.logout' });
    expect(cli.state()).toBe('loggedOut');
    expect(cli.output()).toContain('warning: the server refused to revoke the access token (HTTP 400, unsupported_token_type).');
  });

  test('RFC7009-2-https: an http revocation endpoint is refused (the CLI never sends a token to it)', async () => {
    const cli = await startCli({ server: { metadata: { revocation_endpoint: 'http://auth.acme.test/revoke' } } });
    await cli.send({ type: 'user.login' });
    expect(cli.state()).toBe('failed');
    expect(cli.output().at(-1)).toContain('revocation_endpoint must be an https URL');
    expect(cli.server.exchanges.map((e) => e.kind)).toEqual(['metadata']);
  });

  test('a server without a revocation endpoint: logout warns that the tokens stay valid, then clears the store', async () => {
    const cli = await loggedIn({ server: { metadata: { revocation_endpoint: undefined } } });
    await cli.send({ type: 'user.logout' });
    expect(cli.server.of('revoke')).toHaveLength(0);
    expect(cli.output()).toContain('warning: the server offers no revocation endpoint; the tokens stay valid until they expire.');
    expect(cli.state()).toBe('loggedOut');
  });
});

describe('booting with stored credentials', () => {
  test('a stored session is picked up at boot without any request, and used', async () => {
    const first = await loggedIn();
    const second = await startCli({ storage: first.storage, clock: first.clock });
    expect(second.state()).toBe('authenticated.ready');
    expect(second.server.exchanges).toHaveLength(0);
    second.server.liveAccess.set(first.server.accessTokens[0]!, 'profile projects:read');
    await second.send({ type: 'user.whoami' });
    expect(second.server.of('api')[0]?.headers.authorization).toBe(`Bearer ${first.server.accessTokens[0]}`);
  });
});

describe('where the token may go', () => {
  test('RFC6749-10.3-at-confidential: an API path pointing at another host is refused; the token is not sent', async () => {
    const cli = await loggedIn();
    await cli.send({ type: 'user.api', method: 'GET', path: 'https://evil.test/collect' });
    await cli.send({ type: 'user.api', method: 'GET', path: '//evil.test/collect' });
    expect(cli.server.exchanges.filter((e) => e.kind === 'api' || e.kind === 'other')).toEqual([]);
    expect(cli.output().at(-1)).toBe('✗ refusing to send the access token to https://evil.test: API paths must stay on https://api.acme.test');
    expect(cli.state()).toBe('authenticated.ready');
  });

  test('RFC6749-10.3-at-confidential: an http API base URL is refused (tokens only over TLS)', async () => {
    const cli = await loggedIn({ input: { apiBaseUrl: 'http://api.acme.test' } });
    await cli.send({ type: 'user.whoami' });
    expect(cli.server.exchanges.filter((e) => e.kind === 'api' || e.kind === 'other')).toEqual([]);
    expect(cli.output().at(-1)).toBe('✗ apiBaseUrl must be an https URL (RFC 8628 §3.1, RFC 7009 §2), got "http://api.acme.test"');
  });
});
