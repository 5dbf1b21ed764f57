import { describe, expect, test } from 'vitest';
import { createWorld } from './index.ts';

describe('world.reconfigure', () => {
  test('new client knobs restart the CLI on the same host; new server knobs apply to the next requests', async () => {
    const w = await createWorld({ userBehaviour: { kind: 'approve', afterS: 1 }, clientKnobs: { storage: 'file-0600' } });
    await w.send({ type: 'user.login' });
    await w.runUntil(() => w.state() === 'authenticated.ready', 60_000);
    const before = w.cli;
    expect(w.host.files.get('~/.config/acme/credentials.json')?.mode).toBe(0o600);

    await w.reconfigure({ clientKnobs: { storage: 'file-0600', debug: 'requests' }, serverKnobs: { accessTokenLifetimeS: 120 } });
    expect(w.cli).not.toBe(before);
    expect(w.clientKnobs).toEqual({ storage: 'file-0600', debug: 'requests' });
    // The new process finds the stored session, as a reinstalled CLI would.
    expect(w.state()).toBe('authenticated.ready');
    await w.send({ type: 'user.logout' });
    expect(w.state()).toBe('loggedOut');
    expect(w.emitted.some((e) => e.type === 'cli.debug')).toBe(true);

    await w.send({ type: 'user.login' });
    await w.runUntil(() => w.state() === 'authenticated.ready', 60_000);
    const tokenResponse = w.wire.log.filter((e) => e.response?.body.includes('access_token')).at(-1);
    expect(JSON.parse(tokenResponse!.response!.body).expires_in).toBe(120);
  });
});

describe('a later CLI process with a stored session (the usual case: login and logout are separate runs)', () => {
  async function restarted() {
    const w = await createWorld({ userBehaviour: { kind: 'approve', afterS: 1 } });
    await w.send({ type: 'user.login' });
    await w.runUntil(() => w.state() === 'authenticated.ready', 60_000);
    await w.reconfigure({ clientKnobs: {} });
    expect(w.state()).toBe('authenticated.ready');
    return { w, mark: w.wire.log.length };
  }
  const calls = (w: Awaited<ReturnType<typeof createWorld>>, from: number) =>
    w.wire.log.slice(from).map((e) => `${e.request.method} ${new URL(e.request.url).pathname} ${new URLSearchParams(e.request.body).get('grant_type') ?? new URLSearchParams(e.request.body).get('token_type_hint') ?? ''} ${e.response?.status}`.replace('  ', ' '));

  test('logout discovers the revocation endpoint, then revokes the refresh token and the access token', async () => {
    const { w, mark } = await restarted();
    await w.send({ type: 'user.logout' });
    expect(calls(w, mark)).toEqual([
      'GET /.well-known/oauth-authorization-server 200',
      'POST /revoke refresh_token 200',
      'POST /revoke access_token 200',
    ]);
    expect(w.state()).toBe('loggedOut');
    expect(w.terminal().some((l) => l.includes('no revocation endpoint'))).toBe(false);
    expect(w.ledger().filter((e) => (e.kind === 'access_token' || e.kind === 'refresh_token') && e.usable)).toEqual([]);
  });

  test('an expired access token is refreshed after discovering the token endpoint', async () => {
    const { w, mark } = await restarted();
    await w.advance(w.idp.as.knobs.accessTokenLifetimeS * 1000 + 1000);
    await w.send({ type: 'user.whoami' });
    expect(calls(w, mark)).toEqual([
      'GET /.well-known/oauth-authorization-server 200',
      'POST /token refresh_token 200',
      'GET /api/me 200',
    ]);
    expect(w.state()).toBe('authenticated.ready');
  });
});
