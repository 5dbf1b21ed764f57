/**
 * Every attacker move, once where it works and once where it is stopped, with the outcome's `detail` saying
 * why. The attacker talks to the real servers over the wire from its own address (203.0.113.66).
 */
import { decodeJwt } from 'jose';
import { describe, expect, test, vi } from 'vitest';
import { ADDRESSES, createWorld, type World, type WorldConfig } from './index.ts';

// Worlds sign real ES256 tokens on the platform's crypto thread pool: give slow machines room (the projects in
// vitest.config.ts do not inherit the root testTimeout).
vi.setConfig({ testTimeout: 60_000 });

const DONE = ['authenticated.ready', 'denied', 'expired', 'failed', 'cancelled', 'reauthRequired', 'loggedOut'];

async function loginWorld(config: WorldConfig): Promise<World> {
  const w = await createWorld({ userBehaviour: { kind: 'approve', afterS: 6 }, ...config });
  await w.send({ type: 'user.login' });
  await w.runUntil(() => DONE.includes(w.state()));
  return w;
}
const issued = (w: World, kind: 'access_token' | 'refresh_token' | 'device_code') =>
  w.idp.as.issuedSecrets().filter((s) => s.kind === kind).map((s) => s.value);
const attackerRequests = (w: World) => w.wire.log.filter((e) => e.actor === 'attacker').map((e) => `${e.request.method} ${new URL(e.request.url).pathname}`);

