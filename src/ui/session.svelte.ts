/**
 * The page's one piece of state: a simulated world and the controls around it (play, pause, speed, step,
 * skip), the terminal's shell and the browser frame. Components read its fields and call its methods; no
 * protocol logic lives here. The world is mutable, so every change bumps `version`, and views derive from it.
 */
import type { ClientKnobs } from '../flow/knobs.ts';
import type { ServerKnobs } from '../sim/knobs.ts';
import { explainExchange, type Explanation } from '../world/explain.ts';
import { createWorld, type World, type WorldConfig } from '../world/index.ts';
import { runShellLine } from '../world/shell.ts';
import type { WireExchange } from '../world/wire.ts';

export type Speed = 1 | 10 | 60;
export const SPEEDS: readonly Speed[] = [1, 10, 60];

/** What the browser frame shows. */
export type BrowserView =
  | { page: 'blank' }
  | { page: 'signin'; userCode?: string }
  | { page: 'enter_code'; message?: string; userCode?: string }
  | { page: 'confirm_code'; userCode: string }
  | { page: 'consent'; consent: Record<string, unknown> }
  | { page: 'approved' | 'denied'; message: string; grantedScope?: string }
  | { page: 'signed_out'; revokedGrants: number };

export interface SessionConfig extends WorldConfig {}

/** How often the play loop moves the clock, in real milliseconds. */
const TICK_MS = 100;

export class SimulatorSession {
  /** Bumped on every change in the world; read it to make a view reactive. */
  version = $state(0);
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
  #ticker: ReturnType<typeof setInterval> | undefined;
  #release: (() => void) | undefined;
  #unsubscribe: Array<() => void> = [];
  #ticking = false;

  constructor(config: SessionConfig = {}) {
    this.#config = config;
  }

  /**
   * Build (or rebuild) the world. `prepare` runs on the new world before the views see it (a lab replays what
   * already happened there); client knobs it changes are kept in the session's config.
   */
  async start(config: SessionConfig = this.#config, prepare?: (world: World) => Promise<void>): Promise<void> {
    this.dispose();
    this.#config = config;
    const world = await createWorld(config);
    if (prepare) {
      await prepare(world);
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
      world.idp.as.audit.subscribe(bump),
      (() => { const s = world.cli.subscribe(bump); return () => s.unsubscribe(); })(),
    ];
    world.wire.setGate(this.stepMode ? (ex) => this.#hold(ex) : undefined);
    this.world = world;
    this.clearedAt = 0;
    this.browserUrl = '';
    this.browserView = { page: 'blank' };
    this.held = undefined;
    this.version++;
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
      this.version++;
    };
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(flush);
    else queueMicrotask(flush);
  }

  dispose(): void {
    this.pause();
    this.#release?.();
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
    this.world?.stop();
    this.world = undefined;
  }

