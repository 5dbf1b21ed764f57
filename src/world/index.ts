/**
 * `createWorld(config)`: the whole simulated world, headless. A virtual clock shared by the CLI machine and
 * the servers; the identity provider and its APIs; the in-memory wire; the CLI's host; the learner's browser;
 * a scripted user; the attacker; and the derived exposure ledger. Runs in Node with no DOM; the page and the
 * labs use the same.
 */
import { createActor, type Actor } from 'xstate';
import type { ClientKnobs } from '../flow/knobs.ts';
import { cliMachine } from '../flow/machine.ts';
import type { CliEmitted, CliEvent } from '../flow/types.ts';
import { USER_CODE_ALPHABETS, normalizeUserCode } from '../protocol/userCode.ts';
import { VirtualClock } from '../sim/clock.ts';
import { createSimIdp, SIM_ISSUER, type SimIdp } from '../sim/idp.ts';
import type { ServerKnobs } from '../sim/knobs.ts';
import { cliClientId } from '../sim/registry.ts';
import { SimBrowser } from './browser.ts';
import { Attacker, type AttackOutcome } from './attacker.ts';
import { Host, type HostOptions } from './host.ts';
import { computeLedger, placesOf, type LedgerEntry, type Place } from './ledger.ts';
import { cliUserAgent, DEFAULT_NAMES, resolveNames, type Names } from './names.ts';
import { ScriptedUser, type ScriptedBehaviour } from './scriptedUser.ts';
import { nextTurn } from './eventLoop.ts';
import { createWire, type Wire } from './wire.ts';

export { Host, hostPaths } from './host.ts';
export type { Reader, HostKind, HostPaths } from './host.ts';
export { DEFAULT_NAMES, resolveNames, type Names } from './names.ts';
export type { LedgerEntry, Sighting } from './ledger.ts';
export type { AttackOutcome, AttackMove, VictimPolicy } from './attacker.ts';
export type { ScriptedBehaviour } from './scriptedUser.ts';
export type { WireExchange } from './wire.ts';

/** The API base URL the CLI calls (`${API_BASE}/api/me`); its resource id is `${API_BASE}/api`. */
export const SIM_API_BASE = 'https://api.acme.test';

/** Network addresses of the actors, as the servers see them. */
export const ADDRESSES = { cli: '192.0.2.10', browser: '198.51.100.23', attacker: '203.0.113.66', victim: '198.51.100.23' } as const;
/** What each actor's software calls itself (browsers as the registry's people; the CLI and the attacker's tool). */
export const CLI_USER_AGENT = cliUserAgent(DEFAULT_NAMES.cli);

export interface WorldConfig {
  serverKnobs?: Partial<ServerKnobs>;
  clientKnobs?: Partial<ClientKnobs>;
  /** The CLI's host; its CLI name comes from `names`. */
  host?: Omit<HostOptions, 'cliName'>;
  /** Branding (organisation, CLI command, identity provider); unset fields keep the defaults. Checked by `resolveNames`. */
  names?: Partial<Names>;
  /** The person at the keyboard and at the browser (a registry user id). */
  user?: string;
  /** What the person does at the browser once the CLI shows a code; default: nothing (the learner acts). */
  userBehaviour?: ScriptedBehaviour;
  startMs?: number;
}

