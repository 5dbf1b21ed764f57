/**
 * `device-flow-lab` in-process, against scripted answers (no network): bad input is one line and exit status 2,
 * Ctrl+C cancels through the machine, a TTY gets a QR code of verification_uri_complete, and the terminal never
 * shows the device code or a token.
 */
import { describe, expect, test } from 'vitest';
import { VirtualClock } from '../sim/clock.ts';
import { runMain, type CliIo } from './app.ts';

const ISSUER = 'https://idp.example.test';
const DEVICE_CODE = 'GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS';
const ACCESS_TOKEN = 'opaque-access-token-0123456789abcdef';

type Answer = { status?: number; json?: unknown; text?: string; type?: string };

function fakeIo(answer: (req: Request) => Answer | Promise<Answer>, opts: { isTTY?: boolean } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const interrupts = new Set<() => void>();
  const requests: Request[] = [];
  const io: CliIo = {
    stdout: { write: (t) => void out.push(t), isTTY: opts.isTTY ?? false },
    stderr: { write: (t) => void err.push(t) },
    env: {},
    fetch: async (req) => {
      requests.push(req);
      const a = await answer(req);
      const body = a.text ?? JSON.stringify(a.json ?? {});
      return new Response(body, { status: a.status ?? 200, headers: { 'content-type': a.type ?? 'application/json', 'cache-control': 'no-store' } });
    },
    clock: new VirtualClock(),
    homeDir: '/nonexistent-home-for-tests',
    keychain: undefined,
    onInterrupt: (h) => {
      interrupts.add(h);
      return () => interrupts.delete(h);
    },
  };
  return { io, out, err, requests, text: () => [...out, ...err].join(''), interrupt: () => interrupts.forEach((h) => h()) };
}

const metadata = (issuer = ISSUER) => ({ issuer, device_authorization_endpoint: `${issuer}/device/code`, token_endpoint: `${issuer}/token` });

const device = {
  device_code: DEVICE_CODE,
  user_code: 'WDJB-MJHT',
  verification_uri: `${ISSUER}/device`,
  verification_uri_complete: `${ISSUER}/device?user_code=WDJB-MJHT`,
  expires_in: 600,
  interval: 5,
};

/** A provider whose person never approves (every poll is pending). */
const pendingForever = (req: Request): Answer => {
  const path = new URL(req.url).pathname;
  if (path.startsWith('/.well-known/')) return { json: metadata(new URL(req.url).origin) };
  if (path === '/device/code') return { json: device };
  return { status: 400, json: { error: 'authorization_pending' } };
};

const until = async (probe: () => boolean) => {
  for (let i = 0; i < 500 && !probe(); i++) await new Promise((r) => setImmediate(r));
  expect(probe()).toBe(true);
};

