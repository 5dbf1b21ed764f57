/**
 * The runner (run.ts): the one way to drive the machine from outside. A login sent while the machine is still
 * reading its store is queued, not dropped; the idle signal says when it waits for the user again.
 */
import { describe, expect, test } from 'vitest';
import { createActor } from 'xstate';
import { VirtualClock } from '../sim/clock.ts';
import { cliMachine } from './machine.ts';
import { RESTING_STATES, runCli } from './run.ts';
import { FakeServer, replies } from './testing/fake-server.ts';
import { MemoryStorageHost } from './testing/memory-storage.ts';
import type { CliEmitted, CliInput } from './types.ts';

function setup() {
  const clock = new VirtualClock();
  const server = new FakeServer(clock);
  const input: CliInput = { fetch: server.fetch, clock, issuer: server.issuer, apiBaseUrl: server.apiBaseUrl, storage: new MemoryStorageHost() };
  return { clock, server, input };
}

/** Let promises (store reads, fetch bodies) settle without moving the virtual clock. */
const flush = async () => {
  for (let i = 0; i < 50; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

describe('runCli', () => {
  test('a login sent while the machine is booting is queued and runs once the store is read', async () => {
    const { server, input } = setup();
    const emitted: CliEmitted[] = [];
    const cli = runCli({ input, onEmit: (e) => emitted.push(e) });
    expect(cli.state()).toBe('booting');
    cli.send({ type: 'user.login' });
    await flush();
    expect(cli.state()).toMatch(/^signingIn\.awaitingApproval/);
    expect(server.of('device')).toHaveLength(1);
    const text = emitted.flatMap((e) => (e.type === 'cli.output' ? [e.text] : []));
    expect(text.some((l) => l.includes('one-time code'))).toBe(true);
    expect(text.some((l) => /not logged in|still reading/i.test(l))).toBe(false);
    cli.stop();
  });

  test('driven without the runner, a login during boot is refused with a message, not silently dropped', async () => {
    const { server, input } = setup();
    const actor = createActor(cliMachine, { clock: input.clock, input });
    const lines: string[] = [];
    actor.on('cli.output', (e) => lines.push(e.text));
    actor.start();
    actor.send({ type: 'user.login' });
    await flush();
    expect(lines).toEqual(['Still reading the stored session; nothing was done. Try again in a moment.']);
    expect(actor.getSnapshot().value).toBe('idle');
    expect(server.of('device')).toHaveLength(0);
    actor.stop();
  });

  test('whenAtRest resolves when the machine waits for the user, not while it polls', async () => {
    const { clock, server, input } = setup();
    server.on('poll', replies.pending(), replies.tokens());
    const cli = runCli({ input });
    expect(await cli.whenAtRest()).toBe('idle');
    cli.send({ type: 'user.login' });
    let rested: string | undefined;
    void cli.whenAtRest().then((s) => (rested = s));
    await flush();
    expect(cli.isAtRest()).toBe(false);
    // First poll pending, second poll: the fake server's default answer after the script is the tokens.
    for (let i = 0; i < 10 && rested === undefined; i++) {
      const due = clock.nextDue();
      if (due === undefined) break;
      clock.advanceTo(due);
      await flush();
    }
    expect(rested).toBe('authenticated.ready');
    expect(RESTING_STATES).toContain(rested);
    cli.stop();
    await expect(cli.whenAtRest()).rejects.toThrow(/stopped/);
  });
});

describe('discovery', () => {
  test('OpenID discovery fallback: no RFC 8414 document, so the CLI reads OpenID Connect discovery and logs in', async () => {
    const { server, input } = setup();
    server.on('metadata', { status: 404, json: { error: 'not_found' } });
    const cli = runCli({ input });
    cli.send({ type: 'user.login' });
    await flush();
    expect(server.of('metadata').map((e) => [e.path, e.status])).toEqual([
      ['/.well-known/oauth-authorization-server', 404],
      ['/.well-known/openid-configuration', 200],
    ]);
    expect(server.of('device')).toHaveLength(1);
    cli.stop();
  });

  test('neither document: the login fails with both paths named, and no device request is sent', async () => {
    const { server, input } = setup();
    const lines: string[] = [];
    server.on('metadata', { status: 404, json: {} }, { status: 404, json: {} });
    const cli = runCli({ input, onEmit: (e) => e.type === 'cli.output' && lines.push(e.text) });
    cli.send({ type: 'user.login' });
    expect(await cli.whenAtRest()).toBe('failed');
    expect(lines.at(-1)).toMatch(/oauth-authorization-server.*openid-configuration/);
    expect(server.of('device')).toHaveLength(0);
    cli.stop();
  });

  test('explicit endpoints (a provider without metadata, as GitHub): no discovery request at all; the secret goes in the body', async () => {
    const { clock, server, input } = setup();
    server.on('poll', replies.tokens());
    const cli = runCli({
      input: { ...input, clientSecret: 's3cret', metadata: { issuer: server.issuer, device_authorization_endpoint: `${server.issuer}/device/code`, token_endpoint: `${server.issuer}/token` } },
    });
    cli.send({ type: 'user.login' });
    await flush();
    clock.advance(5_000);
    expect(await cli.whenAtRest()).toBe('authenticated.ready');
    expect(server.of('metadata')).toHaveLength(0);
    expect(server.of('device')[0]!.form).toMatchObject({ client_id: 'acme-cli', client_secret: 's3cret' });
    expect(server.of('poll')[0]!.form).toMatchObject({ client_id: 'acme-cli', client_secret: 's3cret' });
    expect(server.of('device')[0]!.url).not.toContain('s3cret');
    cli.stop();
  });
});

test('RESTING_STATES are exactly the leaf states with nothing of their own pending (plus reauthRequired once its store clear is done)', () => {
  type Node = (typeof cliMachine)['root'];
  const leaves: Node[] = [];
  const visit = (node: Node) => {
    const children = Object.values(node.states);
    if (children.length === 0) leaves.push(node);
    for (const child of children) visit(child);
  };
  visit(cliMachine.root);
  const quiet = leaves.filter((n) => n.after.length === 0 && (n.always ?? []).length === 0 && n.invoke.length === 0).map((n) => n.id.replace(/^cli\./, ''));
  expect(new Set(RESTING_STATES)).toEqual(new Set([...quiet, 'reauthRequired']));
});

describe('user.refresh', () => {
  test('trades the refresh token for new tokens and saves them; without one, says so and keeps the session', async () => {
    const { clock, server, input } = setup();
    server.on('poll', replies.tokens());
    const lines: string[] = [];
    const cli = runCli({ input, onEmit: (e) => e.type === 'cli.output' && lines.push(e.text) });
    cli.send({ type: 'user.login' });
    await flush();
    clock.advance(5_000);
    expect(await cli.whenAtRest()).toBe('authenticated.ready');
    const first = cli.actor.getSnapshot().context.session!;
    cli.send({ type: 'user.refresh' });
    expect(await cli.whenAtRest()).toBe('authenticated.ready');
    const second = cli.actor.getSnapshot().context.session!;
    expect(server.of('refresh').map((e) => e.form.refresh_token)).toEqual([first.refreshToken]);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    cli.stop();

    const bare = setup();
    bare.server.on('poll', replies.tokens({ refresh_token: undefined }));
    const said: string[] = [];
    const other = runCli({ input: bare.input, onEmit: (e) => e.type === 'cli.output' && said.push(e.text) });
    other.send({ type: 'user.login' });
    await flush();
    bare.clock.advance(5_000);
    expect(await other.whenAtRest()).toBe('authenticated.ready');
    other.send({ type: 'user.refresh' });
    expect(await other.whenAtRest()).toBe('authenticated.ready');
    expect(bare.server.of('refresh')).toHaveLength(0);
    expect(said.at(-1)).toMatch(/^✗ This session has no refresh token/);
    other.stop();
  });
});