export interface World {
  /** The names this world speaks in (resolved: every field set). */
  readonly names: Names;
  readonly clock: VirtualClock;
  readonly idp: SimIdp;
  readonly wire: Wire;
  readonly host: Host;
  /** The CLI process (replaced by `reconfigure`). */
  readonly cli: Actor<typeof cliMachine>;
  /** The client knobs the current CLI runs with. */
  readonly clientKnobs: Partial<ClientKnobs>;
  /**
   * Change knobs: server knobs apply to requests from now on; new client knobs restart the CLI process with
   * them on the same host (its stored credentials, files and history stay), as reinstalling it would.
   */
  reconfigure(change: { serverKnobs?: Partial<ServerKnobs>; clientKnobs?: Partial<ClientKnobs> }): Promise<void>;
  /** The learner's own browser (signed in as `user` when they choose). */
  readonly browser: SimBrowser;
  readonly scriptedUser: ScriptedUser;
  readonly attacker: Attacker;
  /** Everything the CLI emitted, with the clock time. */
  readonly emitted: ReadonlyArray<CliEmitted & { at: number }>;
  /** Send a user event to the CLI and let everything settle. */
  send(event: CliEvent): Promise<void>;
  /** Wait (on the event loop, not the clock) until nothing is running that does not wait on the clock. */
  settle(): Promise<void>;
  /** Move the clock forward, timer by timer, settling after each. */
  advance(ms: number): Promise<void>;
  /** Jump to the next timer and settle; false when none is pending. */
  next(): Promise<boolean>;
  /** Step timer by timer until `done()` holds or `limitMs` of clock time has passed. */
  runUntil(done: () => boolean, limitMs?: number): Promise<void>;
  /** The CLI machine's active state as a dotted path. */
  state(): string;
  /** Terminal lines. */
  terminal(): string[];
  /** Run an attacker move (or any async world task) to completion. */
  attack<T extends AttackOutcome>(move: (a: Attacker) => Promise<T> | T): Promise<T>;
  ledger(): LedgerEntry[];
  stop(): void;
}

const TURN_LIMIT = 20_000;
/**
 * A watchdog, not a clock: settle() gives up only after TURN_LIMIT event-loop turns AND this much real time.
 * Token signing and DPoP keys use WebCrypto, which runs on the platform's thread pool; when that pool is busy
 * (other test workers, a slow machine) one signature can take longer than 20 000 turns without anything
 * being wrong.
 */
const SETTLE_WATCHDOG_MS = 15_000;

