/**
 * One test per knob with a security meaning (client knobs in src/flow/knobs.ts, server knobs in
 * src/sim/knobs.ts). Each proves both sides in a real world: with the misconfigured value the risk is
 * visible (the ledger shows a usable secret readable by someone other than you, an attacker move succeeds,
 * the server is hammered, or the audit trail lacks something), and with the secure default it is not.
 * Stolen secrets are taken from the server's issued secrets ("as if stolen") unless the test is about how
 * they get stolen.
 */
import { createActor } from 'xstate';
import { describe, expect, test, vi } from 'vitest';
import { CLIENT_KNOB_SPECS, DEFAULT_CLIENT_KNOBS, type ClientKnobs } from '../flow/knobs.ts';
import { cliMachine } from '../flow/machine.ts';
import { DEVICE_CODE_GRANT_TYPE } from '../protocol/constants.ts';
import { DEFAULT_SERVER_KNOBS, type ServerKnobs } from '../sim/knobs.ts';
import { SimBrowser } from './browser.ts';
import { ADDRESSES, SIM_API_BASE, createWorld, type LedgerEntry, type World, type WorldConfig } from './index.ts';

// Worlds sign real ES256 tokens on the platform's crypto thread pool: give slow machines room (the projects in
// vitest.config.ts do not inherit the root testTimeout).
vi.setConfig({ testTimeout: 60_000 });

const DONE = ['authenticated.ready', 'denied', 'expired', 'failed', 'cancelled', 'reauthRequired', 'loggedOut'];
const DAY = 24 * 3600 * 1000;

async function loginWorld(config: WorldConfig, limitMs = 3_600_000): Promise<{ w: World; t0: number }> {
  const w = await createWorld({ userBehaviour: { kind: 'approve', afterS: 6 }, ...config });
  const t0 = w.clock.now();
  await w.send({ type: 'user.login' });
  await w.runUntil(() => DONE.includes(w.state()), limitMs);
  return { w, t0 };
}

const devicePolls = (w: World) =>
  w.wire.log.filter((e) => e.actor === 'cli' && e.request.url.endsWith('/token') && e.request.body.includes(encodeURIComponent(DEVICE_CODE_GRANT_TYPE)));
const answer = (body: string | undefined) => (body ? ((JSON.parse(body) as { error?: string }).error ?? 'tokens') : 'none');
const answers = (w: World) => {
  const counts: Record<string, number> = {};
  for (const e of devicePolls(w)) {
    const a = e.fault ?? answer(e.response?.body);
    counts[a] = (counts[a] ?? 0) + 1;
  }
  return counts;
};
const issued = (w: World, kind: 'access_token' | 'refresh_token' | 'device_code') =>
  w.idp.as.issuedSecrets().filter((s) => s.kind === kind).map((s) => s.value);
const entry = (w: World, kind: LedgerEntry['kind'], index = 0) => w.ledger().filter((e) => e.kind === kind)[index]!;
const placeIds = (e: LedgerEntry) => e.places.map((p) => p.placeId).sort();
const auditTypes = (w: World) => w.idp.as.audit.events.map((e) => e.type);
const userCodeOnTerminal = (w: World) => /one-time code: (\S+)$/.exec(w.terminal().find((l) => l.includes('one-time code')) ?? '')?.[1] ?? '';
/** The rehearsal control's "force a slow_down" (POST /control/slow-down), applied to the CLI's pending code. */
const forceSlowDown = (w: World, count = 1) => {
  for (const rec of w.idp.as.state.deviceGrants.values()) rec.forcedSlowDowns += count;
};
/** Run a non-attacker world task (a browser, a raw request) to completion and let the world settle. */
async function task<T>(w: World, fn: () => Promise<T>): Promise<T> {
  const out = await fn();
  await w.settle();
  return out;
}
const tokenRequest = (params: Record<string, string>): RequestInit => ({
  method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
  body: new URLSearchParams({ client_id: 'acme-cli', ...params }).toString(),
});

