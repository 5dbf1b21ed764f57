/**
 * Property tests against a real world (the real authorization server, API, wire, host and CLI machine; no fake
 * server): random interleavings of user commands (login, whoami, api, logout, Ctrl+C; never `acme auth token`,
 * which prints the token on purpose), scripted-user behaviour (approve after random seconds, deny, never),
 * network faults on the CLI's next request, and clock steps. With every knob at its secure default:
 *   - device-code polls are never closer than the current interval (reconstructed from the wire log: the
 *     server's interval, +5 s per slow_down, doubled after a network failure) and the server never has to say
 *     slow_down;
 *   - the CLI's interval never shrinks within one login;
 *   - one poll stream per login, and never two CLI requests in flight at once;
 *   - no poll after a terminal outcome (denied, expired, failed, cancelled) or past the code's lifetime;
 *   - no access or refresh token is ever anywhere but the keychain, the wire and the servers' own logs;
 *   - after a logout that revoked, every replay of every issued token fails;
 *   - with rotation, a replayed rotated-out refresh token revokes the family, and the audit log says so.
 */
import fc from 'fast-check';
import { expect, test, vi } from 'vitest';
import { DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_BACKOFF_CAP_S, type CliEvent } from '../flow/types.ts';
import { DEVICE_CODE_GRANT_TYPE } from '../protocol/constants.ts';
import { createWorld, type HostKind, type ScriptedBehaviour, type World, type WireExchange } from './index.ts';

// Worlds sign real ES256 tokens on the platform's crypto thread pool: give slow machines room (the projects in
// vitest.config.ts do not inherit the root testTimeout).
vi.setConfig({ testTimeout: 60_000 });

type Step =
  | { t: 'cmd'; event: CliEvent }
  | { t: 'behaviour'; b: ScriptedBehaviour }
  | { t: 'fault'; fault: 'network-error' | 'timeout' }
  /** The server's rehearsal control forces a slow_down on the pending code's next poll (POST /control/slow-down). */
  | { t: 'slow-down' }
  | { t: 'advance'; ms: number }
  | { t: 'run' };

const behaviourArb: fc.Arbitrary<ScriptedBehaviour> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 40 }).map((afterS) => ({ kind: 'approve' as const, afterS })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 40 }).map((afterS) => ({ kind: 'deny' as const, afterS })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'never' as const }) },
);

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.constant<Step>({ t: 'cmd', event: { type: 'user.login' } }) },
  { weight: 3, arbitrary: fc.constant<Step>({ t: 'cmd', event: { type: 'user.whoami' } }) },
  { weight: 3, arbitrary: fc.constant<Step>({ t: 'cmd', event: { type: 'user.api', method: 'GET', path: '/api/projects' } }) },
  { weight: 4, arbitrary: fc.constant<Step>({ t: 'cmd', event: { type: 'user.logout' } }) },
  { weight: 1, arbitrary: fc.constant<Step>({ t: 'cmd', event: { type: 'user.cancel' } }) },
  { weight: 2, arbitrary: behaviourArb.map((b): Step => ({ t: 'behaviour', b })) },
  { weight: 2, arbitrary: fc.constantFrom<Step>({ t: 'fault', fault: 'network-error' }, { t: 'fault', fault: 'timeout' }) },
  { weight: 1, arbitrary: fc.constant<Step>({ t: 'slow-down' }) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 60_000 }).map((ms): Step => ({ t: 'advance', ms })) },
  { weight: 2, arbitrary: fc.integer({ min: 60_000, max: 1_000_000 }).map((ms): Step => ({ t: 'advance', ms })) },
  { weight: 5, arbitrary: fc.constant<Step>({ t: 'run' }) },
);

const scenarioArb = fc.record({
  host: fc.constantFrom<HostKind>('laptop', 'laptop', 'shared-host', 'ci-runner'),
  first: behaviourArb,
  steps: fc.array(stepArb, { minLength: 3, maxLength: 24 }),
});

const TERMINAL = ['denied', 'expired', 'failed', 'cancelled'];
const SETTLED = ['authenticated.ready', 'loggedOut', 'reauthRequired', ...TERMINAL];
/** Places a token may legitimately be with default knobs. */
const TOKEN_PLACES = /^(keychain|wire|audit|api-log:.*)$/;

const isDevicePoll = (e: WireExchange) =>
  e.actor === 'cli' && e.request.url.endsWith('/token') && e.request.body.includes(encodeURIComponent(DEVICE_CODE_GRANT_TYPE));
const deviceCodeOf = (e: WireExchange) => new URLSearchParams(e.request.body).get('device_code') ?? '';
const errorOf = (e: WireExchange) => (e.response ? ((JSON.parse(e.response.body || '{}') as { error?: string }).error ?? 'tokens') : undefined);

interface Probe {
  violations: string[];
  /** slow_down answers forced by the rehearsal control, per device code. */
  forced: Map<string, number>;
  /** CLI interval samples per device code. */
  intervals: Map<string, number[]>;
}