describe('bad input: one line on stderr, exit status 2, no stack trace', () => {
  const login = ['login', '--issuer', ISSUER, '--client-id', 'cli', '--no-store'];

  test('a provider without a device authorization endpoint', async () => {
    const t = fakeIo((req) => (new URL(req.url).pathname.includes('oauth-authorization-server') ? { json: { issuer: ISSUER, token_endpoint: `${ISSUER}/token` } } : { status: 404 }));
    expect(await runMain(login, t.io)).toBe(2);
    expect(t.err.join('').trim().split('\n')).toEqual([`✗ Could not read the server's metadata: authorization server metadata: "device_authorization_endpoint" must be a non-empty string (it is missing)`]);
    expect(t.text()).not.toMatch(/\n\s+at /);
  });

  test('a non-JSON answer', async () => {
    const t = fakeIo(() => ({ text: '<html>Sign in</html>', type: 'text/html' }));
    expect(await runMain(login, t.io)).toBe(2);
    const lines = t.err.join('').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^✗ Could not read the server's metadata: .*"\(body\)" must be a JSON object \(HTTP 200, Content-Type "text\/html"\)/);
  });

  test('neither RFC 8414 nor OpenID metadata: both paths named', async () => {
    const t = fakeIo(() => ({ status: 404, json: { error: 'not_found' } }));
    expect(await runMain(login, t.io)).toBe(2);
    expect(t.requests.map((r) => new URL(r.url).pathname)).toEqual(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']);
    expect(t.err.join('')).toMatch(/oauth-authorization-server \(RFC 8414 §3\) or \/\.well-known\/openid-configuration/);
  });

  test('RFC8628-3.1-tls: a plain-http issuer that is not loopback is refused before any request, unless --insecure', async () => {
    const t = fakeIo(pendingForever);
    expect(await runMain(['login', '--issuer', 'http://idp.example.test', '--client-id', 'cli'], t.io)).toBe(2);
    expect(t.requests).toHaveLength(0);
    expect(t.err.join('')).toMatch(/^device-flow-lab: --issuer: refusing http:\/\/idp\.example\.test: RFC 8628 §3\.1 requires TLS for every request from the device/);
    expect(t.err.join('').trim().split('\n')).toHaveLength(1);

    const insecure = fakeIo(pendingForever);
    const running = runMain(['login', '--issuer', 'http://idp.example.test', '--client-id', 'cli', '--no-store', '--insecure'], insecure.io);
    await until(() => insecure.text().includes('one-time code'));
    expect(insecure.err.join('')).toContain('warning: --insecure: plain http to a remote host');
    insecure.interrupt();
    expect(await running).toBe(130);
  });

  test.each([
    [['login', '--client-id', 'x'], /--issuer <url> is required/],
    [['login', '--issuer', ISSUER], /--client-id <id> is required for login/],
    [['login', '--issuer', ISSUER, '--client-id', 'x', '--device-endpoint', `${ISSUER}/d`], /--device-endpoint and --token-endpoint go together/],
    [['login', '--issuer', 'not a url', '--client-id', 'x'], /--issuer: "not a url" is not an absolute URL/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['login', '--colour'], /Unknown option '--colour'/],
  ])('%j', async (argv, message) => {
    const t = fakeIo(pendingForever);
    expect(await runMain(argv, t.io)).toBe(2);
    expect(t.err.join('')).toMatch(message);
    expect(t.err.join('').trim().split('\n')).toHaveLength(1);
    expect(t.requests).toHaveLength(0);
  });
});

describe('the login on the terminal', () => {
  test('--explain: OpenID discovery after a missing RFC 8414 document, each step with the simulator\'s card', async () => {
    const t = fakeIo((req) => (new URL(req.url).pathname === '/.well-known/oauth-authorization-server' ? { status: 404, json: {} } : pendingForever(req)));
    const running = runMain(['login', '--issuer', ISSUER, '--client-id', 'cli', '--no-store', '--explain'], t.io);
    await until(() => t.text().includes('Waiting for approval'));
    const out = t.out.join('');
    expect(out).toContain('┃ No metadata here (RFC 8414 §3.2; OpenID Connect Discovery 1.0 §4)');
    expect(out).toContain(`┃ The CLI asked for the server's metadata at /.well-known/oauth-authorization-server and got 404.`);
    expect(out).toContain('┃ Discovery (RFC 8414 §3; RFC 8628 §4)');
    // The device endpoint is /device/code here: the card comes from the metadata's role, not the path.
    expect(out).toContain('┃ Codes issued (RFC 8628 §3.1-3.2)');
    expect(out.indexOf('Codes issued')).toBeLessThan(out.indexOf('one-time code'));
    t.interrupt();
    expect(await running).toBe(130);
  });

  test('shows the user code and URI, a QR code on a TTY, never the device code; Ctrl+C cancels with the machine', async () => {
    const t = fakeIo(pendingForever, { isTTY: true });
    const running = runMain(['login', '--issuer', ISSUER, '--client-id', 'cli', '--no-store'], t.io);
    await until(() => t.text().includes('Waiting for approval'));
    const out = t.out.join('');
    expect(out).toContain('one-time code: WDJB-MJHT');
    expect(out).toContain(`Then open ${ISSUER}/device in a browser`);
    // The QR code (Unicode half blocks) and the link with the code filled in (RFC 8628 §3.3.1).
    expect(out).toMatch(/[▀▄█]{10}/);
    expect(out).toContain(`Or open ${ISSUER}/device?user_code=WDJB-MJHT`);
    t.interrupt();
    expect(await running).toBe(130);
    expect(t.err.join('')).toContain('✗ Login cancelled.');
    expect(t.text()).not.toContain(DEVICE_CODE);
  });

  test('no QR code when stdout is not a terminal', async () => {
    const t = fakeIo(pendingForever);
    const running = runMain(['login', '--issuer', ISSUER, '--client-id', 'cli', '--no-store'], t.io);
    await until(() => t.text().includes('Waiting for approval'));
    expect(t.out.join('')).not.toMatch(/[▀▄█]/);
    t.interrupt();
    expect(await running).toBe(130);
  });

  test('explicit endpoints (GitHub): no discovery; success shows type, scopes and lifetime but not the token', async () => {
    const clock = new VirtualClock();
    const t = fakeIo((req) => {
      const path = new URL(req.url).pathname;
      if (path === '/login/device/code') return { json: { ...device, verification_uri_complete: undefined } };
      return { json: { access_token: ACCESS_TOKEN, token_type: 'bearer', scope: 'repo,read:org', expires_in: 28800 } };
    });
    t.io.clock = clock;
    const running = runMain(['login', '--client-id', 'Iv1.x', '--no-store', '--device-endpoint', `${ISSUER}/login/device/code`, '--token-endpoint', `${ISSUER}/login/oauth/access_token`], t.io);
    await until(() => t.text().includes('Waiting for approval'));
    clock.advance(5_000);
    expect(await running).toBe(0);
    expect(t.requests.map((r) => new URL(r.url).pathname)).toEqual(['/login/device/code', '/login/oauth/access_token']);
    const out = t.out.join('');
    expect(out).toContain('token type:    Bearer');
    expect(out).toContain('scopes:        repo read:org');
    expect(out).toContain('lifetime:      8 h');
    expect(out).toContain('access token:  opaque (not a JWT)');
    expect(t.text()).not.toContain(ACCESS_TOKEN);
    expect(t.text()).not.toContain(DEVICE_CODE);
  });
});
