/**
 * The page's one piece of state: a simulated world's lifecycle (start, knobs, reset, dispose) and the time
 * controls around it (play, pause, speed, step, skip). What a learner does (type, interrupt, the browser tab,
 * the views of terminal, tokens and explanation) is the world's own (`src/world/learner.ts`, shared with the
 * headless lab runner); the session calls it and keeps `$state.raw` snapshots for the views. No protocol logic
 * lives here. Components get the session from Svelte context (`./sessionContext.ts`), not through props.
 */
import type { ClientKnobs } from '../flow/knobs.ts';
import type { ServerKnobs } from '../sim/knobs.ts';
import type { BrowserView } from '../world/browser.ts';
import type { Explanation } from '../world/explain.ts';
import type { World, WorldConfig } from '../world/index.ts';
import { learnerOf, NO_MOMENT, type Learner, type Moment } from '../world/learner.ts';
import type { WireExchange } from '../world/wire.ts';
import { loadEngine } from './preload.ts';

export type Speed = 1 | 10 | 60;
export const SPEEDS: readonly Speed[] = [1, 10, 60];

export type { BrowserView } from '../world/browser.ts';

export interface SessionConfig extends WorldConfig {}

/**
 * The world as the views last saw it: a new object after every change (at most once per frame), so a view that
 * reads it re-derives. The world itself is mutable; the snapshot names what changed as plain values.
 */
export interface WorldSnapshot {
  readonly world: World | undefined;
  /** The world clock's time. */
  readonly now: number;
  /** Lines in the terminal's scrollback (it only grows). */
  readonly lines: number;
  /** Finished and pending exchanges on the wire. */
  readonly exchanges: number;
  /** Events in the identity provider's audit trail. */
  readonly auditEvents: number;
  /** The CLI process (replaced when client knobs change): components select from it with @xstate/svelte. */
  readonly cli: World['cli'] | undefined;
  /** Who the browser tab is signed in as. */
  readonly signedInAs: string | undefined;
}

function snapshotOf(world: World | undefined, tab?: Learner['tab']): WorldSnapshot {
  return {
    world, now: world?.clock.now() ?? 0, lines: world?.host.scrollback.length ?? 0, exchanges: world?.wire.log.length ?? 0,
    auditEvents: world?.provider.audit().length ?? 0, cli: world?.cli, signedInAs: tab?.signedInAs,
  };
}

/** How often the play loop moves the clock, in real milliseconds. */
const TICK_MS = 100;

export class SimulatorSession {
  /** The world as the views last saw it (a new object on every change); read it to make a view reactive. */
  snapshot = $state.raw<WorldSnapshot>(snapshotOf(undefined));
  world = $state.raw<World | undefined>(undefined);
  playing = $state(false);
  speed = $state<Speed>(1);
  /** Step mode: every HTTP request waits for Next before the server answers. */
  stepMode = $state(false);
  /** The request held at the gate in step mode. */
  held = $state.raw<WireExchange | undefined>(undefined);
  /** Index into the host's scrollback above which `clear` hid the lines. */
  clearedAt = $state(0);
  browserUrl = $state('');
  browserView = $state.raw<BrowserView>({ page: 'blank' });
  busy = $state(false);
  notice = $state<string | undefined>(undefined);

  #config: SessionConfig;
  /** The world's learner (its actions and its browser tab). */
  #learner: Learner | undefined;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #release: (() => void) | undefined;
  #unsubscribe: Array<() => void> = [];
  #ticking = false;

  constructor(config: SessionConfig = {}) {
    this.#config = config;
  }

