/**
 * One test per client knob: the secure default against the misconfiguration it teaches, in terms of emitted
 * events and requests on the wire.
 */
import { describe, expect, test } from 'vitest';
import { CLIENT_KNOB_SPECS, DEFAULT_CLIENT_KNOBS, resolveClientKnobs, type ClientKnobs } from './knobs.ts';
import { CREDENTIALS_PATH, KEYCHAIN_SERVICE } from './storage.ts';
import { replies, type Reply } from './testing/fake-server.ts';
import { MemoryStorageHost } from './testing/memory-storage.ts';
import { startCli, type HarnessOptions } from './testing/harness.ts';

const HOUR = 3_600_000;
const ISSUER = 'https://auth.acme.test';

async function login(knobs: Partial<ClientKnobs>, script: Reply[] = [replies.tokens()], opts: HarnessOptions = {}) {
  const cli = await startCli({ ...opts, knobs });
  cli.server.on('poll', ...script);
  await cli.send({ type: 'user.login' });
  return cli;
}

describe('knob data', () => {
  test('every knob has a spec with a description and a risk, and the defaults pass validation', () => {
    expect(CLIENT_KNOB_SPECS.map((s) => s.key).sort()).toEqual(Object.keys(DEFAULT_CLIENT_KNOBS).sort());
    for (const spec of CLIENT_KNOB_SPECS) {
      expect(spec.description.length).toBeGreaterThan(20);
      expect(spec.risk.length).toBeGreaterThan(20);
    }
    expect(resolveClientKnobs()).toEqual(DEFAULT_CLIENT_KNOBS);
  });

  test.each([
    [{ slowDown: 'add-2' }, 'Invalid client knob slowDown: expected one of add-5, add-1, fatal, ignore'],
    [{ pollInterval: 0 }, "Invalid client knob pollInterval: expected 'server' or a whole number of seconds from 1 to 120"],
    [{ redaction: 'yes' }, 'Invalid client knob redaction: expected true or false'],
  ])('an invalid knob value is refused with the knob named: %j', (overrides, message) => {
    expect(() => resolveClientKnobs(overrides as Partial<ClientKnobs>)).toThrow(message);
  });
});

describe('polling knobs', () => {
  test('pollInterval: server (default) polls every 5 s; a fixed 1 s polls five times as often (F1)', async () => {
    const secure = await login({}, []);
    await secure.advance(30_000);
    expect(secure.pollGapsS()).toEqual([5, 5, 5, 5, 5]);

    const fast = await login({ pollInterval: 1 }, []);
    await fast.advance(30_000);
    expect(fast.polls()).toHaveLength(30);
    expect(new Set(fast.pollGapsS())).toEqual(new Set([1]));
  });

  test('slowDown: add-5 vs add-1 vs ignore vs fatal (F2, F3)', async () => {
    const script = () => [replies.slowDown(), replies.slowDown(), replies.pending(), replies.tokens()];
    const gaps: Record<string, number[]> = {};
    for (const slowDown of ['add-5', 'add-1', 'ignore'] as const) {
      const cli = await login({ slowDown }, script());
      await cli.runUntilState('authenticated.ready');
      gaps[slowDown] = cli.pollGapsS();
    }
    expect(gaps).toEqual({ 'add-5': [10, 15, 15], 'add-1': [6, 7, 7], ignore: [5, 5, 5] });

    const fatal = await login({ slowDown: 'fatal' }, script());
    await fatal.advance(HOUR);
    expect(fatal.state()).toBe('failed');
    expect(fatal.polls()).toHaveLength(1);
    expect(fatal.output().at(-1)).toBe('✗ Login failed: slow_down');
  });

  test('stopOnDenialOrExpiry: on (default) stops at access_denied; off keeps polling after Deny (F5)', async () => {
    const secure = await login({}, [replies.denied()]);
    await secure.advance(60_000);
    expect(secure.state()).toBe('denied');
    expect(secure.polls()).toHaveLength(1);

    const spinning = await login({ stopOnDenialOrExpiry: false }, Array.from({ length: 20 }, () => replies.denied()));
    await spinning.advance(60_000);
    expect(spinning.state()).toBe('signingIn.awaitingApproval.waitingInterval');
    expect(spinning.polls()).toHaveLength(12);
    expect(spinning.polls().every((p) => p.status === 400)).toBe(true);
  });

  test('stopOnDenialOrExpiry: off also keeps polling after expired_token', async () => {
    const spinning = await login({ stopOnDenialOrExpiry: false, hardDeadline: false }, Array.from({ length: 20 }, () => replies.expired()));
    await spinning.advance(60_000);
    expect(spinning.polls()).toHaveLength(12);
  });

  test('hardDeadline: on (default) stops at expires_in; off polls forever after the code expired (F4)', async () => {
    const server = { device: { expires_in: 20 } };
    const secure = await login({}, [], { server });
    await secure.advance(HOUR);
    expect(secure.state()).toBe('expired');
    expect(secure.polls()).toHaveLength(3);

    const forever = await login({ hardDeadline: false }, [], { server });
    await forever.advance(600_000);
    expect(forever.state()).toBe('signingIn.awaitingApproval.waitingInterval');
    expect(forever.polls()).toHaveLength(120);
  });
});