export async function createWorld(config: WorldConfig = {}): Promise<World> {
  const names = resolveNames(config.names);
  // The CLI is registered under its own name, so client_id, keychain service and User-Agent all agree with it.
  const clientId = cliClientId(names.cli);
  const userAgent = cliUserAgent(names.cli);
  const clock = new VirtualClock(config.startMs);
  const idp = await createSimIdp({ clock, knobs: config.serverKnobs ?? {}, names: { org: names.org, cli: names.cli } });
  const wire = createWire(idp, clock);
  const user = config.user ?? 'alice';
  const host = new Host(clock, { user, ...config.host, cliName: names.cli });
  const verificationUri = idp.as.endpoints.verification;
  const uaOf = (id: string) => idp.as.registry.users.find((u) => u.id === id)?.userAgent;
  const browser = new SimBrowser(wire.fetchFor('browser', ADDRESSES.browser, uaOf(user)), verificationUri);
  const tasks = new Set<Promise<unknown>>();
  const track = (task: Promise<unknown>) => {
    tasks.add(task);
    void task.finally(() => tasks.delete(task)).catch(() => undefined);
  };
  const scriptedUser = new ScriptedUser({ clock, browser, user, track }, config.userBehaviour ?? { kind: 'never' });
  const apiPlaces = (): Place[] => [
    ...idp.apis.map((api) => ({
      id: `api-log:${api.resource.id}`, label: `${api.resource.name} request log`, readers: [] as [],
      entries: api.log.map((l) => ({ at: l.at, text: `${l.method} ${l.path} ${l.status} ${l.authorization} ${l.dpop}` })),
    })),
    { id: 'audit', label: 'identity provider audit log', readers: [],
      entries: idp.as.audit.events.map((e) => ({ at: e.at, text: `${e.type} ${e.detail} ${(e.refs ?? []).join(' ')}` })) },
  ];
  const ledger = () => computeLedger(idp.as.issuedSecrets(), placesOf({ host, wire: wire.log, extra: apiPlaces() }));
  const attacker = new Attacker({
    // The attacker runs a copy of the same public CLI: same client id, same User-Agent.
    clock, fetch: wire.fetchFor('attacker', ADDRESSES.attacker, userAgent), issuer: idp.as.issuer, apiBaseUrl: SIM_API_BASE,
    clientId, browser: new SimBrowser(wire.fetchFor('attacker', ADDRESSES.attacker, uaOf('mallory')), verificationUri),
    victimBrowser: new SimBrowser(wire.fetchFor('victim', ADDRESSES.victim, uaOf(user)), verificationUri),
    victimUser: user, attackerUser: 'mallory', ledger, serverKnobs: () => idp.as.knobs,
  });

  const emitted: Array<CliEmitted & { at: number }> = [];
  const alphabet = () => USER_CODE_ALPHABETS[idp.as.knobs.userCodeAlphabet];
  let clientKnobs: Partial<ClientKnobs> = config.clientKnobs ?? {};
  const spawnCli = () => {
    const actor = createActor(cliMachine, {
      clock,
      input: {
        fetch: wire.fetchFor('cli', ADDRESSES.cli, userAgent), clock, issuer: SIM_ISSUER, apiBaseUrl: SIM_API_BASE, storage: host, knobs: clientKnobs,
        clientId, cliName: names.cli,
      },
    });
    actor.on('*', onEmitted);
    return actor;
  };
  const onEmitted = (event: CliEmitted) => {
    emitted.push({ ...event, at: clock.now() });
    host.apply(event);
    // The person reads the terminal: a live user code on it is something they may act on.
    if (event.type === 'cli.output') {
      for (const word of event.text.split(/\s+/)) {
        const code = normalizeUserCode(word, alphabet());
        if (code.length === idp.as.knobs.userCodeLength && idp.as.state.byUserCode.has(code)) scriptedUser.sawCode(word);
      }
    }
  };
  let cli = spawnCli();

  const state = () => statePath(cli.getSnapshot().value);
  const settle = async () => {
    const started = performance.now();
    for (let turn = 0; turn < TURN_LIMIT || performance.now() - started < SETTLE_WATCHDOG_MS; turn++) {
      const children = Object.values(cli.getSnapshot().children) as Array<{ getSnapshot(): { status: string } } | undefined>;
      const busyChildren = children.filter((c) => c?.getSnapshot().status === 'active').length;
      const waitingOnNetwork = wire.hung() + wire.held();
      if (tasks.size === 0 && wire.inFlight() === 0 && busyChildren <= waitingOnNetwork) return;
      await nextTurn();
    }
    throw new Error(`world.settle: still busy after ${TURN_LIMIT} turns and ${SETTLE_WATCHDOG_MS} ms (CLI in ${state()})`);
  };
  const next = async () => {
    const due = clock.nextDue();
    if (due === undefined) return false;
    clock.advanceTo(due);
    await settle();
    return true;
  };

  const world: World = {
    names, clock, idp, wire, host, browser, scriptedUser, attacker, emitted,
    get cli() {
      return cli;
    },
    get clientKnobs() {
      return clientKnobs;
    },
    async reconfigure(change) {
      if (change.serverKnobs) idp.as.setKnobs(change.serverKnobs);
      if (change.clientKnobs) {
        clientKnobs = change.clientKnobs;
        cli.stop();
        cli = spawnCli();
        cli.start();
      }
      await settle();
    },
    async send(event) {
      cli.send(event);
      await settle();
    },
    settle,
    async advance(ms) {
      const target = clock.now() + ms;
      await settle();
      for (let due = clock.nextDue(); due !== undefined && due <= target; due = clock.nextDue()) {
        clock.advanceTo(due);
        await settle();
      }
      clock.advanceTo(target);
      await settle();
    },
    next,
    async runUntil(done, limitMs = 3_600_000) {
      const end = clock.now() + limitMs;
      await settle();
      while (!done()) {
        const due = clock.nextDue();
        if (due === undefined || due > end) break;
        await next();
      }
    },
    state,
    terminal: () => emitted.filter((e) => e.type === 'cli.output').map((e) => (e as { text: string }).text),
    async attack(move) {
      const task = Promise.resolve(move(attacker));
      track(task);
      const out = await task;
      await settle();
      return out;
    },
    ledger,
    stop: () => cli.stop(),
  };
  cli.start();
  await settle();
  return world;
}

function statePath(value: unknown): string {
  if (typeof value === 'string') return value;
  if (!value || typeof value !== 'object') return '';
  const [key, child] = Object.entries(value)[0] ?? [];
  if (key === undefined) return '';
  const rest = statePath(child);
  return rest ? `${key}.${rest}` : key;
}
