import { describe, expect, it, vi } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { DEFAULT_EPOCH_MS, MAX_TIMER_DELAY_MS, VirtualClock, realClock } from './clock';

const T0 = DEFAULT_EPOCH_MS;

describe('VirtualClock', () => {
  it('starts at the default epoch, 2026-01-05T09:00:00Z, or at the instant given', () => {
    expect(T0).toBe(1_767_603_600_000);
    expect(new Date(T0).toISOString()).toBe('2026-01-05T09:00:00.000Z');
    expect(new VirtualClock().now()).toBe(T0);
    expect(new VirtualClock(1_000).now()).toBe(1_000);
  });

  it('does not move by itself and fires nothing until advanced', () => {
    const clock = new VirtualClock();
    const fn = vi.fn();
    clock.setTimeout(fn, 0);
    expect(fn).not.toHaveBeenCalled();
    expect(clock.now()).toBe(T0);
    expect(clock.advance(0)).toBe(1);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(clock.now()).toBe(T0);
  });

  it('fires timers in due order, ties in scheduling order, and stops at the end of the window', () => {
    const clock = new VirtualClock();
    const order: string[] = [];
    const at = (name: string) => () => order.push(`${name}@${clock.now() - T0}`);
    clock.setTimeout(at('c'), 300);
    clock.setTimeout(at('a1'), 100);
    clock.setTimeout(at('b'), 200);
    clock.setTimeout(at('a2'), 100);
    clock.setTimeout(at('late'), 1_001);

    expect(clock.advance(1_000)).toBe(4);
    expect(order).toEqual(['a1@100', 'a2@100', 'b@200', 'c@300']);
    expect(clock.now()).toBe(T0 + 1_000);
    expect(clock.pending().map((t) => t.due - T0)).toEqual([1_001]);

    expect(clock.advance(1)).toBe(1);
    expect(order.at(-1)).toBe('late@1001');
    expect(clock.pending()).toEqual([]);
  });

  it('fires a timer exactly at its due instant, not one millisecond before', () => {
    const clock = new VirtualClock();
    const fn = vi.fn();
    clock.setTimeout(fn, 500);
    expect(clock.advance(499)).toBe(0);
    expect(fn).not.toHaveBeenCalled();
    expect(clock.advance(1)).toBe(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('treats a negative, NaN or infinite delay as 0', () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('neg'), -50);
    clock.setTimeout(() => fired.push('nan'), Number.NaN);
    clock.setTimeout(() => fired.push('inf'), Number.POSITIVE_INFINITY);
    expect(clock.pending().map((t) => t.due)).toEqual([T0, T0, T0]);
    expect(clock.advance(0)).toBe(3);
    expect(fired).toEqual(['neg', 'nan', 'inf']);
  });

  it('returns distinct ids, and clearTimeout cancels only the timer it names', () => {
    const clock = new VirtualClock();
    const kept = vi.fn();
    const cancelled = vi.fn();
    const a = clock.setTimeout(kept, 10);
    const b = clock.setTimeout(cancelled, 10);
    expect(a).not.toBe(b);
    clock.clearTimeout(b);
    clock.clearTimeout(b); // twice is harmless
    clock.clearTimeout('not-an-id');
    clock.clearTimeout(undefined);
    expect(clock.advance(10)).toBe(1);
    expect(kept).toHaveBeenCalledTimes(1);
    expect(cancelled).not.toHaveBeenCalled();
  });

  it('lets a firing callback cancel a later timer in the same window', () => {
    const clock = new VirtualClock();
    const later = vi.fn();
    let laterId = 0;
    clock.setTimeout(() => clock.clearTimeout(laterId), 10);
    laterId = clock.setTimeout(later, 20);
    expect(clock.advance(100)).toBe(1);
    expect(later).not.toHaveBeenCalled();
  });

  it('fires timers that callbacks schedule when they fall due within the same advance window', () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    // A poll loop: every 5 s, reschedule.
    const poll = () => {
      seen.push(clock.now() - T0);
      clock.setTimeout(poll, 5_000, 'poll');
    };
    clock.setTimeout(poll, 5_000, 'poll');
    // A zero-delay follow-up fires at the instant of its parent.
    clock.setTimeout(() => clock.setTimeout(() => seen.push(-(clock.now() - T0)), 0), 7_000);

    expect(clock.advance(16_000)).toBe(5);
    expect(seen).toEqual([5_000, -7_000, 10_000, 15_000]);
    expect(clock.now()).toBe(T0 + 16_000);
    expect(clock.pending()).toEqual([{ id: expect.any(Number), due: T0 + 20_000, label: 'poll' }]);
  });

  it('runUntilNextTimer jumps exactly to the next due time and returns the record of the timer it fired', () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('second'), 3_000, 'second');
    const firstId = clock.setTimeout(() => fired.push('first'), 1_500, 'first');
    clock.advance(500);

    const record = clock.runUntilNextTimer();
    expect(record).toEqual({ id: firstId, label: 'first', scheduledAt: T0, firedAt: T0 + 1_500 });
    expect(record).toBe(clock.log[0]);
    expect(clock.now()).toBe(T0 + 1_500);
    expect(fired).toEqual(['first']);

    expect(clock.runUntilNextTimer()?.label).toBe('second');
    expect(clock.now()).toBe(T0 + 3_000);
    expect(clock.runUntilNextTimer()).toBeUndefined();
    expect(clock.now()).toBe(T0 + 3_000);
  });

  it('runUntilNextTimer also fires the other timers due at that same instant, and returns the first', () => {
    const clock = new VirtualClock();
    clock.setTimeout(() => undefined, 100, 'x');
    clock.setTimeout(() => undefined, 100, 'y');
    clock.setTimeout(() => undefined, 101, 'z');
    expect(clock.runUntilNextTimer()?.label).toBe('x');
    expect(clock.log.map((r) => r.label)).toEqual(['x', 'y']);
    expect(clock.pending().map((t) => t.label)).toEqual(['z']);
  });

  it('runUntilNextTimer still returns the fired record when the log is full', () => {
    const clock = new VirtualClock();
    clock.logLimit = 2;
    for (const label of ['a', 'b', 'c']) clock.setTimeout(() => undefined, 10, label);
    clock.advance(10);
    expect(clock.log.map((r) => r.label)).toEqual(['b', 'c']);

    clock.setTimeout(() => undefined, 10, 'd');
    expect(clock.runUntilNextTimer()).toEqual({ id: 4, label: 'd', scheduledAt: T0 + 10, firedAt: T0 + 20 });
    expect(clock.log.map((r) => r.label)).toEqual(['c', 'd']);
  });

  it('advance rejects negative, NaN and infinite steps and leaves the clock where it was', () => {
    const clock = new VirtualClock();
    const fn = vi.fn();
    clock.setTimeout(fn, 1);
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => clock.advance(bad)).toThrow(RangeError);
    }
    expect(() => clock.advance(-1)).toThrow('VirtualClock.advance: ms must be a finite number ≥ 0, got -1');
    expect(clock.now()).toBe(T0);
    expect(fn).not.toHaveBeenCalled();
  });

  it('advanceTo moves to an absolute instant and refuses to go back', () => {
    const clock = new VirtualClock();
    const fn = vi.fn();
    clock.setTimeout(fn, 60_000);
    expect(clock.advanceTo(T0 + 60_000)).toBe(1);
    expect(clock.now()).toBe(T0 + 60_000);
    expect(clock.advanceTo(T0 + 60_000)).toBe(0); // staying put is allowed
    expect(() => clock.advanceTo(T0 + 59_999)).toThrow(
      `VirtualClock.advanceTo: cannot go back from ${T0 + 60_000} to ${T0 + 59_999}`,
    );
    expect(clock.now()).toBe(T0 + 60_000);
  });

  it('advanceTo rejects a NaN or infinite instant without firing anything', () => {
    const clock = new VirtualClock();
    const fn = vi.fn();
    clock.setTimeout(fn, 1_000);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => clock.advanceTo(bad)).toThrow(RangeError);
    }
    expect(fn).not.toHaveBeenCalled();
    expect(clock.now()).toBe(T0);
  });

  it('records every firing in log with label, scheduledAt and firedAt, keeping at most logLimit entries', () => {
    const clock = new VirtualClock();
    clock.advance(1_000);
    const a = clock.setTimeout(() => undefined, 4_000, 'pollInterval');
    const b = clock.setTimeout(() => undefined, 2_000); // default label
    clock.advance(10_000);
    expect(clock.log).toEqual([
      { id: b, label: 'timer', scheduledAt: T0 + 1_000, firedAt: T0 + 3_000 },
      { id: a, label: 'pollInterval', scheduledAt: T0 + 1_000, firedAt: T0 + 5_000 },
    ]);

    clock.logLimit = 3;
    for (let i = 0; i < 5; i++) clock.setTimeout(() => undefined, i, `t${i}`);
    clock.advance(10);
    expect(clock.log.map((r) => r.label)).toEqual(['t2', 't3', 't4']);
  });

  it('pending and nextDue list what is still to fire, earliest first', () => {
    const clock = new VirtualClock();
    expect(clock.nextDue()).toBeUndefined();
    const late = clock.setTimeout(() => undefined, 200, 'late');
    const early = clock.setTimeout(() => undefined, 100, 'early');
    expect(clock.nextDue()).toBe(T0 + 100);
    expect(clock.pending()).toEqual([
      { id: early, due: T0 + 100, label: 'early' },
      { id: late, due: T0 + 200, label: 'late' },
    ]);
  });

  it('subscribe notifies on every change of time or timers, and the returned function unsubscribes', () => {
    const clock = new VirtualClock();
    const listener = vi.fn();
    const unsubscribe = clock.subscribe(listener);

    const id = clock.setTimeout(() => undefined, 10);
    expect(listener).toHaveBeenCalledTimes(1);
    clock.clearTimeout(id);
    expect(listener).toHaveBeenCalledTimes(2);
    clock.clearTimeout(id); // nothing changed: no notification
    expect(listener).toHaveBeenCalledTimes(2);
    clock.advance(5);
    expect(listener).toHaveBeenCalledTimes(3);
    expect(listener).toHaveBeenLastCalledWith();

    unsubscribe();
    clock.setTimeout(() => undefined, 10);
    clock.advance(10);
    expect(listener).toHaveBeenCalledTimes(3);
  });

  it('throws on a runaway loop of zero-delay timers instead of hanging', () => {
    const clock = new VirtualClock();
    clock.logLimit = 10;
    let calls = 0;
    const loop = () => {
      calls++;
      clock.setTimeout(loop, 0);
    };
    clock.setTimeout(loop, 0);
    expect(() => clock.advance(1)).toThrow(
      'VirtualClock: more than 100000 timers fired in one advance (runaway loop?)',
    );
    expect(calls).toBe(100_000);
  });

  it('drives XState delayed transitions when passed as the actor clock', () => {
    const clock = new VirtualClock();
    const machine = createMachine({
      initial: 'waiting',
      states: { waiting: { after: { 5_000: 'done' } }, done: { type: 'final' } },
    });
    const actor = createActor(machine, { clock }).start();
    expect(actor.getSnapshot().value).toBe('waiting');
    clock.advance(4_999);
    expect(actor.getSnapshot().value).toBe('waiting');
    clock.advance(1);
    expect(actor.getSnapshot().value).toBe('done');
    expect(clock.log).toHaveLength(1);
    expect(clock.log[0]).toMatchObject({ scheduledAt: T0, firedAt: T0 + 5_000 });
  });
});

