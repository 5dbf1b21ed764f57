/**
 * The engine's figures for `npm run bench` (src/bench/run.ts), importable on their own so a profile can run
 * exactly what the bench measures (`node --cpu-prof --import tsx <script that calls completeFlow>`):
 *
 *   completeFlow        one world, one CLI: login with three pending polls and a slow_down, approval, an API
 *                       call, a refresh (the access token has expired), logout: 15 exchanges
 *   concurrentFlows(n)  one world, n CLIs (each its own host and address, as n machines behind one identity
 *                       provider), every CLI through the same complete flow at the same time
 *   ledgerTime          the exposure ledger computed over a world's secrets and places, timed
 *
 * No Node-only import: src/bench/flowPage.ts bundles `completeFlow` for the same figure in Chromium.
 */
import { createActor, type Actor } from 'xstate';
import { cliMachine } from '../flow/machine.ts';
import { SIM_ISSUER } from '../sim/idp.ts';
import { cliClientId } from '../sim/registry.ts';
import { advanceSettling, nextTurn } from '../world/eventLoop.ts';
import { CLI_USER_AGENT, Host, SIM_API_BASE, createWorld, type World } from '../world/index.ts';
import { computeLedger, placesOf, type Place } from '../world/ledger.ts';

/** One complete flow, as issue 6 describes it. Returns the number of wire exchanges it took. */
export async function completeFlow(): Promise<number> {
  const w = await createWorld({ userBehaviour: { kind: 'never' } });
  await w.send({ type: 'user.login' });
  // Three pending polls (at 5, 10, 15 s), then the server asks for a slow_down once.
  await w.advance(15_000);
  const pending = [...w.idp.as.state.deviceGrants.values()][0];
  if (!pending) throw new Error('bench: no device code was issued');
  pending.forcedSlowDowns = 1;
  await w.advance(5_000);
  await w.browser.signIn('alice');
  await w.browser.enterCode(pending.userCode);
  await w.browser.decide(pending.userCode, 'approve');
  await w.runUntil(() => w.state().startsWith('authenticated'), 120_000);
  await w.send({ type: 'user.whoami' });
  await w.advance(w.idp.as.knobs.accessTokenLifetimeS * 1000 + 1000);
  await w.send({ type: 'user.api', method: 'GET', path: '/api/projects' });
  await w.send({ type: 'user.logout' });
  if (!w.state().startsWith('loggedOut')) throw new Error(`bench: flow ended in ${w.state()}`);
  const polls = w.wire.log.filter((e) => e.actor === 'cli' && e.request.body.includes('device_code'));
  const refreshes = w.wire.log.filter((e) => e.actor === 'cli' && e.request.body.includes('grant_type=refresh_token'));
  if (polls.length < 5 || refreshes.length !== 1) throw new Error(`bench: unexpected flow (${polls.length} polls, ${refreshes.length} refreshes)`);
  w.stop();
  return w.wire.log.length;
}

export interface Timed {
  /** Wall-clock milliseconds. */
  ms: number;
  /** This process's CPU milliseconds (user + system, every thread: the WebCrypto pool and the GC too). */
  cpuMs: number;
}

export async function timed<T>(work: () => Promise<T>): Promise<Timed & { value: T }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return { value, ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000 };
}

type Cli = Actor<typeof cliMachine>;

export interface ConcurrentRun {
  world: World;
  hosts: Host[];
  exchanges: number;
}

/**
 * n CLIs in one world, each through the complete flow at once. The world's own CLI stays idle; the n CLIs are
 * made as the world makes its own (same machine, client and User-Agent), each with its own host and address
 * (192.0.2.10 and on), so the server's per-address rate limit sees n machines.
 */
