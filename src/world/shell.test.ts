import { describe, expect, test } from 'vitest';
import { explainExchange } from './explain.ts';
import { createWorld, type World } from './index.ts';
import { runShellLine, splitWords } from './shell.ts';

async function shell(world: World, line: string) {
  return runShellLine({ host: world.host, send: (e) => world.send(e), loginInProgress: () => world.state().startsWith('signingIn') }, line);
}

const screen = (w: World) => w.host.scrollback.map((l) => l.text);

describe('the host shell', () => {
  test('splits words with quotes', () => {
    expect(splitWords(`acme api get "/api/a b" 'x y' z`)).toEqual(['acme', 'api', 'get', '/api/a b', 'x y', 'z']);
  });

  test('acme login, whoami and logout drive the CLI; every typed line lands in history', async () => {
    const w = await createWorld({ userBehaviour: { kind: 'approve', afterS: 3 } });
    expect(await shell(w, 'acme login')).toEqual({ openBrowser: true });
    await w.runUntil(() => w.state() === 'authenticated.ready', 60_000);
    await shell(w, 'acme whoami');
    expect(screen(w)).toContain('{"sub":"alice"}');
    await shell(w, 'acme api get /projects');
    expect(screen(w).some((l) => l.includes('payments-service'))).toBe(true);
    await shell(w, 'acme logout');
    expect(w.state()).toBe('loggedOut');
    await shell(w, 'history');
    expect(screen(w).slice(-5)).toEqual(['    1  acme login', '    2  acme whoami', '    3  acme api get /projects', '    4  acme logout', '    5  history']);
    expect(await shell(w, 'acme login --no-browser')).toEqual({ openBrowser: false });
  });

  test('ls -la and cat show the credentials file with its mode; ps shows argv; env shows exported variables', async () => {
    const w = await createWorld({ userBehaviour: { kind: 'approve', afterS: 1 }, clientKnobs: { storage: 'file-0644', tokenDelivery: 'argv' } });
    await shell(w, 'acme login');
    await w.runUntil(() => w.state() === 'authenticated.ready', 60_000);
    await shell(w, 'ls -la ~/.config/acme');
    expect(screen(w).find((l) => l.endsWith(' credentials.json'))).toMatch(/^-rw-r--r-- 1 alice/);
    await shell(w, 'cat ~/.config/acme/credentials.json');
    expect(screen(w).some((l) => l.includes('"accessToken"'))).toBe(true);
    await shell(w, 'acme api get /projects');
    await shell(w, 'ps');
    expect(screen(w).some((l) => /^\s*\d+ alice\s+acme api GET \/api\/projects --token ey/.test(l))).toBe(true);
    await shell(w, 'export DEMO=1');
    await shell(w, 'env');
    expect(screen(w)).toContain('DEMO=1');
  });

  test('support-ticket pastes the last lines of the terminal where support staff can read them, secrets included', async () => {
    const w = await createWorld({ userBehaviour: { kind: 'approve', afterS: 1 } });
    await shell(w, 'acme login');
    await w.runUntil(() => w.state() === 'authenticated.ready', 60_000);
    await shell(w, 'acme token');
    await shell(w, 'support-ticket 3');
    const ticket = w.host.supportTicket.map((l) => l.text);
    expect(ticket).toHaveLength(3);
    expect(ticket.at(-1)).toBe('$ support-ticket 3');
    const token = w.ledger().find((e) => e.kind === 'access_token')!;
    expect(token.places.map((p) => p.placeId)).toContain('support');
    expect(token.exposedTo).toContain('support staff');
    expect(token.atRisk).toBe(true);
    expect(screen(w).at(-1)).toBe('Pasted the last 3 terminal lines into a support ticket; the support team can read it now.');
    await shell(w, 'support-ticket');
    const pasted = w.host.supportTicket.length;
    expect(pasted).toBe(3 + Math.min(40, w.host.scrollback.length - 1));
    expect(w.host.supportTicket.at(-1)!.text).toBe('$ support-ticket');
    await shell(w, 'support-ticket lots');
    expect(screen(w).at(-1)).toMatch(/^usage: support-ticket/);
    expect(w.host.supportTicket).toHaveLength(pasted);
  });

  test('bad input gets a clear message and nothing breaks', async () => {
    const w = await createWorld();
    await shell(w, 'rm -rf /');
    await shell(w, 'acme api fetch nowhere');
    await shell(w, 'cat /etc/shadow');
    await shell(w, 'ls /nope');
    await shell(w, 'acme login --bogus');
    expect(screen(w).filter((l) => !l.startsWith('$'))).toEqual([
      'rm: command not found (type help)',
      'usage: acme api <get|post|put|patch|delete> </path>',
      'cat: /etc/shadow: No such file or directory',
      "ls: cannot access '/nope': No such file or directory",
      'acme login: unknown option --bogus',
    ]);
    expect(w.state()).toBe('idle');
  });

  test('every exchange of a complete flow gets an explanation card with an RFC section', async () => {
    const w = await createWorld({ userBehaviour: { kind: 'approve', afterS: 7 } });
    await shell(w, 'acme login');
    await w.runUntil(() => w.state() === 'authenticated.ready', 60_000);
    await shell(w, 'acme logout');
    const cards = w.wire.log.map((ex) => explainExchange(ex));
    expect(cards.every((c) => c && c.rfc.startsWith('RFC'))).toBe(true);
    expect(cards.map((c) => c!.title)).toEqual([
      'Discovery', 'Codes issued', 'Poll: authorization_pending', 'Verification page', 'Verification page', 'Verification page',
      'Tokens issued', 'Revocation', 'Revocation',
    ]);
  });
});