  /**
   * Build (or rebuild) the world from `config`, or with `build` (a lab's `startLab`, which replays its prelude).
   * `prepare` runs on the new world before the views see it (a lab replays what already happened there);
   * client knobs it changes are kept in the session's config.
   */
  async start(config: SessionConfig = this.#config, prepare?: (world: World) => Promise<void>, build?: () => Promise<World>): Promise<void> {
    this.dispose();
    this.#config = config;
    const world = build ? await build() : await (await loadEngine()).createWorld(config);
    if (prepare || build) {
      await prepare?.(world);
      if (this.#config === config) this.#config = config = { ...config, clientKnobs: { ...world.clientKnobs } };
    }
    // Knobs changed while the world was being built: apply them now, so the world and the config agree.
    if (this.#config !== config) {
      await world.reconfigure({ serverKnobs: this.#config.serverKnobs ?? {}, clientKnobs: this.#config.clientKnobs ?? {} });
    }
    // A skip can fire hundreds of world events; views re-render at most once per frame.
    const bump = () => this.#scheduleRender();
    this.#unsubscribe = [
      world.host.subscribe(bump),
      world.wire.subscribe(bump),
      world.clock.subscribe(bump),
      world.provider.onAudit(bump),
      (() => { const s = world.cli.subscribe(bump); return () => s.unsubscribe(); })(),
    ];
    world.wire.setGate(this.stepMode ? (ex) => this.#hold(ex) : undefined);
    this.world = world;
    this.#learner = learnerOf(world);
    this.clearedAt = 0;
    this.browserUrl = '';
    this.browserView = { page: 'blank' };
    this.held = undefined;
    this.#refresh();
  }

  /** The knobs the world was built with, merged with every change since. */
  get config(): SessionConfig {
    return this.#config;
  }

  /**
   * Change knobs (the sandbox). Server knobs apply to requests from now on; client knobs restart the CLI
   * process with them (its stored credentials stay), so they take effect at the next login.
   */
  async applyKnobs(change: { serverKnobs?: Partial<ServerKnobs>; clientKnobs?: Partial<ClientKnobs> }): Promise<void> {
    this.#config = {
      ...this.#config,
      ...(change.serverKnobs ? { serverKnobs: { ...this.#config.serverKnobs, ...change.serverKnobs } } : {}),
      ...(change.clientKnobs ? { clientKnobs: { ...this.#config.clientKnobs, ...change.clientKnobs } } : {}),
    };
    const world = this.world;
    if (!world) return;
    await this.#busy(() => world.reconfigure({
      ...(change.serverKnobs ? { serverKnobs: change.serverKnobs } : {}),
      ...(change.clientKnobs ? { clientKnobs: this.#config.clientKnobs ?? {} } : {}),
    }));
  }

  /** Start over: a fresh world with the current knobs (or the given ones). */
  reset(config: SessionConfig = this.#config): Promise<void> {
    return this.start(config);
  }

  #renderPending = false;

  #scheduleRender(): void {
    if (this.#renderPending) return;
    this.#renderPending = true;
    const flush = () => {
      this.#renderPending = false;
      this.#refresh();
    };
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(flush);
    else queueMicrotask(flush);
  }

  /** Take a new snapshot of the world for the views (after a change the session made itself, or a world event). */
  #refresh(): void {
    this.snapshot = snapshotOf(this.world, this.#learner?.tab);
  }

  /** Re-read the world now (a panel that changed it outside the session's own actions, e.g. an attack move). */
  refresh(): void {
    this.#refresh();
  }

  dispose(): void {
    this.pause();
    this.#release?.();
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
    this.world?.stop();
    this.world = undefined;
    this.#learner = undefined;
  }

  /** Run a command line typed into the terminal. */
  async run(line: string): Promise<void> {
    const learner = this.#learner;
    if (!learner) return;
    await this.#busy(async () => {
      const outcome = await learner.type(line);
      if (outcome.clear) this.clearedAt = learner.world.host.scrollback.length;
      if (outcome.openBrowser) await this.openVerificationFromTerminal();
    });
  }

  /** Ctrl+C in the terminal. */
  async interrupt(): Promise<void> {
    const learner = this.#learner;
    if (!learner) return;
    await this.#busy(() => learner.interrupt());
  }

  // --- time ---

  play(): void {
    if (this.playing) return;
    this.playing = true;
    this.#ticker = setInterval(() => void this.#tick(), TICK_MS);
  }

  pause(): void {
    this.playing = false;
    if (this.#ticker !== undefined) clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  setSpeed(speed: Speed): void {
    this.speed = speed;
  }

  setStepMode(on: boolean): void {
    this.stepMode = on;
    if (!on) this.#release?.();
    this.world?.wire.setGate(on ? (ex) => this.#hold(ex) : undefined);
  }

  /** Next: release a held request, or jump to the next timer. */
  async step(): Promise<void> {
    const world = this.world;
    if (!world) return;
    await this.#busy(async () => {
      if (this.#release) {
        this.#release();
        await world.settle();
      } else {
        await world.next();
      }
    });
  }

  /** Jump the clock to the next notable moment. */
  async skipTo(moment: Moment): Promise<void> {
    const learner = this.#learner;
    if (!learner) return;
    await this.#busy(async () => {
      if (learner.momentAt(moment) === undefined) {
        this.notice = NO_MOMENT[moment];
        return;
      }
      this.notice = undefined;
      await learner.skipTo(moment);
    });
  }

  async #tick(): Promise<void> {
    const world = this.world;
    if (!world || this.#ticking || this.busy) return;
    this.#ticking = true;
    try {
      await world.advance(TICK_MS * this.speed);
    } finally {
      this.#ticking = false;
    }
  }

  #hold(ex: WireExchange): Promise<void> {
    this.held = ex;
    return new Promise<void>((resolve) => {
      this.#release = () => {
        this.#release = undefined;
        this.held = undefined;
        resolve();
      };
    });
  }

  async #busy(work: () => Promise<unknown>): Promise<void> {
    this.busy = true;
    try {
      await work();
    } finally {
      this.busy = false;
      this.#refresh();
    }
  }