export async function concurrentFlows(n: number): Promise<ConcurrentRun> {
  if (n < 1 || n > 240) throw new RangeError('bench: 1 to 240 CLIs (one TEST-NET-1 address each)');
  const w = await createWorld({ userBehaviour: { kind: 'never' } });
  const { clock } = w;
  const hosts: Host[] = [];
  const clis: Cli[] = [];
  for (let i = 0; i < n; i++) {
    const host = new Host(clock, { user: 'alice', cliName: w.names.cli });
    const cli = createActor(cliMachine, {
      clock,
      input: {
        fetch: w.wire.fetchFor('cli', `192.0.2.${10 + i}`, CLI_USER_AGENT), clock, issuer: SIM_ISSUER, apiBaseUrl: SIM_API_BASE,
        storage: host, knobs: {}, clientId: cliClientId(w.names.cli), cliName: w.names.cli,
      },
    });
    cli.on('*', (event) => host.apply(event));
    hosts.push(host);
    clis.push(cli);
  }
  const state = (cli: Cli) => JSON.stringify(cli.getSnapshot().value);
  const busy = (cli: Cli) => Object.values(cli.getSnapshot().children).some((c) => (c as { getSnapshot(): { status: string } } | undefined)?.getSnapshot().status === 'active');
  // The world settles its wire and its own CLI; the n CLIs' own steps (storage, parsing) take a turn or two more.
  const settle = async () => {
    for (let turn = 0; ; turn++) {
      await w.settle();
      if (!clis.some(busy)) return;
      if (turn > 100_000) throw new Error('bench: the CLIs did not settle');
      await nextTurn();
    }
  };
  const advance = (ms: number) => advanceSettling(clock, settle, ms);
  const sendAll = async (event: Parameters<Cli['send']>[0]) => {
    for (const cli of clis) cli.send(event);
    await settle();
  };

  for (const cli of clis) cli.start();
  await settle();
  await sendAll({ type: 'user.login' });
  await advance(15_000);
  const grants = clis.map((cli) => {
    const code = (cli.getSnapshot().context as { device?: { device_code: string } }).device?.device_code;
    const grant = code === undefined ? undefined : w.idp.as.state.deviceGrants.get(code);
    if (!grant) throw new Error(`bench: a CLI has no pending device code (${state(cli)})`);
    return grant;
  });
  for (const g of grants) g.forcedSlowDowns = 1;
  await advance(5_000);
  await w.browser.signIn('alice');
  for (const g of grants) {
    await w.browser.enterCode(g.userCode);
    await w.browser.decide(g.userCode, 'approve');
  }
  const end = clock.now() + 120_000;
  while (!clis.every((c) => state(c).includes('authenticated'))) {
    const due = clock.nextDue();
    if (due === undefined || due > end) throw new Error(`bench: not every CLI signed in (${clis.map(state).join(', ')})`);
    clock.advanceTo(due);
    await settle();
  }
  await sendAll({ type: 'user.whoami' });
  await advance(w.idp.as.knobs.accessTokenLifetimeS * 1000 + 1000);
  await sendAll({ type: 'user.api', method: 'GET', path: '/api/projects' });
  await sendAll({ type: 'user.logout' });
  for (const cli of clis) {
    if (!state(cli).includes('loggedOut')) throw new Error(`bench: a CLI ended in ${state(cli)}`);
    cli.stop();
  }
  const refreshes = w.wire.log.filter((e) => e.actor === 'cli' && e.request.body.includes('grant_type=refresh_token')).length;
  if (refreshes !== n) throw new Error(`bench: ${refreshes} refreshes for ${n} CLIs`);
  w.stop();
  return { world: w, hosts, exchanges: w.wire.log.length };
}

/** Every place of a concurrent run: the world's (its host, the wire, the API and audit logs' stand-ins) and each CLI host's. */
export function placesOfRun(run: ConcurrentRun): Place[] {
  const w = run.world;
  const logs: Place[] = w.idp.apis.map((api) => ({
    id: `api-log:${api.resource.id}`, label: `${api.resource.name} request log`, readers: [],
    entries: api.log.map((l) => ({ at: l.at, text: `${l.method} ${l.path} ${l.status} ${l.authorization} ${l.dpop}` })),
  }));
  return [
    ...placesOf({ host: w.host, wire: w.wire.log, extra: logs }),
    ...run.hosts.flatMap((host, i) => placesOf({ host, wire: [] }).map((p) => ({ ...p, id: `cli${i}:${p.id}` }))),
  ];
}

/** The ledger over a run's secrets and places: the median time of `repeat` computations after one untimed. */
export function ledgerTime(run: ConcurrentRun, repeat = 7): { ms: number; secrets: number; places: number; entries: number; textKiB: number; sightings: number } {
  const secrets = run.world.idp.as.issuedSecrets();
  const places = placesOfRun(run);
  const times: number[] = [];
  let sightings = 0;
  computeLedger(secrets, places);
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    const ledger = computeLedger(secrets, places);
    times.push(performance.now() - start);
    sightings = ledger.reduce((a, e) => a + e.places.length, 0);
  }
  const entries = places.reduce((a, p) => a + p.entries.length, 0);
  const text = places.reduce((a, p) => a + p.entries.reduce((b, e) => b + e.text.length, 0), 0);
  return { ms: times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!, secrets: secrets.length, places: places.length, entries, textKiB: Math.round(text / 1024), sightings };
}