describe('display and logging knobs', () => {
  test('showDeviceCode: off (default) never prints the device code; on prints it (F7)', async () => {
    const secure = await login({}, []);
    const code = secure.server.deviceCodes[0]!;
    expect(secure.output().some((l) => l.includes(code))).toBe(false);

    const leaky = await login({ showDeviceCode: true }, []);
    expect(leaky.output()).toContain(`device_code: ${leaky.server.deviceCodes[0]}`);
  });

  test('debug: off (default) emits no debug lines; requests logs method, URL, status and headers; bodies adds bodies', async () => {
    const off = await login({});
    await off.runUntilState('authenticated.ready');
    expect(off.debug()).toEqual([]);

    const requests = await login({ debug: 'requests' });
    await requests.runUntilState('authenticated.ready');
    expect(requests.debug()).toContain('> POST https://auth.acme.test/device/code');
    expect(requests.debug()).toContain('< 200 https://auth.acme.test/device/code');
    expect(requests.debug()).toContain('> content-type: application/x-www-form-urlencoded');
    expect(requests.debug().some((l) => l.startsWith('> client_id='))).toBe(false);

    const bodies = await login({ debug: 'bodies' });
    await bodies.runUntilState('authenticated.ready');
    expect(bodies.debug()).toContain('> client_id=acme-cli&scope=profile+projects%3Aread');
    expect(bodies.debug()).toContain(`> grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=[REDACTED]&client_id=acme-cli`);
  });

  test('redaction: on (default) hides tokens in debug bodies and headers; off writes them to the log (F6)', async () => {
    const run = async (redaction: boolean) => {
      const cli = await login({ debug: 'bodies', redaction });
      await cli.runUntilState('authenticated.ready');
      await cli.send({ type: 'user.whoami' });
      return cli;
    };
    const secure = await run(true);
    const at = secure.server.accessTokens[0]!;
    expect(secure.debug()).toContain('> authorization: Bearer [REDACTED]');
    for (const l of secure.debug()) for (const s of secure.server.secrets) expect(l).not.toContain(s);

    const leaky = await run(false);
    const leakedAt = leaky.server.accessTokens[0]!;
    expect(at).not.toBe(leakedAt);
    expect(leaky.debug()).toContain(`> authorization: Bearer ${leakedAt}`);
    expect(leaky.debug().some((l) => l.includes(`"refresh_token":"${leaky.server.refreshTokens[0]}"`))).toBe(true);
    expect(leaky.debug().some((l) => l.includes(leaky.server.deviceCodes[0]!))).toBe(true);
  });
});