/** Watch the world as it runs: requests in flight, the state at each poll, the interval over time. */
function probe(w: World): Probe {
  const p: Probe = { violations: [], forced: new Map(), intervals: new Map() };
  const seen = new Set<number>();
  w.wire.subscribe((e) => {
    if (e.actor !== 'cli' || seen.has(e.id)) return;
    seen.add(e.id);
    const now = w.clock.now();
    // Never two CLI requests in flight: every earlier one was answered, failed, or timed out by now.
    for (const other of w.wire.log) {
      if (other.actor !== 'cli' || other.id === e.id) continue;
      // A hung request counts until the CLI gives up on it (its request timeout, or leaving the state: Ctrl+C).
      const done = other.response !== undefined || other.fault === 'network-error' ||
        (other.fault === 'timeout' && other.abandonedAt !== undefined && other.abandonedAt <= now);
      if (!done) p.violations.push(`request ${e.id} (${e.request.url}) started while ${other.id} (${other.request.url}) was in flight`);
    }
    if (isDevicePoll(e) && w.state() !== 'signingIn.awaitingApproval.polling') {
      p.violations.push(`device-code poll ${e.id} sent in state ${w.state()}`);
    }
  });
  w.cli.subscribe((snap) => {
    const dc = snap.context.device?.device_code;
    if (!dc) return;
    const samples = p.intervals.get(dc) ?? [];
    if (samples.at(-1) !== snap.context.intervalS) samples.push(snap.context.intervalS);
    p.intervals.set(dc, samples);
  });
  return p;
}

/** The wire-log invariants about polling, reconstructed independently of the machine. */
function checkPolling(w: World, p: Probe): void {
  const cli = w.wire.log.filter((e) => e.actor === 'cli');
  const codes: Array<{ dc: string; at: number; expiresIn: number; interval: number }> = [];
  for (const e of cli) {
    if (e.request.url.endsWith('/device_authorization') && e.response?.status === 200) {
      const body = JSON.parse(e.response.body) as { device_code: string; expires_in: number; interval: number };
      codes.push({ dc: body.device_code, at: e.startedAt, expiresIn: body.expires_in, interval: body.interval });
    }
  }
  for (const [i, code] of codes.entries()) {
    // One poll stream per login: this code's polls all come before the next code was requested.
    const nextCodeAt = codes[i + 1]?.at ?? Infinity;
    const polls = cli.filter((e) => isDevicePoll(e) && deviceCodeOf(e) === code.dc);
    for (const poll of polls) {
      expect(poll.startedAt, 'poll of an older login after a new code was issued').toBeLessThanOrEqual(nextCodeAt);
      expect(poll.startedAt - code.at, 'poll past the code lifetime').toBeLessThan(code.expiresIn * 1000);
    }
    let interval = code.interval;
    let last = code.at;
    let lastFault: WireExchange['fault'];
    let slowDowns = 0;
    for (const [k, poll] of polls.entries()) {
      const gap = poll.startedAt - last;
      // The first poll waits one interval after the code arrived; each later one the interval current then.
      const wait = interval * 1000 + (k > 0 && lastFault === 'timeout' ? DEFAULT_REQUEST_TIMEOUT_MS : 0);
      expect(gap, `poll ${k + 1} of ${code.dc.slice(0, 6)}: gap ${gap} ms, interval ${interval} s`).toBe(wait);
      const answer = errorOf(poll);
      if (answer === 'slow_down') {
        // Only the forced ones: an honest poller never earns slow_down. Each adds 5 s for this and every later poll.
        slowDowns++;
        expect(slowDowns, 'the server had to say slow_down').toBeLessThanOrEqual(p.forced.get(code.dc) ?? 0);
        interval += 5;
      }
      if (poll.fault) interval = Math.max(interval, Math.min(interval * 2, DEFAULT_BACKOFF_CAP_S));
      last = poll.startedAt;
      lastFault = poll.fault;
      // No poll after a terminal answer.
      if (answer !== undefined && answer !== 'authorization_pending' && answer !== 'slow_down') {
        expect(polls.slice(k + 1), `polls after ${answer}`).toEqual([]);
        break;
      }
    }
  }
  for (const [dc, samples] of p.intervals) {
    expect(samples, `interval of ${dc.slice(0, 6)} shrank`).toEqual([...samples].sort((a, b) => a - b));
  }
}

function checkLedger(w: World): void {
  for (const entry of w.ledger()) {
    if (entry.kind !== 'access_token' && entry.kind !== 'refresh_token') continue;
    const stray = entry.places.map((pl) => pl.placeId).filter((id) => !TOKEN_PLACES.test(id));
    expect(stray, `${entry.kind} ${entry.fingerprint} found in ${stray.join(', ')}`).toEqual([]);
    expect(entry.atRisk).toBe(false);
  }
}

