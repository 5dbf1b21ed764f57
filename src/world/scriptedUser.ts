/**
 * A scripted person at the browser, so flows run headless: after reading a user code off the terminal they
 * wait, then approve (all or some scopes), deny, or never act. A victim of phishing is the same person
 * deciding from what the consent page shows.
 */
import type { WorldClock } from '../sim/clock.ts';
import type { SimBrowser } from './browser.ts';

export type ScriptedBehaviour =
  | { kind: 'approve'; afterS: number; scope?: string[] }
  | { kind: 'deny'; afterS: number }
  | { kind: 'never' };

export interface ScriptedUserDeps {
  clock: WorldClock;
  browser: SimBrowser;
  user: string;
  /** Run an async task the world's driver must wait for. */
  track(task: Promise<unknown>): void;
}

export interface ScriptedAction {
  at: number;
  userCode: string;
  action: 'approve' | 'deny';
  ok: boolean;
  detail: string;
}

export class ScriptedUser {
  readonly actions: ScriptedAction[] = [];
  #handled = new Set<string>();

  constructor(private readonly deps: ScriptedUserDeps, public behaviour: ScriptedBehaviour) {}

  /** The person read `userCode` off the terminal; act on it once, per the behaviour. */
  sawCode(userCode: string): void {
    const b = this.behaviour;
    if (b.kind === 'never' || this.#handled.has(userCode)) return;
    this.#handled.add(userCode);
    this.deps.clock.setTimeout(() => this.deps.track(this.#act(userCode, b)), b.afterS * 1000);
  }

  async #act(userCode: string, b: Exclude<ScriptedBehaviour, { kind: 'never' }>): Promise<void> {
    const { browser } = this.deps;
    if (!browser.session) await browser.signIn(this.deps.user);
    const entered = await browser.enterCode(userCode);
    const at = this.deps.clock.now();
    if (entered.status !== 200) {
      this.actions.push({ at, userCode, action: b.kind, ok: false, detail: String(entered.body.message ?? entered.body.error) });
      return;
    }
    const result = await browser.decide(userCode, b.kind, b.kind === 'approve' ? b.scope : undefined);
    this.actions.push({ at, userCode, action: b.kind, ok: result.status === 200, detail: String(result.body.message ?? result.body.error) });
  }
}
