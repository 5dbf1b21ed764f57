/**
 * Branding, end to end: a world built with a team's names speaks them everywhere a learner or a server looks
 * (terminal, shell, host paths, argv and environment, User-Agent, client registration and consent), and the
 * default CLI name is not on that machine at all.
 */
import { describe, expect, test } from 'vitest';
import { createWorld, type World } from './index.ts';
import { DEFAULT_NAMES, MAX_DISPLAY_NAME, resolveNames } from './names.ts';
import { runShellLine } from './shell.ts';

const GLOBEX = { org: 'Globex', cli: 'gx', idp: 'Globex SSO' };

async function shell(world: World, line: string) {
  return runShellLine({ host: world.host, send: (e) => world.send(e), loginInProgress: () => world.state().startsWith('signingIn') }, line);
}

const screen = (w: World) => w.host.scrollback.map((l) => l.text);

describe('resolveNames', () => {
  test('fills in the defaults, field by field', () => {
    expect(resolveNames()).toEqual(DEFAULT_NAMES);
    expect(resolveNames({ cli: 'gx' })).toEqual({ ...DEFAULT_NAMES, cli: 'gx' });
    expect(resolveNames(GLOBEX)).toEqual(GLOBEX);
  });

  test.each([
    ['GX', 'uppercase'], ['1gx', 'starts with a digit'], ['-gx', 'starts with a dash'], ['g x', 'a space'], ['', 'empty'],
    ['gx;rm', 'shell syntax'], ['a'.repeat(21), '21 characters'], ['gx/../x', 'a path'],
  ])('rejects the CLI name %j (%s)', (cli) => {
    expect(() => resolveNames({ cli })).toThrow(/names\.cli/);
  });

  test('accepts a 20-character CLI name with digits and dashes', () => {
    expect(resolveNames({ cli: 'a1-b2-c3-d4-e5-f6-g7' }).cli).toBe('a1-b2-c3-d4-e5-f6-g7');
  });

  test.each(['org', 'idp'] as const)('rejects an empty, blank, over-long or control-character %s name', (field) => {
    expect(() => resolveNames({ [field]: '' })).toThrow(new RegExp(`names\\.${field}: must not be empty`));
    expect(() => resolveNames({ [field]: '   ' })).toThrow(/must not be empty/);
    expect(() => resolveNames({ [field]: 'x'.repeat(MAX_DISPLAY_NAME + 1) })).toThrow(/at most 40 characters/);
    expect(() => resolveNames({ [field]: 'Globex\nSSO' })).toThrow(/control characters/);
    expect(() => resolveNames({ [field]: 'Globex\u0007' })).toThrow(/control characters/);
    expect(resolveNames({ [field]: 'x'.repeat(MAX_DISPLAY_NAME) })[field]).toHaveLength(MAX_DISPLAY_NAME);
  });

  test('createWorld refuses bad names before building anything', async () => {
    await expect(createWorld({ names: { cli: 'Bad Name' } })).rejects.toThrow(/names\.cli/);
  });
});

