/**
 * `device-flow-lab grade-idp` and `login` against the project's own identity provider (src/server/server.ts,
 * `npm run idp`) over real HTTP on loopback, in each profile, approved through its control surface
 * (/control/approve) once the first poll has been answered authorization_pending. The report must name each
 * profile's documented quirks (src/sim/profiles.ts) and nothing else: the RFC profile has no deviation at all.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startIdpServer, type RunningIdp } from '../server/server.ts';
import type { IdpProfileName } from '../sim/knobs.ts';
import type { GradeReport } from './grade.ts';
import { runCommand, tempHome, USER_CODE_LINE, type TestTerminal } from './testing/io.ts';

let home: Awaited<ReturnType<typeof tempHome>>;
const servers: RunningIdp[] = [];

beforeAll(async () => {
  home = await tempHome();
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await home.remove();
});

async function idp(profile: IdpProfileName): Promise<RunningIdp> {
  const running = await startIdpServer({ port: 0, knobs: { profile, intervalS: 1 } });
  servers.push(running);
  return running;
}

async function approve(issuer: string, userCode: string): Promise<void> {
  const res = await fetch(`${issuer}/control/approve`, { method: 'POST', body: new URLSearchParams({ user_code: userCode }) });
  expect(res.status, await res.clone().text()).toBe(200);
}

/** The person: read the code, wait until the CLI has polled once (pending), approve. */
const approveAfterFirstPoll = (issuer: string) => async (t: TestTerminal) => {
  const [, userCode] = await t.waitFor(USER_CODE_LINE);
  await t.waitFor(/Poll: (authorization_pending|428)/);
  await approve(issuer, userCode!);
};

function reportOf(stdout: string): GradeReport {
  const start = stdout.lastIndexOf('\n{\n');
  expect(start, stdout).toBeGreaterThan(0);
  return JSON.parse(stdout.slice(start + 1)) as GradeReport;
}

const statusOf = (r: GradeReport) => Object.fromEntries(r.lines.map((l) => [l.id, l.status]));
const deviations = (r: GradeReport) => r.lines.filter((l) => l.status === 'deviation').map((l) => l.id);
const quirkIds = (r: GradeReport) => r.quirks.map((q) => q.id).sort();

describe('grade-idp against the lab identity provider', () => {
  test('rfc profile: every line passes or was not observed, no provider quirk is named; slow_down answers an early poll', async () => {
    const { issuer } = await idp('rfc');
    const { code, terminal } = await runCommand(
      ['grade-idp', '--issuer', issuer, '--client-id', 'acme-cli', '--scope', 'profile projects:read', '--explain', '--probe-slow-down', '--json'],
      { homeDir: home.dir },
      approveAfterFirstPoll(issuer),
    );
    expect(code, terminal.text()).toBe(0);
    const report = reportOf(terminal.stdout());
    expect(deviations(report), terminal.text()).toEqual([]);
    expect(report.quirks).toEqual([]);
    expect(report.recognised).toEqual([]);
    expect(statusOf(report)).toMatchObject({
      metadata: 'pass',
      'metadata.device_authorization_endpoint': 'pass',
      'metadata.grant_types_supported': 'pass',
      'metadata.revocation_endpoint': 'pass',
      'device.verification_uri_complete': 'pass',
      'device.user_code': 'pass',
      'cache.device': 'pass',
      'cache.token': 'pass',
      'errors.format': 'pass',
      'poll.slow_down': 'pass',
      'refresh.rotation': 'pass',
      revocation: 'pass',
    });
    expect(report.lines.find((l) => l.id === 'device.user_code')!.detail).toMatch(/^8 characters of base-20/);
    expect(report.lines.find((l) => l.id === 'device.interval')!.detail).toBe('1 s');
    // The probe is the grader's, on purpose: the explanation card marks it.
    expect(terminal.stdout()).toMatch(/Poll: slow_down \(RFC 8628 §3\.5\) \[grade-idp probe\]/);
  }, 60_000);

  test('github profile, endpoints given by hand: GitHub\'s quirks are named, and only GitHub\'s', async () => {
    const { issuer } = await idp('github');
    const { code, terminal } = await runCommand(
      ['grade-idp', '--client-id', 'acme-cli', '--scope', 'profile projects:read', '--explain', '--json',
        '--device-endpoint', `${issuer}/login/device/code`, '--token-endpoint', `${issuer}/login/oauth/access_token`],
      { homeDir: home.dir },
      approveAfterFirstPoll(issuer),
    );
    expect(code, terminal.text()).toBe(0);
    const report = reportOf(terminal.stdout());
    expect(report.recognised).toEqual(['GitHub']);
    expect(quirkIds(report)).toEqual(['github-comma-scope', 'github-errors-200', 'github-lowercase-bearer', 'github-no-complete', 'github-paths', 'github-rt-expiry']);
    expect(deviations(report).sort()).toEqual(['errors.format', 'token.scope']);
    expect(statusOf(report)).toMatchObject({ metadata: 'not observed', revocation: 'not observed', 'token.token_type': 'pass' });
  }, 60_000);

  test('entra profile: Entra\'s quirks are named, and only Entra\'s', async () => {
    const { issuer } = await idp('entra');
    const { code, terminal } = await runCommand(
      ['grade-idp', '--issuer', issuer, '--client-id', 'acme-cli', '--scope', 'profile projects:read', '--explain', '--json'],
      { homeDir: home.dir },
      approveAfterFirstPoll(issuer),
    );
    expect(code, terminal.text()).toBe(0);
    const report = reportOf(terminal.stdout());
    expect(report.recognised).toEqual(['Entra']);
    expect(quirkIds(report)).toEqual(['entra-error-extras', 'entra-message', 'entra-no-complete']);
    expect(deviations(report)).toEqual([]);
  }, 60_000);

  test('google profile (a client with a secret): Google\'s quirks are named, and only Google\'s', async () => {
    const { issuer } = await idp('google');
    const { code, terminal } = await runCommand(
      ['grade-idp', '--issuer', issuer, '--client-id', 'acme-ci', '--scope', 'profile projects:read', '--explain', '--json'],
      { homeDir: home.dir, env: { DEVICE_FLOW_LAB_CLIENT_SECRET: 'ci-runner-secret-not-for-devices' } },
      approveAfterFirstPoll(issuer),
    );
    expect(code, terminal.text()).toBe(0);
    const report = reportOf(terminal.stdout());
    expect(report.recognised).toEqual(['Google']);
    expect(quirkIds(report)).toEqual(['google-error-status', 'google-no-complete', 'google-verification-url']);
    expect(deviations(report).sort()).toEqual(['device.verification_uri', 'errors.format']);
    expect(terminal.text()).not.toContain('ci-runner-secret-not-for-devices');
  }, 60_000);
});

