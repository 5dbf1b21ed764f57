/**
 * The polling loop: interval, slow_down, network timeouts, and every way it stops (RFC 8628 §3.2, §3.5).
 */
import { describe, expect, test } from 'vitest';
import { replies, type Reply } from './testing/fake-server.ts';
import { startCli } from './testing/harness.ts';

const HOUR = 3_600_000;

async function loginWith(script: Reply[], opts: Parameters<typeof startCli>[0] = {}) {
  const cli = await startCli(opts);
  cli.server.on('poll', ...script);
  await cli.send({ type: 'user.login' });
  return cli;
}

describe('interval', () => {
  test('RFC8628-3.2-interval-default: without interval the first poll is 5 s after the codes and every gap is 5 s', async () => {
    const cli = await loginWith([replies.pending(), replies.pending(), replies.pending(), replies.tokens()], { server: { device: { interval: undefined } } });
    const codesAt = cli.server.of('device')[0]!.endedAt!;
    await cli.runUntilState('authenticated.ready');
    expect(cli.polls()[0]!.at - codesAt).toBe(5_000);
    expect(cli.pollGapsS()).toEqual([5, 5, 5]);
  });

  test('RFC8628-3.2-interval: the server\'s interval is used when present', async () => {
    const cli = await loginWith([replies.pending(), replies.pending(), replies.tokens()], { server: { device: { interval: 7 } } });
    const codesAt = cli.server.of('device')[0]!.endedAt!;
    await cli.runUntilState('authenticated.ready');
    expect(cli.polls()[0]!.at - codesAt).toBe(7_000);
    expect(cli.pollGapsS()).toEqual([7, 7]);
  });

  test('RFC8628-3.5-pending: authorization_pending keeps the machine polling and schedules the next poll', async () => {
    const cli = await loginWith([replies.pending()]);
    await cli.advance(5_000);
    expect(cli.polls()).toHaveLength(1);
    expect(cli.state()).toBe('signingIn.awaitingApproval.waitingInterval');
    expect(cli.clock.pending().map((t) => t.due - cli.clock.now())).toContain(5_000);
    await cli.advance(5_000);
    expect(cli.polls()).toHaveLength(2);
  });

  test('RFC8628-3.5-slowdown: [slow_down, pending, slow_down, pending] with interval 5 gives gaps 10, 10, 15, 15', async () => {
    const cli = await loginWith([replies.slowDown(), replies.pending(), replies.slowDown(), replies.pending(), replies.tokens()]);
    await cli.runUntilState('authenticated.ready');
    expect(cli.pollGapsS()).toEqual([10, 10, 15, 15]);
  });

  test('RFC8628-3.5-slowdown: the interval never shrinks afterwards, across pending and network errors', async () => {
    const cli = await loginWith([replies.slowDown(), replies.pending(), replies.networkError(), replies.pending(), replies.pending(), replies.tokens()]);
    const seen: number[] = [];
    await cli.runUntil(() => {
      seen.push(cli.context.intervalS);
      return cli.state() === 'authenticated.ready';
    });
    // slow_down 5 → 10; pending; network error 10 → 20; then 20 stays.
    expect(cli.pollGapsS()).toEqual([10, 10, 20, 20, 20]);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]!);
  });

  test('GitHub-style slow_down with a new interval: the client takes max(own + 5, server\'s)', async () => {
    const cli = await loginWith([replies.slowDown(20), replies.pending(), replies.slowDown(7), replies.pending(), replies.tokens()]);
    await cli.runUntilState('authenticated.ready');
    // 5 → max(10, 20) = 20 → 20 → max(25, 7) = 25 → 25
    expect(cli.pollGapsS()).toEqual([20, 20, 25, 25]);
  });

  test('GitHub-style pending with HTTP 200: the CLI branches on error, not on the status', async () => {
    const cli = await loginWith([{ status: 200, json: { error: 'authorization_pending' } }, { status: 200, json: { error: 'slow_down', interval: 10 } }, replies.tokens()]);
    await cli.runUntilState('authenticated.ready');
    expect(cli.pollGapsS()).toEqual([5, 10]);
    expect(cli.state()).toBe('authenticated.ready');
  });

  test('GitHub-style form-urlencoded poll answers are understood', async () => {
    const cli = await loginWith([{ status: 200, form: { error: 'slow_down', interval: '10' } }, replies.tokens()]);
    await cli.runUntilState('authenticated.ready');
    expect(cli.pollGapsS()).toEqual([10]);
  });
});

