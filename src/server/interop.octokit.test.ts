/**
 * Interop: GitHub's official device-flow client, @octokit/auth-oauth-device, unchanged from npm, against the
 * local identity provider in its GitHub-like profile on loopback, with real fetch and real time (shortened by
 * knobs). Octokit is pointed at the server the way any GitHub Enterprise user points it: `request.defaults({
 * baseUrl })`, after which it posts JSON to `<baseUrl>/login/device/code` and `<baseUrl>/login/oauth/access_token`.
 * Both client types: `oauth-app` (scopes) and `github-app` (expiring tokens: it reads `refresh_token_expires_in`).
 * Outcomes: approve, slow_down, deny, expiry. The person is played by the rehearsal control (/control/*).
 */
import { createOAuthDeviceAuth } from '@octokit/auth-oauth-device';
import { request } from '@octokit/request';
import { afterAll, describe, expect, test } from 'vitest';
import type { ServerKnobs } from '../sim/knobs.ts';
import { startIdpServer, type ExchangeLine, type RunningIdp } from './server.ts';

const CLIENT_ID = 'acme-cli';
const TOKEN_PATH = '/login/oauth/access_token';

interface Rehearsal {
  idp: RunningIdp;
  lines: ExchangeLine[];
  /** The token endpoint's answers, in order: the OAuth error code, or `tokens`. */
  polls(): string[];
  control(action: 'approve' | 'deny' | 'slow-down', userCode: string): Promise<void>;
  /** Resolve once the token endpoint has answered `error` (checked on every exchange, no sleeping). */
  answered(error: string): Promise<void>;
}

// Tests run concurrently (the slow_down case waits octokit's 8 s), so servers close after all of them.
const running: RunningIdp[] = [];
afterAll(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

async function rehearsal(knobs: Partial<ServerKnobs>): Promise<Rehearsal> {
  const lines: ExchangeLine[] = [];
  const waiters: Array<{ error: string; resolve: () => void }> = [];
  const idp = await startIdpServer({
    port: 0,
    knobs: { profile: 'github', ...knobs },
    onExchange: (line) => {
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (line.path === TOKEN_PATH && line.error === w.error) w.resolve();
        else waiters.push(w);
      }
    },
  });
  running.push(idp);
  return {
    idp,
    lines,
    polls: () => lines.filter((l) => l.path === TOKEN_PATH).map((l) => l.error ?? (l.status === 200 ? 'tokens' : `HTTP ${l.status}`)),
    async control(action, userCode) {
      const res = await fetch(`${idp.issuer}/control/${action}`, { method: 'POST', body: new URLSearchParams({ user_code: userCode, user: 'bob' }) });
      expect(res.status, `control/${action}`).toBe(200);
    },
    answered: (error) => new Promise((resolve) => {
      if (lines.some((l) => l.path === TOKEN_PATH && l.error === error)) resolve();
      else waiters.push({ error, resolve });
    }),
  };
}

/** Octokit's device auth for one client type, pointed at the rehearsal server; `onCode` plays the person. */
function octokit(r: Rehearsal, clientType: 'oauth-app' | 'github-app', onCode: (userCode: string) => Promise<void> | void) {
  const onVerification = (v: { user_code: string }) => onCode(v.user_code);
  const req = request.defaults({ baseUrl: r.idp.issuer });
  return clientType === 'oauth-app'
    ? createOAuthDeviceAuth({ clientType, clientId: CLIENT_ID, scopes: ['profile', 'projects:read'], onVerification, request: req })
    : createOAuthDeviceAuth({ clientType, clientId: CLIENT_ID, onVerification, request: req });
}

/** What octokit throws for an OAuth error: a RequestError whose response body has the code. */
async function octokitError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    const data = (e as { response?: { data?: { error?: unknown } } }).response?.data;
    if (typeof data?.error === 'string') return data.error;
    throw e;
  }
  throw new Error('expected octokit to reject, it resolved');
}