describe('grade-idp: quirks that only show when something goes wrong', () => {
  test('entra profile, the person denies: authorization_declined is named as Entra\'s, the report still prints, exit 1', async () => {
    const { issuer } = await idp('entra');
    const { code, terminal } = await runCommand(
      ['grade-idp', '--issuer', issuer, '--client-id', 'acme-cli', '--scope', 'profile', '--explain', '--json'],
      { homeDir: home.dir },
      async (t) => {
        const [, userCode] = await t.waitFor(USER_CODE_LINE);
        const res = await fetch(`${issuer}/control/deny`, { method: 'POST', body: new URLSearchParams({ user_code: userCode! }) });
        expect(res.status).toBe(200);
      },
    );
    expect(code, terminal.text()).toBe(1);
    expect(terminal.stderr()).toContain('✗ Access denied (authorization_declined');
    const report = reportOf(terminal.stdout());
    expect(report.recognised).toEqual(['Entra']);
    expect(quirkIds(report)).toEqual(['entra-declined', 'entra-error-extras', 'entra-message', 'entra-no-complete']);
    expect(report.lines.find((l) => l.id === 'errors.codes')).toMatchObject({ status: 'deviation', detail: 'not registered: authorization_declined' });
    expect(statusOf(report)).toMatchObject({ token: 'not observed', 'refresh.rotation': 'not observed', revocation: 'not observed' });
  }, 30_000);

  test('google profile, a public client without a secret: the poll is refused, and Google\'s client_secret rule is named', async () => {
    const { issuer } = await idp('google');
    const { code, terminal } = await runCommand(['grade-idp', '--issuer', issuer, '--client-id', 'acme-cli', '--scope', 'profile', '--json'], { homeDir: home.dir });
    expect(code, terminal.text()).toBe(1);
    expect(terminal.stderr()).toMatch(/✗ Login failed: invalid_request: client_secret is missing\./);
    const report = reportOf(terminal.stdout());
    expect(report.recognised).toEqual(['Google']);
    expect(quirkIds(report)).toEqual(['google-no-complete', 'google-secret', 'google-verification-url']);
  }, 30_000);
});

describe('the bin as a process', () => {
  test('Ctrl+C (SIGINT) while waiting for approval cancels the login through the machine: exit 130, nothing stored', async () => {
    const { spawn } = await import('node:child_process');
    const { issuer } = await idp('rfc');
    const child = spawn('node_modules/.bin/tsx', ['src/cli/main.ts', 'login', '--issuer', issuer, '--client-id', 'acme-cli'], {
      env: { ...process.env, HOME: home.dir, DEVICE_FLOW_LAB_KEYCHAIN: 'none' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = performance.now() + 20_000;
    while (!output.includes('Waiting for approval') && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(output).toContain('one-time code:');
    child.kill('SIGINT');
    expect(await exited, output).toBe(130);
    expect(output).toContain('✗ Login cancelled.');
    expect(output).not.toMatch(/\n\s+at /);
    // The real bin names itself to the provider (its requests have a User-Agent of its own, not Node's "node").
    const report = await (await fetch(`${issuer}/control/report`)).json() as { flows: { user_agent: string | null }[] };
    expect(report.flows.map((f) => f.user_agent)).toEqual([expect.stringMatching(/^device-flow-lab \(node \d+/)]);
    const { stat } = await import('node:fs/promises');
    await expect(stat(`${home.dir}/.config/device-flow-lab/credentials.json`)).rejects.toThrow(/ENOENT/);
  }, 30_000);
});
