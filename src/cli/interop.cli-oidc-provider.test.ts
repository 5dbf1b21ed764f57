/**
 * `device-flow-lab` (login, refresh, logout, grade-idp) against oidc-provider v9, unchanged from npm, on
 * loopback: deviceFlow and revocation on, JWT access tokens for one RFC 8707 resource, refresh tokens with
 * rotation (its default for a public client). The person approves on oidc-provider's own verification, login
 * and consent pages (driven with fetch and a cookie jar), after the CLI has polled once.
 *
 * The session is kept between commands as a real user's would be: this host has no OS keychain, so in a
 * 0600 file under the (temporary) home directory, with the warning the machine prints.
 */
import { stat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Provider, { errors as oidcErrors } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { approveInBrowser, close, listenOnLoopback, type Loopback } from '../flow/testing/loopback.ts';
import { formatReport, type GradeReport } from './grade.ts';
import { runCommand, tempHome, USER_CODE_LINE, type TestTerminal } from './testing/io.ts';

const CLIENT_ID = 'acme-cli';
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const SCOPES = 'profile projects:read';
const RESOURCE = 'https://api.acme.test/';
const CREDENTIALS = ['.config', 'device-flow-lab', 'credentials.json'];

let op: Loopback | undefined;
let issuer: string;
let home: Awaited<ReturnType<typeof tempHome>>;
/** Every secret oidc-provider handed out, read off the wire: none may ever reach the terminal. */
const secrets = new Set<string>();
const serverErrors: unknown[] = [];

/** The real fetch, noting every device code and token in the answers. */
const noteSecrets = async (request: Request): Promise<Response> => {
  const response = await globalThis.fetch(request);
  try {
    const body = (await response.clone().json()) as Record<string, unknown>;
    for (const key of ['device_code', 'access_token', 'refresh_token', 'id_token']) if (typeof body[key] === 'string') secrets.add(body[key]);
  } catch {
    // not JSON
  }
  return response;
};

beforeAll(async () => {
  home = await tempHome();
  op = await listenOnLoopback();
  issuer = op.origin;
  const provider = new Provider(issuer, {
    clients: [{ client_id: CLIENT_ID, token_endpoint_auth_method: 'none', grant_types: [DEVICE_CODE_GRANT, 'refresh_token'], response_types: [], redirect_uris: [] }],
    features: {
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        getResourceServerInfo: (_ctx: unknown, indicator: string) => {
          if (indicator !== RESOURCE) throw new oidcErrors.InvalidTarget();
          return { scope: SCOPES, accessTokenFormat: 'jwt', accessTokenTTL: 600 };
        },
      },
    },
    issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
    cookies: { keys: ['device-flow-lab-cli-interop-cookie-key'] },
    ttl: { DeviceCode: 600, RefreshToken: 3600, Grant: 3600, Interaction: 600, Session: 3600 },
  });
  provider.on('server_error', (_ctx: unknown, err: unknown) => serverErrors.push(err));
  op.handler = provider.callback();
}, 20_000);

afterAll(async () => {
  await close(op);
  await home.remove();
});

/** The person: read the terminal, wait for the first poll, approve on oidc-provider's pages. */
const person = async (t: TestTerminal) => {
  const [, userCode] = await t.waitFor(USER_CODE_LINE);
  const [, uri] = await t.waitFor(/Then open (\S+) in a browser/);
  await t.waitFor(/Poll: authorization_pending/, 12_000);
  const { page, trail } = await approveInBrowser(uri!, userCode!, 'alice');
  expect(page.html, trail.join(', ')).toContain('Sign-in Success');
};

const opts = () => ({ homeDir: home.dir, io: { fetch: noteSecrets } });