describe('storage knob', () => {
  const keychain = { kind: 'keychain', service: KEYCHAIN_SERVICE, account: ISSUER } as const;
  const file600 = { kind: 'file', path: CREDENTIALS_PATH, mode: 0o600 } as const;
  const file644 = { kind: 'file', path: CREDENTIALS_PATH, mode: 0o644 } as const;

  test.each([
    ['keychain', keychain, 'Credentials saved to the OS keychain (acme-cli).'],
    ['memory', { kind: 'memory' }, 'Credentials saved to memory (this process only).'],
    ['file-0600', file600, 'Credentials saved to ~/.config/acme/credentials.json (mode 0600).'],
    ['file-0644', file644, 'Credentials saved to ~/.config/acme/credentials.json (mode 0644).'],
    ['keychain-or-plaintext', keychain, 'Credentials saved to the OS keychain (acme-cli).'],
  ] as const)('storage %s writes to %j', async (storage, target, message) => {
    const cli = await login({ storage });
    await cli.runUntilState('authenticated.ready');
    expect(cli.events('cli.store').map(({ action, target: t, fellBack }) => ({ action, target: t, fellBack }))).toEqual([
      { action: 'save', target, fellBack: undefined },
    ]);
    expect(cli.storage.get(target)?.accessToken).toBe(cli.server.accessTokens[0]);
    expect(cli.output()).toContain(message);
  });

  test('storage: keychain without a keyring fails loudly and writes nothing; keychain-or-plaintext silently writes a file (F9)', async () => {
    const noKeyring = () => Object.assign(new MemoryStorageHost(), { keyring: false });
    const secure = await login({}, [replies.tokens()], { storage: noKeyring() });
    await secure.runUntilState('authenticated.ready');
    expect(secure.events('cli.store')).toEqual([]);
    expect(secure.storage.slots.size).toBe(0);
    expect(secure.output().at(-1)).toBe(
      '✗ Credentials were NOT saved to the OS keychain (acme-cli): no OS keyring is available on this host. They stay in memory for this session only.',
    );

    const fallback = await login({ storage: 'keychain-or-plaintext' }, [replies.tokens()], { storage: noKeyring() });
    await fallback.runUntilState('authenticated.ready');
    expect(fallback.events('cli.store').map(({ action, target, fellBack }) => ({ action, target, fellBack }))).toEqual([
      { action: 'save', target: file600, fellBack: true },
    ]);
    expect(fallback.storage.get(file600)?.accessToken).toBe(fallback.server.accessTokens[0]);
    expect(fallback.output().at(-1)).toBe('warning: no OS keyring found; credentials saved in plain text to ~/.config/acme/credentials.json (mode 0600).');
  });
});

