/**
 * The CLI machine on the real clock, with the real fetch, against a hostile authorization server and API of our
 * own on loopback (node:http on 127.0.0.1). The virtual-clock tests (hostile.test.ts) prove the rules; these
 * prove them where the bugs were seen: real timers, on which a delay past 2^31-1 ms fires at once.
 *
 * Before the bounds, `interval: 3000000` gave hundreds of polls a second here and a 30-day `expires_in` ended the
 * login at once; each test below would fail that way. They wait a fixed real time (1.5 s) and count what
 * happened in it: a correct CLI does nothing in that window, so load on the machine cannot make it pass wrongly.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createActor, type Actor } from 'xstate';
import { realClock } from '../sim/clock.ts';
import { cliMachine } from './machine.ts';
import { REDACTED } from './redact.ts';
import { statePath } from './testing/harness.ts';
import { MemoryStorageHost } from './testing/memory-storage.ts';
import type { CliEmitted } from './types.ts';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const DAY_S = 86_400;
/** What a terminal acts on: C0/C1 controls (ESC included), DEL and the bidi formatting characters. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const WINDOW_MS = 1_500;

interface Answer {
  status?: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
  /** A JSON-looking body that never ends: chunks until the client hangs up (counted in `endlessBytes`). */
  endless?: true;
}

/** The hostile server's behaviour for one test: its device response, poll answers (then pending), API answers. */
interface Behaviour {
  device: Record<string, unknown>;
  polls: Answer[];
  api: Answer[];
}

let server: Server;
let origin = '';
let behaviour: Behaviour;
const polls: number[] = [];
/** Bytes of endless bodies the server managed to hand to the socket (each stops when the client goes). */
let endlessBytes = 0;
const apiCalls: number[] = [];

function reply(res: ServerResponse, a: Answer): void {
  if (a.endless) return endless(res, a.status ?? 200);
  const headers: Record<string, string> = { 'cache-control': 'no-store', ...a.headers };
  if (a.json !== undefined) headers['content-type'] = 'application/json';
  res.writeHead(a.status ?? 200, headers).end(a.json !== undefined ? JSON.stringify(a.json) : (a.text ?? ''));
}

