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
import { ADDRESSES, SIM_API_BASE } from './addresses.ts';
import { SimBrowser } from './browser.ts';
import { Attacker, type AttackOutcome, type LureApp } from './attacker.ts';
import { Host, type HostOptions } from './host.ts';
import { createCiPlatform, warmCiKey, type CiPlatform } from './ciPlatform.ts';
import { warmSigningKey } from '../sim/authServer/index.ts';
import { computeLedger, placesOf, type LedgerEntry, type Place } from './ledger.ts';
import { cliUserAgent, DEFAULT_NAMES, resolveNames, type Names } from './names.ts';
import { ScriptedUser, type ScriptedBehaviour } from './scriptedUser.ts';
import { ChangeSignal, advanceSettling, nextTurn } from './eventLoop.ts';
import { providerView, type ProviderView } from './providerView.ts';
import { createWire, type Wire } from './wire.ts';

export { Host, hostPaths } from './host.ts';
export type { Reader, HostKind, HostPaths } from './host.ts';
export { DEFAULT_NAMES, resolveNames, type Names } from './names.ts';
export type { LedgerEntry, Sighting } from './ledger.ts';
export type { AttackOutcome, AttackMove, VictimPolicy } from './attacker.ts';
export type { ScriptedBehaviour } from './scriptedUser.ts';
export type { WireExchange } from './wire.ts';

export { ADDRESSES, SIM_API_BASE } from './addresses.ts';
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
  /** A read-only view of the identity provider (audit trail, issued secrets, grants, knobs): what labs and the page read. */
  readonly provider: ProviderView;
  readonly wire: Wire;
  readonly host: Host;
  /** The CI platform's OIDC issuer (mints a CI job's ID token when the host offers one). */
  readonly ci: CiPlatform;
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
  /** Everything the CLI emitted, with the clock time and the world's event order (shared with the attacker's log). */
  readonly emitted: ReadonlyArray<CliEmitted & { at: number; seq: number }>;
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

/**
 * A watchdog, not a clock: settle() gives up when nothing it watches has changed for this much real time.
 * Token signing and DPoP keys use WebCrypto, which runs on the platform's thread pool; when that pool is busy
 * (other test workers, a slow machine) one signature can take a long time without anything being wrong.
 */
const SETTLE_WATCHDOG_MS = 15_000;

function lureAppOf(clients: ReadonlyArray<{ clientId: string; name: string }>, clientId: string): { lureApp?: LureApp } {
  const client = clients.find((c) => c.clientId === clientId);
  return client ? { lureApp: { clientId: client.clientId, name: client.name } } : {};
}

/**
 * Start making the realm's signing keys (the identity provider's and the CI platform's) without waiting: both
 * generations run on the crypto thread at once, and a page that calls this as the engine arrives has them made
 * while it renders. Every world after uses the same keys.
 */
export function warmEngine(): void {
  warmSigningKey();
  void warmCiKey();
}