describe('a world branded Globex / gx / Globex SSO', () => {
  test('`gx login` runs the device flow; the terminal, files and registration speak gx', async () => {
    const w = await createWorld({ names: GLOBEX, clientKnobs: { storage: 'file-0600' } });
    expect(w.names).toEqual(GLOBEX);
    expect(w.host.cliName).toBe('gx');
    expect(await shell(w, 'gx login')).toEqual({ openBrowser: true });

    // The person approves at the consent page, which names the team's CLI and API.
    const code = screen(w).find((l) => l.startsWith('! First copy your one-time code: '))!.split(': ')[1]!;
    await w.browser.signIn('alice');
    const consent = await w.browser.enterCode(code);
    expect(consent.body).toMatchObject({
      client: { id: 'gx-cli', name: 'Globex CLI' }, resource: { name: 'Globex API' }, device: { user_agent: 'gx/2.4.1 (linux; x86_64)' },
    });
    await w.browser.decide(code, 'approve');
    await w.runUntil(() => w.state() === 'authenticated.ready', 60_000);
    expect(w.state()).toBe('authenticated.ready');

    // The registry and the client id are the team's: the CLI asks as gx-cli, and the consent names "Globex CLI".
    const cliClient = w.idp.as.registry.clients.find((c) => c.clientId === 'gx-cli');
    expect(cliClient?.name).toBe('Globex CLI');
    expect(w.idp.as.registry.clients.some((c) => c.clientId.startsWith('acme'))).toBe(false);
    expect(w.idp.as.registry.resources.map((r) => r.name)).toEqual(['Globex API', 'Globex Billing']);
    const codeRequest = w.wire.log.find((ex) => ex.request.url.endsWith('/device_authorization'))!;
    expect(new URLSearchParams(codeRequest.request.body).get('client_id')).toBe('gx-cli');

    // The credentials file lives under the CLI's own config directory.
    expect(w.host.paths.credentials).toBe('~/.config/gx/credentials.json');
    expect([...w.host.files.keys()]).toEqual(['~/.config/gx/credentials.json']);
    await shell(w, 'ls -la ~/.config/gx');
    expect(screen(w).some((l) => /^-rw------- 1 alice .* credentials\.json$/.test(l))).toBe(true);
    expect(screen(w).join('\n')).toContain('Credentials saved to ~/.config/gx/credentials.json (mode 0600).');

    // Hints the CLI prints name the branded command.
    await shell(w, 'gx login');
    expect(screen(w).at(-1)).toBe(`Already logged in to ${w.idp.as.issuer}. Run \`gx logout\` first to log in again.`);
    await shell(w, 'gx logout');
    await shell(w, 'gx whoami');
    expect(screen(w).at(-1)).toBe('Not logged in. Run `gx login` first.');
    // Only the fixed hostnames (idp.acme.test) still say acme.
    expect(screen(w).join('\n')).not.toMatch(/(?<!\.)\bacme\b(?!\.test)/);
    w.stop();
  });

  test('`acme` is not on a branded machine: command not found, and nothing reaches the CLI', async () => {
    const w = await createWorld({ names: GLOBEX });
    await shell(w, 'acme login');
    expect(screen(w).at(-1)).toBe('acme: command not found (type help)');
    expect(w.state()).toBe('idle');
    expect(w.wire.log).toEqual([]);
    await shell(w, 'help');
    expect(screen(w).some((l) => l.startsWith('gx login [--no-browser]'))).toBe(true);
    await shell(w, 'gx');
    expect(screen(w).some((l) => l.includes('(e.g. gx api get /api/projects)'))).toBe(true);
    w.stop();
  });

  test('sub-processes: argv starts with gx and an exported token is GX_TOKEN; dashes become underscores', async () => {
    const w = await createWorld({ names: GLOBEX, userBehaviour: { kind: 'approve', afterS: 1 }, clientKnobs: { tokenDelivery: 'env' } });
    await shell(w, 'gx login --no-browser');
    await w.runUntil(() => w.state() === 'authenticated.ready', 60_000);
    await shell(w, 'gx api get /projects');
    expect(w.host.processes.at(-1)?.argv).toEqual(['gx', 'api', 'GET', '/api/projects']);
    expect(Object.keys(w.host.environment)).toEqual(['GX_TOKEN']);
    w.stop();

    const dashed = await createWorld({ names: { cli: 'globex-ops' }, userBehaviour: { kind: 'approve', afterS: 1 }, clientKnobs: { tokenDelivery: 'env' } });
    await shell(dashed, 'globex-ops login --no-browser');
    await dashed.runUntil(() => dashed.state() === 'authenticated.ready', 60_000);
    await shell(dashed, 'globex-ops api get /projects');
    expect(Object.keys(dashed.host.environment)).toEqual(['GLOBEX_OPS_TOKEN']);
    dashed.stop();
  });

  test('keychain, debug log and crash report are named after the CLI', async () => {
    const w = await createWorld({ names: GLOBEX, userBehaviour: { kind: 'approve', afterS: 1 }, clientKnobs: { debug: 'requests' } });
    await shell(w, 'gx login --no-browser');
    await w.runUntil(() => w.state() === 'authenticated.ready', 60_000);
    expect([...w.host.keychain.keys()]).toEqual([`gx-cli/${w.idp.as.issuer}`]);
    expect(w.host.files.has('~/.cache/gx/debug.log')).toBe(true);
    w.host.crash('segfault');
    expect(w.host.files.get('/var/crash/gx.crash')?.content).toMatch(/^gx crashed: segfault/);
    w.stop();
  });

  test('the attacker runs a copy of the same branded CLI (client id and User-Agent)', async () => {
    const w = await createWorld({ names: GLOBEX });
    await w.attack((a) => a.phish('approves-anything'));
    const attackerCode = w.wire.log.find((ex) => ex.actor === 'attacker' && ex.request.url.endsWith('/device_authorization'))!;
    expect(new URLSearchParams(attackerCode.request.body).get('client_id')).toBe('gx-cli');
    // The server sees the attacker's User-Agent as the device's: the same as the real CLI's.
    const grants = [...w.idp.as.state.byUserCode.values()];
    expect(grants.map((g) => g.device.userAgent)).toEqual(['gx/2.4.1 (linux; x86_64)']);
    w.stop();
  });

  test('the default world keeps acme everywhere', async () => {
    const w = await createWorld();
    expect(w.names).toEqual(DEFAULT_NAMES);
    expect(w.host.paths).toEqual({
      configDir: '~/.config/acme', credentials: '~/.config/acme/credentials.json', cacheDir: '~/.cache/acme',
      debugLog: '~/.cache/acme/debug.log', crash: '/var/crash/acme.crash',
    });
    expect(w.idp.as.registry.clients[0]).toMatchObject({ clientId: 'acme-cli', name: 'Acme CLI' });
    w.stop();
  });
});