describe('attacker.readPlaces', () => {
  test('succeeds where its position can read a secret, naming what and where, and keeps it as loot', async () => {
    const w = await loginWorld({ clientKnobs: { storage: 'file-0644' } });
    const out = w.attacker.readPlaces('other local users');
    const [at] = issued(w, 'access_token');
    const [rt] = issued(w, 'refresh_token');
    expect(out.move).toBe('read-places');
    expect(out.succeeded).toBe(true);
    expect(out.detail).toMatch(/^as other local users: found .*access token #[0-9a-f]{8} in ~\/\.config\/acme\/credentials\.json \(-rw-r--r--\); refresh token #[0-9a-f]{8} in ~\/\.config\/acme\/credentials\.json \(-rw-r--r--\)$/);
    expect(w.attacker.loot.access_token).toEqual([at]);
    expect(w.attacker.loot.refresh_token).toEqual([rt]);
    // Reading is local: nothing went over the wire.
    expect(attackerRequests(w)).toEqual([]);
    // Reading again adds nothing new to the loot.
    w.attacker.readPlaces('other local users');
    expect(w.attacker.loot.access_token).toEqual([at]);
  });

  test('is blocked when nothing secret is readable from that position', async () => {
    const w = await loginWorld({});
    for (const position of ['other local users', 'CI log readers', 'support staff', 'apps you run', 'root'] as const) {
      expect(w.attacker.readPlaces(position)).toMatchObject({ move: 'read-places', succeeded: false, detail: `as ${position}: nothing secret is readable` });
    }
    expect(w.attacker.loot).toEqual({ access_token: [], refresh_token: [], device_code: [], user_code: [] });
    expect(w.attacker.log.map((o) => o.succeeded)).toEqual([false, false, false, false, false]);
  });
});

describe('attacker.replayAccessToken', () => {
  test('succeeds with a live stolen bearer token, from the attacker\'s address', async () => {
    const w = await loginWorld({});
    const out = await w.attack((a) => a.replayAccessToken(issued(w, 'access_token')[0]));
    expect(out).toMatchObject({ move: 'replay-access-token', succeeded: true, detail: 'GET /api/projects answered 200 for the stolen token' });
    expect(attackerRequests(w)).toEqual(['GET /api/projects']);
    expect(w.idp.apis[0]!.log.at(-1)).toMatchObject({ method: 'GET', path: '/api/projects', status: 200, sub: 'alice', authorization: 'Bearer [redacted]' });
  });

  test('is blocked: nothing stolen, revoked at logout, expired, or outside its scope', async () => {
    const w = await loginWorld({});
    const [at] = issued(w, 'access_token');
    expect(await w.attack((a) => a.replayAccessToken())).toMatchObject({ succeeded: false, detail: 'no stolen access token to replay' });
    expect(attackerRequests(w)).toEqual([]);
    expect(await w.attack((a) => a.replayAccessToken(at, { method: 'DELETE', path: '/api/projects/p1' })))
      .toMatchObject({ succeeded: false, detail: 'DELETE /api/projects/p1 refused (403): insufficient_scope' });
    await w.advance(900_000);
    expect(await w.attack((a) => a.replayAccessToken(at))).toMatchObject({ succeeded: false, detail: 'GET /api/projects refused (401): invalid_token' });

    const w2 = await loginWorld({});
    const [at2] = issued(w2, 'access_token');
    await w2.send({ type: 'user.logout' });
    expect(await w2.attack((a) => a.replayAccessToken(at2))).toMatchObject({ succeeded: false, detail: 'GET /api/projects refused (401): invalid_token' });
  });
});

describe('attacker.replayRefreshToken', () => {
  test('succeeds with a live stolen refresh token and pockets the fresh tokens', async () => {
    const w = await loginWorld({});
    const out = await w.attack((a) => a.replayRefreshToken(issued(w, 'refresh_token')[0]));
    expect(out).toMatchObject({ move: 'replay-refresh-token', succeeded: true, detail: 'the server issued fresh tokens to the attacker' });
    expect(w.attacker.loot.access_token).toHaveLength(1);
    expect(w.attacker.loot.refresh_token).toHaveLength(1);
    expect(issued(w, 'access_token')).toContain(w.attacker.loot.access_token[0]);
    expect(w.idp.as.audit.ofType('token.refreshed')[0]).toMatchObject({ user: 'alice', from: { ip: ADDRESSES.attacker } });
    // The pocketed access token works.
    expect((await w.attack((a) => a.replayAccessToken())).succeeded).toBe(true);
  });

  test('is blocked: nothing stolen, revoked at logout, or rotated out (reuse detection revokes the family)', async () => {
    const w = await loginWorld({});
    expect(await w.attack((a) => a.replayRefreshToken())).toMatchObject({ succeeded: false, detail: 'no stolen refresh token to replay' });
    const [rt0] = issued(w, 'refresh_token');
    await w.advance(901_000);
    await w.send({ type: 'user.whoami' }); // the CLI rotates
    expect(await w.attack((a) => a.replayRefreshToken(rt0)))
      .toMatchObject({ succeeded: false, detail: 'refused: invalid_grant (refresh token already used; all tokens of this grant are revoked)' });

    const w2 = await loginWorld({});
    const [rt] = issued(w2, 'refresh_token');
    await w2.send({ type: 'user.logout' });
    expect(await w2.attack((a) => a.replayRefreshToken(rt))).toMatchObject({ succeeded: false, detail: 'refused: invalid_grant (refresh token has been revoked)' });
  });
});

describe('attacker.pollWithDeviceCode', () => {
  test('succeeds with a leaked device code once the person approved, winning the race against the CLI', async () => {
    const w = await createWorld({ clientKnobs: { showDeviceCode: true }, host: { kind: 'ci-runner' }, userBehaviour: { kind: 'approve', afterS: 7 } });
    await w.send({ type: 'user.login' });
    await w.advance(9_900);
    w.attacker.readPlaces('CI log readers');
    expect(w.attacker.loot.device_code).toEqual(issued(w, 'device_code'));
    const out = await w.attack((a) => a.pollWithDeviceCode());
    expect(out).toMatchObject({ move: 'poll-device-code', succeeded: true, detail: 'the attacker redeemed the device code first and holds the tokens' });
    expect(w.attacker.loot.access_token).toHaveLength(1);
    expect(decodeJwt(w.attacker.loot.access_token[0]!).sub).toBe('alice');
  });

  test('is blocked: no leaked code, the person has not approved yet, polled too fast, or the code expired', async () => {
    const w = await createWorld({ clientKnobs: { showDeviceCode: true } });
    expect(await w.attack((a) => a.pollWithDeviceCode())).toMatchObject({ succeeded: false, detail: 'no leaked device code' });
    await w.send({ type: 'user.login' });
    const [dc] = issued(w, 'device_code');
    await w.advance(1_000); // before the CLI's first poll
    expect(await w.attack((a) => a.pollWithDeviceCode(dc))).toMatchObject({ succeeded: false, detail: 'refused: authorization_pending' });
    await w.advance(1_000); // the same code polled again 1 s later: too fast (and the code's interval grows for the CLI too)
    expect(await w.attack((a) => a.pollWithDeviceCode(dc))).toMatchObject({ succeeded: false, detail: 'refused: slow_down' });
    await w.advance(600_000);
    expect(w.state()).toBe('expired');
    expect(await w.attack((a) => a.pollWithDeviceCode(dc))).toMatchObject({ succeeded: false, detail: 'refused: expired_token' });
  });
});

describe('attacker.replayWithoutDpopKey', () => {
  test('succeeds when the token is a plain bearer token', async () => {
    const w = await loginWorld({});
    expect(await w.attack((a) => a.replayWithoutDpopKey(issued(w, 'access_token')[0])))
      .toMatchObject({ move: 'replay-without-dpop-key', succeeded: true, detail: 'the token works as a plain bearer token: it is not sender-constrained' });
  });

  test('is blocked when the token is DPoP-bound: refused as Bearer and with the attacker\'s own key', async () => {
    const w = await loginWorld({ clientKnobs: { dpop: true } });
    const [at] = issued(w, 'access_token');
    expect(decodeJwt(at!).cnf).toEqual({ jkt: expect.any(String) });
    expect(await w.attack((a) => a.replayWithoutDpopKey(at)))
      .toMatchObject({ succeeded: false, detail: "refused as Bearer (invalid_token) and with the attacker's own key (invalid_token)" });
    expect(attackerRequests(w)).toEqual(['GET /api/projects', 'GET /api/projects']);
    expect(await w.attack((a) => a.replayWithoutDpopKey())).toMatchObject({ succeeded: false, detail: 'no stolen access token' });
  });
});

describe('attacker.phish', () => {
  test('succeeds when the victim approves whatever the page asks: the attacker\'s terminal holds the victim\'s tokens', async () => {
    const w = await createWorld();
    const out = await w.attack((a) => a.phish('approves-anything'));
    expect(out).toMatchObject({ move: 'phish', succeeded: true, detail: "the victim approved despite the warning; the attacker's terminal now holds the victim's tokens" });
    expect(decodeJwt(w.attacker.loot.access_token[0]!).sub).toBe('alice');
    const approved = w.idp.as.audit.ofType('grant.approved')[0]!;
    // The audit trail shows the tell-tale: alice approved from her browser a device at the attacker's address.
    expect(approved).toMatchObject({ user: 'alice', from: { ip: ADDRESSES.victim }, device: { ip: ADDRESSES.attacker } });
  });

  test('is blocked when the victim reads the consent page, or when the flow cannot even start', async () => {
    const w = await createWorld();
    expect(await w.attack((a) => a.phish('reads-consent')))
      .toMatchObject({ succeeded: false, detail: 'the consent page showed where the request came from and warned the victim, who denied it' });
    expect(w.attacker.loot.access_token).toEqual([]);

    const noDevice = await createWorld({ serverKnobs: { allowedScopes: ['billing:read'], defaultScopes: ['profile'] } });
    expect(await noDevice.attack((a) => a.phish('approves-anything')))
      .toMatchObject({ succeeded: false, detail: 'could not start a device flow: invalid_scope' });
  });
});

describe('attacker.bruteForceUserCodes', () => {
  test('RFC8628-5.1-attacker-account: with weak codes and no attempt limit a guessed code is approved as mallory and the CLI receives mallory\'s tokens', async () => {
    const w = await createWorld({ serverKnobs: { userCodeAlphabet: 'digits', userCodeLength: 4, userCodeAttemptLimit: 0 } });
    await w.send({ type: 'user.login' });
    const out = await w.attack((a) => a.bruteForceUserCodes(30_000));
    expect(out.move).toBe('brute-force-user-codes');
    expect(out.succeeded).toBe(true);
    const shown = /one-time code: (\S+)$/.exec(w.terminal()[0]!)![1]!;
    expect(out.detail).toMatch(new RegExp(`^guessed live code ${shown} after \\d+ tries and approved it as mallory$`));
    await w.runUntil(() => DONE.includes(w.state()));
    expect(w.state()).toBe('authenticated.ready');
    // The person at the CLI is told they are logged in...
    expect(w.terminal()).toContain('✓ Logged in to https://idp.acme.test (scope: profile projects:read).');
    // ...but the API says the session is mallory's,
    await w.send({ type: 'user.whoami' });
    expect(w.terminal().at(-1)).toBe('{"sub":"mallory"}');
    // and so do the token the CLI stored and the server's record of it.
    const stored = JSON.parse([...w.host.keychain.values()][0]!.content) as { accessToken: string };
    expect(decodeJwt(stored.accessToken).sub).toBe('mallory');
    expect(w.idp.as.issuedSecrets().filter((s) => s.kind === 'access_token').map((s) => s.sub)).toEqual(['mallory']);
    expect(w.idp.as.audit.ofType('grant.approved')[0]).toMatchObject({ user: 'mallory', from: { ip: ADDRESSES.attacker }, device: { ip: ADDRESSES.cli } });
  });

  test('is blocked by the attempt limit (locked out) or by strong codes (no live code found)', async () => {
    const limited = await createWorld({ serverKnobs: { userCodeAlphabet: 'digits', userCodeLength: 4 } });
    await limited.send({ type: 'user.login' });
    expect(await limited.attack((a) => a.bruteForceUserCodes(1_000)))
      .toMatchObject({ succeeded: false, detail: 'locked out after 5 wrong codes (attempt limit)' });
    expect(limited.idp.as.audit.ofType('user_code.rejected')).toHaveLength(4);
    expect(limited.idp.as.audit.ofType('user_code.locked_out')).toHaveLength(1);

    const strong = await createWorld({ serverKnobs: { userCodeAttemptLimit: 0 } });
    await strong.send({ type: 'user.login' });
    expect(await strong.attack((a) => a.bruteForceUserCodes(300))).toMatchObject({ succeeded: false, detail: 'no live code found in 300 tries' });
    await strong.runUntil(() => DONE.includes(strong.state()));
    expect(strong.state()).toBe('expired');
  });
});

describe('attacker.readPlaces on a shared screen', () => {
  test('the people watching a shared terminal read the live user code; an unshared terminal shows them nothing', async () => {
    const shared = await createWorld({ host: { kind: 'laptop', screenShared: true } });
    await shared.send({ type: 'user.login' });
    const code = shared.idp.as.issuedSecrets().find((s) => s.kind === 'user_code')!;
    const entry = shared.ledger().find((e) => e.kind === 'user_code')!;
    expect(entry.places.map((p) => p.placeId)).toEqual(['terminal', 'screen-share', 'wire']);
    expect(entry).toMatchObject({ exposedTo: ['people watching your screen'], atRisk: true });
    const out = shared.attacker.readPlaces('people watching your screen');
    expect(out).toMatchObject({ succeeded: true });
    expect(out.detail).toMatch(/^as people watching your screen: found user code #[0-9a-f]{8} in screen share \(the terminal window\)$/);
    expect(shared.attacker.loot.user_code).toEqual([code.value]);

    const unshared = await createWorld();
    await unshared.send({ type: 'user.login' });
    expect(unshared.ledger().find((e) => e.kind === 'user_code')).toMatchObject({ exposedTo: [], atRisk: false });
    expect(unshared.attacker.readPlaces('people watching your screen'))
      .toMatchObject({ succeeded: false, detail: 'as people watching your screen: nothing secret is readable' });
  });
});

describe('attacker.enterUserCode', () => {
  const codeOnTerminal = (w: World) => /one-time code: (\S+)$/.exec(w.terminal()[0]!)![1]!;
  /** Alice's own browser, on the page she reached (the learner's browser, not the attacker). */
  async function inAlicesBrowser<T>(w: World, fn: () => Promise<T>): Promise<T> {
    const out = await fn();
    await w.settle();
    return out;
  }
  /** Alice started a login and entered her code (she is reading the consent page); the spy has seen the code. */
  async function aliceOnConsentPage(bindCodeToFirstSession: boolean): Promise<World> {
    const w = await createWorld({ host: { kind: 'laptop', screenShared: true }, serverKnobs: { bindCodeToFirstSession } });
    await w.send({ type: 'user.login' });
    const page = await inAlicesBrowser(w, async () => {
      await w.browser.signIn('alice');
      return w.browser.enterCode(codeOnTerminal(w));
    });
    expect(page.status).toBe(200);
    w.attacker.readPlaces('people watching your screen');
    return w;
  }

  test('RFC8628-5.5-session-spying: without binding, the spy approves the code alice is deciding on; her CLI gets mallory\'s account and her Approve is refused', async () => {
    const w = await aliceOnConsentPage(false);
    const out = await w.attack((a) => a.enterUserCode());
    expect(out).toMatchObject({ move: 'enter-user-code', succeeded: true });
    expect(out.detail).toMatch(/^entered code [A-Z]{4}-[A-Z]{4} and approved it as mallory before its owner did: the device that asked gets mallory's account$/);
    const alice = await inAlicesBrowser(w, () => w.browser.decide(codeOnTerminal(w), 'approve'));
    expect(alice).toMatchObject({ status: 400, body: { error: 'user_code_already_used' } });
    await w.runUntil(() => DONE.includes(w.state()));
    await w.send({ type: 'user.whoami' });
    expect(w.terminal().at(-1)).toBe('{"sub":"mallory"}');
    expect(w.idp.as.audit.ofType('grant.approved')).toMatchObject([{ user: 'mallory', from: { ip: ADDRESSES.attacker }, device: { ip: ADDRESSES.cli } }]);
    expect(w.idp.as.audit.ofType('user_code.rejected')).toEqual([]);
  });

  test('with binding (the default), the spy is refused and the refusal is audited with his account and address; alice approves and gets her own account', async () => {
    const w = await aliceOnConsentPage(true);
    const out = await w.attack((a) => a.enterUserCode());
    expect(out).toMatchObject({ move: 'enter-user-code', succeeded: false });
    expect(out.detail).toMatch(/^code [A-Z]{4}-[A-Z]{4} refused: That code has already been used\.$/);
    const deviceCode = w.idp.as.issuedSecrets().find((s) => s.kind === 'device_code')!.value;
    const [refusal] = w.idp.as.audit.ofType('user_code.rejected');
    expect(refusal).toMatchObject({ user: 'mallory', from: { ip: ADDRESSES.attacker }, device: { ip: ADDRESSES.cli } });
    expect(refusal!.detail).toMatch(/bound to the browser session that entered it first/);
    expect(refusal!.refs).toHaveLength(1);
    expect(JSON.stringify(refusal)).not.toContain(deviceCode);
    expect(await inAlicesBrowser(w, () => w.browser.decide(codeOnTerminal(w), 'approve'))).toMatchObject({ status: 200 });
    await w.runUntil(() => DONE.includes(w.state()));
    await w.send({ type: 'user.whoami' });
    expect(w.terminal().at(-1)).toBe('{"sub":"alice"}');
  });

  test('is blocked when the attacker has seen no code', async () => {
    const w = await createWorld();
    expect(await w.attack((a) => a.enterUserCode())).toMatchObject({ move: 'enter-user-code', succeeded: false, detail: 'no user code seen yet' });
    expect(attackerRequests(w)).toEqual([]);
  });
});