  // --- the browser frame (the world's browser tab: `src/world/browser.ts`) ---

  /** Run an action on the browser tab, then show what it shows. */
  async #inTab(action: (tab: Learner['tab']) => Promise<void>): Promise<void> {
    const tab = this.#learner?.tab;
    if (!tab) return;
    await this.#busy(async () => {
      try {
        await action(tab);
      } finally {
        this.browserUrl = tab.url;
        this.browserView = tab.view;
        if (tab.notice !== undefined) {
          this.notice = tab.notice;
          tab.notice = undefined;
        }
      }
    });
  }

  /** `acme login` opens the browser at the complete URI (or the plain one) the CLI printed. */
  async openVerificationFromTerminal(): Promise<void> {
    const learner = this.#learner;
    if (!learner?.world.cli.getSnapshot().context.device) return;
    // Shown before the page loads, as a browser's address bar does.
    const device = learner.world.cli.getSnapshot().context.device!;
    this.browserUrl = device.verification_uri_complete ?? device.verification_uri;
    await this.#inTab(() => learner.openVerification());
  }

  async navigate(url: string): Promise<void> {
    if (!this.#learner) return;
    this.browserUrl = url;
    await this.#inTab((tab) => tab.navigate(url));
  }

  signIn(user: string, userCode?: string): Promise<void> {
    return this.#inTab((tab) => tab.signIn(user, userCode));
  }

  enterCode(userCode: string): Promise<void> {
    return this.#inTab((tab) => tab.enterCode(userCode));
  }

  /** The identity provider's "sign out everywhere" (RFC 9700 §4.14.2): revokes every grant of the signed-in person. */
  signOutEverywhere(): Promise<void> {
    if (!this.world?.browser.session) return Promise.resolve();
    return this.#inTab((tab) => tab.signOutEverywhere());
  }

  /** The identity provider's list of the signed-in person's grants. */
  showGrants(revoked?: string): Promise<void> {
    if (!this.world?.browser.session) return Promise.resolve();
    return this.#inTab((tab) => tab.showGrants(revoked));
  }

  /** Revoke one grant at the identity provider (RFC 9700 §4.14.2), then show the list again. */
  revokeGrant(grantId: string): Promise<void> {
    if (!this.world?.browser.session) return Promise.resolve();
    return this.#inTab((tab) => tab.revokeGrant(grantId));
  }

  decide(decision: 'approve' | 'deny', scopes?: string[]): Promise<void> {
    if (this.browserView.page !== 'consent') return Promise.resolve();
    return this.#inTab((tab) => tab.decide(decision, scopes));
  }

  // --- views ---

  /** The explanation card for the latest finished exchange. */
  latestExplanation(): Explanation | undefined {
    void this.snapshot;
    return this.#learner?.explanation();
  }

  knobs(): { server: ServerKnobs | undefined; client: Partial<ClientKnobs> } {
    return { server: this.world?.provider.knobs, client: this.#config.clientKnobs ?? {} };
  }
}
