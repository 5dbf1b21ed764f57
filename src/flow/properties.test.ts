/**
 * Property tests: random server scripts (pending, slow_down with and without a new interval, network errors,
 * hanging and slow answers, approval, denial, expiry, other errors) and random clock steps, against a real actor.
 * The reference model below is deliberately independent of src/flow/interval.ts.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { replies, type Reply } from './testing/fake-server.ts';
import { startCli } from './testing/harness.ts';

type Step =
  | { t: 'pending' }
  | { t: 'slow_down'; interval?: number }
  | { t: 'network' }
  | { t: 'hang' }
  | { t: 'slow'; delayMs: number }
  | { t: 'approve' }
  | { t: 'deny' }
  | { t: 'expire' }
  | { t: 'error' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ t: 'pending' } as const) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('slow_down' as const), interval: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }) }) },
  { weight: 2, arbitrary: fc.constant({ t: 'network' } as const) },
  { weight: 1, arbitrary: fc.constant({ t: 'hang' } as const) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('slow' as const), delayMs: fc.integer({ min: 1, max: 9_000 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'approve' } as const) },
  { weight: 1, arbitrary: fc.constant({ t: 'deny' } as const) },
  { weight: 1, arbitrary: fc.constant({ t: 'expire' } as const) },
  { weight: 1, arbitrary: fc.constant({ t: 'error' } as const) },
);

function toReply(step: Step): Reply {
  switch (step.t) {
    case 'pending': return replies.pending();
    case 'slow_down': return replies.slowDown(step.interval);
    case 'network': return replies.networkError();
    case 'hang': return replies.hang();
    case 'slow': return { ...replies.pending(), delayMs: step.delayMs };
    case 'approve': return replies.tokens();
    case 'deny': return replies.denied();
    case 'expire': return replies.expired();
    case 'error': return replies.error('invalid_grant');
  }
}

/** Reference model: the interval after a poll answered by `step` (RFC 8628 §3.5), and how long the answer took. */
function model(step: Step, interval: number): { interval: number; latencyMs: number } {
  switch (step.t) {
    case 'slow_down': return { interval: Math.max(interval + 5, step.interval ?? 0), latencyMs: 0 };
    case 'network': return { interval: Math.max(interval, Math.min(interval * 2, 60)), latencyMs: 0 };
    case 'hang': return { interval: Math.max(interval, Math.min(interval * 2, 60)), latencyMs: 10_000 };
    case 'slow': return { interval, latencyMs: step.delayMs };
    default: return { interval, latencyMs: 0 };
  }
}

const TERMINAL = ['denied', 'expired', 'failed', 'cancelled', 'authenticated'];
const HOUR = 3_600_000;

const scenario = fc.record({
  script: fc.array(stepArb, { minLength: 0, maxLength: 25 }),
  serverInterval: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
  expiresIn: fc.integer({ min: 20, max: 300 }),
  clockSteps: fc.array(fc.integer({ min: 1, max: 30_000 }), { minLength: 1, maxLength: 40 }),
  cancelAt: fc.option(fc.nat({ max: 39 }), { nil: undefined }),
  debugBodies: fc.boolean(),
});

test('RFC8628-3.5-wait-interval: over random scripts and clock steps, gaps, streams, stops and secrets all hold', async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async ({ script, serverInterval, expiresIn, clockSteps, cancelAt, debugBodies }) => {
      const cli = await startCli({
        knobs: debugBodies ? { debug: 'bodies' } : {},
        server: { device: { interval: serverInterval, expires_in: expiresIn } },
      });
      cli.server.on('poll', ...script.map(toReply));
      const intervals: number[] = [];
      let terminalAt: number | undefined;
      cli.actor.subscribe((s) => {
        intervals.push(s.context.intervalS);
        const top = typeof s.value === 'string' ? s.value : Object.keys(s.value)[0]!;
        if (terminalAt === undefined && TERMINAL.includes(top)) terminalAt = cli.clock.now();
      });

      await cli.send({ type: 'user.login' });
      for (const [i, ms] of clockSteps.entries()) {
        if (i === cancelAt) await cli.send({ type: 'user.cancel' });
        await cli.advance(ms);
      }
      await cli.advance(2 * HOUR);
      if (cli.state() === 'authenticated.ready') {
        await cli.send({ type: 'user.api', method: 'GET', path: '/api/projects' });
        await cli.send({ type: 'user.whoami' });
      }

      const polls = cli.polls();
      // Exactly one login stream.
      expect(cli.server.of('device')).toHaveLength(1);
      // Every gap is exactly (answer latency + current interval) per the model, so never below the current interval.
      let interval = serverInterval ?? 5;
      for (let k = 0; k + 1 < polls.length; k++) {
        const next = model(script[k] ?? { t: 'pending' }, interval);
        interval = next.interval;
        expect(polls[k + 1]!.at - polls[k]!.at).toBe(next.latencyMs + interval * 1000);
      }
      // The interval never shrinks.
      for (let i = 1; i < intervals.length; i++) expect(intervals[i]).toBeGreaterThanOrEqual(intervals[i - 1]!);
      // Never two polls in flight.
      for (let k = 0; k + 1 < polls.length; k++) expect(polls[k]!.endedAt!).toBeLessThanOrEqual(polls[k + 1]!.at);
      // A terminal outcome was reached (the deadline guarantees it), and no poll started or stayed open after it.
      expect(terminalAt).toBeDefined();
      for (const p of polls) {
        expect(p.at).toBeLessThanOrEqual(terminalAt!);
        expect(p.outcome).not.toBe('pending');
        expect(p.endedAt!).toBeLessThanOrEqual(terminalAt!);
      }
      // Nothing secret reaches the terminal, the debug log or a sub-process's argv.
      const visible = [
        ...cli.output(),
        ...cli.debug(),
        ...cli.events('cli.exec').flatMap((e) => e.argv),
      ];
      for (const secret of cli.server.secrets) for (const text of visible) expect(text).not.toContain(secret);
      cli.stop();
    }),
    { numRuns: Number(process.env.PROPERTY_RUNS ?? 100) },
  );
});