describe('device-flow-lab against oidc-provider v9', () => {
  test('login, refresh and logout, with the session kept in a 0600 file between commands; no code or token on the terminal', async () => {
    // --- login
    const login = await runCommand(['login', '--issuer', issuer, '--client-id', CLIENT_ID, '--scope', SCOPES, '--explain'], opts(), person);
    const out = login.terminal.text();
    expect(login.code, out).toBe(0);
    // The user code and the verification URI appear ...
    expect(out).toMatch(/one-time code: [BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}/);
    expect(out).toContain(`Then open ${issuer}/device in a browser`);
    // ... the steps are explained from the simulator's cards ...
    expect(out).toContain('┃ Discovery (RFC 8414 §3; RFC 8628 §4)');
    expect(out).toContain('┃ Codes issued (RFC 8628 §3.1-3.2)');
    expect(out).toContain('┃ Tokens issued (RFC 8628 §3.5; RFC 6749 §5.1)');
    // ... the session is described (a JWT: its claims) ...
    expect(out).toContain('token type:    Bearer');
    expect(out).toContain(`scopes:        ${SCOPES}`);
    expect(out).toMatch(/lifetime: +10 min/);
    expect(out).toContain('refresh token: yes');
    expect(out).toContain(`    aud: "${RESOURCE}"`);
    expect(out).toContain('    sub: "alice"');
    // ... not a QR code (stdout is not a TTY) ...
    expect(out).not.toContain('▀');
    // ... and never the device code or a token.
    expect(secrets.size).toBeGreaterThanOrEqual(3);
    for (const secret of secrets) expect(out).not.toContain(secret);
    // No keychain on this host: a 0600 file, said so.
    expect(out).toMatch(/warning: no OS keyring found; credentials saved in plain text to ~\/\.config\/device-flow-lab\/credentials\.json \(mode 0600\)/);
    const file = join(home.dir, ...CREDENTIALS);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(await readFile(file, 'utf8')) as { sessions: Record<string, { accessToken: string; refreshToken: string; clientId: string }> };
    const first = stored.sessions[issuer]!;
    expect(first.clientId).toBe(CLIENT_ID);
    expect(secrets.has(first.accessToken)).toBe(true);

    // --- refresh (the client id comes from the stored session)
    const refresh = await runCommand(['refresh', '--issuer', issuer], opts());
    expect(refresh.code, refresh.terminal.text()).toBe(0);
    expect(refresh.terminal.text()).toContain('✓ Refreshed.');
    const second = (JSON.parse(await readFile(file, 'utf8')) as typeof stored).sessions[issuer]!;
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    for (const secret of secrets) expect(refresh.terminal.text()).not.toContain(secret);

    // --- --show-token is the only way to see it
    // (checked on refresh: it prints the new session)
    const shown = await runCommand(['refresh', '--issuer', issuer, '--show-token'], opts());
    expect(shown.code, shown.terminal.text()).toBe(0);
    const third = (JSON.parse(await readFile(file, 'utf8')) as typeof stored).sessions[issuer]!;
    expect(shown.terminal.stdout()).toContain(`access_token:  ${third.accessToken}`);

    // --- logout: both tokens revoked, the file gone
    const logout = await runCommand(['logout', '--issuer', issuer], opts());
    expect(logout.code, logout.terminal.text()).toBe(0);
    expect(logout.terminal.text()).toContain('✓ Logged out.');
    // The JWT access token cannot be revoked there (unsupported_token_type), and the CLI says so.
    expect(logout.terminal.text()).toContain('warning: the server refused to revoke the access token (HTTP 400, unsupported_token_type).');
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
    // The revoked refresh token is dead at oidc-provider.
    const replay = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: third.refreshToken, client_id: CLIENT_ID }),
    });
    expect(replay.status).toBe(400);

    // --- a second logout: nothing stored any more
    const again = await runCommand(['logout', '--issuer', issuer], opts());
    expect(again.code).toBe(1);
    expect(again.terminal.stderr()).toContain(`Not logged in to ${issuer}.`);
    expect(serverErrors).toEqual([]);
  }, 60_000);

  test('grade-idp: what is true of oidc-provider (no interval, no Pragma, no slow_down unless configured, rotation, no JWT revocation)', async () => {
    const { code, terminal } = await runCommand(
      ['grade-idp', '--issuer', issuer, '--client-id', CLIENT_ID, '--scope', SCOPES, '--explain', '--probe-slow-down', '--json'],
      opts(),
      person,
    );
    expect(code, terminal.text()).toBe(0);
    const stdout = terminal.stdout();
    const report = JSON.parse(stdout.slice(stdout.lastIndexOf('\n{\n') + 1)) as GradeReport;
    const line = (id: string) => report.lines.find((l) => l.id === id);
    expect(report.quirks).toEqual([]);
    expect(line('metadata')).toMatchObject({ status: 'pass', detail: 'RFC 8414 document at /.well-known/oauth-authorization-server' });
    expect(line('metadata.device_authorization_endpoint')).toMatchObject({ status: 'pass', detail: `${issuer}/device/auth` });
    expect(line('metadata.revocation_endpoint')?.status).toBe('pass');
    expect(line('device.interval')).toMatchObject({ status: 'pass', detail: 'not sent (OPTIONAL; clients wait 5 s)' });
    expect(line('device.verification_uri_complete')?.status).toBe('pass');
    expect(line('device.user_code')?.detail).toMatch(/^8 characters of base-20/);
    // oidc-provider does not enforce the interval: the early poll is answered authorization_pending.
    expect(line('poll.slow_down')).toMatchObject({ status: 'deviation', detail: 'an early poll got authorization_pending: the polling interval is not enforced' });
    expect(line('errors.format')?.status).toBe('pass');
    // oidc-provider sends Cache-Control: no-store but not the Pragma: no-cache that RFC 6749 §5.1 asks for.
    expect(line('cache.device')?.detail).toMatch(/^missing Pragma: no-cache \(Cache-Control: no-store is there/);
    expect(line('cache.token')?.detail).toMatch(/^missing Pragma: no-cache \(Cache-Control: no-store is there/);
    expect(line('refresh.rotation')?.status).toBe('pass');
    // oidc-provider cannot revoke a structured (JWT) access token: it says so, as RFC 7009 §2.2.1 allows.
    expect(line('revocation')).toMatchObject({
      status: 'deviation',
      detail: 'refresh_token 200, access_token 400 unsupported_token_type (RFC 7009 §2.2.1 allows refusing a token type; the access token stays valid until it expires)',
    });
    for (const secret of secrets) expect(terminal.text()).not.toContain(secret);
    // For the record (the issue's closing note pastes it).
    console.info(formatReport(report));
  }, 60_000);

  test('login --dpop: DPoP-bound tokens (the JWT carries cnf.jkt), and nothing is kept', async () => {
    const login = await runCommand(['login', '--issuer', issuer, '--client-id', CLIENT_ID, '--scope', SCOPES, '--dpop', '--explain'], opts(), person);
    const out = login.terminal.text();
    expect(login.code, out).toBe(0);
    expect(out).toContain('token type:    DPoP');
    expect(out).toMatch(/ {4}cnf: \{"jkt":"[A-Za-z0-9_-]{43}"\}/);
    expect(out).toContain('Credentials saved to memory (this process only).');
    await expect(stat(join(home.dir, ...CREDENTIALS))).rejects.toThrow(/ENOENT/);
    for (const secret of secrets) expect(out).not.toContain(secret);
  }, 60_000);

  test('bad input: an unreachable issuer and a plain-http remote issuer each give one line and exit 2', async () => {
    // A port that was free a moment ago: nothing listens there.
    const spare = await listenOnLoopback();
    await close(spare);
    const unreachable = await runCommand(['login', '--issuer', spare.origin, '--client-id', CLIENT_ID], opts());
    expect(unreachable.code).toBe(2);
    expect(unreachable.terminal.stderr().trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^✗ Could not read the server's metadata: network error for ${spare.origin}/\\.well-known/oauth-authorization-server: `))]);
    const remote = await runCommand(['login', '--issuer', 'http://idp.example.com', '--client-id', CLIENT_ID], opts());
    expect(remote.code).toBe(2);
    expect(remote.terminal.stderr().trim().split('\n')).toEqual([expect.stringMatching(/^device-flow-lab: --issuer: refusing http:\/\/idp\.example\.com: RFC 8628 §3\.1 requires TLS/)]);
  }, 30_000);
});