function endless(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.write('{"access_token":"');
  const chunk = 'A'.repeat(64 * 1024);
  let stopped = false;
  res.on('close', () => void (stopped = true));
  const more = () => {
    // As fast as the socket takes it, for as long as the client reads: never more than about 64 MiB in a test.
    while (!stopped && endlessBytes < 64 * 1024 * 1024) {
      endlessBytes += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', more);
    }
  };
  more();
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return new URLSearchParams(body);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  void (async () => {
    const path = new URL(req.url ?? '/', origin).pathname;
    if (path === '/.well-known/oauth-authorization-server') {
      return reply(res, {
        json: { issuer: origin, device_authorization_endpoint: `${origin}/device_authorization`, token_endpoint: `${origin}/token`, grant_types_supported: [DEVICE_CODE_GRANT] },
      });
    }
    if (path === '/device_authorization') return reply(res, { json: behaviour.device });
    if (path === '/token') {
      const form = await readForm(req);
      if (form.get('grant_type') !== DEVICE_CODE_GRANT) return reply(res, { status: 400, json: { error: 'unsupported_grant_type' } });
      polls.push(Date.now());
      return reply(res, behaviour.polls.shift() ?? { status: 400, json: { error: 'authorization_pending' } });
    }
    if (path.startsWith('/api/')) {
      apiCalls.push(Date.now());
      return reply(res, behaviour.api.shift() ?? { json: { ok: true } });
    }
    return reply(res, { status: 404, json: { error: 'not_found' } });
  })();
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Node's own word that a timer was given more than 2^31-1 ms (and fired at once instead). */
const overflowWarnings: string[] = [];
const onWarning = (w: Error) => {
  if (w.name === 'TimeoutOverflowWarning') overflowWarnings.push(w.message);
};
process.on('warning', onWarning);
afterAll(() => {
  process.off('warning', onWarning);
});

let running: Actor<typeof cliMachine> | undefined;
afterEach(() => {
  running?.stop();
  running = undefined;
});

function deviceResponse(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { device_code: 'DC-loopback-9f8e7d6c5b4a3f2e1d0c', user_code: 'WDJB-MJHT', verification_uri: `${origin}/device`, expires_in: 600, interval: 1, ...extra };
}

/** A CLI on the real clock and the real fetch, pointed at the loopback server (http allowed for loopback only). */
async function startCli(b: Partial<Behaviour>) {
  behaviour = { device: deviceResponse(), polls: [], api: [], ...b };
  polls.length = 0;
  apiCalls.length = 0;
  endlessBytes = 0;
  overflowWarnings.length = 0;
  const emitted: CliEmitted[] = [];
  const actor = createActor(cliMachine, {
    clock: realClock,
    input: {
      fetch: (request) => fetch(request),
      clock: realClock,
      issuer: origin,
      apiBaseUrl: origin,
      storage: new MemoryStorageHost(),
      knobs: { allowInsecureLoopback: true },
    },
  });
  running = actor;
  actor.on('*', (e) => emitted.push(e));
  actor.start();
  const state = () => statePath(actor.getSnapshot().value);
  const output = () => emitted.flatMap((e) => (e.type === 'cli.output' ? [e.text] : []));
  const until = async (what: string, probe: () => boolean, timeoutMs = 8_000) => {
    const end = performance.now() + timeoutMs;
    while (!probe()) {
      if (performance.now() > end) throw new Error(`timed out waiting for ${what}; state ${state()}; output:\n${output().join('\n')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await until('booted', () => state() === 'idle');
  return { actor, emitted, state, output, until, send: (e: Parameters<typeof actor.send>[0]) => actor.send(e) };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('hostile server on loopback, real clock', () => {
  test('interval 3000000 s and a 30-day expires_in: no poll and no expiry within 1.5 s, both bounds said on the terminal', async () => {
    const cli = await startCli({ device: deviceResponse({ interval: 3_000_000, expires_in: 30 * DAY_S }) });
    cli.send({ type: 'user.login' });
    await cli.until('the instructions', () => cli.state() === 'signingIn.awaitingApproval.waitingInterval');
    await pause(WINDOW_MS);
    expect(polls).toHaveLength(0);
    expect(cli.state()).toBe('signingIn.awaitingApproval.waitingInterval');
    expect(overflowWarnings).toEqual([]);
    expect(cli.output().filter((l) => l.startsWith('warning:'))).toEqual([
      'warning: the server asked for 3000000 s between polls; this CLI waits at most 300 s (its limit for a server\'s interval).',
      'warning: the server said the code lasts 2592000 s; this CLI waits at most 60 min for approval (its limit for a code\'s lifetime).',
    ]);
    cli.send({ type: 'user.cancel' });
    expect(cli.state()).toBe('cancelled');
  });

  test('a slow_down naming 3000000 s: one poll, then none within 1.5 s, and the bound said once', async () => {
    const cli = await startCli({ polls: [{ status: 400, json: { error: 'slow_down', interval: 3_000_000 } }] });
    cli.send({ type: 'user.login' });
    await cli.until('the first poll answered', () => polls.length === 1 && cli.state() === 'signingIn.awaitingApproval.waitingInterval');
    await pause(WINDOW_MS);
    expect(polls).toHaveLength(1);
    expect(cli.actor.getSnapshot().context.intervalS).toBe(300);
    expect(overflowWarnings).toEqual([]);
    expect(cli.output().filter((l) => l.startsWith('warning:'))).toEqual([
      'warning: the server slowed polling to 3000000 s between polls; this CLI waits at most 300 s (its limit for a server\'s interval).',
    ]);
  });

  test('escape sequences in the user code and the error, and an echoed device code, never reach the terminal', async () => {
    const deviceCode = 'DC-loopback-echoed-5k2j9h8g7f6d';
    const cli = await startCli({
      device: deviceResponse({ device_code: deviceCode, user_code: '\u001b[8mWDJB-MJHT\u001b[0m\u202e' }),
      polls: [{ status: 400, json: { error: 'access_denied', error_description: `\u001b[2J\u001b]0;pwned\u0007no (device_code ${deviceCode})\r✓ Logged in` } }],
    });
    cli.send({ type: 'user.login' });
    await cli.until('denied', () => cli.state() === 'denied');
    expect(cli.output()).toContain('! First copy your one-time code: WDJB-MJHT');
    expect(cli.output().at(-1)).toBe(`✗ Access denied (access_denied: no (device_code ${REDACTED}) ✓ Logged in). Run \`acme login\` to start again.`);
    for (const text of cli.output()) {
      expect(text).not.toMatch(CONTROL);
      expect(text).not.toContain(deviceCode);
    }
  });

  test('a token response that never ends: the CLI reads at most 1 MiB of it, hangs up, and the login fails saying so', async () => {
    const cli = await startCli({ polls: [{ endless: true }] });
    cli.send({ type: 'user.login' });
    await cli.until('failed', () => cli.state() === 'failed');
    expect(cli.output().at(-1)).toMatch(/^✗ Login failed: .*"\(body\)" must be at most 1048576 bytes, got "more than 1048576 bytes sent"/);
    // What the server got to send before the CLI hung up: the CLI's limit, plus what the sockets buffer on the way.
    await pause(200);
    const sent = endlessBytes;
    await pause(300);
    expect(endlessBytes, 'the server stopped sending: the client closed the connection').toBe(sent);
    expect(sent).toBeLessThan(16 * 1024 * 1024);
  });

  test('a token endpoint that answers 307 to another server: nothing reaches that server, and the login fails naming where it pointed', async () => {
    const elsewhere: string[] = [];
    const other = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += String(c)));
      req.on('end', () => {
        elsewhere.push(`${req.method} ${req.url} ${body}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"error":"authorization_pending"}');
      });
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', () => resolve()));
    try {
      const target = `http://127.0.0.1:${(other.address() as AddressInfo).port}/collect`;
      const cli = await startCli({ polls: [{ status: 307, headers: { location: target } }] });
      cli.send({ type: 'user.login' });
      await cli.until('failed', () => cli.state() === 'failed');
      // A fetch that followed the 307 would have sent the device code on, in the same POST body.
      expect(elsewhere).toEqual([]);
      expect(cli.output().at(-1)).toContain(`"(status)" must be an answer, not a redirect to ${target} (the CLI does not send its request on), got "HTTP 307"`);
      expect(cli.output().at(-1)).toMatch(/^✗ Login failed: /);
    } finally {
      other.closeAllConnections();
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });

  test('RFC 6750 §3.1: a bare 403 is a plain refusal; only the insufficient_scope challenge suggests a new login with the scope', async () => {
    const cli = await startCli({
      polls: [{ json: { access_token: 'AT-loopback-3c4d5e6f7a8b9c0d', token_type: 'Bearer', expires_in: 900, scope: 'profile' } }],
      api: [
        { status: 403, json: { message: 'Forbidden by policy' } },
        { status: 403, headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="projects:admin"' }, text: '' },
      ],
    });
    cli.send({ type: 'user.login' });
    await cli.until('logged in', () => cli.state() === 'authenticated.ready');
    cli.send({ type: 'user.api', method: 'DELETE', path: '/api/projects/p1' });
    await cli.until('the first API answer', () => apiCalls.length === 1 && cli.state() === 'authenticated.ready');
    await cli.until('its line', () => cli.output().at(-1)?.startsWith('✗ API error') === true);
    expect(cli.output().at(-1)).toBe('✗ API error 403: {"message":"Forbidden by policy"}');
    cli.send({ type: 'user.api', method: 'DELETE', path: '/api/projects/p1' });
    await cli.until('the second API answer', () => apiCalls.length === 2 && cli.output().at(-1)?.startsWith('A refresh cannot widen scope') === true);
    expect(cli.output().slice(-2)).toEqual([
      '✗ This command needs more permissions than this session has (projects:admin).',
      'A refresh cannot widen scope. Run `acme logout` and `acme login --scope projects:admin`.',
    ]);
  });
});
