/**
 * Polling interval arithmetic (RFC 8628 §3.2, §3.5), pure. The interval only ever grows within one login.
 */
import { DEFAULT_POLL_INTERVAL_S, SLOW_DOWN_INCREMENT_S } from '../protocol/constants.ts';
import type { ClientKnobs, SlowDownHandling } from './knobs.ts';

/** RFC 8628 §3.2: the server's `interval`, or 5 s when absent; or the knob's fixed cadence. */
export function initialInterval(knob: ClientKnobs['pollInterval'], serverIntervalS: number | undefined): number {
  return knob === 'server' ? (serverIntervalS ?? DEFAULT_POLL_INTERVAL_S) : knob;
}

/**
 * RFC 8628 §3.5: on `slow_down` the interval grows by 5 s for this and every later poll. When the server says
 * what the new interval is (GitHub), take the larger of the two. The misconfigured variants teach F3.
 */
export function intervalAfterSlowDown(handling: SlowDownHandling, currentS: number, serverIntervalS: number | undefined): number {
  switch (handling) {
    case 'add-5':
      return Math.max(currentS + SLOW_DOWN_INCREMENT_S, serverIntervalS ?? 0);
    case 'add-1':
      return currentS + 1;
    case 'ignore':
    case 'fatal':
      return currentS;
  }
}

/** RFC 8628 §3.5: after a network timeout, double the interval (exponential backoff) up to a cap; never shrink it. */
export function intervalAfterTimeout(currentS: number, capS: number): number {
  return Math.max(currentS, Math.min(currentS * 2, capS));
}
