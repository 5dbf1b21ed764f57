/**
 * The report card over real HTTP. Well-behaved clients get no `fail`: openid-client v6 (unchanged from npm) and
 * the lab's own CLI machine with the real fetch and the real clock. Deliberately bad clients, written here with
 * plain fetch, get exactly the failing rows they deserve. Then `--exit-after` as a CI job runs it: the server
 * process prints the cards and exits 0 or 1.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createActor } from 'xstate';
import { realClock } from '../sim/clock.ts';
import { cliMachine } from '../flow/machine.ts';
import { statePath } from '../flow/testing/harness.ts';
import { MemoryStorageHost } from '../flow/testing/memory-storage.ts';
import type { CliEmitted } from '../flow/types.ts';
import { cardText, type FlowReport } from './grade.ts';
import { parseScript, type Script } from './script.ts';
import { deviceAuthorization, poll, refresh, revoke, sleep, startRehearsal, type Rehearsal } from './testing/rehearsal.ts';
import { spawnIdp } from './testing/spawnIdp.ts';

const steps = (text: string): Script => {
  const r = parseScript(text, ['alice', 'bob', 'mallory']);
  if (!r.ok) throw new Error(r.message);
  return r.value;
};

const SCRIPTS: Record<string, string> = {
  'oidc-cli': 'pending,slow_down,approve',
  'oidc-deny': 'pending,deny',
  'oidc-quick': 'approve',
  'machine-cli': 'pending,slow_down,approve',
  'machine-flaky': 'reset,hang:3,approve',
  'bad-slow': 'slow_down',
  'bad-deny': 'deny',
  'bad-refresh': 'approve',
  'bad-hang': 'hang:1,pending',
  'bad-query': 'approve',
};

let idp: Rehearsal;
let short: Rehearsal;
let dpop: Rehearsal;

beforeAll(async () => {
  [idp, short, dpop] = await Promise.all([
    startRehearsal({
      clients: [...Object.keys(SCRIPTS), 'bad-early'].map((clientId) => ({ clientId })),
      scripts: new Map(Object.entries(SCRIPTS).map(([id, text]) => [id, steps(text)])),
    }),
    startRehearsal({ clients: [{ clientId: 'bad-expiry' }], knobs: { intervalS: 1, codeLifetimeS: 2 } }),
    startRehearsal({ clients: [{ clientId: 'machine-dpop' }], knobs: { intervalS: 1, dpopRequired: true }, script: steps('pending,approve') }),
  ]);
});
afterAll(async () => {
  await Promise.all([idp?.close(), short?.close(), dpop?.close()]);
});

/** The cards of one client's logins, from GET /control/report as a CI job would read it. */
async function cards(server: Rehearsal, clientId: string): Promise<FlowReport[]> {
  const response = await fetch(`${server.issuer}/control/report`);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const report = (await response.json()) as { flows: FlowReport[] };
  return report.flows.filter((f) => f.client_id === clientId);
}
const fails = (card: FlowReport) => card.checks.filter((c) => c.result === 'fail').map((c) => c.id);
const resultOf = (card: FlowReport, id: string) => card.checks.find((c) => c.id === id)?.result;

