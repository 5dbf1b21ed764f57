/**
 * Interop in the other direction from src/server/interop.openid-client.test.ts: the lab's CLI machine, with the
 * real fetch and the real clock, against oidc-provider v9 (unchanged from npm) on loopback. It logs in with
 * the Device Authorization Grant, calls a protected API, refreshes when the access token has expired, and
 * logs out by revocation.
 *
 * What runs here, all on 127.0.0.1:
 * - oidc-provider with `deviceFlow`, `revocation` and `introspection` enabled. It serves RFC 8414 metadata at
 *   `/.well-known/oauth-authorization-server` itself, so the CLI discovers it with no proxy or rewrite.
 * - A small protected API (oidc-provider is not a resource server) that checks each bearer token with
 *   oidc-provider's introspection endpoint (RFC 7662), as a confidential client. So "the API accepts the
 *   token" and "the API refuses a revoked token" are oidc-provider's answers, not the test's.
 * - The user's side of the login goes through oidc-provider's own pages: the verification URI the CLI printed,
 *   the user code typed in, the confirmation form, and the development login and consent pages
 *   (`devInteractions`), driven with fetch and a small cookie jar, as a browser would.
 *
 * Server configuration choices, each against oidc-provider's own option names (lib/helpers/defaults.js):
 * - The API is an RFC 8707 resource server (`features.resourceIndicators`): `defaultResource` names it, since
 *   the CLI sends no `resource` parameter, and `getResourceServerInfo` gives its scopes (the CLI's minimal set,
 *   'profile projects:read'), opaque access tokens (introspectable) and a 3 s access token lifetime.
 * - Refresh tokens: oidc-provider by default issues one only when `offline_access` was granted. The CLI (like
 *   the lab's own server) asks only for the API's scopes and uses a refresh token if the server sends one, so
 *   `issueRefreshToken` issues one to every client registered for the refresh_token grant. That is the
 *   server's policy, set in configuration; the CLI's requests are unchanged.
 * - `rotateRefreshToken` is left at its default, which rotates on every use for a public client whose refresh
 *   token is not sender-constrained, as here.
 * - oidc-provider sends no `interval` in the device authorization response, so the CLI waits the RFC 8628 §3.2
 *   default of 5 s between polls; the login therefore takes about 10 s (one authorization_pending, then tokens).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import Provider, { errors as oidcErrors } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { realClock } from '../sim/clock.ts';
import type { FetchFn } from './http.ts';
import { runCli } from './run.ts';
import { approveInBrowser, close, listenOnLoopback, type Loopback } from './testing/loopback.ts';
import { MemoryStorageHost } from './testing/memory-storage.ts';
import { EARLY_REFRESH_MAX_FRACTION, refreshDueAt, type CliEmitted, type CliInput } from './types.ts';

const CLI_CLIENT_ID = 'acme-cli';
const API_CLIENT_ID = 'acme-api';
const API_CLIENT_SECRET = 'acme-api-introspection-secret-0123456789abcdef';
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const API_SCOPES = 'profile projects:read';
const ACCESS_TOKEN_TTL_S = 3;
const USER = 'alice';


/** The protected API's own log: what it was shown and what it answered. */
interface ApiHit {
  at: number;
  path: string;
  status: number;
  token?: string;
}

/**
 * GET /api/me, guarded by RFC 7662 introspection at oidc-provider: the token must be active, meant for this
 * API (`aud`), a Bearer token, and carry 'profile'. Failures are RFC 6750 §3 challenges.
 */
function apiHandler(introspectionEndpoint: string, resource: string, log: ApiHit[]) {
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(API_CLIENT_ID)}:${encodeURIComponent(API_CLIENT_SECRET)}`).toString('base64')}`;
  return (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://api.invalid').pathname;
      const answer = (status: number, body: unknown, headers: Record<string, string> = {}, token?: string) => {
        log.push({ at: Date.now(), path, status, ...(token === undefined ? {} : { token }) });
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));
      };
      if (req.method !== 'GET' || path !== '/api/me') return answer(404, { error: 'not_found' });
      const match = /^Bearer ([^\s]+)$/i.exec(req.headers.authorization ?? '');
      if (!match) return answer(401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer realm="acme-api"' });
      const token = match[1]!;
      const introspection = await fetch(introspectionEndpoint, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
      });
      const info = (await introspection.json()) as { active?: boolean; aud?: string | string[]; token_type?: string; scope?: string; sub?: string };
      const audiences = Array.isArray(info.aud) ? info.aud : info.aud === undefined ? [] : [info.aud];
      if (introspection.status !== 200 || info.active !== true || !audiences.includes(resource) || info.token_type !== 'Bearer') {
        return answer(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer realm="acme-api", error="invalid_token"' }, token);
      }
      if (!(info.scope ?? '').split(' ').includes('profile')) {
        return answer(403, { error: 'insufficient_scope' }, { 'www-authenticate': 'Bearer realm="acme-api", error="insufficient_scope", scope="profile"' }, token);
      }
      return answer(200, { sub: info.sub, scope: info.scope }, {}, token);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    });
  };
}

