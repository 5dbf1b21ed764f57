/**
 * One exported way to drive the CLI machine from outside (a real terminal, a test, the world): give it the
 * fetch, the clock and the storage, send it the user's commands, and learn when it is waiting for the user
 * again. Nothing here knows about a particular host: the Node CLI (src/cli) passes the real fetch and the real
 * clock, tests pass a fake server and a virtual clock.
 *
 * Commands sent while the machine is still booting (reading the stored session) are queued and delivered, in
 * order, once the store has been read: a login typed at once is neither dropped nor answered "not logged in".
 * (Driven directly, the machine refuses them with a message instead; see machine.ts `booting`.)
 */
import { createActor, type Actor, type StateValue } from 'xstate';
import { cliMachine } from './machine.ts';
import type { CliEmitted, CliEvent, CliInput } from './types.ts';

/**
 * Where the machine waits for the user: nothing of its own in flight (no request, no timer, no store write).
 * Every other state moves on by itself (a response, a timer, a store operation) or is transient.
 */
export const RESTING_STATES: readonly string[] = [
  'idle',
  'authenticated.ready',
  'denied',
  'expired',
  'failed',
  'cancelled',
  'loggedOut',
  'reauthRequired',
];

/** Flatten a state value to its active leaf path, e.g. `signingIn.awaitingApproval.polling`. */
export function statePathOf(value: StateValue): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value)[0] ?? [];
  return key === undefined ? '' : child === undefined || (typeof child === 'object' && Object.keys(child).length === 0) ? key : `${key}.${statePathOf(child)}`;
}

export interface RunCliOptions {
  /** Fetch, clock, storage, issuer, client and knobs: exactly the machine's input. */
  input: CliInput;
  /** Every event the machine emits (terminal lines, debug lines, QR links, store writes), in order. */
  onEmit?: (event: CliEmitted) => void;
}

export interface CliRunner {
  readonly actor: Actor<typeof cliMachine>;
  /** Send a user command. While the machine is booting it is queued and delivered once the store is read. */
  send(event: Exclude<CliEvent, { type: 'http.debug' }>): void;
  /** The active leaf state, e.g. `signingIn.awaitingApproval.waitingInterval`. */
  state(): string;
  /** The machine is waiting for the user: a resting state with no child actor running, and nothing queued. */
  isAtRest(): boolean;
  /**
   * The idle signal: resolves with the state path the next time the machine is at rest (at once when it already
   * is and nothing is queued). Rejects if the runner is stopped first.
   */
  whenAtRest(): Promise<string>;
  /** Stop the actor (its timers and in-flight requests are cancelled). */
  stop(): void;
}

/** Create and start the CLI actor on the input's clock. */
export function runCli(opts: RunCliOptions): CliRunner {
  const actor = createActor(cliMachine, { clock: opts.input.clock, input: opts.input });
  const queue: Array<Exclude<CliEvent, { type: 'http.debug' }>> = [];
  const waiters: Array<{ resolve: (state: string) => void; reject: (err: Error) => void }> = [];
  let stopped = false;

  if (opts.onEmit) {
    const onEmit = opts.onEmit;
    actor.on('*', (event) => onEmit(event));
  }

  const state = () => statePathOf(actor.getSnapshot().value);
  const booting = () => actor.getSnapshot().matches('booting');
  const childrenBusy = () =>
    Object.values(actor.getSnapshot().children).some((child) => (child as { getSnapshot(): { status: string } } | undefined)?.getSnapshot().status === 'active');
  const isAtRest = () => !stopped && queue.length === 0 && RESTING_STATES.includes(state()) && !childrenBusy();

  const check = () => {
    if (!booting() && queue.length > 0) {
      // Deliver what was typed during boot, one command per rest, as a person typing them in turn would.
      if (RESTING_STATES.includes(state()) && !childrenBusy()) {
        actor.send(queue.shift()!);
        queueMicrotask(check);
      }
      return;
    }
    if (isAtRest()) {
      const current = state();
      for (const w of waiters.splice(0)) w.resolve(current);
    }
  };

  actor.subscribe({ next: () => queueMicrotask(check), error: () => undefined });
  actor.start();

  return {
    actor,
    send(event) {
      if (stopped) return;
      if (booting() || queue.length > 0) {
        queue.push(event);
        return;
      }
      actor.send(event);
    },
    state,
    isAtRest,
    whenAtRest() {
      if (stopped) return Promise.reject(new Error('the CLI runner is stopped'));
      return new Promise<string>((resolve, reject) => {
        waiters.push({ resolve, reject });
        queueMicrotask(check);
      });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      actor.stop();
      for (const w of waiters.splice(0)) w.reject(new Error('the CLI runner is stopped'));
    },
  };
}
