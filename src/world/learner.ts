/**
 * The learner's actions on a world, written once: type a line into the terminal, interrupt, drive the
 * browser tab, jump the clock to the next moment of a kind, and typed read-only views of the terminal, the
 * tokens held and the latest explanation. The page (src/ui/session.svelte.ts) and the headless lab runner
 * (src/labs/runner.ts) both call these, so a lab step is exactly what a learner does in the page.
 */
import type { StateValue } from 'xstate';
import { explainExchange, type Explanation } from './explain.ts';
import { BrowserTab } from './browser.ts';
import type { World } from './index.ts';
import type { Host } from './host.ts';
import { runShellLine, type ShellOutcome } from './shell.ts';

/** The notable moments the clock can jump to. */
export type Moment = 'poll' | 'code-expiry' | 'token-expiry';

/** What "nothing to jump to" reads as, per moment. */
export const NO_MOMENT: Readonly<Record<Moment, string>> = {
  poll: 'No poll is scheduled.',
  'code-expiry': 'No device code is pending.',
  'token-expiry': 'No access token is held.',
};

/**
 * Every state under a machine's state node, as dotted names ('authenticated.ready'), parents before their
 * children: pass `cliMachine.root` for the CLI's (the engine is not imported here, so the page loads it late).
 */
export function stateNamesOf(node: { readonly states: Readonly<Record<string, unknown>> }, prefix = ''): string[] {
  return Object.entries(node.states).flatMap(([key, child]) => [prefix + key, ...stateNamesOf(child as typeof node, `${prefix}${key}.`)]);
}

/** A dotted CLI state name as the machine's own state value: 'authenticated.ready' → { authenticated: 'ready' }. */
export function cliStateValue(name: string): StateValue {
  const [leaf, ...parents] = name.split('.').reverse();
  return parents.reduce<StateValue>((inner, key) => ({ [key]: inner }), leaf ?? '');
}

/** The tokens the CLI holds, read-only (undefined: signed out). */
export type HeldTokens = Readonly<NonNullable<ReturnType<World['cli']['getSnapshot']>['context']['session']>>;

const learners = new WeakMap<World, Learner>();

/** The learner of a world (one per world: its browser tab keeps what it shows). */
export function learnerOf(world: World): Learner {
  let learner = learners.get(world);
  if (!learner) learners.set(world, (learner = new Learner(world)));
  return learner;
}

export class Learner {
  /** The learner's browser tab, over the world's browser. */
  readonly tab: BrowserTab;

  constructor(readonly world: World) {
    this.tab = new BrowserTab(world.browser);
  }

  /** A login is under way (the CLI machine is in `signingIn`). */
  loginInProgress(): boolean {
    return this.world.cli.getSnapshot().matches('signingIn');
  }

  /** The CLI is in one of these states (dotted names, see `stateNamesOf`) or inside one, by the machine's own matching. */
  inState(...names: string[]): boolean {
    const snapshot = this.world.cli.getSnapshot();
    // A name the machine does not have matches nothing (labs' names are checked at load: src/labs/validateScenario.ts).
    return names.some((name) => snapshot.matches(cliStateValue(name) as Parameters<typeof snapshot.matches>[0]));
  }

  /** Type a command line into the terminal and let it run. */
  type(line: string): Promise<ShellOutcome> {
    const world = this.world;
    return runShellLine({ host: world.host, send: (e) => world.send(e), loginInProgress: () => this.loginInProgress() }, line);
  }

  /** Ctrl+C in the terminal. */
  async interrupt(): Promise<void> {
    this.world.host.print('^C', 'prompt');
    await this.world.send({ type: 'user.cancel' });
  }

  /** Open the browser tab at the URI the CLI printed (the complete one when there is one), as `login` does. */
  async openVerification(): Promise<void> {
    const device = this.world.cli.getSnapshot().context.device;
    if (!device) return;
    await this.tab.navigate(device.verification_uri_complete ?? device.verification_uri);
  }

  /** Sign the browser tab in as `user` unless it already is signed in (as someone). */
  async #signedIn(user: string): Promise<void> {
    if (!this.tab.browser.session) await this.tab.signIn(user);
  }

  /**
   * At the browser: sign in (as `user`, unless signed in), enter `code` and, when `decide` is given and the
   * consent page shows, approve (optionally fewer `scopes`) or deny.
   */
  async enterCodeInBrowser(code: string, opts: { user: string; decide?: 'approve' | 'deny'; scopes?: string[] }): Promise<void> {
    await this.#signedIn(opts.user);
    await this.tab.enterCode(code);
    if (opts.decide && this.tab.view.page === 'consent') await this.tab.decide(opts.decide, opts.scopes, code);
  }

  /** At the identity provider: sign in (as `user`, unless signed in) and sign out everywhere. */
  async signOutEverywhere(user: string): Promise<void> {
    await this.#signedIn(user);
    await this.tab.signOutEverywhere();
  }

  /** At the identity provider: sign in (as `user`, unless signed in), list the grants, revoke one. */
  async revokeGrant(user: string, grantId: string): Promise<void> {
    await this.#signedIn(user);
    await this.tab.showGrants();
    await this.tab.revokeGrant(grantId, false);
  }

  /** When the next moment of that kind is due on the world clock (undefined: there is none). */
  momentAt(moment: Moment): number | undefined {
    const world = this.world;
    const now = world.clock.now();
    if (moment === 'poll') return world.cli.getSnapshot().matches({ signingIn: 'awaitingApproval' }) ? world.clock.nextDue() : undefined;
    if (moment === 'code-expiry') {
      const live = [...world.idp.as.state.deviceGrants.values()].filter((d) => d.expiresAt > now && d.status === 'pending');
      return live.length ? Math.min(...live.map((d) => d.expiresAt)) : undefined;
    }
    const held = this.tokens();
    return held?.expiresAt !== undefined && held.expiresAt > now ? held.expiresAt : undefined;
  }

  /** Jump the clock to the next moment of that kind; false when there is none (the clock stays). */
  async skipTo(moment: Moment): Promise<boolean> {
    const target = this.momentAt(moment);
    if (target === undefined) return false;
    await this.world.advance(Math.max(0, target - this.world.clock.now()));
    return true;
  }

  /** The terminal's scrollback (read-only). */
  terminal(): ReadonlyArray<Readonly<Host['scrollback'][number]>> {
    return this.world.host.scrollback;
  }

  /** The tokens the CLI holds, if any. */
  tokens(): HeldTokens | undefined {
    return this.world.cli.getSnapshot().context.session;
  }

  /** The explanation card for the latest finished exchange that has one. */
  explanation(): Explanation | undefined {
    const log = this.world.wire.log;
    for (let i = log.length - 1; i >= 0; i--) {
      const card = explainExchange(log[i]!);
      if (card) return card;
    }
    return undefined;
  }
}