describe.concurrent.each(['oauth-app', 'github-app'] as const)('@octokit/auth-oauth-device (%s) against npm run idp --profile github', (clientType) => {
  test('approve: JSON requests to GitHub\'s paths, pending polls answered 200 with an error, then tokens that work at the API', async () => {
    const r = await rehearsal({ intervalS: 1, codeLifetimeS: 60 });
    let userCode = '';
    const auth = octokit(r, clientType, (code) => {
      userCode = code;
      // The person approves once the CLI has been told "pending" (after its first poll, within its 1 s wait).
      void r.answered('authorization_pending').then(() => r.control('approve', code));
    });
    const authentication = await auth({ type: 'oauth' });
    expect(userCode).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    // Normally exactly [pending, tokens]; a slow approval would add pending polls, never anything else.
    expect(r.polls().join(' ')).toMatch(/^(authorization_pending )+tokens$/);
    expect(r.lines.filter((l) => l.path === TOKEN_PATH).every((l) => l.status === 200)).toBe(true);
    expect(r.lines.map((l) => `${l.method} ${l.path}`)).toContain('POST /login/device/code');

    const me = await fetch(`${r.idp.issuer}/api/me`, { headers: { authorization: `Bearer ${authentication.token}` } });
    expect(await me.json()).toEqual({ sub: 'bob' });
    if (clientType === 'oauth-app') {
      // GitHub sends scope comma-separated ("repo,gist") and octokit splits on spaces: it reports one scope string.
      expect(authentication).toMatchObject({ clientType, clientId: CLIENT_ID, scopes: ['profile,projects:read'] });
    } else {
      // github-app mode turns expires_in and refresh_token_expires_in into timestamps (it throws without the latter).
      const a = authentication as { refreshToken?: string; expiresAt?: string; refreshTokenExpiresAt?: string };
      expect(a.refreshToken).toEqual(expect.any(String));
      const now = Date.now();
      expect(Date.parse(a.expiresAt!) - now).toBeGreaterThan(800_000);
      expect(Date.parse(a.expiresAt!) - now).toBeLessThanOrEqual(900_000 + 2000);
      expect(Date.parse(a.refreshTokenExpiresAt!) - now).toBeGreaterThan(14 * 24 * 3600_000 - 120_000);
      expect(authentication).not.toHaveProperty('scopes');
    }
  });

  test('slow_down: answered 200 with the error, as GitHub does; octokit waits interval + 7 s and then gets its tokens', async () => {
    const r = await rehearsal({ intervalS: 1, codeLifetimeS: 60 });
    const auth = octokit(r, clientType, async (code) => {
      // Before octokit's first poll: a busy server answers it slow_down; the person has already approved.
      await r.control('slow-down', code);
      await r.control('approve', code);
    });
    const started = Date.now();
    const authentication = await auth({ type: 'oauth' });
    expect(r.polls()).toEqual(['slow_down', 'tokens']);
    expect(r.lines.filter((l) => l.path === TOKEN_PATH).map((l) => l.status)).toEqual([200, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(8000 - 250); // octokit's interval + 7
    expect(authentication.token).toEqual(expect.any(String));
  });

  test('deny: the next poll answers access_denied and octokit rejects with it', async () => {
    const r = await rehearsal({ intervalS: 1, codeLifetimeS: 60 });
    const auth = octokit(r, clientType, (code) => {
      void r.answered('authorization_pending').then(() => r.control('deny', code));
    });
    expect(await octokitError(auth({ type: 'oauth' }))).toBe('access_denied');
    expect(r.polls().join(' ')).toMatch(/^(authorization_pending )+access_denied$/);
  });

  test('expiry: after expires_in the poll answers expired_token and octokit rejects with it', async () => {
    const r = await rehearsal({ intervalS: 1, codeLifetimeS: 2 });
    const auth = octokit(r, clientType, () => undefined);
    expect(await octokitError(auth({ type: 'oauth' }))).toBe('expired_token');
    expect(r.polls().join(' ')).toMatch(/^(authorization_pending )+expired_token$/);
  });
});

describe('without the GitHub-like profile', () => {
  test('GitHub\'s paths are not served (octokit gets 404) and a JSON body is 400 invalid_request', async () => {
    const r = await rehearsal({ profile: 'rfc' });
    expect(await octokitError(octokit(r, 'oauth-app', () => undefined)({ type: 'oauth' }))).toBe('not_found');
    const res = await fetch(`${r.idp.issuer}/device_authorization`, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ client_id: CLIENT_ID }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
  });
});