export async function createWorld(config: WorldConfig = {}): Promise<World> {
  warmEngine();
  const names = resolveNames(config.names);
  // The CLI is registered under its own name, so client_id, keychain service and User-Agent all agree with it.
  const clientId = cliClientId(names.cli);
  const userAgent = cliUserAgent(names.cli);
  const clock = new VirtualClock(config.startMs);
  // The CI platform's OIDC issuer: the identity provider may federate with it (knob workloadIdentityFederation).
  const ci = await createCiPlatform(clock, { audience: SIM_ISSUER, org: names.org });
  const idp = await createSimIdp({ clock, knobs: config.serverKnobs ?? {}, names: { org: names.org, cli: names.cli }, workloadIssuers: [ci.trust] });
  const wire = createWire(idp, clock);
  const user = config.user ?? 'alice';
  const host = new Host(clock, { user, ...config.host, cliName: names.cli });
  const verificationUri = idp.as.endpoints.verification;
  const uaOf = (id: string) => idp.as.registry.users.find((u) => u.id === id)?.userAgent;
  const browser = new SimBrowser(wire.fetchFor('browser', ADDRESSES.browser, uaOf(user)), verificationUri);
  /** Told of every change settle() watches: a wire exchange's progress, the CLI's snapshots, a tracked task's end. */
  const changes = new ChangeSignal();
  wire.subscribe(changes.notify);
  const tasks = new Set<Promise<unknown>>();
  const track = (task: Promise<unknown>) => {
    tasks.add(task);
    void task.finally(() => {
      tasks.delete(task);
      changes.notify();
    }).catch(() => undefined);
  };
  const scriptedUser = new ScriptedUser({ clock, browser, user, track }, config.userBehaviour ?? { kind: 'never' });
  // A log line never changes once written, so its entry is made once (the ledger is derived again at every step).
  const lines = new WeakMap<object, { at: number; text: string }>();
  const lineOf = <T extends object>(line: T, make: (l: T) => { at: number; text: string }) => {
    let entry = lines.get(line);
    if (!entry) lines.set(line, (entry = make(line)));
    return entry;
  };
  const apiPlaces = (): Place[] => [
    ...idp.apis.map((api) => ({
      id: `api-log:${api.resource.id}`, label: `${api.resource.name} request log`, readers: [] as [],
      entries: api.log.map((l) => lineOf(l, () => ({ at: l.at, text: `${l.method} ${l.path} ${l.status} ${l.authorization} ${l.dpop}` }))),
    })),
    { id: 'audit', label: 'identity provider audit log', readers: [],
      entries: idp.as.audit.events.map((e) => lineOf(e, () => ({ at: e.at, text: `${e.type} ${e.detail} ${(e.refs ?? []).join(' ')}` }))) },
  ];
  const ledger = () => computeLedger(idp.as.issuedSecrets(), placesOf({ host, wire: wire.log, extra: apiPlaces() }));
  /** One count for CLI events and attacker moves, so the labs can order two things at the same clock time. */
  let order = 0;
  const attacker = new Attacker({
    // The attacker runs a copy of the same public CLI: same client id, same User-Agent.
    clock, fetch: wire.fetchFor('attacker', ADDRESSES.attacker, userAgent), issuer: idp.as.issuer, apiBaseUrl: SIM_API_BASE,
    clientId, browser: new SimBrowser(wire.fetchFor('attacker', ADDRESSES.attacker, uaOf('mallory')), verificationUri),
    victimBrowser: new SimBrowser(wire.fetchFor('victim', ADDRESSES.victim, uaOf(user)), verificationUri),
    victimUser: user, attackerUser: 'mallory', ledger, serverKnobs: () => idp.as.knobs, nextSeq: () => ++order,
    // A QR-code lure pretends to open the organisation's web console (a public client registered without the device grant).
    ...lureAppOf(idp.as.registry.clients, `${names.cli}-web`),
  });

  const emitted: Array<CliEmitted & { at: number; seq: number }> = [];
  const alphabet = () => USER_CODE_ALPHABETS[idp.as.knobs.userCodeAlphabet];
  let clientKnobs: Partial<ClientKnobs> = config.clientKnobs ?? {};
  const spawnCli = () => {
    const actor = createActor(cliMachine, {
      clock,
      input: {
        fetch: wire.fetchFor('cli', ADDRESSES.cli, userAgent), clock, issuer: SIM_ISSUER, apiBaseUrl: SIM_API_BASE, storage: host, knobs: clientKnobs,
        clientId, cliName: names.cli, ...(host.offersCiIdToken ? { ciIdToken: (audience: string) => ci.mintIdToken(audience) } : {}),
      },
    });
    actor.on('*', onEmitted);
    // A child actor's end reaches the CLI as an event, so its snapshot changes; observing without an error
    // handler leaves XState's reporting of an unhandled error as it is.
    actor.subscribe(() => changes.notify());
    return actor;
  };
  const onEmitted = (event: CliEmitted) => {
    emitted.push({ ...event, at: clock.now(), seq: ++order });
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
  const idle = () => {
    if (tasks.size > 0 || wire.inFlight() > 0) return false;
    let busyChildren = 0;
    for (const c of Object.values(cli.getSnapshot().children) as Array<{ getSnapshot(): { status: string } } | undefined>) {
      if (c?.getSnapshot().status === 'active') busyChildren++;
    }
    return busyChildren <= wire.hung() + wire.held();
  };
  // Look; while busy, wait for the next change rather than look every event-loop turn. Idle is only believed after
  // one more whole turn (the microtasks the last change set off have run) and a second look, as a turn-by-turn
  // loop would see it, without the turns in which nothing moved.
  const settle = async () => {
    if (idle()) return;
    let seen = changes.count;
    let quietSince = performance.now();
    for (;;) {
      await changes.changed();
      if (idle()) {
        await nextTurn();
        if (idle()) return;
      }
      if (changes.count !== seen) {
        seen = changes.count;
        quietSince = performance.now();
      } else if (performance.now() - quietSince > SETTLE_WATCHDOG_MS) {
        throw new Error(`world.settle: still busy after ${SETTLE_WATCHDOG_MS} ms without a change (CLI in ${state()})`);
      }
    }
  };
  const next = async () => {
    const due = clock.nextDue();
    if (due === undefined) return false;
    clock.advanceTo(due);
    await settle();
    return true;
  };

  const world: World = {
    names, clock, idp, provider: providerView(idp.as), wire, host, ci, browser, scriptedUser, attacker, emitted,
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
    advance: (ms) => advanceSettling(clock, settle, ms),
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