describe('session knobs', () => {
  test('tokenDelivery: store (default) keeps the token out of argv and env; argv and env put it there (F10)', async () => {
    const launched: Record<string, { argv: string[]; env: Record<string, string> }> = {};
    const tokens: Record<string, string> = {};
    for (const tokenDelivery of ['store', 'argv', 'env'] as const) {
      const cli = await login({ tokenDelivery });
      await cli.runUntilState('authenticated.ready');
      await cli.send({ type: 'user.api', method: 'GET', path: '/api/projects' });
      const [exec] = cli.events('cli.exec');
      launched[tokenDelivery] = { argv: exec!.argv, env: exec!.env };
      tokens[tokenDelivery] = cli.server.accessTokens[0]!;
    }
    expect(launched).toEqual({
      store: { argv: ['acme', 'api', 'GET', '/api/projects'], env: {} },
      argv: { argv: ['acme', 'api', 'GET', '/api/projects', '--token', tokens.argv], env: {} },
      env: { argv: ['acme', 'api', 'GET', '/api/projects'], env: { ACME_TOKEN: tokens.env } },
    });
  });

  test('logout: revoke (default) revokes at the server; local-only deletes locally and the token still works (F11)', async () => {
    const secure = await login({});
    await secure.runUntilState('authenticated.ready');
    await secure.send({ type: 'user.logout' });
    expect(secure.server.of('revoke')).toHaveLength(2);
    expect(secure.server.liveAccess.has(secure.server.accessTokens[0]!)).toBe(false);

    const local = await login({ logout: 'local-only' });
    await local.runUntilState('authenticated.ready');
    await local.send({ type: 'user.logout' });
    expect(local.server.of('revoke')).toHaveLength(0);
    expect(local.state()).toBe('loggedOut');
    expect(local.storage.slots.size).toBe(0);
    expect(local.server.liveAccess.has(local.server.accessTokens[0]!)).toBe(true);
    expect(local.server.liveRefresh.has(local.server.refreshTokens[0]!)).toBe(true);
  });

  test('scopes: minimal (default) asks for profile projects:read; broad asks for admin too and can delete (F14)', async () => {
    const secure = await login({});
    await secure.runUntilState('authenticated.ready');
    await secure.send({ type: 'user.api', method: 'DELETE', path: '/api/projects/1' });
    expect(secure.server.of('device')[0]?.form.scope).toBe('profile projects:read');
    expect(secure.server.of('api')[0]?.status).toBe(403);

    const broad = await login({ scopes: 'broad' });
    await broad.runUntilState('authenticated.ready');
    await broad.send({ type: 'user.api', method: 'DELETE', path: '/api/projects/1' });
    expect(broad.server.of('device')[0]?.form.scope).toBe('profile projects:read projects:write projects:admin');
    expect(broad.server.of('api')[0]?.status).toBe(200);
  });

  test('refreshTokens: rotate (default) sends RT1 then RT2; reuse-first sends RT1 twice and is refused (F13)', async () => {
    const run = async (refreshTokens: ClientKnobs['refreshTokens']) => {
      const cli = await login({ refreshTokens });
      await cli.runUntilState('authenticated.ready');
      for (let i = 0; i < 2; i++) {
        await cli.advance(900_000);
        await cli.send({ type: 'user.whoami' });
      }
      return cli;
    };
    const secure = await run('rotate');
    expect(secure.server.of('refresh').map((e) => e.form.refresh_token)).toEqual(secure.server.refreshTokens.slice(0, 2));
    expect(secure.state()).toBe('authenticated.ready');

    const reuse = await run('reuse-first');
    const rt1 = reuse.server.refreshTokens[0];
    expect(reuse.server.of('refresh').map((e) => [e.form.refresh_token, e.status])).toEqual([[rt1, 200], [rt1, 400]]);
    expect(reuse.state()).toBe('reauthRequired');
  });

  test('refreshTokens: off never refreshes and never keeps the refresh token; expiry means a new login', async () => {
    const cli = await login({ refreshTokens: 'off' });
    await cli.runUntilState('authenticated.ready');
    expect(cli.storage.get({ kind: 'keychain', service: KEYCHAIN_SERVICE, account: ISSUER })?.refreshToken).toBeUndefined();
    await cli.advance(900_000);
    await cli.send({ type: 'user.whoami' });
    expect(cli.server.of('refresh')).toHaveLength(0);
    expect(cli.state()).toBe('reauthRequired');
  });

  test('allowInsecureLoopback: off (default) refuses http://127.0.0.1; on allows it (and still refuses other http hosts)', async () => {
    const issuer = 'http://127.0.0.1:4000';
    const secure = await startCli({ issuer, server: { issuer } });
    await secure.send({ type: 'user.login' });
    expect(secure.state()).toBe('failed');
    expect(secure.server.exchanges).toHaveLength(0);

    const local = await startCli({ issuer, server: { issuer }, knobs: { allowInsecureLoopback: true } });
    local.server.on('poll', replies.tokens());
    await local.login();
    expect(local.state()).toBe('authenticated.ready');
  });
});