/** Every token the server ever issued, replayed as if stolen: all must fail. */
async function checkAllReplaysFail(w: World): Promise<void> {
  for (const s of w.idp.as.issuedSecrets()) {
    if (s.kind === 'access_token') {
      const out = await w.attack((a) => a.replayAccessToken(s.value, { method: 'GET', path: '/api/me' }));
      expect(out.succeeded, `access token ${s.value.slice(-6)} still works after logout: ${out.detail}`).toBe(false);
    } else if (s.kind === 'refresh_token') {
      const out = await w.attack((a) => a.replayRefreshToken(s.value));
      expect(out.succeeded, `refresh token still works after logout: ${out.detail}`).toBe(false);
    }
  }
}

/** With rotation: replay a rotated-out refresh token of a live grant; the family must be revoked, with audit events. */
async function checkReuseDetection(w: World): Promise<boolean> {
  const state = w.idp.as.state;
  const rotated = [...state.refreshTokens.values()].find((rt) => rt.status === 'rotated' && state.grants.get(rt.grantId)?.revokedAt === undefined);
  if (!rotated) return false;
  const before = w.idp.as.audit.events.length;
  const out = await w.attack((a) => a.replayRefreshToken(rotated.value));
  expect(out).toMatchObject({ succeeded: false, detail: 'refused: invalid_grant (refresh token already used; all tokens of this grant are revoked)' });
  const added = w.idp.as.audit.events.slice(before);
  expect(added.map((e) => e.type)).toEqual(['refresh_token.reuse_detected', 'grant.revoked']);
  expect(added.every((e) => e.grantId === rotated.grantId)).toBe(true);
  expect(state.grants.get(rotated.grantId)?.revokedAt).toBe(w.clock.now());
  for (const s of w.idp.as.issuedSecrets()) {
    if ((s.kind === 'access_token' || s.kind === 'refresh_token') && [...state.refreshTokensOf(rotated.grantId), ...state.accessTokensOf(rotated.grantId)].some((t) => t.value === s.value)) {
      expect(s.usable).toBe(false);
    }
  }
  return true;
}

const stats = { logins: 0, loggedOutChecked: 0, reuseChecked: 0, slowDowns: 0, runs: 0 };

test('with default knobs, random commands, approvals, faults and clock steps keep every polling, exposure and revocation invariant', async () => {
  await fc.assert(
    fc.asyncProperty(scenarioArb, async ({ host, first, steps }) => {
      stats.runs++;
      const w = await createWorld({ host: { kind: host }, userBehaviour: first });
      const p = probe(w);
      let logoutChecked = false;
      for (const step of steps) {
        switch (step.t) {
          case 'cmd':
            if (step.event.type === 'user.login') logoutChecked = false;
            await w.send(step.event);
            break;
          case 'behaviour':
            w.scriptedUser.behaviour = step.b;
            break;
          case 'fault':
            w.wire.injectFault({ fault: step.fault });
            break;
          case 'slow-down':
            for (const rec of w.idp.as.state.deviceGrants.values()) {
              if (rec.status !== 'pending' || rec.expiresAt <= w.clock.now()) continue;
              rec.forcedSlowDowns++;
              p.forced.set(rec.deviceCode, (p.forced.get(rec.deviceCode) ?? 0) + 1);
            }
            break;
          case 'advance':
            await w.advance(step.ms);
            break;
          case 'run':
            await w.runUntil(() => SETTLED.includes(w.state()), 700_000);
            break;
        }
        if (w.state().startsWith('authenticated')) stats.logins++;
        expect(p.violations).toEqual([]);
        checkLedger(w);
        if (w.state() === 'loggedOut' && !logoutChecked) {
          logoutChecked = true;
          stats.loggedOutChecked++;
          await checkAllReplaysFail(w);
        }
      }
      checkPolling(w, p);
      stats.slowDowns += w.wire.log.filter((e) => isDevicePoll(e) && errorOf(e) === 'slow_down').length;
      expect(p.violations).toEqual([]);
      if (await checkReuseDetection(w)) stats.reuseChecked++;
      w.stop();
    }),
    { numRuns: 150 },
  );
  console.info('world properties:', JSON.stringify(stats));
  // The generators must actually reach the interesting states.
  expect(stats.logins).toBeGreaterThan(20);
  expect(stats.loggedOutChecked).toBeGreaterThan(3);
}, 60_000);

test('a forced reuse scenario: after a refresh, replaying the old refresh token revokes the family (always exercised)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 901, max: 3 * 24 * 3600 - 1 }), async (afterS, idleS) => {
      const w = await createWorld({ userBehaviour: { kind: 'approve', afterS } });
      await w.send({ type: 'user.login' });
      await w.runUntil(() => SETTLED.includes(w.state()));
      expect(w.state()).toBe('authenticated.ready');
      await w.advance(idleS * 1000);
      await w.send({ type: 'user.whoami' });
      expect(w.terminal().at(-1)).toBe('{"sub":"alice"}');
      expect(await checkReuseDetection(w)).toBe(true);
      // The CLI's own session died with the family: its next call ends the session.
      await w.advance(901_000);
      await w.send({ type: 'user.whoami' });
      expect(w.state()).toBe('reauthRequired');
      w.stop();
    }),
    { numRuns: 10 },
  );
});