test('RFC8628-3.5-slowdown: the interval after any run of slow_downs is 5 s per slow_down above the start (no server interval)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.constantFrom<Step>({ t: 'pending' }, { t: 'slow_down' }), { maxLength: 12 }), async (script) => {
      const cli = await startCli({ server: { device: { expires_in: 3600 } } });
      cli.server.on('poll', ...script.map(toReply), replies.tokens());
      await cli.login();
      const slowDowns = script.filter((s) => s.t === 'slow_down').length;
      expect(cli.context.intervalS).toBe(5 + 5 * slowDowns);
      const gaps = cli.pollGapsS();
      expect(gaps).toEqual(script.map((_, k) => 5 + 5 * script.slice(0, k + 1).filter((s) => s.t === 'slow_down').length));
      cli.stop();
    }),
    { numRuns: 40 },
  );
});

type RevokeAnswer = '200' | '503' | '400' | 'network' | 'hang';
const revokeReply = (a: RevokeAnswer): Reply =>
  a === '200' ? { status: 200 }
    : a === '503' ? { status: 503, json: { error: 'temporarily_unavailable' } }
      : a === '400' ? replies.error('unsupported_token_type')
        : a === 'network' ? replies.networkError()
          : replies.hang();

test('logout always ends logged out with the store empty; "✓ Logged out." only when the server confirmed or refused every token (RFC 7009 §2.2)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.constantFrom<RevokeAnswer>('200', '503', '400', 'network', 'hang'), { maxLength: 10 }), async (script) => {
      const cli = await startCli();
      cli.server.on('poll', replies.tokens());
      await cli.login();
      cli.server.on('revoke', ...script.map(revokeReply));
      await cli.send({ type: 'user.logout' });
      await cli.advance(HOUR);
      expect(cli.state()).toBe('loggedOut');
      expect([...cli.storage.slots.values()]).toEqual([]);
      expect(cli.context.session).toBeUndefined();
      // Every revocation either got an answer other than 503, or logout said which tokens may still be valid.
      const revokes = cli.server.of('revoke');
      const settled = new Set(revokes.filter((e) => e.status !== undefined && e.status !== 503).map((e) => e.form.token_type_hint));
      const out = cli.output();
      const confirmedAll = settled.has('refresh_token') && settled.has('access_token');
      expect(out.includes('✓ Logged out.')).toBe(confirmedAll);
      expect(out.some((l) => l.startsWith('✗ Logout incomplete:'))).toBe(!confirmedAll);
      for (const secret of cli.server.secrets) for (const text of out) expect(text).not.toContain(secret);
      // Never a revocation after the logout finished, and never more than 4 attempts per token.
      for (const hint of ['refresh_token', 'access_token']) expect(revokes.filter((e) => e.form.token_type_hint === hint).length).toBeLessThanOrEqual(4);
      cli.stop();
    }),
    { numRuns: Number(process.env.PROPERTY_RUNS ?? 60) },
  );
});

test('early refresh: for any lifetime and call time, a call refreshes first exactly when the token expires within min(30 s, lifetime / 10)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 7200 }), fc.double({ min: 0, max: 1, noNaN: true }), async (lifetimeS, at) => {
      const cli = await startCli({ server: { accessTokenTtlS: lifetimeS } });
      cli.server.on('poll', replies.tokens());
      await cli.login();
      const callAt = Math.floor(at * lifetimeS * 1000);
      await cli.advance(callAt);
      await cli.send({ type: 'user.whoami' });
      const marginMs = Math.min(30_000, Math.floor(lifetimeS * 1000 / 10));
      const kinds = cli.server.exchanges.filter((e) => e.kind === 'api' || e.kind === 'refresh').map((e) => `${e.kind} ${e.status}`);
      expect(kinds).toEqual(callAt >= lifetimeS * 1000 - marginMs ? ['refresh 200', 'api 200'] : ['api 200']);
      cli.stop();
    }),
    { numRuns: Number(process.env.PROPERTY_RUNS ?? 60) },
  );
});