describe('network timeouts', () => {
  test('RFC8628-3.5-timeout-backoff: after a network timeout the next gap is greater than the previous one', async () => {
    const cli = await loginWith([replies.pending(), replies.networkError(), replies.pending(), replies.tokens()]);
    await cli.runUntilState('authenticated.ready');
    const gaps = cli.pollGapsS();
    expect(gaps).toEqual([5, 10, 10]);
    expect(gaps[1]).toBeGreaterThan(gaps[0]!);
    expect(cli.output()).toContain('Network problem; trying again in 10 s.');
  });

  test('RFC8628-3.5-exp-backoff: three timeouts in a row from interval 5 → gaps 10, 20, 40', async () => {
    const cli = await loginWith([replies.networkError(), replies.networkError(), replies.networkError(), replies.tokens()]);
    await cli.runUntilState('authenticated.ready');
    expect(cli.pollGapsS()).toEqual([10, 20, 40]);
  });

  test('RFC8628-3.5-exp-backoff: the backoff is capped at 60 s', async () => {
    const cli = await loginWith(
      [replies.networkError(), replies.networkError(), replies.networkError(), replies.networkError(), replies.networkError(), replies.tokens()],
      { server: { device: { expires_in: 1800 } } },
    );
    await cli.runUntilState('authenticated.ready');
    expect(cli.pollGapsS()).toEqual([10, 20, 40, 60, 60]);
  });

  /** What the simulated server's rate limiter sends (RFC 6585 §4): 429, Retry-After, no OAuth error code. */
  const tooMany = (retryAfter?: string): Reply => ({
    status: 429, json: { error_description: 'too many requests from this client' }, ...(retryAfter === undefined ? {} : { headers: { 'Retry-After': retryAfter } }),
  });

  test('RFC8628-3.5-exp-backoff: polls answered 429 without Retry-After (no OAuth error) back off 10, 20, 40 s and keep polling', async () => {
    const cli = await loginWith([tooMany(), tooMany(), tooMany(), replies.tokens()]);
    await cli.runUntilState('authenticated.ready', HOUR);
    expect(cli.state()).toBe('authenticated.ready');
    expect(cli.pollGapsS()).toEqual([10, 20, 40]);
    expect(cli.output()).toContain('The server is busy (HTTP 429); checking again in 20 s.');
  });

  test('RFC8628-3.5-exp-backoff: a poll answered 429 or 503 with Retry-After (seconds or HTTP-date) polls again at the Retry-After time when that is past the doubled interval', async () => {
    const seconds = await loginWith([tooMany('30'), replies.tokens()]);
    await seconds.runUntilState('authenticated.ready', HOUR);
    expect(seconds.pollGapsS()).toEqual([30]);
    expect(seconds.output()).toContain('The server is busy (HTTP 429); checking again in 30 s.');

    const date = await loginWith([(_ex, server) => ({ status: 503, headers: { 'Retry-After': new Date(server.clock.now() + 45_000).toUTCString() }, text: '' }), replies.tokens()]);
    await date.runUntilState('authenticated.ready', HOUR);
    expect(date.pollGapsS()).toEqual([45]);
    expect(date.output()).toContain('The server is busy (HTTP 503); checking again in 45 s.');

    // A short Retry-After does not undercut the back-off: 2 s asked, the 5 s interval doubles to 10 s.
    const short = await loginWith([tooMany('2'), replies.tokens()]);
    await short.runUntilState('authenticated.ready', HOUR);
    expect(short.pollGapsS()).toEqual([10]);
  });

  test('RFC8628-3.5-exp-backoff: a Retry-After past the CLI\'s bound waits the bound (300 s), says so, and the code\'s own deadline still applies', async () => {
    const cli = await loginWith([tooMany('86400'), replies.tokens()], { server: { device: { expires_in: 1800 } } });
    await cli.runUntilState('authenticated.ready', HOUR);
    expect(cli.pollGapsS()).toEqual([300]);
    expect(cli.output()).toEqual(expect.arrayContaining([
      'The server is busy (HTTP 429); checking again in 5 min.',
      'warning: the server asked to wait 1440 min; this CLI waits at most 5 min between polls.',
    ]));
  });

  test('RFC8628-3.5-stop-on-other: a 429 carrying a final OAuth error (invalid_grant) still stops polling; a 500 server_error too', async () => {
    for (const reply of [replies.error('invalid_grant', 429), replies.error('server_error', 500)]) {
      const cli = await loginWith([reply]);
      await cli.advance(HOUR);
      expect(cli.state()).toBe('failed');
      expect(cli.polls()).toHaveLength(1);
    }
  });

  test('RFC8628-3.5-timeout-backoff: a poll with no answer is abandoned after the request timeout, then the interval doubles', async () => {
    const cli = await loginWith([replies.hang(), replies.pending(), replies.tokens()]);
    await cli.runUntilState('authenticated.ready');
    const [first] = cli.polls();
    expect(first!.outcome).toBe('aborted');
    expect(first!.endedAt! - first!.at).toBe(10_000);
    // 10 s timeout + 10 s doubled interval; then the doubled interval stays.
    expect(cli.pollGapsS()).toEqual([20, 10]);
  });

  test('a slow answer within the request timeout is not a timeout', async () => {
    const cli = await loginWith([{ ...replies.pending(), delayMs: 9_000 }, replies.tokens()]);
    await cli.runUntilState('authenticated.ready');
    expect(cli.pollGapsS()).toEqual([14]);
  });
});

