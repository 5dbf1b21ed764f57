/**
 * The CLI against the simulated identity provider's own rate limit (src/sim/authServer/rateLimit.ts): over the
 * limit, a refresh is answered HTTP 429 with Retry-After and no OAuth error code (RFC 6585 §4). The CLI keeps its
 * refresh token, waits the Retry-After on the world's clock and refreshes again; an invalid_grant still ends the
 * session.
 */
import { describe, expect, test, vi } from 'vitest';
import { REFRESH_TOKEN_GRANT_TYPE } from '../protocol/constants.ts';
import { ADDRESSES, createWorld, type World } from './index.ts';

vi.setConfig({ testTimeout: 60_000 });

async function loggedIn(): Promise<World> {
  const w = await createWorld({ userBehaviour: { kind: 'approve', afterS: 6 } });
  await w.send({ type: 'user.login' });
  await w.runUntil(() => w.state() === 'authenticated.ready');
  expect(w.state()).toBe('authenticated.ready');
  return w;
}

/** The CLI's refresh requests on the wire: when, with which refresh token, and the status the server gave. */
const refreshes = (w: World) =>
  w.wire.log
    .filter((e) => e.actor === 'cli' && e.request.url.endsWith('/token') && e.request.body.includes(`grant_type=${REFRESH_TOKEN_GRANT_TYPE}`))
    .map((e) => ({ at: e.startedAt, token: new URLSearchParams(e.request.body).get('refresh_token'), status: e.response?.status }));

/** Use up the CLI's allowance at the server's limiter now, as a burst of its own requests would. */
function exhaustCliAllowance(w: World): void {
  const key = `acme-cli@${ADDRESSES.cli}`;
  while (w.idp.as.limiter.take(key, w.clock.now()));
}

const storedRefreshToken = (w: World) =>
  (JSON.parse([...w.host.keychain.values()][0]?.content ?? '{}') as { refreshToken?: string }).refreshToken;

describe('the simulated server\'s rate limit meets a refresh', () => {
  test('429 with Retry-After (no OAuth error): the refresh token survives and the refresh is retried at the Retry-After time', async () => {
    const w = await loggedIn();
    const rt = storedRefreshToken(w);
    expect(rt).toBeDefined();
    await w.advance(15 * 60_000);
    exhaustCliAllowance(w);
    const limitedAt = w.clock.now();
    await w.send({ type: 'user.whoami' });

    const [first] = refreshes(w);
    expect(first).toEqual({ at: limitedAt, token: rt, status: 429 });
    const retryAfterS = Number(w.wire.log.find((e) => e.startedAt === limitedAt && e.response?.status === 429)!.response!.headers
      .find(([k]) => k.toLowerCase() === 'retry-after')![1]);
    expect(retryAfterS).toBe(60);
    expect(w.state()).toBe('authenticated.waitingToRetryRefresh');
    expect(storedRefreshToken(w)).toBe(rt);
    expect(w.terminal()).toContain(`The server is busy (HTTP 429); trying the refresh again in ${retryAfterS} s.`);

    await w.runUntil(() => w.state() === 'authenticated.ready');
    expect(refreshes(w)).toEqual([
      { at: limitedAt, token: rt, status: 429 },
      { at: limitedAt + retryAfterS * 1000, token: rt, status: 200 },
    ]);
    // Rotated (RFC 6749 §6): the new refresh token is stored, the API call ran.
    expect(storedRefreshToken(w)).not.toBe(rt);
    expect(storedRefreshToken(w)).toBeDefined();
    const api = w.wire.log.filter((e) => e.actor === 'cli' && e.request.url.endsWith('/api/me'));
    expect(api.map((e) => [e.startedAt, e.response?.status])).toEqual([[limitedAt + retryAfterS * 1000, 200]]);
  });

  test('the other side: a refresh token revoked at the server (400 invalid_grant) ends the session, even after a 429', async () => {
    const w = await loggedIn();
    const rt = storedRefreshToken(w)!;
    await w.advance(15 * 60_000);
    exhaustCliAllowance(w);
    await w.send({ type: 'user.whoami' });
    expect(w.state()).toBe('authenticated.waitingToRetryRefresh');
    w.idp.as.state.refreshTokens.get(rt)!.status = 'revoked';
    await w.runUntil(() => w.state() === 'reauthRequired');
    expect(refreshes(w).map((r) => r.status)).toEqual([429, 400]);
    expect(w.state()).toBe('reauthRequired');
    expect([...w.host.keychain.values()]).toEqual([]);
  });
});