// One concurrent suite: the logins wait on real time, so they all wait together.
describe.concurrent('the report card over real HTTP', () => {
describe('well-behaved clients get no fail', () => {
  test.concurrent('openid-client v6: login through pending and slow_down, API call, refresh with rotation, logout by revocation', async () => {
    const config = await client.discovery(new URL(idp.issuer), 'oidc-cli', undefined, client.None(), { algorithm: 'oauth2', execute: [client.allowInsecureRequests] });
    const t0 = Date.now();
    const da = await client.initiateDeviceAuthorization(config, { scope: 'profile projects:read' });
    const tokens = await client.pollDeviceAuthorizationGrant(config, da);
    const loginMs = Date.now() - t0;
    const me = await client.fetchProtectedResource(config, tokens.access_token, new URL(`${idp.issuer}/api/me`), 'GET');
    expect(me.status).toBe(200);
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    await client.tokenRevocation(config, refreshed.refresh_token!, { token_type_hint: 'refresh_token' });
    await client.tokenRevocation(config, refreshed.access_token, { token_type_hint: 'access_token' });

    const [card] = await cards(idp, 'oidc-cli');
    expect(card).toMatchObject({ outcome: 'approved', user_agent: expect.stringMatching(/oauth4webapi|openid-client/) });
    expect(fails(card!)).toEqual([]);
    for (const id of ['RFC8628-3.5-wait-interval', 'RFC8628-3.5-slowdown', 'RFC6749-6-request', 'RFC6749-6-discard-old', 'RFC7009-2.1-request', 'RFC6750-2.1-client', 'user-agent']) {
      expect(resultOf(card!, id), id).toBe('pass');
    }
    const text = await (await fetch(`${idp.issuer}/control/report?format=text`)).text();
    expect(text).toContain(cardText(card!, idp.report().flows.findIndex((f) => f.client_id === 'oidc-cli') + 1));
    console.info(`openid-client login (pending, slow_down, approve; interval 1 s): ${loginMs} ms\n${cardText(card!, 1)}`);
  }, 20_000);

  test.concurrent('openid-client v6: a scripted approve takes one interval', async () => {
    const config = await client.discovery(new URL(idp.issuer), 'oidc-quick', undefined, client.None(), { algorithm: 'oauth2', execute: [client.allowInsecureRequests] });
    const t0 = Date.now();
    const da = await client.initiateDeviceAuthorization(config, {});
    await client.pollDeviceAuthorizationGrant(config, da);
    const ms = Date.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(1_000);
    const [card] = await cards(idp, 'oidc-quick');
    expect(fails(card!)).toEqual([]);
    console.info(`openid-client login with --script approve, interval 1 s: ${ms} ms from device authorization to tokens`);
  });

  test.concurrent('openid-client v6: a denial ends the login and it polls no more', async () => {
    const config = await client.discovery(new URL(idp.issuer), 'oidc-deny', undefined, client.None(), { algorithm: 'oauth2', execute: [client.allowInsecureRequests] });
    const da = await client.initiateDeviceAuthorization(config, {});
    await expect(client.pollDeviceAuthorizationGrant(config, da)).rejects.toMatchObject({ error: 'access_denied' });
    await sleep(1_500);
    const [card] = await cards(idp, 'oidc-deny');
    expect(card!.outcome).toBe('denied');
    expect(fails(card!)).toEqual([]);
    expect(resultOf(card!, 'RFC8628-3.5-stop-on-other')).toBe('pass');
  }, 20_000);

  test.concurrent.each([
    ['machine-cli', 'pending, slow_down, approve, then API call, refresh and logout', true],
    ['machine-flaky', 'a reset and a hang (it backs off, doubling), then approve', false],
    ['machine-dpop', 'DPoP required: proofs on every token request and at the API, refresh and logout', true],
  ])('the CLI machine over real HTTP (%s): %s', async (clientId, _what, full) => {
    const storage = new MemoryStorageHost();
    const server = clientId === 'machine-dpop' ? dpop : idp;
    const actor = createActor(cliMachine, {
      clock: realClock,
      input: {
        fetch: (r) => fetch(r), clock: realClock, issuer: server.issuer, apiBaseUrl: server.issuer, clientId, storage,
        // The flaky one's hang (3 s) outlasts its 1 s timeout; the others keep the machine's default.
        ...(clientId === 'machine-flaky' ? { requestTimeoutMs: 1_000 } : {}),
        knobs: { allowInsecureLoopback: true, ...(clientId === 'machine-dpop' ? { dpop: true } : {}) },
      },
    });
    const output: string[] = [];
    actor.on('*', (e: CliEmitted) => {
      if (e.type === 'cli.output') output.push(e.text);
    });
    actor.start();
    const state = () => statePath(actor.getSnapshot().value);
    const until = async (what: string, ok: () => boolean, timeoutMs: number) => {
      const deadline = performance.now() + timeoutMs;
      while (!ok()) {
        if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}: state ${state()}; ${output.join(' | ')}`);
        await sleep(20);
      }
    };
    try {
      await until('idle', () => state() === 'idle', 2_000);
      actor.send({ type: 'user.login' });
      await until('logged in', () => state() === 'authenticated.ready', 15_000);
      if (full) {
        actor.send({ type: 'user.whoami' });
        await until('the API call', () => output.some((l) => l.includes('"sub"')) && state() === 'authenticated.ready', 3_000);
        actor.send({ type: 'user.refresh' });
        await until('refreshed', () => server.observer.flows.find((f) => f.clientId === clientId)!.requests.some((r) => r.kind === 'refresh' && r.status === 200) && state() === 'authenticated.ready', 3_000);
        actor.send({ type: 'user.logout' });
        await until('logged out', () => state() === 'loggedOut', 3_000);
      }
    } finally {
      actor.stop();
    }
    const [card] = await cards(server, clientId);
    expect(card!.outcome).toBe('approved');
    expect(fails(card!)).toEqual([]);
    if (clientId === 'machine-dpop') {
      expect(card!.checks.filter((c) => c.id.startsWith('RFC9449')).map((c) => [c.id, c.result])).toEqual([
        ['RFC9449-5-token-request', 'pass'], ['RFC9449-4.2-header', 'pass'], ['RFC9449-4.2-claims', 'pass'], ['RFC9449-4.2-ath', 'pass'],
        ['RFC9449-4.2-nonce', 'not observed'], ['RFC9449-7.3-fresh-proof', 'pass'],
      ]);
    }
    if (full) {
      const passes = ['RFC6749-6-request', 'RFC6749-6-discard-old', 'RFC7009-2.1-request', 'RFC6750-2.1-client', ...(clientId === 'machine-cli' ? ['RFC8628-3.5-slowdown'] : [])];
      for (const id of passes) expect(resultOf(card!, id), id).toBe('pass');
    } else {
      expect(resultOf(card!, 'RFC8628-3.5-timeout-backoff')).toBe('pass');
      expect(resultOf(card!, 'RFC8628-3.5-exp-backoff')).toBe('pass');
    }
  }, 25_000);
});

describe('bad clients get exactly the failing rows they deserve', () => {
  test.concurrent('polling early: RFC8628-3.5-wait-interval', async () => {
    const codes = await deviceAuthorization(idp.issuer, 'bad-early');
    await sleep(200);
    await poll(idp.issuer, 'bad-early', codes);
    await sleep(200);
    expect((await poll(idp.issuer, 'bad-early', codes)).body.error).toBe('slow_down');
    const [card] = await cards(idp, 'bad-early');
    expect(fails(card!)).toEqual(['RFC8628-3.5-wait-interval']);
    expect(card!.checks.find((c) => c.id === 'RFC8628-3.5-wait-interval')!.evidence).toMatch(/^poll 1 came 0\.\d s after the codes \(at 0\.\d s\); the interval was 1 s/);
  });

  test.concurrent('ignoring slow_down: RFC8628-3.5-slowdown', async () => {
    const codes = await deviceAuthorization(idp.issuer, 'bad-slow');
    for (let i = 0; i < 3; i++) {
      await sleep(1_000);
      expect((await poll(idp.issuer, 'bad-slow', codes)).body.error).toBe('slow_down');
    }
    const [card] = await cards(idp, 'bad-slow');
    expect(fails(card!)).toEqual(['RFC8628-3.5-slowdown']);
    expect(card!.checks.find((c) => c.id === 'RFC8628-3.5-slowdown')!.evidence).toMatch(/^poll 2 came 1\.\d s after the slow_down answer \(at 2\.\d s\); the interval was 6 s; poll 3 came 1\.\d s after the slow_down answer \(at 3\.\d s\); the interval was 11 s$/);
  });

  test.concurrent('polling after denial: RFC8628-3.5-stop-on-other', async () => {
    const codes = await deviceAuthorization(idp.issuer, 'bad-deny');
    await sleep(1_000);
    expect((await poll(idp.issuer, 'bad-deny', codes)).body.error).toBe('access_denied');
    await sleep(1_000);
    expect((await poll(idp.issuer, 'bad-deny', codes)).body.error).toBe('access_denied');
    const [card] = await cards(idp, 'bad-deny');
    expect(card!.outcome).toBe('denied');
    expect(fails(card!)).toEqual(['RFC8628-3.5-stop-on-other']);
  });

  test.concurrent('polling after expiry: RFC8628-3.5-stop-on-other and polls after the code expired', async () => {
    const codes = await deviceAuthorization(short.issuer, 'bad-expiry');
    expect(codes.expires_in).toBe(2);
    await sleep(1_000);
    expect((await poll(short.issuer, 'bad-expiry', codes)).body.error).toBe('authorization_pending');
    await sleep(1_100);
    expect((await poll(short.issuer, 'bad-expiry', codes)).body.error).toBe('expired_token');
    await sleep(1_000);
    expect((await poll(short.issuer, 'bad-expiry', codes)).body.error).toBe('expired_token');
    const [card] = await cards(short, 'bad-expiry');
    expect(card!.outcome).toBe('expired');
    expect(fails(card!)).toEqual(['RFC8628-3.5-stop-on-other', 'polls-after-expiry']);
  });

  test.concurrent('reusing a rotated refresh token: RFC6749-6-discard-old', async () => {
    const codes = await deviceAuthorization(idp.issuer, 'bad-refresh');
    await sleep(1_000);
    const tokens = await poll(idp.issuer, 'bad-refresh', codes);
    const rt1 = tokens.body.refresh_token as string;
    expect((await refresh(idp.issuer, 'bad-refresh', rt1)).status).toBe(200);
    expect((await refresh(idp.issuer, 'bad-refresh', rt1)).body.error).toBe('invalid_grant');
    const [card] = await cards(idp, 'bad-refresh');
    expect(fails(card!)).toEqual(['RFC6749-6-discard-old']);
    expect(card!.checks.find((c) => c.id === 'RFC6749-6-discard-old')!.evidence).toMatch(/^refresh 2 \(POST \/token at 1\.\d s\) sent refresh token 1, which a rotation replaced at 1\.\d s$/);
  });

  test.concurrent('no back-off after a hang: RFC8628-3.5-timeout-backoff and RFC8628-3.5-exp-backoff', async () => {
    const codes = await deviceAuthorization(idp.issuer, 'bad-hang');
    await sleep(1_000);
    await expect(poll(idp.issuer, 'bad-hang', codes, AbortSignal.timeout(300))).rejects.toThrow();
    await sleep(1_000);
    expect((await poll(idp.issuer, 'bad-hang', codes)).body.error).toBe('authorization_pending');
    const [card] = await cards(idp, 'bad-hang');
    expect(fails(card!)).toEqual(['RFC8628-3.5-timeout-backoff', 'RFC8628-3.5-exp-backoff']);
  });

  test.concurrent('the token in the query string: RFC6750-2.1-client and RFC6750-2.3-no-query', async () => {
    const codes = await deviceAuthorization(idp.issuer, 'bad-query');
    await sleep(1_000);
    const tokens = await poll(idp.issuer, 'bad-query', codes);
    await fetch(`${idp.issuer}/api/me?access_token=${encodeURIComponent(tokens.body.access_token as string)}`);
    const [card] = await cards(idp, 'bad-query');
    expect(fails(card!)).toEqual(['RFC6750-2.1-client', 'RFC6750-2.3-no-query']);
    // The report never repeats a token.
    expect(JSON.stringify(idp.report())).not.toContain(tokens.body.access_token as string);
  });
});

describe('--exit-after: the server as a CI step', () => {
  test.concurrent.each([
    ['a good login and logout', ['--script', 'pending,approve'], 0],
    ['a client that polls after denial', ['--script', 'deny'], 1],
  ])('%s: the cards are printed and the exit status says whether a MUST-level check failed', async (_what, script, status) => {
    const t0 = Date.now();
    const server = await spawnIdp(['--interval', '1', ...script, '--exit-after', '1', '--exit-grace', '2.5', '--quiet']);
    const started = Date.now() - t0;
    try {
      const codes = await deviceAuthorization(server.issuer, 'acme-cli');
      await sleep(1_000);
      const first = await poll(server.issuer, 'acme-cli', codes);
      await sleep(1_000);
      const second = await poll(server.issuer, 'acme-cli', codes);
      if (status === 0) {
        expect([first.body.error, second.status]).toEqual(['authorization_pending', 200]);
        await revoke(server.issuer, 'acme-cli', second.body.refresh_token as string, 'refresh_token');
      } else {
        expect([first.body.error, second.body.error]).toEqual(['access_denied', 'access_denied']);
      }
      expect(await server.exited).toBe(status);
      console.info(`--exit-after CI run (${script.join(' ')}): server up in ${started} ms, exited ${Date.now() - t0} ms after it was started`);
      const output = server.lines.join('\n');
      expect(output).toContain('=== Final report cards (1 login) ===');
      expect(output).toMatch(status === 0 ? /no MUST-level check failed; exit status 0$/m : /1 MUST-level check failed: RFC8628-3.5-stop-on-other; exit status 1$/m);
      // The card was printed when the login ended, too.
      expect(output.match(/^Report card 1: acme-cli/gm)).toHaveLength(2);
    } finally {
      await server.stop();
    }
  }, 20_000);
});
});