describe('stopping', () => {
  test('RFC8628-3.5-access_denied: access_denied → denied, and polling stops', async () => {
    const cli = await loginWith([replies.pending(), replies.denied()]);
    await cli.advance(HOUR);
    expect(cli.state()).toBe('denied');
    expect(cli.polls()).toHaveLength(2);
    expect(cli.output().at(-1)).toBe('✗ Access denied (access_denied). Run `acme login` to start again.');
  });

  test("Entra's authorization_declined is a denial", async () => {
    const cli = await loginWith([replies.error('authorization_declined')]);
    await cli.advance(HOUR);
    expect(cli.state()).toBe('denied');
    expect(cli.polls()).toHaveLength(1);
  });

  test('RFC8628-3.5-expired_token: expired_token → expired, and polling stops', async () => {
    const cli = await loginWith([replies.pending(), replies.expired()]);
    await cli.advance(HOUR);
    expect(cli.state()).toBe('expired');
    expect(cli.polls()).toHaveLength(2);
  });

  test('RFC8628-3.2-expires_in: the client arms a deadline of expires_in and stops polling when it fires', async () => {
    const cli = await loginWith([], { server: { device: { expires_in: 30 } } });
    const codesAt = cli.server.of('device')[0]!.endedAt!;
    await cli.advance(HOUR);
    expect(cli.state()).toBe('expired');
    expect(cli.polls().map((p) => (p.at - codesAt) / 1000)).toEqual([5, 10, 15, 20, 25]);
    expect(cli.output().at(-1)).toBe('✗ The code expired after 30 s without approval. Run `acme login` to start again.');
  });

  test('RFC8628-3.2-expires_in: the deadline aborts a poll that is in flight at that moment', async () => {
    const cli = await loginWith([replies.pending(), { ...replies.pending(), delayMs: 8_000 }], { server: { device: { expires_in: 12 } } });
    await cli.advance(HOUR);
    expect(cli.state()).toBe('expired');
    expect(cli.polls().map((p) => p.outcome)).toEqual(['answered', 'aborted']);
  });

  test.each([
    ['access_denied', 'denied'],
    ['expired_token', 'expired'],
    ['invalid_grant', 'failed'],
    ['invalid_client', 'failed'],
    ['unsupported_grant_type', 'failed'],
    ['bad_verification_code', 'failed'],
    ['incorrect_device_code', 'failed'],
    ['totally_new_error', 'failed'],
  ])('RFC8628-3.5-stop-on-other: %s → %s and zero further polls', async (error, state) => {
    const cli = await loginWith([replies.pending(), replies.error(error)]);
    await cli.advance(HOUR);
    expect(cli.state()).toBe(state);
    expect(cli.polls()).toHaveLength(2);
  });

  test('RFC8628-3.5-report-error: the terminal shows the error code and its description', async () => {
    const cli = await loginWith([replies.error('invalid_grant', 400, 'device code already consumed')]);
    await cli.advance(10_000);
    expect(cli.output().at(-1)).toBe('✗ Login failed: invalid_grant: device code already consumed');
  });

  test('RFC6749-5.2-error_description: shown, never branched on', async () => {
    const cli = await loginWith([replies.error('authorization_pending', 400, 'access_denied'), replies.error('invalid_grant', 400, 'authorization_pending')]);
    await cli.advance(HOUR);
    expect(cli.polls()).toHaveLength(2);
    expect(cli.state()).toBe('failed');
    expect(cli.output().at(-1)).toBe('✗ Login failed: invalid_grant: authorization_pending');
  });

  test('RFC8628-3.3-poll-until: polling stops at success, at expired_token, at the local deadline and at any other error', async () => {
    const outcomes = await Promise.all(
      [
        [[replies.pending(), replies.tokens()], {}],
        [[replies.pending(), replies.expired()], {}],
        [[], { server: { device: { expires_in: 11 } } }],
        [[replies.pending(), replies.error('server_error', 500)], {}],
      ].map(async ([script, opts]) => {
        const cli = await loginWith(script as Reply[], opts as Parameters<typeof startCli>[0]);
        await cli.advance(HOUR);
        return [cli.state(), cli.polls().length];
      }),
    );
    expect(outcomes).toEqual([
      ['authenticated.ready', 2],
      ['expired', 2],
      ['expired', 2],
      ['failed', 2],
    ]);
  });

  test('a malformed token response stops polling with the field named', async () => {
    const cli = await loginWith([{ json: { token_type: 'Bearer' } }]);
    await cli.advance(HOUR);
    expect(cli.state()).toBe('failed');
    expect(cli.polls()).toHaveLength(1);
    expect(cli.output().at(-1)).toBe('✗ Login failed: token response: "access_token" must be a non-empty string (it is missing)');
  });
});
