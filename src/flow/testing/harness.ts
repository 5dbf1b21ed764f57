/**
 * Drive a real CLI actor on a VirtualClock against the scripted FakeServer. Time only moves when a test says
 * so; `advance` steps from timer to timer and lets every in-flight promise (fetch, body parsing, WebCrypto)
 * settle in between, so a response that arrives "now" is processed before the next timer fires.
 */
import { createActor, type Actor, type StateValue } from 'xstate';
import { VirtualClock } from '../../sim/clock.ts';
import type { ClientKnobs } from '../knobs.ts';
import { cliMachine } from '../machine.ts';
import type { CliEmitted, CliEvent, CliInput } from '../types.ts';
import { FakeServer, type FakeServerOptions } from './fake-server.ts';
import { MemoryStorageHost } from './memory-storage.ts';

export interface HarnessOptions {
  knobs?: Partial<ClientKnobs>;
  server?: FakeServerOptions;
  /** Override the issuer the CLI is pointed at (defaults to the fake server's). */
  issuer?: string;
  storage?: MemoryStorageHost;
  clock?: VirtualClock;
  input?: Partial<CliInput>;
}

export type Emitted<T extends CliEmitted['type']> = Extract<CliEmitted, { type: T }>;

/** Flatten a state value to its active leaf path, e.g. `signingIn.awaitingApproval.polling`. */
export function statePath(value: StateValue): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value)[0] ?? [];
  return key === undefined ? '' : child === undefined || (typeof child === 'object' && Object.keys(child).length === 0) ? key : `${key}.${statePath(child)}`;
}

/** Real time `settle` may wait for promises (fetch bodies, WebCrypto) before it calls the machine stuck. */
const SETTLE_LIMIT_MS = 10_000;

export class CliHarness {
  readonly clock: VirtualClock;
  readonly server: FakeServer;
  readonly storage: MemoryStorageHost;
  readonly actor: Actor<typeof cliMachine>;
  /** Everything the machine emitted, in order, with the clock time. */
  readonly emitted: Array<CliEmitted & { at: number }> = [];

  constructor(opts: HarnessOptions = {}) {
    this.clock = opts.clock ?? new VirtualClock();
    this.server = new FakeServer(this.clock, opts.server);
    this.storage = opts.storage ?? new MemoryStorageHost();
    const input: CliInput = {
      fetch: this.server.fetch,
      clock: this.clock,
      issuer: opts.issuer ?? this.server.issuer,
      apiBaseUrl: this.server.apiBaseUrl,
      storage: this.storage,
      knobs: opts.knobs ?? {},
      ...opts.input,
    };
    this.actor = createActor(cliMachine, { clock: this.clock, input });
    this.actor.on('*', (event) => this.emitted.push({ ...event, at: this.clock.now() }));
  }

  /** Start the actor and let booting (the store read) finish. */
  async start(): Promise<this> {
    this.actor.start();
    await this.settle();
    return this;
  }

  state(): string {
    return statePath(this.actor.getSnapshot().value);
  }

  get context() {
    return this.actor.getSnapshot().context;
  }

  async send(event: CliEvent): Promise<void> {
    this.actor.send(event);
    await this.settle();
  }

  /**
   * Wait (on the event loop, not the world clock) until every running actor is blocked on the world clock:
   * each active child actor is waiting for a request the fake server holds. WebCrypto (DPoP signing) runs on
   * the thread pool, so on a loaded machine this can take many turns; the bound is generous real time.
   */
  async settle(): Promise<void> {
    const started = performance.now();
    for (;;) {
      const children = Object.values(this.actor.getSnapshot().children) as Array<{ getSnapshot(): { status: string } } | undefined>;
      const busy = children.filter((c) => c?.getSnapshot().status === 'active').length;
      if (busy <= this.server.inFlight()) return;
      if (performance.now() - started > SETTLE_LIMIT_MS) {
        throw new Error(`CliHarness.settle: still busy after ${SETTLE_LIMIT_MS} ms in state ${this.state()}`);
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Move the clock forward by `ms`, firing timers one instant at a time and settling after each. */
  async advance(ms: number): Promise<void> {
    const target = this.clock.now() + ms;
    await this.settle();
    for (let due = this.clock.nextDue(); due !== undefined && due <= target; due = this.clock.nextDue()) {
      this.clock.advanceTo(due);
      await this.settle();
    }
    this.clock.advanceTo(target);
    await this.settle();
  }

  /** Jump to the next timer (if any) and settle. Returns false when no timer is pending. */
  async next(): Promise<boolean> {
    const due = this.clock.nextDue();
    if (due === undefined) return false;
    this.clock.advanceTo(due);
    await this.settle();
    return true;
  }

  /** Step timer by timer until `done()` holds or `limitMs` of clock time has passed. */
  async runUntil(done: () => boolean, limitMs = 3_600_000): Promise<void> {
    const end = this.clock.now() + limitMs;
    while (!done()) {
      const due = this.clock.nextDue();
      if (due === undefined || due > end) break;
      await this.next();
    }
  }

  /** Run until the machine sits in `state` (a prefix of its path). */
  async runUntilState(state: string, limitMs?: number): Promise<void> {
    await this.runUntil(() => this.state().startsWith(state), limitMs);
  }

  events<T extends CliEmitted['type']>(type: T): Array<Emitted<T> & { at: number }> {
    return this.emitted.filter((e): e is Emitted<T> & { at: number } => e.type === type);
  }

  /** Terminal text, one entry per line. */
  output(): string[] {
    return this.events('cli.output').map((e) => e.text);
  }

  debug(): string[] {
    return this.events('cli.debug').map((e) => e.text);
  }

  polls() {
    return this.server.of('poll');
  }

  /** Gaps between consecutive polls, seconds. */
  pollGapsS(): number[] {
    const at = this.polls().map((p) => p.at);
    return at.slice(1).map((t, i) => (t - at[i]!) / 1000);
  }

  /** Log in: user.login, then run until authenticated.ready (the poll script must end in approval). */
  async login(event: Extract<CliEvent, { type: 'user.login' }> = { type: 'user.login' }): Promise<void> {
    await this.send(event);
    await this.runUntilState('authenticated.ready', 3_600_000);
  }

  stop(): void {
    this.actor.stop();
  }
}

export async function startCli(opts: HarnessOptions = {}): Promise<CliHarness> {
  return new CliHarness(opts).start();
}