describe('realClock', () => {
  it('reads the wall clock', () => {
    const before = Date.now();
    const now = realClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('schedules and cancels with the global timers', () => {
    vi.useFakeTimers();
    try {
      const fired = vi.fn();
      const cancelled = vi.fn();
      realClock.setTimeout(fired, 1_000);
      const id = realClock.setTimeout(cancelled, 1_000);
      realClock.clearTimeout(id);
      vi.advanceTimersByTime(999);
      expect(fired).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(fired).toHaveBeenCalledTimes(1);
      expect(cancelled).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });

  it('fires a real timer', async () => {
    const start = Date.now();
    await new Promise<void>((resolve) => realClock.setTimeout(resolve, 20));
    expect(Date.now() - start).toBeGreaterThanOrEqual(15);
  });

  const DAY = 86_400_000;

  it('a delay past 2^31-1 ms is chained: it fires when due, never at once, and no native timer gets more than 2^31-1 ms', () => {
    vi.useFakeTimers();
    const native = vi.spyOn(globalThis, 'setTimeout');
    try {
      const fired = vi.fn();
      realClock.setTimeout(fired, 30 * DAY);
      vi.advanceTimersByTime(1);
      expect(fired).not.toHaveBeenCalled();
      vi.advanceTimersByTime(30 * DAY - 2);
      expect(fired).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(fired).toHaveBeenCalledTimes(1);
      expect(native.mock.calls.length).toBeGreaterThanOrEqual(2);
      for (const [, delay] of native.mock.calls) expect(delay).toBeLessThanOrEqual(MAX_TIMER_DELAY_MS);
    } finally {
      native.mockRestore();
      vi.useRealTimers();
    }
  });

  it('a chained timer can be cancelled before and after its chain re-arms', () => {
    vi.useFakeTimers();
    try {
      const early = vi.fn();
      const late = vi.fn();
      realClock.clearTimeout(realClock.setTimeout(early, 40 * DAY));
      const id = realClock.setTimeout(late, 40 * DAY);
      vi.advanceTimersByTime(30 * DAY); // past the first link of the chain
      realClock.clearTimeout(id);
      vi.advanceTimersByTime(20 * DAY);
      expect(early).not.toHaveBeenCalled();
      expect(late).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });

  it('on the real timers, a 2^31 ms delay (Node would fire it after 1 ms) has not fired 100 ms later', async () => {
    const fired = vi.fn();
    const id = realClock.setTimeout(fired, MAX_TIMER_DELAY_MS + 1);
    await new Promise<void>((resolve) => globalThis.setTimeout(resolve, 100));
    realClock.clearTimeout(id);
    expect(fired).not.toHaveBeenCalled();
  });
});