describe('client knobs', () => {
  test('every client knob has a secure default and is covered below', () => {
    expect(CLIENT_KNOB_SPECS.map((s) => s.key).sort()).toEqual(Object.keys(DEFAULT_CLIENT_KNOBS).sort());
    expect(Object.keys(DEFAULT_CLIENT_KNOBS).sort()).toEqual(CLIENT_KNOBS_TESTED.slice().sort());
  });

  test('client knob pollInterval: 1 s earns repeated slow_down and a slower login; the server interval does not', async () => {
    const fast = await loginWorld({ clientKnobs: { pollInterval: 1 }, userBehaviour: { kind: 'approve', afterS: 30 } });
    expect(fast.w.state()).toBe('authenticated.ready');
    expect(answers(fast.w)).toEqual({ authorization_pending: 2, slow_down: 3, tokens: 1 });
    expect(devicePolls(fast.w).map((e) => (e.startedAt - fast.t0) / 1000)).toEqual([1, 2, 8, 19, 30, 46]);
    const rec = [...fast.w.idp.as.state.deviceGrants.values()][0]!;
    expect(rec.slowDowns).toBe(3);
    expect(rec.intervalS).toBe(20);

    // At 30 s the honest poll and alice's approval happen at the same instant; the poll, a single request, is
    // answered before her three (sign in, enter the code, approve) are done, so tokens come with the next poll.
    // (The page in Chromium always answered it that way; Node agrees since the wire stopped cloning bodies.)
    const honest = await loginWorld({ userBehaviour: { kind: 'approve', afterS: 30 } });
    expect(honest.w.state()).toBe('authenticated.ready');
    expect(answers(honest.w)).toEqual({ authorization_pending: 6, tokens: 1 });
    expect(devicePolls(honest.w).map((e) => (e.startedAt - honest.t0) / 1000)).toEqual([5, 10, 15, 20, 25, 30, 35]);
    expect([...honest.w.idp.as.state.deviceGrants.values()][0]!.slowDowns).toBe(0);
  });

  test('client knob slowDown: ignore / add-1 keep earning slow_down and fatal aborts an approved login; add-5 recovers after one', async () => {
    // The user approves at 3 s; the server answers the first poll with slow_down (as a busy server may).
    const run = async (slowDown: ClientKnobs['slowDown']) => {
      const w = await createWorld({ clientKnobs: { slowDown }, userBehaviour: { kind: 'approve', afterS: 3 } });
      const t0 = w.clock.now();
      await w.send({ type: 'user.login' });
      forceSlowDown(w);
      await w.runUntil(() => DONE.includes(w.state()));
      return { w, t0, secs: (w.clock.now() - t0) / 1000 };
    };
    const add5 = await run('add-5');
    expect(add5.w.state()).toBe('authenticated.ready');
    expect(add5.secs).toBe(15);
    expect(answers(add5.w)).toEqual({ slow_down: 1, tokens: 1 });

    const ignore = await run('ignore');
    expect(auditTypes(ignore.w)).toContain('grant.approved');
    expect(ignore.w.state()).toBe('expired');
    expect(ignore.secs).toBe(600);
    expect(answers(ignore.w)).toEqual({ slow_down: 119 });
    expect(auditTypes(ignore.w)).not.toContain('token.issued');

    const add1 = await run('add-1');
    expect(add1.w.state()).toBe('authenticated.ready');
    expect(answers(add1.w)).toEqual({ slow_down: 3, tokens: 1 });
    expect(add1.secs).toBe(26);

    const fatal = await run('fatal');
    expect(fatal.w.state()).toBe('failed');
    expect(fatal.secs).toBe(5);
    expect(auditTypes(fatal.w)).toEqual(['device_code.issued', 'user.signed_in', 'user_code.entered', 'grant.approved']);
    expect(fatal.w.terminal().at(-1)).toBe('✗ Login failed: slow_down: polling too fast; wait at least 10 seconds between polls');
  });

  test('client knob stopOnDenialOrExpiry: false keeps polling after Deny (and, without a deadline, after expiry forever); true stops at once', async () => {
    const spinning = await loginWorld({ clientKnobs: { stopOnDenialOrExpiry: false }, userBehaviour: { kind: 'deny', afterS: 7 } });
    expect(spinning.w.state()).toBe('expired');
    expect(spinning.w.clock.now() - spinning.t0).toBe(600_000);
    expect(answers(spinning.w)).toEqual({ authorization_pending: 1, access_denied: 118 });

    const forever = await loginWorld({ clientKnobs: { stopOnDenialOrExpiry: false, hardDeadline: false }, userBehaviour: { kind: 'deny', afterS: 7 } }, 1_800_000);
    expect(forever.w.state()).toBe('signingIn.awaitingApproval.waitingInterval');
    expect(answers(forever.w)).toEqual({ authorization_pending: 1, access_denied: 118, expired_token: 241 });

    const stops = await loginWorld({ userBehaviour: { kind: 'deny', afterS: 7 } });
    expect(stops.w.state()).toBe('denied');
    expect(answers(stops.w)).toEqual({ authorization_pending: 1, access_denied: 1 });
    await stops.w.advance(3_600_000);
    expect(devicePolls(stops.w)).toHaveLength(2);
  });

  test('client knob unknownPollErrors: keep-polling ignores Entra\'s authorization_declined until the code expires; stop ends the login at the first', async () => {
    const entra = { serverKnobs: { profile: 'entra' as const }, userBehaviour: { kind: 'deny' as const, afterS: 7 } };
    const ignoring = await loginWorld({ ...entra, clientKnobs: { unknownPollErrors: 'keep-polling' } });
    expect(ignoring.w.state()).toBe('expired');
    expect(answers(ignoring.w).authorization_declined).toBeGreaterThan(100);

    const stops = await loginWorld(entra);
    expect(stops.w.state()).toBe('denied');
    expect(answers(stops.w)).toEqual({ authorization_pending: 1, authorization_declined: 1 });
    // The RFC's own words are unaffected: access_denied stops a keep-polling CLI too.
    const rfc = await loginWorld({ clientKnobs: { unknownPollErrors: 'keep-polling' }, userBehaviour: { kind: 'deny', afterS: 7 } });
    expect(rfc.w.state()).toBe('denied');
    expect(answers(rfc.w)).toEqual({ authorization_pending: 1, access_denied: 1 });
  });

  test('client knob hardDeadline: off keeps retrying past expires_in through a network outage; on stops at 600 s', async () => {
    const run = async (hardDeadline: boolean) => {
      const w = await createWorld({ clientKnobs: { hardDeadline } });
      const t0 = w.clock.now();
      w.wire.injectFault({ fault: 'network-error', times: 10_000, match: (req, actor) => actor === 'cli' && req.url.endsWith('/token') });
      await w.send({ type: 'user.login' });
      await w.runUntil(() => DONE.includes(w.state()), 1_800_000);
      return { w, t0 };
    };
    const off = await run(false);
    expect(off.w.state()).toBe('signingIn.awaitingApproval.waitingInterval');
    const late = devicePolls(off.w).filter((e) => e.startedAt - off.t0 > 600_000);
    expect(late.length).toBe(20);
    expect(off.w.terminal().filter((l) => l.includes('expired'))).toEqual([]);

    const on = await run(true);
    expect(on.w.state()).toBe('expired');
    expect(on.w.clock.now() - on.t0).toBe(600_000);
    expect(devicePolls(on.w).filter((e) => e.startedAt - on.t0 > 600_000)).toEqual([]);
    expect(on.w.terminal().at(-1)).toBe('✗ The code expired after 600 s without approval. Run `acme login` to start again.');
  });

  test('client knob showDeviceCode: the device code in the CI log lets a reader redeem it first; hidden, there is nothing to poll with', async () => {
    const run = async (showDeviceCode: boolean) => {
      const w = await createWorld({ clientKnobs: { showDeviceCode }, host: { kind: 'ci-runner' }, userBehaviour: { kind: 'approve', afterS: 7 } });
      const t0 = w.clock.now();
      await w.send({ type: 'user.login' });
      await w.advance(9_900); // the CLI polled at 5 s; the person approved at 7 s; the reader polls at 9.9 s
      const read = w.attacker.readPlaces('CI log readers');
      const dc = entry(w, 'device_code');
      const poll = await w.attack((a) => a.pollWithDeviceCode());
      const replay = await w.attack((a) => a.replayAccessToken());
      await w.runUntil(() => DONE.includes(w.state()));
      return { w, t0, read, dc, poll, replay };
    };
    const shown = await run(true);
    expect(shown.dc.places.map((p) => p.placeId)).toContain('ci-log');
    expect(shown.dc.atRisk).toBe(true);
    expect(shown.read.detail).toContain('device code');
    expect(shown.poll).toMatchObject({ succeeded: true, detail: 'the attacker redeemed the device code first and holds the tokens' });
    expect(shown.replay).toMatchObject({ succeeded: true, detail: 'GET /api/projects answered 200 for the stolen token' });
    // The CLI's next poll finds the code used: its login fails (and the server revokes the grant as a precaution).
    expect(shown.w.state()).toBe('failed');
    expect(auditTypes(shown.w).slice(-3)).toEqual(['token.issued', 'device_code.reused', 'grant.revoked']);
    expect(shown.w.idp.as.audit.ofType('token.issued')[0]!.from?.ip).toBe(ADDRESSES.attacker);

    const hidden = await run(false);
    expect(hidden.dc.places.map((p) => p.placeId)).toEqual(['wire']);
    expect(hidden.dc.atRisk).toBe(false);
    expect(hidden.read.detail).not.toContain('device code');
    expect(hidden.poll).toMatchObject({ succeeded: false, detail: 'no leaked device code' });
    expect(hidden.replay.succeeded).toBe(false);
    expect(hidden.w.state()).toBe('authenticated.ready');
    expect(hidden.w.idp.as.audit.ofType('token.issued')[0]!.from?.ip).toBe(ADDRESSES.cli);
  });

  test('client knob debug: bodies puts live tokens in ~/.cache/acme/debug.log (0644) and the CI job log; off writes no debug log', async () => {
    const bodies = await loginWorld({ clientKnobs: { debug: 'bodies', redaction: false } });
    const log = bodies.w.host.files.get('~/.cache/acme/debug.log')!;
    expect(log.mode).toBe(0o644);
    for (const kind of ['access_token', 'refresh_token'] as const) {
      const e = entry(bodies.w, kind);
      expect(placeIds(e)).toContain('file:~/.cache/acme/debug.log');
      expect(e.exposedTo).toContain('other local users');
      expect(e.atRisk).toBe(true);
    }
    expect(bodies.w.attacker.readPlaces('other local users').succeeded).toBe(true);
    expect((await bodies.w.attack((a) => a.replayAccessToken())).succeeded).toBe(true);

    const ci = await loginWorld({ clientKnobs: { debug: 'bodies', redaction: false }, host: { kind: 'ci-runner' } });
    expect(placeIds(entry(ci.w, 'access_token'))).toContain('ci-log');
    expect(entry(ci.w, 'refresh_token').exposedTo).toContain('CI log readers');
    const ciRead = ci.w.attacker.readPlaces('CI log readers');
    expect(ciRead.detail).toMatch(/access token #[0-9a-f]{8} in CI job log/);
    expect((await ci.w.attack((a) => a.replayRefreshToken())).succeeded).toBe(true);

    for (const host of [{}, { kind: 'ci-runner' as const }]) {
      const off = await loginWorld({ clientKnobs: { debug: 'off', redaction: false }, host });
      expect(off.w.host.files.has('~/.cache/acme/debug.log')).toBe(false);
      expect(off.w.emitted.filter((e) => e.type === 'cli.debug')).toEqual([]);
      for (const kind of ['access_token', 'refresh_token'] as const) expect(entry(off.w, kind).atRisk).toBe(false);
      expect(off.w.attacker.readPlaces('CI log readers').detail).not.toMatch(/access token|refresh token/);
    }
  });

  test('client knob redaction: off lets debug lines carry tokens and codes; on, the same debug log holds only [REDACTED]', async () => {
    const raw = await loginWorld({ clientKnobs: { debug: 'bodies', redaction: false } });
    await raw.w.send({ type: 'user.whoami' });
    const rawLog = raw.w.host.files.get('~/.cache/acme/debug.log')!.content;
    for (const v of [...issued(raw.w, 'access_token'), ...issued(raw.w, 'refresh_token'), ...issued(raw.w, 'device_code')]) expect(rawLog).toContain(v);
    expect(rawLog).toContain(`authorization: Bearer ${issued(raw.w, 'access_token')[0]}`);
    expect(entry(raw.w, 'access_token').atRisk).toBe(true);

    const red = await loginWorld({ clientKnobs: { debug: 'bodies', redaction: true } });
    await red.w.send({ type: 'user.whoami' });
    const redLog = red.w.host.files.get('~/.cache/acme/debug.log')!.content;
    expect(redLog).toContain('[REDACTED]');
    expect(redLog).toContain('> GET https://api.acme.test/api/me');
    for (const v of [...issued(red.w, 'access_token'), ...issued(red.w, 'refresh_token'), ...issued(red.w, 'device_code')]) expect(redLog).not.toContain(v);
    for (const kind of ['access_token', 'refresh_token', 'device_code'] as const) {
      expect(placeIds(entry(red.w, kind)).filter((p) => p.startsWith('file:'))).toEqual([]);
      expect(entry(red.w, kind).atRisk).toBe(false);
    }
  });

  test('client knob storage: file-0644 exposes the tokens to other local users; keychain does not; keychain-or-plaintext silently writes a file without a keyring', async () => {
    const f644 = await loginWorld({ clientKnobs: { storage: 'file-0644' } });
    const cred = f644.w.host.files.get('~/.config/acme/credentials.json')!;
    expect(cred.mode).toBe(0o644);
    for (const kind of ['access_token', 'refresh_token'] as const) {
      const e = entry(f644.w, kind);
      expect(placeIds(e)).toEqual(['file:~/.config/acme/credentials.json', 'wire']);
      expect(e.exposedTo).toEqual(expect.arrayContaining(['other local users', 'root']));
      expect(e.atRisk).toBe(true);
    }
    const read = f644.w.attacker.readPlaces('other local users');
    expect(read.succeeded).toBe(true);
    expect(read.detail).toContain('~/.config/acme/credentials.json (-rw-r--r--)');
    expect(await f644.w.attack((a) => a.replayAccessToken())).toMatchObject({ succeeded: true, detail: 'GET /api/projects answered 200 for the stolen token' });

    const keychain = await loginWorld({ clientKnobs: { storage: 'keychain' } });
    for (const kind of ['access_token', 'refresh_token'] as const) {
      const e = entry(keychain.w, kind);
      expect(placeIds(e)).toEqual(['keychain', 'wire']);
      expect(e.exposedTo).toEqual([]);
      expect(e.atRisk).toBe(false);
    }
    expect(keychain.w.host.files.size).toBe(0);
    expect(keychain.w.attacker.readPlaces('other local users')).toMatchObject({ succeeded: false, detail: 'as other local users: nothing secret is readable' });
    expect(await keychain.w.attack((a) => a.replayAccessToken())).toMatchObject({ succeeded: false, detail: 'no stolen access token to replay' });

    // F9: no keyring. keychain-or-plaintext quietly writes a plaintext file (one warning line); keychain says so loudly and keeps memory only.
    const fallback = await loginWorld({ clientKnobs: { storage: 'keychain-or-plaintext' }, host: { keyringAvailable: false } });
    expect(fallback.w.emitted.find((e) => e.type === 'cli.store')).toMatchObject({ action: 'save', fellBack: true, target: { kind: 'file', mode: 0o600 } });
    expect(fallback.w.terminal().at(-1)).toBe('warning: no OS keyring found; credentials saved in plain text to ~/.config/acme/credentials.json (mode 0600).');
    expect(placeIds(entry(fallback.w, 'refresh_token'))).toEqual(['file:~/.config/acme/credentials.json', 'wire']);
    expect(entry(fallback.w, 'refresh_token').atRisk).toBe(true);
    expect(fallback.w.attacker.readPlaces('root').succeeded).toBe(true);

    const loud = await loginWorld({ clientKnobs: { storage: 'keychain' }, host: { keyringAvailable: false } });
    expect(loud.w.host.files.size).toBe(0);
    expect(loud.w.terminal().at(-1)).toBe('✗ Credentials were NOT saved to the OS keychain (acme-cli): no OS keyring is available on this host. They stay in memory for this session only.');
    expect(placeIds(entry(loud.w, 'refresh_token'))).toEqual(['wire']);
    expect(entry(loud.w, 'refresh_token').atRisk).toBe(false);
  });

  test('client knob tokenDelivery: argv puts the token in ps and shell history, env in process environments; store puts it nowhere', async () => {
    const run = async (tokenDelivery: ClientKnobs['tokenDelivery']) => {
      const { w } = await loginWorld({ clientKnobs: { tokenDelivery } });
      await w.send({ type: 'user.api', method: 'GET', path: '/api/projects' });
      return w;
    };
    const argv = await run('argv');
    const at = issued(argv, 'access_token')[0]!;
    expect(argv.host.processes.at(-1)!.argv).toEqual(['acme', 'api', 'GET', '/api/projects', '--token', at]);
    expect(argv.host.shellHistory.map((l) => l.text)).toEqual([`acme api GET /api/projects --token ${at}`]);
    expect(placeIds(entry(argv, 'access_token'))).toEqual(['history', 'keychain', 'ps', 'wire']);
    expect(entry(argv, 'access_token').atRisk).toBe(true);
    expect(argv.attacker.readPlaces('other local users').detail).toContain('process list (ps: argv of every process)');
    expect((await argv.attack((a) => a.replayAccessToken())).succeeded).toBe(true);

    const env = await run('env');
    expect(env.host.environment).toEqual({ ACME_TOKEN: issued(env, 'access_token')[0] });
    expect(placeIds(entry(env, 'access_token'))).toEqual(['environ', 'environment', 'keychain', 'wire']);
    expect(entry(env, 'access_token').atRisk).toBe(true);
    expect(env.attacker.readPlaces('root').detail).toContain('process environments (/proc/<pid>/environ)');

    const store = await run('store');
    expect(store.host.processes.at(-1)!.argv).toEqual(['acme', 'api', 'GET', '/api/projects']);
    expect(store.host.environment).toEqual({});
    expect(store.host.shellHistory).toEqual([]);
    expect(placeIds(entry(store, 'access_token'))).toEqual(['keychain', 'wire']);
    expect(entry(store, 'access_token').atRisk).toBe(false);
    expect(store.attacker.readPlaces('other local users').succeeded).toBe(false);
  });

  test('client knob logout: local-only leaves the attacker\'s stolen copies working; revoke kills them', async () => {
    const run = async (logout: ClientKnobs['logout']) => {
      const { w } = await loginWorld({ clientKnobs: { logout } });
      const [at] = issued(w, 'access_token');
      const [rt] = issued(w, 'refresh_token');
      await w.send({ type: 'user.logout' });
      expect(w.state()).toBe('loggedOut');
      expect(w.host.keychain.size).toBe(0);
      return { w, at: await w.attack((a) => a.replayAccessToken(at)), rt: await w.attack((a) => a.replayRefreshToken(rt)) };
    };
    const local = await run('local-only');
    expect(local.at).toMatchObject({ succeeded: true, detail: 'GET /api/projects answered 200 for the stolen token' });
    expect(local.rt).toMatchObject({ succeeded: true, detail: 'the server issued fresh tokens to the attacker' });
    expect(auditTypes(local.w)).not.toContain('token.revoked');

    const revoke = await run('revoke');
    expect(revoke.at).toMatchObject({ succeeded: false, detail: 'GET /api/projects refused (401): invalid_token' });
    expect(revoke.rt).toMatchObject({ succeeded: false, detail: 'refused: invalid_grant (refresh token has been revoked)' });
    expect(auditTypes(revoke.w)).toEqual(expect.arrayContaining(['token.revoked', 'grant.revoked']));
  });

  test('client knob scopes: broad lets a stolen token DELETE /api/projects/p1; minimal is refused with insufficient_scope', async () => {
    const broad = await loginWorld({ clientKnobs: { scopes: 'broad' } });
    const del = await broad.w.attack((a) => a.replayAccessToken(issued(broad.w, 'access_token')[0], { method: 'DELETE', path: '/api/projects/p1' }));
    expect(del).toMatchObject({ succeeded: true, detail: 'DELETE /api/projects/p1 answered 200 for the stolen token' });
    expect(broad.w.idp.as.audit.ofType('grant.approved')[0]!.detail).toBe('approved "profile projects:read projects:write projects:admin"');

    const minimal = await loginWorld({});
    const refused = await minimal.w.attack((a) => a.replayAccessToken(issued(minimal.w, 'access_token')[0], { method: 'DELETE', path: '/api/projects/p1' }));
    expect(refused).toMatchObject({ succeeded: false, detail: 'DELETE /api/projects/p1 refused (403): insufficient_scope' });
  });

  test('client knob dpop: on, a stolen token is useless without the key; off, it replays from any host', async () => {
    const on = await loginWorld({ clientKnobs: { dpop: true } });
    await on.w.send({ type: 'user.whoami' });
    expect(on.w.terminal().at(-1)).toBe('{"sub":"alice"}');
    const blocked = await on.w.attack((a) => a.replayWithoutDpopKey(issued(on.w, 'access_token')[0]));
    expect(blocked).toMatchObject({ succeeded: false, detail: "refused as Bearer (invalid_token) and with the attacker's own key (invalid_token)" });
    const rtBlocked = await on.w.attack((a) => a.replayRefreshToken(issued(on.w, 'refresh_token')[0]));
    expect(rtBlocked.succeeded).toBe(false);

    const off = await loginWorld({ clientKnobs: { dpop: false } });
    const works = await off.w.attack((a) => a.replayWithoutDpopKey(issued(off.w, 'access_token')[0]));
    expect(works).toMatchObject({ succeeded: true, detail: 'the token works as a plain bearer token: it is not sender-constrained' });
  });

  test('client knob refreshTokens: reuse-first trips reuse detection on its own second refresh (looks exactly like theft) and loses the session; rotate does not', async () => {
    const run = async (refreshTokens: ClientKnobs['refreshTokens']) => {
      const { w } = await loginWorld({ clientKnobs: { refreshTokens } });
      for (let i = 0; i < 2; i++) {
        await w.advance(901_000);
        await w.send({ type: 'user.whoami' });
      }
      return w;
    };
    const reuse = await run('reuse-first');
    expect(reuse.state()).toBe('reauthRequired');
    const detected = reuse.idp.as.audit.ofType('refresh_token.reuse_detected');
    expect(detected).toHaveLength(1);
    // The "theft" came from the CLI's own host: the audit trail cannot tell this bug from an attack.
    expect(detected[0]!.from?.ip).toBe(ADDRESSES.cli);
    expect(reuse.terminal().at(-1)).toBe('✗ Your session has ended (invalid_grant: refresh token already used; all tokens of this grant are revoked). Run `acme login` to start again.');

    const rotate = await run('rotate');
    expect(rotate.state()).toBe('authenticated.ready');
    expect(rotate.terminal().at(-1)).toBe('{"sub":"alice"}');
    expect(auditTypes(rotate).filter((t) => t === 'token.refreshed')).toHaveLength(2);
    expect(auditTypes(rotate)).not.toContain('refresh_token.reuse_detected');
  });

  test('client knob allowInsecureLoopback: true lets the CLI talk plain http, but only to loopback; false refuses before sending anything', async () => {
    const run = async (allowInsecureLoopback: boolean, issuer: string) => {
      const w = await createWorld();
      const cli = createActor(cliMachine, {
        clock: w.clock,
        input: { fetch: w.wire.fetchFor('cli', ADDRESSES.cli), clock: w.clock, issuer, apiBaseUrl: SIM_API_BASE, storage: w.host, knobs: { allowInsecureLoopback } },
      });
      const lines: string[] = [];
      cli.on('cli.output', (e) => void lines.push(e.text));
      const turns = async (until: () => boolean) => {
        for (let i = 0; i < 200 && !until(); i++) await new Promise<void>((r) => setImmediate(r));
      };
      cli.start();
      await turns(() => cli.getSnapshot().value === 'idle');
      cli.send({ type: 'user.login' });
      await turns(() => cli.getSnapshot().value === 'failed');
      cli.stop();
      return { w, lines, state: cli.getSnapshot().value };
    };
    const loopback = await run(true, 'http://127.0.0.1:8787');
    expect(loopback.w.wire.log.map((e) => e.request.url)).toEqual(['http://127.0.0.1:8787/.well-known/oauth-authorization-server']);
    // The plaintext request went out (here the in-memory IdP answers with its https issuer, so discovery then stops).
    expect(loopback.w.wire.log[0]!.response?.status).toBe(200);
    expect(loopback.lines).toEqual(['✗ Could not read the server\'s metadata: authorization server metadata: "issuer" must be identical to "http://127.0.0.1:8787" (RFC 8414 §3.3), got "https://idp.acme.test"']);

    const refused = await run(false, 'http://127.0.0.1:8787');
    expect(refused.state).toBe('failed');
    expect(refused.w.wire.log).toEqual([]);
    expect(refused.lines).toEqual(['✗ Refusing to log in: the issuer http://127.0.0.1:8787 is not https (RFC 8628 §3.1 requires TLS).']);

    const remote = await run(true, 'http://idp.acme.test');
    expect(remote.state).toBe('failed');
    expect(remote.w.wire.log).toEqual([]);
    expect(remote.lines).toEqual(['✗ Refusing to log in: the issuer http://idp.acme.test is not https (RFC 8628 §3.1 requires TLS).']);
  });
});

const CLIENT_KNOBS_TESTED: Array<keyof ClientKnobs> = [
  'pollInterval', 'slowDown', 'stopOnDenialOrExpiry', 'unknownPollErrors', 'hardDeadline', 'showDeviceCode', 'debug', 'redaction', 'storage',
  'tokenDelivery', 'logout', 'scopes', 'dpop', 'refreshTokens', 'allowInsecureLoopback',
  // ciAuth: both sides in workloadIdentity.test.ts (with the server knob workloadIdentityFederation).
  'ciAuth',
];

describe('server knobs', () => {
  test('server knob slowDownEnforcement: off lets a 1 s poller hammer the token endpoint unchecked; on answers slow_down', async () => {
    // One poll a second for 30 s, every one answered (the poll at 30 s comes before alice's approval at that instant).
    const off = await loginWorld({ clientKnobs: { pollInterval: 1 }, serverKnobs: { slowDownEnforcement: false }, userBehaviour: { kind: 'approve', afterS: 30 } });
    expect(answers(off.w)).toEqual({ authorization_pending: 30, tokens: 1 });
    const on = await loginWorld({ clientKnobs: { pollInterval: 1 }, userBehaviour: { kind: 'approve', afterS: 30 } });
    expect(answers(on.w)).toEqual({ authorization_pending: 2, slow_down: 3, tokens: 1 });
  });

  test('server knob userCodeAttemptLimit: 0 lets a brute force find a live weak code; 5 locks the guesser out', async () => {
    const weak = { userCodeAlphabet: 'digits', userCodeLength: 4 } as const;
    const unlimited = await createWorld({ serverKnobs: { ...weak, userCodeAttemptLimit: 0 } });
    await unlimited.send({ type: 'user.login' });
    const hit = await unlimited.attack((a) => a.bruteForceUserCodes(30_000));
    expect(hit.succeeded).toBe(true);
    expect(hit.detail).toMatch(/^guessed live code \d{4} after \d+ tries and approved it as mallory$/);
    expect(unlimited.idp.as.audit.ofType('grant.approved')[0]).toMatchObject({ user: 'mallory', from: { ip: ADDRESSES.attacker } });

    const limited = await createWorld({ serverKnobs: { ...weak, userCodeAttemptLimit: 5 } });
    await limited.send({ type: 'user.login' });
    const out = await limited.attack((a) => a.bruteForceUserCodes(30_000));
    expect(out).toMatchObject({ succeeded: false, detail: 'locked out after 5 wrong codes (attempt limit)' });
    expect(limited.idp.as.audit.ofType('user_code.locked_out')).toHaveLength(1);
    expect(auditTypes(limited)).not.toContain('grant.approved');
    // Signing in again does not buy fresh guesses: the limit counts per address too.
    const again = await limited.attack((a) => a.bruteForceUserCodes(10));
    expect(again).toMatchObject({ succeeded: false, detail: 'locked out after 0 wrong codes (attempt limit)' });
  });

  test('server knobs userCodeAlphabet + userCodeLength: digits x 4 is guessable without an attempt limit; the default base-20 x 8 is not', async () => {
    // Other people's CLIs have codes pending too: a guesser wins on any live code.
    const run = async (codes: Partial<ServerKnobs>, attempts: number) => {
      const w = await createWorld({ serverKnobs: { ...codes, userCodeAttemptLimit: 0 } });
      const others = w.wire.fetchFor('victim', '198.51.100.77');
      for (let i = 0; i < 100; i++) {
        const res = await others(`${w.idp.as.issuer}/device_authorization`, tokenRequest({}));
        expect(res.status).toBe(200);
      }
      return { w, out: await w.attack((a) => a.bruteForceUserCodes(attempts)) };
    };
    const weak = await run({ userCodeAlphabet: 'digits', userCodeLength: 4 }, 3_000);
    expect(weak.out.succeeded).toBe(true);
    expect(weak.w.idp.as.audit.ofType('grant.approved')[0]!.user).toBe('mallory');

    const strong = await run({ userCodeAlphabet: DEFAULT_SERVER_KNOBS.userCodeAlphabet, userCodeLength: DEFAULT_SERVER_KNOBS.userCodeLength }, 1_000);
    expect(strong.out).toMatchObject({ succeeded: false, detail: 'no live code found in 1000 tries' });
    expect(auditTypes(strong.w)).not.toContain('grant.approved');
  });

  test('server knob bindCodeToFirstSession: off lets an onlooker approve the code the user already entered (the CLI gets the spy\'s account); on refuses the spy', async () => {
    const run = async (bindCodeToFirstSession: boolean) => {
      const w = await createWorld({ serverKnobs: { bindCodeToFirstSession } });
      await w.send({ type: 'user.login' });
      const code = userCodeOnTerminal(w);
      await task(w, async () => {
        await w.browser.signIn('alice');
        await w.browser.enterCode(code); // alice is reading the consent page...
      });
      const spy = new SimBrowser(w.wire.fetchFor('attacker', ADDRESSES.attacker), w.idp.as.endpoints.verification);
      const spyPage = await task(w, async () => {
        await spy.signIn('mallory');
        const entered = await spy.enterCode(code);
        return entered.status === 200 ? spy.decide(code, 'approve') : entered;
      });
      await task(w, () => w.browser.decide(code, 'approve'));
      await w.runUntil(() => DONE.includes(w.state()));
      await w.send({ type: 'user.whoami' });
      return { w, spyPage };
    };
    const unbound = await run(false);
    expect(unbound.spyPage.status).toBe(200);
    expect(unbound.w.terminal().at(-1)).toBe('{"sub":"mallory"}');

    const bound = await run(true);
    expect(bound.spyPage).toMatchObject({ status: 400, body: { error: 'user_code_already_used' } });
    expect(bound.w.terminal().at(-1)).toBe('{"sub":"alice"}');
  });

  test('server knob verificationCompleteMode: one-click approves a phishing link even for a victim who reads consent pages; confirm lets them deny', async () => {
    const oneClick = await createWorld({ serverKnobs: { verificationCompleteMode: 'one-click' } });
    const phished = await oneClick.attack((a) => a.phish('reads-consent'));
    expect(phished).toMatchObject({ succeeded: true, detail: "the victim approved by opening the link (one-click); the attacker's terminal now holds the victim's tokens" });
    expect(auditTypes(oneClick)).not.toContain('user_code.entered');
    expect(await oneClick.attack((a) => a.replayAccessToken(undefined, { method: 'GET', path: '/api/me' }))).toMatchObject({ succeeded: true });

    const confirm = await createWorld();
    const denied = await confirm.attack((a) => a.phish('reads-consent'));
    expect(denied).toMatchObject({ succeeded: false, detail: 'the consent page showed where the request came from and warned the victim, who denied it' });
    expect(auditTypes(confirm)).not.toContain('token.issued');
  });

  test('server knob consentDetail: minimal gives a careful victim no reason to doubt a phishing request; full shows the origin and a warning', async () => {
    const minimal = await createWorld({ serverKnobs: { consentDetail: 'minimal' } });
    const phished = await minimal.attack((a) => a.phish('reads-consent'));
    expect(phished).toMatchObject({ succeeded: true, detail: "the victim approved: the consent page gave no context to doubt it; the attacker's terminal now holds the victim's tokens" });
    expect(minimal.idp.as.audit.ofType('token.issued')[0]).toMatchObject({ user: 'alice', from: { ip: ADDRESSES.attacker } });

    const full = await createWorld({ serverKnobs: { consentDetail: 'full' } });
    expect((await full.attack((a) => a.phish('reads-consent'))).succeeded).toBe(false);
    expect(full.idp.as.audit.ofType('grant.denied')[0]).toMatchObject({ user: 'alice', device: { ip: ADDRESSES.attacker } });
  });

  test('server knob accessTokenLifetimeS: a 30-day token stolen today still works a week later; the 900 s default does not', async () => {
    const run = async (accessTokenLifetimeS: number) => {
      const { w } = await loginWorld({ serverKnobs: { accessTokenLifetimeS } });
      const [at] = issued(w, 'access_token');
      await w.advance(7 * DAY);
      return w.attack((a) => a.replayAccessToken(at));
    };
    expect(await run(30 * 24 * 3600)).toMatchObject({ succeeded: true, detail: 'GET /api/projects answered 200 for the stolen token' });
    expect(await run(DEFAULT_SERVER_KNOBS.accessTokenLifetimeS)).toMatchObject({ succeeded: false, detail: 'GET /api/projects refused (401): invalid_token' });
  });

  test('server knob refreshTokenLifetimeS: with a year-long family a thief who refreshes every 2 days keeps minting tokens after 3 weeks; 14 days ends it', async () => {
    const run = async (refreshTokenLifetimeS: number) => {
      const { w } = await loginWorld({ serverKnobs: { refreshTokenLifetimeS } });
      w.attacker.loot.refresh_token.push(issued(w, 'refresh_token')[0]!);
      const outcomes = [];
      for (let day = 2; day <= 22; day += 2) {
        await w.advance(2 * DAY);
        outcomes.push((await w.attack((a) => a.replayRefreshToken())).succeeded);
      }
      return { w, outcomes };
    };
    const year = await run(365 * 24 * 3600);
    expect(year.outcomes).toEqual(Array(11).fill(true));
    const def = await run(DEFAULT_SERVER_KNOBS.refreshTokenLifetimeS);
    expect(def.outcomes).toEqual([true, true, true, true, true, true, false, false, false, false, false]);
    expect(def.w.attacker.log.at(-1)!.detail).toBe('refused: invalid_grant (refresh token has expired)');
  });

  test('server knob refreshTokenIdleS: a forgotten session\'s refresh token still works after 20 idle days with a 30-day idle limit; 3 days ends it', async () => {
    const run = async (refreshTokenIdleS: number) => {
      const { w } = await loginWorld({ serverKnobs: { refreshTokenIdleS } });
      const [rt] = issued(w, 'refresh_token');
      await w.advance(4 * DAY);
      return w.attack((a) => a.replayRefreshToken(rt));
    };
    expect(await run(30 * 24 * 3600)).toMatchObject({ succeeded: true });
    expect(await run(DEFAULT_SERVER_KNOBS.refreshTokenIdleS)).toMatchObject({ succeeded: false, detail: 'refused: invalid_grant (refresh token expired after inactivity)' });
  });

  test('server knob rotateRefreshTokens: without rotation a stolen refresh token keeps working next to the CLI\'s; with rotation its replay revokes the family', async () => {
    const run = async (rotateRefreshTokens: boolean) => {
      const { w } = await loginWorld({ serverKnobs: { rotateRefreshTokens } });
      const [rt0] = issued(w, 'refresh_token');
      await w.advance(901_000);
      await w.send({ type: 'user.whoami' }); // the CLI refreshes
      const first = await w.attack((a) => a.replayRefreshToken(rt0));
      const second = await w.attack((a) => a.replayRefreshToken(rt0));
      return { w, first, second };
    };
    const none = await run(false);
    expect(none.first).toMatchObject({ succeeded: true, detail: 'the server issued fresh tokens to the attacker' });
    expect(none.second.succeeded).toBe(true);
    expect(issued(none.w, 'refresh_token')).toHaveLength(1);

    const rotating = await run(true);
    expect(rotating.first).toMatchObject({ succeeded: false, detail: 'refused: invalid_grant (refresh token already used; all tokens of this grant are revoked)' });
    expect(auditTypes(rotating.w).slice(-2)).toEqual(['refresh_token.reuse_detected', 'grant.revoked']);
  });

  test('server knob invalidateRotatedRefreshTokens: false (Entra-like) keeps a rotated-out stolen refresh token working; true refuses it', async () => {
    const run = async (invalidateRotatedRefreshTokens: boolean) => {
      const { w } = await loginWorld({ serverKnobs: { invalidateRotatedRefreshTokens } });
      const [rt0] = issued(w, 'refresh_token');
      await w.advance(901_000);
      await w.send({ type: 'user.whoami' });
      expect(issued(w, 'refresh_token')).toHaveLength(2);
      return { w, out: await w.attack((a) => a.replayRefreshToken(rt0)) };
    };
    expect((await run(false)).out).toMatchObject({ succeeded: true, detail: 'the server issued fresh tokens to the attacker' });
    const strict = await run(true);
    expect(strict.out.succeeded).toBe(false);
    expect(strict.w.ledger().filter((e) => e.kind === 'refresh_token').every((e) => !e.usable)).toBe(true);
  });

  test('server knob reuseDetection: off, a thief who refreshes first keeps the session when the CLI\'s refresh fails; on, the whole family dies', async () => {
    const run = async (reuseDetection: boolean) => {
      const { w } = await loginWorld({ serverKnobs: { reuseDetection } });
      const [rt0] = issued(w, 'refresh_token');
      const stolen = await w.attack((a) => a.replayRefreshToken(rt0)); // the thief refreshes first
      expect(stolen.succeeded).toBe(true);
      await w.advance(901_000);
      await w.send({ type: 'user.whoami' }); // the CLI presents the now rotated-out token
      expect(w.state()).toBe('reauthRequired');
      await w.advance(DAY);
      const later = await w.attack((a) => a.replayRefreshToken());
      return { w, later };
    };
    const off = await run(false);
    expect(off.later).toMatchObject({ succeeded: true, detail: 'the server issued fresh tokens to the attacker' });
    expect(auditTypes(off.w)).not.toContain('refresh_token.reuse_detected');

    const on = await run(true);
    expect(on.later).toMatchObject({ succeeded: false, detail: 'refused: invalid_grant (refresh token has been revoked)' });
    expect(on.w.idp.as.audit.ofType('refresh_token.reuse_detected')[0]!.from?.ip).toBe(ADDRESSES.cli);
  });

  test('server knob revocationCascade: off, a stolen access token keeps working after its refresh token is revoked; on, it dies with it', async () => {
    const run = async (revocationCascade: boolean) => {
      const { w } = await loginWorld({ serverKnobs: { revocationCascade } });
      const [at] = issued(w, 'access_token');
      const [rt] = issued(w, 'refresh_token');
      const res = await task(w, () => w.wire.fetchFor('cli', ADDRESSES.cli)(`${w.idp.as.issuer}/revoke`, tokenRequest({ token: rt!, token_type_hint: 'refresh_token' })));
      expect(res.status).toBe(200);
      return w.attack((a) => a.replayAccessToken(at));
    };
    expect(await run(false)).toMatchObject({ succeeded: true, detail: 'GET /api/projects answered 200 for the stolen token' });
    expect(await run(true)).toMatchObject({ succeeded: false, detail: 'GET /api/projects refused (401): invalid_token' });
  });

  test('server knob accessTokenRevocationCascade: off, a half-revoked session is revived with its refresh token; on, revoking the access token ends the grant', async () => {
    const run = async (accessTokenRevocationCascade: boolean) => {
      const { w } = await loginWorld({ serverKnobs: { accessTokenRevocationCascade } });
      const [at] = issued(w, 'access_token');
      const [rt] = issued(w, 'refresh_token');
      await task(w, () => w.wire.fetchFor('cli', ADDRESSES.cli)(`${w.idp.as.issuer}/revoke`, tokenRequest({ token: at!, token_type_hint: 'access_token' })));
      return w.attack((a) => a.replayRefreshToken(rt));
    };
    expect(await run(false)).toMatchObject({ succeeded: true, detail: 'the server issued fresh tokens to the attacker' });
    expect(await run(true)).toMatchObject({ succeeded: false, detail: 'refused: invalid_grant (refresh token has been revoked)' });
  });

  test('server knob apiChecksRevocation: off, the stolen access token works after logout; on, the API refuses it', async () => {
    const run = async (apiChecksRevocation: boolean) => {
      const { w } = await loginWorld({ serverKnobs: { apiChecksRevocation } });
      const [at] = issued(w, 'access_token');
      await w.send({ type: 'user.logout' });
      expect(w.state()).toBe('loggedOut');
      return { w, out: await w.attack((a) => a.replayAccessToken(at)) };
    };
    const off = await run(false);
    expect(off.out).toMatchObject({ succeeded: true, detail: 'GET /api/projects answered 200 for the stolen token' });
    expect(off.w.terminal()).toContain('warning: the server refused to revoke the access token (HTTP 400, unsupported_token_type).');
    const on = await run(true);
    expect(on.out).toMatchObject({ succeeded: false, detail: 'GET /api/projects refused (401): invalid_token' });
  });

  test('server knob defaultScopes: a broad default turns a scope-less phishing login into a destructive token; the default is read-only', async () => {
    const run = async (defaultScopes: string[]) => {
      const w = await createWorld({ serverKnobs: { defaultScopes } });
      expect((await w.attack((a) => a.phish('approves-anything'))).succeeded).toBe(true);
      return w.attack((a) => a.replayAccessToken(undefined, { method: 'DELETE', path: '/api/projects/p1' }));
    };
    expect(await run(['profile', 'projects:read', 'projects:write', 'projects:admin'])).toMatchObject({ succeeded: true, detail: 'DELETE /api/projects/p1 answered 200 for the stolen token' });
    expect(await run([...DEFAULT_SERVER_KNOBS.defaultScopes])).toMatchObject({ succeeded: false, detail: 'DELETE /api/projects/p1 refused (403): insufficient_scope' });
  });

  test('server knob dpopRequired: false (the default, for compatibility) hands a non-DPoP CLI replayable bearer tokens; true issues none, and a DPoP CLI\'s tokens resist replay', async () => {
    const lax = await loginWorld({ serverKnobs: { dpopRequired: false } });
    expect(lax.w.state()).toBe('authenticated.ready');
    expect((await lax.w.attack((a) => a.replayWithoutDpopKey(issued(lax.w, 'access_token')[0]))).succeeded).toBe(true);

    const strictBearer = await loginWorld({ serverKnobs: { dpopRequired: true } });
    expect(strictBearer.w.state()).toBe('failed');
    expect(issued(strictBearer.w, 'access_token')).toEqual([]);

    const strictDpop = await loginWorld({ serverKnobs: { dpopRequired: true }, clientKnobs: { dpop: true } });
    expect(strictDpop.w.state()).toBe('authenticated.ready');
    expect((await strictDpop.w.attack((a) => a.replayWithoutDpopKey(issued(strictDpop.w, 'access_token')[0]))).succeeded).toBe(false);
  });

  test('server knob rateLimitPerMinute: a huge limit lets one address fire 200 token requests a minute; the default answers 429 after 120', async () => {
    const run = async (rateLimitPerMinute: number) => {
      const w = await createWorld({ serverKnobs: { rateLimitPerMinute } });
      const fire = w.wire.fetchFor('attacker', ADDRESSES.attacker);
      const statuses: number[] = [];
      await task(w, async () => {
        for (let i = 0; i < 200; i++) {
          statuses.push((await fire(`${w.idp.as.issuer}/token`, tokenRequest({ grant_type: 'refresh_token', refresh_token: `guess-${i}` }))).status);
        }
      });
      return statuses;
    };
    expect(new Set(await run(100_000))).toEqual(new Set([400]));
    const limited = await run(DEFAULT_SERVER_KNOBS.rateLimitPerMinute);
    expect(limited.filter((s) => s === 400)).toHaveLength(120);
    expect(limited.slice(120)).toEqual(Array(80).fill(429));
  });

  test('server knob codeLifetimeS: a phishing code opened 20 minutes later still delivers tokens with a 1-hour lifetime; 10 minutes has expired it', async () => {
    const run = async (codeLifetimeS: number) => {
      const w = await createWorld({ serverKnobs: { codeLifetimeS } });
      const mallory = w.wire.fetchFor('attacker', ADDRESSES.attacker);
      const da = (await (await mallory(`${w.idp.as.issuer}/device_authorization`, tokenRequest({}))).json()) as Record<string, string>;
      await w.advance(20 * 60_000); // the victim reads the mail later
      const victim = new SimBrowser(w.wire.fetchFor('victim', ADDRESSES.victim), w.idp.as.endpoints.verification);
      const page = await task(w, async () => {
        await victim.signIn('alice');
        const entered = await victim.enterCode(da.user_code!);
        return entered.status === 200 ? victim.decide(da.user_code!, 'approve') : entered;
      });
      const poll = await task(w, async () => (await mallory(`${w.idp.as.issuer}/token`, tokenRequest({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: da.device_code! }))).json() as Promise<Record<string, unknown>>);
      return { page, poll };
    };
    const long = await run(3600);
    expect(long.page.status).toBe(200);
    expect(long.poll.access_token).toEqual(expect.any(String));
    const short = await run(DEFAULT_SERVER_KNOBS.codeLifetimeS);
    expect(short.page).toMatchObject({ status: 400, body: { error: 'expired_user_code' } });
    expect(short.poll).toMatchObject({ error: 'expired_token' });
  });
});