// ---------------------------------------------------------------------------------------------------------
// The CLI's HTTP, recorded (the real fetch underneath)

interface Exchange {
  at: number;
  method: string;
  url: string;
  /** The form the CLI sent (empty for GET). */
  form: URLSearchParams;
  status: number;
  /** The JSON body of the answer, when it had one. */
  body?: Record<string, unknown>;
}

function recordingFetch(log: Exchange[]): FetchFn {
  return async (request) => {
    const at = Date.now();
    const form = new URLSearchParams(request.method === 'POST' ? await request.clone().text() : '');
    const response = await globalThis.fetch(request);
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(await response.clone().text()) as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    log.push({ at, method: request.method, url: request.url, form, status: response.status, ...(body ? { body } : {}) });
    return response;
  };
}


// ---------------------------------------------------------------------------------------------------------
// Waiting on real time

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs: number, describeState: () => string): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${describeState()})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// ---------------------------------------------------------------------------------------------------------

describe('the CLI machine against oidc-provider v9', () => {
  let op: Loopback | undefined;
  let api: Loopback | undefined;
  let issuer: string;
  let apiBaseUrl: string;
  let resource: string;
  let metadata: { device_authorization_endpoint: string; token_endpoint: string; introspection_endpoint: string; revocation_endpoint: string };
  const apiLog: ApiHit[] = [];
  const serverErrors: unknown[] = [];

  beforeAll(async () => {
    [op, api] = await Promise.all([listenOnLoopback(), listenOnLoopback()]);
    issuer = op.origin;
    apiBaseUrl = api.origin;
    // RFC 8707 resource indicator for the API: its base URL (URL.href form, as oidc-provider normalises it).
    resource = new URL(apiBaseUrl).href;

    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: CLI_CLIENT_ID,
          token_endpoint_auth_method: 'none',
          grant_types: [DEVICE_CODE_GRANT, 'refresh_token'],
          response_types: [],
          redirect_uris: [],
        },
        {
          // The API, as a confidential client that may only introspect.
          client_id: API_CLIENT_ID,
          client_secret: API_CLIENT_SECRET,
          token_endpoint_auth_method: 'client_secret_basic',
          grant_types: [],
          response_types: [],
          redirect_uris: [],
        },
      ],
      features: {
        deviceFlow: { enabled: true },
        revocation: { enabled: true },
        introspection: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: (_ctx: unknown, _client: unknown, oneOf?: string | string[]) => oneOf ?? resource,
          getResourceServerInfo: (_ctx: unknown, indicator: string) => {
            if (indicator !== resource) throw new oidcErrors.InvalidTarget();
            return { scope: API_SCOPES, accessTokenFormat: 'opaque', accessTokenTTL: ACCESS_TOKEN_TTL_S };
          },
        },
      },
      issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) => client.grantTypeAllowed('refresh_token'),
      findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
      cookies: { keys: ['device-flow-lab-interop-cookie-key'] },
      ttl: {
        AccessToken: (_ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number } }) => token.resourceServer?.accessTokenTTL ?? ACCESS_TOKEN_TTL_S,
        DeviceCode: 600,
        RefreshToken: 3600,
        Grant: 3600,
        Interaction: 600,
        Session: 3600,
      },
    });
    provider.on('server_error', (_ctx: unknown, err: unknown) => serverErrors.push(err));
    op.handler = provider.callback();

    const discovered = await fetch(`${issuer}/.well-known/oauth-authorization-server`);
    expect(discovered.status).toBe(200);
    metadata = (await discovered.json()) as typeof metadata;
    api.handler = apiHandler(metadata.introspection_endpoint, resource, apiLog);
  }, 20_000);

  afterAll(async () => {
    await Promise.all([close(op), close(api)]);
  });

  test('the CLI machine logs in, refreshes and logs out against oidc-provider v9 on loopback', async () => {
    const exchanges: Exchange[] = [];
    const storage = new MemoryStorageHost();
    const input: CliInput = {
      fetch: recordingFetch(exchanges),
      clock: realClock,
      issuer,
      apiBaseUrl,
      storage,
      knobs: { allowInsecureLoopback: true },
    };
    // Driven as any outside host drives it: through the runner (run.ts), with the real clock and the real fetch.
    const emitted: Array<CliEmitted & { at: number }> = [];
    const cli = runCli({ input, onEmit: (event) => emitted.push({ ...event, at: Date.now() }) });

    const state = () => cli.state();
    const context = () => cli.actor.getSnapshot().context;
    const output = () => emitted.flatMap((e) => (e.type === 'cli.output' ? [e.text] : []));
    const describeState = () => `state ${state()}; output: ${JSON.stringify(output())}; requests: ${exchanges.map((x) => `${x.method} ${new URL(x.url).pathname} ${x.status}`).join(', ')}`;
    const until = <T>(what: string, probe: () => T | undefined | false, timeoutMs = 5_000) => waitFor(what, probe, timeoutMs, describeState);
    const tokenRequests = (grantType: string) => exchanges.filter((x) => x.url === metadata.token_endpoint && x.form.get('grant_type') === grantType);
    const stored = () => [...storage.slots.values()].map((s) => s.record);

    try {
      expect(await cli.whenAtRest()).toBe('idle');

      // --- Login: the CLI shows the code; the first poll (after the 5 s default interval) is pending.
      const t0 = Date.now();
      cli.send({ type: 'user.login' });
      const userCode = await until('the user code on the terminal', () => output().map((l) => /one-time code: (\S+)/.exec(l)?.[1]).find(Boolean));
      const verificationUri = await until('the verification URI', () => output().map((l) => /^Then open (\S+) in a browser/.exec(l)?.[1]).find(Boolean));
      expect(verificationUri).toBe(`${issuer}/device`);
      const deviceAuthorization = exchanges.find((x) => x.url === metadata.device_authorization_endpoint);
      expect(deviceAuthorization?.form.get('scope')).toBe(API_SCOPES);
      expect(deviceAuthorization?.form.get('client_id')).toBe(CLI_CLIENT_ID);
      expect(deviceAuthorization?.body).not.toHaveProperty('interval');
      // No `interval` from oidc-provider: the RFC 8628 §3.2 default of 5 s. It also sends verification_uri_complete.
      expect(context().intervalS).toBe(5);
      expect(emitted.filter((e) => e.type === 'cli.qr')).toMatchObject([{ uri: `${issuer}/device?user_code=${userCode}` }]);

      await until('an authorization_pending poll', () => tokenRequests(DEVICE_CODE_GRANT).some((x) => x.body?.error === 'authorization_pending'), 8_000);
      expect(state()).toBe('signingIn.awaitingApproval.waitingInterval');

      // --- The user approves in a browser: oidc-provider's own verification, login and consent pages.
      const { page, trail } = await approveInBrowser(verificationUri, userCode, USER);
      expect(page.html, trail.join(', ')).toContain('Sign-in Success');

      // --- The next poll gets the tokens; the session is saved.
      await until('authenticated.ready', () => state() === 'authenticated.ready', 12_000);
      const loginMs = Date.now() - t0;
      // Normally exactly [pending, tokens]; a very slow approval would add pending polls, never anything else.
      const polls = tokenRequests(DEVICE_CODE_GRANT);
      expect(polls.length).toBeGreaterThanOrEqual(2);
      const granted = polls.at(-1)!;
      expect(polls.slice(0, -1).map((p) => [p.status, p.body?.error])).toEqual(polls.slice(0, -1).map(() => [400, 'authorization_pending']));
      expect(granted.status).toBe(200);
      expect(granted.body).toMatchObject({ token_type: 'Bearer', expires_in: ACCESS_TOKEN_TTL_S, scope: API_SCOPES });
      // RFC 8628 §3.5: at least the interval before every poll, the first one included.
      const gaps = polls.map((p, i) => p.at - (i === 0 ? deviceAuthorization!.at : polls[i - 1]!.at));
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(4_900);
      const first = context().session!;
      expect(first).toMatchObject({ issuer, clientId: CLI_CLIENT_ID, tokenType: 'Bearer', scope: API_SCOPES });
      expect(first.refreshToken).toEqual(expect.any(String));
      expect(stored()).toEqual([first]);
      expect(output()).toContain(`✓ Logged in to ${issuer} (scope: ${API_SCOPES}).`);

      // --- whoami: the API accepts the access token (oidc-provider says it is active, for this API).
      expect(Date.now()).toBeLessThan(first.expiresAt!);
      cli.send({ type: 'user.whoami' });
      await until('the first API call', () => apiLog.length === 1 && state() === 'authenticated.ready');
      expect(apiLog[0]).toMatchObject({ path: '/api/me', status: 200, token: first.accessToken });
      expect(output()).toContain(JSON.stringify({ sub: USER, scope: API_SCOPES }));
      expect(tokenRequests('refresh_token')).toHaveLength(0);

      // --- Early refresh: once the access token expires within the margin, whoami refreshes first; rotation gives
      // a new refresh token. The CLI's expiresAt (receipt + expires_in) is never earlier than oidc-provider's own
      // expiry (issue time in whole seconds + TTL), and can be later: the last moments are not safe to spend.
      // The margin is EARLY_REFRESH_MARGIN_S (30 s) but at most a tenth of the lifetime: 300 ms for this 3 s token.
      const due = refreshDueAt(first)!;
      expect(due).toBe(first.expiresAt! - ACCESS_TOKEN_TTL_S * 1000 * EARLY_REFRESH_MAX_FRACTION);
      await until('the early-refresh margin', () => Date.now() >= due + 20, (ACCESS_TOKEN_TTL_S + 1) * 1000);
      const tRefresh = Date.now();
      // Still before the CLI's own expiry: without the margin it would have sent the old token.
      expect(tRefresh).toBeLessThan(first.expiresAt!);
      cli.send({ type: 'user.whoami' });
      await until('the second API call', () => apiLog.length === 2 && state() === 'authenticated.ready');
      const refreshMs = Date.now() - tRefresh;
      const refreshes = tokenRequests('refresh_token');
      expect(refreshes).toHaveLength(1);
      expect(refreshes[0]).toMatchObject({ status: 200 });
      expect(refreshes[0]!.form.get('refresh_token')).toBe(first.refreshToken);
      expect(refreshes[0]!.form.get('client_id')).toBe(CLI_CLIENT_ID);
      expect(refreshes[0]!.form.has('scope')).toBe(false);
      const second = context().session!;
      expect(second.refreshToken).toEqual(expect.any(String));
      expect(second.refreshToken).not.toBe(first.refreshToken);
      expect(second.accessToken).not.toBe(first.accessToken);
      expect(second.scope).toBe(API_SCOPES);
      expect(stored()).toEqual([second]);
      // The refresh came before the call, which went out once, with the new token: no 401 round trip.
      expect(refreshes[0]!.at).toBeLessThan(apiLog[1]!.at);
      expect(apiLog.map((a) => a.status)).toEqual([200, 200]);
      expect(apiLog[1]).toMatchObject({ status: 200, token: second.accessToken });

      // --- Logout: revoke the refresh token, then the access token (RFC 7009), then clear the store.
      const tLogout = Date.now();
      cli.send({ type: 'user.logout' });
      await until('loggedOut', () => state() === 'loggedOut');
      const logoutMs = Date.now() - tLogout;
      const revocations = exchanges.filter((x) => x.url === metadata.revocation_endpoint);
      expect(revocations.map((r) => [r.status, r.form.get('token_type_hint'), r.form.get('token'), r.form.get('client_id')])).toEqual([
        [200, 'refresh_token', second.refreshToken, CLI_CLIENT_ID],
        [200, 'access_token', second.accessToken, CLI_CLIENT_ID],
      ]);
      expect(storage.slots.size).toBe(0);
      expect(context().session).toBeUndefined();
      expect(emitted.filter((e) => e.type === 'cli.store').map((e) => (e.type === 'cli.store' ? e.action : ''))).toEqual(['save', 'save', 'clear']);
      expect(output().at(-1)).toBe('✓ Logged out.');

      // The revoked refresh token is dead at oidc-provider ...
      const replay = await fetch(metadata.token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: second.refreshToken!, client_id: CLI_CLIENT_ID }),
      });
      expect(replay.status).toBe(400);
      expect(((await replay.json()) as { error?: string }).error).toBe('invalid_grant');
      // ... and the API refuses the last access token.
      const after = await fetch(`${apiBaseUrl}/api/me`, { headers: { authorization: `Bearer ${second.accessToken}` } });
      expect(after.status).toBe(401);
      expect(after.headers.get('www-authenticate')).toContain('error="invalid_token"');

      expect(output().filter((l) => l.startsWith('✗'))).toEqual([]);
      expect(serverErrors).toEqual([]);
      // Timings (real time), for the record when the test is run with --reporter=verbose.
      console.info(`oidc-provider interop: login ${loginMs} ms, refresh + call ${refreshMs} ms, logout ${logoutMs} ms, total ${Date.now() - t0} ms`);
    } finally {
      cli.stop();
    }
  }, 25_000);
});
