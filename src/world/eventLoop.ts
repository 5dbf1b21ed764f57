import type { VirtualClock } from '../sim/clock.ts';

/**
 * One turn of the real event loop (not the simulated clock), so in-flight work such as WebCrypto signing and
 * response parsing can finish before the world's driver looks again. Node has setImmediate; a browser gets
 * the same effect from a MessageChannel message (a task, like setImmediate, without timer clamping).
 */
export function nextTurn(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  if (typeof immediate === 'function') return new Promise((resolve) => void immediate(resolve));
  return new Promise((resolve) => {
    turnWaiters.push(resolve);
    turnChannel().postMessage(null);
  });
}

/** One channel for every turn (making a MessageChannel per turn cost more than the turn): a message per waiter, in order. */
const turnWaiters: Array<() => void> = [];
let turnPort: MessagePort | undefined;
function turnChannel(): MessagePort {
  if (!turnPort) {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => turnWaiters.shift()?.();
    // Where a port keeps the process alive (Node-like runtimes without setImmediate), this one must not.
    (channel.port1 as { unref?: () => void }).unref?.();
    turnPort = channel.port2;
  }
  return turnPort;
}

/**
 * A driver's wait for "something changed", instead of looking again every event-loop turn. Whatever the driver
 * watches calls `notify()` when it changes (a request answered, an actor's snapshot, a task ended); `changed()`
 * resolves at the next notification. Work on the platform's thread pool (WebCrypto) takes hundreds of turns
 * under load, and looking after each one cost more than the work itself. A real-time fallback resolves the wait
 * anyway after `fallbackMs`, so a change nobody reported only delays the driver, never stops it; `fallbacks`
 * counts those, and stays 0 when every change is reported.
 */
export class ChangeSignal {
  /** Notifications so far (a driver compares two readings to know whether anything moved). */
  count = 0;
  /** Waits that ended by the fallback timer rather than a notification. */
  fallbacks = 0;
  #resolve: (() => void) | undefined;
  /** Counts waits begun, so the fallback timer knows whether the wait it was armed for is still the one pending. */
  #waits = 0;
  #timerArmed = false;

  constructor(private readonly fallbackMs = 5) {}

  readonly notify = (): void => {
    this.count++;
    const resolve = this.#resolve;
    if (!resolve) return;
    this.#resolve = undefined;
    resolve();
  };

  /** Resolves at the next `notify()` (or after the fallback delay). Two waits at once both resolve at the next one. */
  changed(): Promise<void> {
    const previous = this.#resolve;
    return new Promise<void>((resolve) => {
      this.#resolve = previous ? () => (previous(), resolve()) : resolve;
      this.#waits++;
      if (!this.#timerArmed) this.#arm();
    });
  }

  /**
   * One timer at a time, not one per wait (a timer per wait showed in the page's profile): when it fires, a wait
   * pending since it was armed ends; a newer wait gets a timer of its own; no wait, no timer.
   */
  #arm(): void {
    const armedAt = this.#waits;
    this.#timerArmed = true;
    globalThis.setTimeout(() => {
      this.#timerArmed = false;
      const resolve = this.#resolve;
      if (!resolve) return;
      if (this.#waits !== armedAt) return this.#arm();
      this.#resolve = undefined;
      this.fallbacks++;
      resolve();
    }, this.fallbackMs);
  }
}

/**
 * Move a virtual clock `ms` forward, firing each due timer in order and letting the world settle after each:
 * the world's `advance`, and the bench's, which settles more CLIs than the world's own.
 */
export async function advanceSettling(clock: VirtualClock, settle: () => Promise<void>, ms: number): Promise<void> {
  const target = clock.now() + ms;
  await settle();
  for (let due = clock.nextDue(); due !== undefined && due <= target; due = clock.nextDue()) {
    clock.advanceTo(due);
    await settle();
  }
  clock.advanceTo(target);
  await settle();
}