  /** Run a command line typed into the terminal. */
  async run(line: string): Promise<void> {
    const world = this.world;
    if (!world) return;
    await this.#busy(async () => {
      const outcome = await runShellLine({ host: world.host, send: (e) => world.send(e), loginInProgress: () => world.state().startsWith('signingIn') }, line);
      if (outcome.clear) this.clearedAt = world.host.scrollback.length;
      if (outcome.openBrowser) await this.openVerificationFromTerminal();
    });
  }

  /** Ctrl+C in the terminal. */
  async interrupt(): Promise<void> {
    const world = this.world;
    if (!world) return;
    world.host.print('^C', 'prompt');
    await this.#busy(() => world.send({ type: 'user.cancel' }));
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
  async skipTo(moment: 'poll' | 'code-expiry' | 'token-expiry'): Promise<void> {
    const world = this.world;
    if (!world) return;
    await this.#busy(async () => {
      const target = this.#momentAt(world, moment);
      if (target === undefined) {
        this.notice = moment === 'poll' ? 'No poll is scheduled.' : moment === 'code-expiry' ? 'No device code is pending.' : 'No access token is held.';
        return;
      }
      this.notice = undefined;
      await world.advance(Math.max(0, target - world.clock.now()));
    });
  }

  #momentAt(world: World, moment: 'poll' | 'code-expiry' | 'token-expiry'): number | undefined {
    const now = world.clock.now();
    if (moment === 'poll') return world.state().startsWith('signingIn.awaitingApproval') ? world.clock.nextDue() : undefined;
    if (moment === 'code-expiry') {
      const live = [...world.idp.as.state.deviceGrants.values()].filter((d) => d.expiresAt > now && d.status === 'pending');
      return live.length ? Math.min(...live.map((d) => d.expiresAt)) : undefined;
    }
    const session = world.cli.getSnapshot().context.session;
    return session?.expiresAt !== undefined && session.expiresAt > now ? session.expiresAt : undefined;
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
      this.version++;
    }
  }

  // --- the browser frame ---

  /** `acme login` opens the browser at the complete URI (or the plain one) the CLI printed. */
  async openVerificationFromTerminal(): Promise<void> {
    const device = this.world?.cli.getSnapshot().context.device;
    if (!device) return;
    await this.navigate(device.verification_uri_complete ?? device.verification_uri);
  }

  async navigate(url: string): Promise<void> {
    const world = this.world;
    if (!world) return;
    this.browserUrl = url;
    await this.#busy(async () => {
      const code = safeUserCode(url);
      if (!url.startsWith(world.browser.verificationUri)) {
        this.browserView = { page: 'blank' };
        this.notice = `The simulated browser only opens the identity provider (${world.browser.verificationUri}).`;
        return;
      }
      if (!world.browser.session) {
        this.browserView = { page: 'signin', ...(code ? { userCode: code } : {}) };
        return;
      }
      const page = await world.browser.open(url);
      this.#show(page.body, code);
    });
  }

  async signIn(user: string, userCode?: string): Promise<void> {
    const world = this.world;
    if (!world) return;
    await this.#busy(async () => {
      await world.browser.signIn(user);
      if (userCode) {
        const page = await world.browser.open(`${world.browser.verificationUri}?user_code=${encodeURIComponent(userCode)}`);
        this.#show(page.body, userCode);
      } else this.browserView = { page: 'enter_code' };
    });
  }

  async enterCode(userCode: string): Promise<void> {
    const world = this.world;
    if (!world) return;
    await this.#busy(async () => {
      const page = await world.browser.enterCode(userCode);
      this.#show(page.body, userCode);
    });
  }

  /** The identity provider's "sign out everywhere" (RFC 9700 §4.14.2): revokes every grant of the signed-in person. */
  async signOutEverywhere(): Promise<void> {
    const world = this.world;
    if (!world?.browser.session) return;
    await this.#busy(async () => {
      const page = await world.browser.signOutEverywhere();
      this.browserView = { page: 'signed_out', revokedGrants: Number(page.body.revoked_grants ?? 0) };
    });
  }

  /** Who the browser frame is signed in as, if anyone. */
  signedInAs(): string | undefined {
    void this.version;
    return this.world?.browser.user;
  }

  async decide(decision: 'approve' | 'deny', scopes?: string[]): Promise<void> {
    const world = this.world;
    const view = this.browserView;
    if (!world || view.page !== 'consent') return;
    await this.#busy(async () => {
      const page = await world.browser.decide(String(view.consent.user_code), decision, scopes);
      this.#show(page.body);
    });
  }

  #show(body: Record<string, unknown>, userCode?: string): void {
    if (typeof body.error === 'string') {
      this.browserView = { page: 'enter_code', message: String(body.message ?? body.error), ...(userCode ? { userCode } : {}) };
      return;
    }
    switch (body.page) {
      case 'confirm_code':
        this.browserView = { page: 'confirm_code', userCode: String(body.user_code) };
        return;
      case 'consent':
        this.browserView = { page: 'consent', consent: body };
        return;
      case 'approved':
      case 'denied':
        this.browserView = { page: body.page, message: String(body.message ?? ''), ...(typeof body.granted_scope === 'string' ? { grantedScope: body.granted_scope } : {}) };
        return;
      default:
        this.browserView = { page: 'enter_code' };
    }
  }

  // --- views ---

  /** The explanation card for the latest finished exchange. */
  latestExplanation(): Explanation | undefined {
    void this.version;
    const log = this.world?.wire.log ?? [];
    for (let i = log.length - 1; i >= 0; i--) {
      const card = explainExchange(log[i]!);
      if (card) return card;
    }
    return undefined;
  }

  knobs(): { server: ServerKnobs | undefined; client: Partial<ClientKnobs> } {
    return { server: this.world?.idp.as.knobs, client: this.#config.clientKnobs ?? {} };
  }
}

/** The `user_code` query parameter of a verification URL, if any (untrusted: only used as text). */
function safeUserCode(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get('user_code')?.slice(0, 64) ?? undefined;
  } catch {
    return undefined;
  }
}
