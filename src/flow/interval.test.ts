/**
 * The interval arithmetic and its bounds (RFC 8628 §3.2, §3.5; interval.ts), as pure functions over any server value.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MAX_TIMER_DELAY_MS } from '../sim/clock.ts';
import {
  MAX_CODE_LIFETIME_S,
  MAX_POLL_INTERVAL_S,
  MAX_REFRESH_RETRIES,
  MAX_RETRY_AFTER_S,
  codeDeadlineS,
  initialInterval,
  intervalAfterRetryLater,
  intervalAfterSlowDown,
  intervalAfterTimeout,
  refreshRetryDelayMs,
  retryAfterMs,
} from './interval.ts';

/** Any value the parser lets through: a positive safe integer number of seconds. */
const serverSeconds = fc.oneof(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }));
const handling = fc.constantFrom('add-5' as const, 'add-1' as const, 'ignore' as const, 'fatal' as const);

describe('bounds on server-supplied waits', () => {
  test('both bounds, in milliseconds, are far below the 2^31-1 ms a timer can take', () => {
    expect(MAX_POLL_INTERVAL_S * 1000).toBeLessThan(MAX_TIMER_DELAY_MS);
    expect(MAX_CODE_LIFETIME_S * 1000).toBeLessThan(MAX_TIMER_DELAY_MS);
  });

  test('absent means 5 s; a server interval is used as sent up to 300 s and is 300 s beyond', () => {
    expect(initialInterval('server', undefined)).toBe(5);
    fc.assert(
      fc.property(serverSeconds, (s) => {
        expect(initialInterval('server', s)).toBe(s <= MAX_POLL_INTERVAL_S ? s : MAX_POLL_INTERVAL_S);
      }),
    );
    // The knob's fixed cadence is the CLI's own choice, not the server's: not bounded here.
    expect(initialInterval(120, 3_000_000)).toBe(120);
  });

  test('the deadline is expires_in up to 1 h, and 1 h beyond', () => {
    fc.assert(
      fc.property(serverSeconds, (s) => {
        expect(codeDeadlineS(s)).toBe(Math.min(s, MAX_CODE_LIFETIME_S));
      }),
    );
  });

  test('slow_down adds 5 s whatever the interval, and takes the server\'s figure only up to the bound', () => {
    fc.assert(
      fc.property(handling, fc.integer({ min: 1, max: 400 }), fc.option(serverSeconds, { nil: undefined }), (h, current, server) => {
        const next = intervalAfterSlowDown(h, current, server);
        expect(next).toBeGreaterThanOrEqual(current);
        if (h === 'add-5') expect(next).toBe(Math.max(current + 5, Math.min(server ?? 0, MAX_POLL_INTERVAL_S)));
        // Never past the bound by more than the CLI's own 5 s step.
        expect(next).toBeLessThanOrEqual(Math.max(current + 5, MAX_POLL_INTERVAL_S));
      }),
    );
  });

  test('timeouts double the interval up to the cap and never shrink it', () => {
    expect([5, 10, 20, 40, 60].map((s) => intervalAfterTimeout(s, 60))).toEqual([10, 20, 40, 60, 60]);
    expect(intervalAfterTimeout(300, 60)).toBe(300);
  });
});

describe('"try again later" waits (HTTP 429/503, Retry-After)', () => {
  test('the bound is far below a timer\'s limit, even for every retry of one refresh', () => {
    expect(MAX_RETRY_AFTER_S * 1000 * MAX_REFRESH_RETRIES).toBeLessThan(MAX_TIMER_DELAY_MS);
  });

  test('Retry-After counts seconds as sent and an HTTP-date from the world clock\'s now; a past date is now', () => {
    const now = Date.UTC(2026, 0, 5, 9, 0, 0);
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs({ seconds: 30 }, now)).toBe(30_000);
    expect(retryAfterMs({ date: now + 90_000 }, now)).toBe(90_000);
    expect(retryAfterMs({ date: now - 90_000 }, now)).toBe(0);
  });

  test('a refresh waits Retry-After when sent, else 5, 10, 20 s', () => {
    expect([0, 1, 2].map((i) => refreshRetryDelayMs(undefined, i))).toEqual([5_000, 10_000, 20_000]);
    expect(refreshRetryDelayMs(1_234, 2)).toBe(1_234);
  });

  test('RFC8628-3.5-exp-backoff: a busy poll doubles the interval (cap 60 s), waits at least Retry-After up to 300 s, and never shrinks', () => {
    expect([5, 10, 20, 40, 60].map((s) => intervalAfterRetryLater(s, 60, undefined))).toEqual([10, 20, 40, 60, 60]);
    expect(intervalAfterRetryLater(5, 60, 30_000)).toBe(30);
    expect(intervalAfterRetryLater(5, 60, 30_001)).toBe(31);
    expect(intervalAfterRetryLater(5, 60, 2_000)).toBe(10);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.option(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { nil: undefined }), (current, waitMs) => {
        const next = intervalAfterRetryLater(current, 60, waitMs);
        expect(next).toBeGreaterThanOrEqual(current);
        expect(next).toBeLessThanOrEqual(Math.max(current, 60, MAX_POLL_INTERVAL_S));
      }),
    );
  });
});
