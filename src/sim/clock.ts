/**
 * The one clock (architecture seam 2). Everything in src/protocol, src/sim, src/flow and src/labs that waits
 * or reads the time goes through a `WorldClock`. XState actors take it as `createActor(machine, { clock })`
 * (it satisfies XState's `Clock` interface); the authorization server reads `clock.now()`.
 *
 * `VirtualClock` is the simulated one: time moves only when `advance(ms)` or `runUntilNextTimer()` is called,
 * timers fire in due order (ties in scheduling order), and every firing is recorded in `log`.
 * `realClock` is the wall clock, used by the local HTTP server and by interop tests against real servers.
 */

/** A timer callback. */
export type TimerCallback = () => void;

/** XState's `Clock` plus a readable "now" (milliseconds since the Unix epoch). */
export interface WorldClock {
  now(): number;
  setTimeout(fn: TimerCallback, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/** One fired timer, as recorded in `VirtualClock.log`. */
export interface FiredTimer {
  readonly id: number;
  readonly label: string;
  readonly scheduledAt: number;
  readonly firedAt: number;
}

interface PendingTimer {
  readonly id: number;
  readonly due: number;
  readonly seq: number;
  readonly scheduledAt: number;
  readonly label: string;
  readonly fn: TimerCallback;
}

/** 2026-01-05T09:00:00Z: a plausible Monday morning, so issued JWTs carry realistic `iat`/`exp`. */
export const DEFAULT_EPOCH_MS = Date.UTC(2026, 0, 5, 9, 0, 0);

/** Upper bound on timers fired by one `advance` call, so a runaway zero-delay loop fails loudly. */
const MAX_FIRINGS_PER_ADVANCE = 100_000;

export class VirtualClock implements WorldClock {
  #now: number;
  #seq = 0;
  #nextId = 1;
  #timers = new Map<number, PendingTimer>();
  #listeners = new Set<() => void>();
  readonly log: FiredTimer[] = [];
  /** Keep at most this many entries in `log` (oldest dropped). */
  logLimit = 10_000;

  constructor(startMs: number = DEFAULT_EPOCH_MS) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: TimerCallback, ms: number, label = 'timer'): number {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const id = this.#nextId++;
    this.#timers.set(id, { id, due: this.#now + delay, seq: this.#seq++, scheduledAt: this.#now, label, fn });
    this.#notify();
    return id;
  }

  clearTimeout(id: unknown): void {
    if (typeof id === 'number' && this.#timers.delete(id)) this.#notify();
  }

  /** Timers not yet fired, earliest first. */
  pending(): ReadonlyArray<{ id: number; due: number; label: string }> {
    return [...this.#timers.values()]
      .sort(byDue)
      .map(({ id, due, label }) => ({ id, due, label }));
  }

  /** When the next timer is due, or `undefined` when none is pending. */
  nextDue(): number | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.#timers.values()) if (!best || byDue(t, best) < 0) best = t;
    return best?.due;
  }

  /**
   * Move time forward by `ms`, firing every timer that falls due on the way, in order. A timer scheduled by a
   * firing callback fires too if it falls due within the window. Returns the number of timers fired.
   */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`VirtualClock.advance: ms must be a finite number ≥ 0, got ${ms}`);
    return this.advanceTo(this.#now + ms);
  }

  /** Move time forward to the absolute instant `target` (never backwards). */
  advanceTo(target: number): number {
    if (!Number.isFinite(target)) throw new RangeError(`VirtualClock.advanceTo: target must be a finite number, got ${target}`);
    if (target < this.#now) throw new RangeError(`VirtualClock.advanceTo: cannot go back from ${this.#now} to ${target}`);
    let fired = 0;
    for (;;) {
      const next = this.#earliest();
      if (!next || next.due > target) break;
      if (++fired > MAX_FIRINGS_PER_ADVANCE) {
        throw new Error(`VirtualClock: more than ${MAX_FIRINGS_PER_ADVANCE} timers fired in one advance (runaway loop?)`);
      }
      this.#fire(next);
    }
    this.#now = target;
    this.#notify();
    return fired;
  }

  /** Jump to the next pending timer and fire it (and any others due at the same instant). */
  runUntilNextTimer(): FiredTimer | undefined {
    const next = this.#earliest();
    if (!next) return undefined;
    // Fire it here rather than read it back from `log`, which may have dropped entries at `logLimit`.
    const fired = this.#fire(next);
    this.advanceTo(next.due);
    return fired;
  }

  /** Called after any change of time or timers (for UIs that show the clock). Returns an unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #earliest(): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.#timers.values()) if (!best || byDue(t, best) < 0) best = t;
    return best;
  }

  #fire(timer: PendingTimer): FiredTimer {
    this.#timers.delete(timer.id);
    this.#now = Math.max(this.#now, timer.due);
    const record: FiredTimer = { id: timer.id, label: timer.label, scheduledAt: timer.scheduledAt, firedAt: this.#now };
    this.log.push(record);
    if (this.log.length > this.logLimit) this.log.splice(0, this.log.length - this.logLimit);
    timer.fn();
    return record;
  }

  #notify(): void {
    for (const l of this.#listeners) l();
  }
}

function byDue(a: PendingTimer, b: PendingTimer): number {
  return a.due - b.due || a.seq - b.seq;
}

/**
 * The longest delay `setTimeout` takes: a signed 32-bit count of milliseconds (about 24.8 days). Node and the
 * browsers fire a timer with a longer delay at once (Node warns `TimeoutOverflowWarning` and uses 1 ms).
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

type NativeTimer = ReturnType<typeof globalThis.setTimeout>;

/** A real timer longer than `MAX_TIMER_DELAY_MS`: a chain of shorter ones toward the same due time. */
class ChainedTimer {
  current: NativeTimer | undefined;
  constructor(readonly due: number, readonly fn: TimerCallback) {
    this.arm();
  }
  arm(): void {
    const left = this.due - Date.now();
    this.current = left > MAX_TIMER_DELAY_MS ? globalThis.setTimeout(() => this.arm(), MAX_TIMER_DELAY_MS) : globalThis.setTimeout(this.fn, Math.max(0, left));
  }
}

/**
 * The wall clock, for the local HTTP server and interop tests against real servers. Delays are read as the
 * virtual clock reads them (not finite or ≤ 0: at once), and one longer than `MAX_TIMER_DELAY_MS` is chained,
 * so it fires when due rather than at once.
 */
export const realClock: WorldClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    return delay > MAX_TIMER_DELAY_MS ? new ChainedTimer(Date.now() + delay, fn) : globalThis.setTimeout(fn, delay);
  },
  clearTimeout: (id) => globalThis.clearTimeout(id instanceof ChainedTimer ? id.current : (id as NativeTimer)),
};
