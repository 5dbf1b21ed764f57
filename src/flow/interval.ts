/**
 * Polling interval arithmetic (RFC 8628 §3.2, §3.5), pure. The interval only ever grows within one login.
 */
import { DEFAULT_POLL_INTERVAL_S, SLOW_DOWN_INCREMENT_S } from '../protocol/constants.ts';
import type { RetryAfter } from '../protocol/client.ts';
import type { ClientKnobs, SlowDownHandling } from './knobs.ts';

/**
 * Bounds on what a server may make the CLI wait (a hostile or broken server). RFC 8628 sets no maximum; these
 * are the CLI's own limits, far above what any documented provider sends, and each is told on the terminal
 * when it applies (messages.ts `clampNotice`).
 *
 * - A server's polling interval (the §3.2 `interval`, or the new one a GitHub-style `slow_down` names): at most
 *   300 s (5 min). RFC 8628 §3.2 defaults to 5 s; GitHub, Entra, Google, Okta and Auth0 document 5 s (AWS IAM
 *   Identity Center 1 s). The floor is the parser's: a positive whole number of seconds (1 s), and 5 s when the
 *   server sends none. The CLI's own +5 s per `slow_down` still applies above the bound (§3.5 MUST).
 * - Code lifetime (`expires_in`): at most 3600 s (1 h). RFC 8628 §6.1's example and Google use 1800 s, GitHub
 *   and Entra 900 s, Okta 600 s; RFC 8628 §5.4 wants short-lived codes. Past this the CLI stops waiting (its
 *   local deadline) even if the server would still accept the code. The lab's server allows at most 3600 s too.
 *
 * Both keep every delay handed to the clock far below setTimeout's limit of 2^31-1 ms (about 24.8 days), past
 * which timers fire at once (the real clock also chains longer delays: src/sim/clock.ts).
 */
export const MAX_POLL_INTERVAL_S = 300;
export const MAX_CODE_LIFETIME_S = 3600;

/** A server-supplied number of seconds, within the CLI's bound. */
export const clampSeconds = (valueS: number, maxS: number): number => Math.min(valueS, maxS);

/** RFC 8628 §3.2: the server's `interval` (at most `MAX_POLL_INTERVAL_S`), or 5 s when absent; or the knob's fixed cadence. */
export function initialInterval(knob: ClientKnobs['pollInterval'], serverIntervalS: number | undefined): number {
  return knob === 'server' ? clampSeconds(serverIntervalS ?? DEFAULT_POLL_INTERVAL_S, MAX_POLL_INTERVAL_S) : knob;
}

/** RFC 8628 §3.2: how long the CLI waits for approval of one code: the server's `expires_in`, at most `MAX_CODE_LIFETIME_S`. */
export const codeDeadlineS = (expiresInS: number): number => clampSeconds(expiresInS, MAX_CODE_LIFETIME_S);

/**
 * RFC 8628 §3.5: on `slow_down` the interval grows by 5 s for this and every later poll. When the server says
 * what the new interval is (GitHub), take the larger of the two; the server's figure counts up to
 * `MAX_POLL_INTERVAL_S`. The CLI's own 5 s steps are the RFC's MUST and are not bounded: they grow the interval
 * only by 5 s per answered poll, so no login lives long enough for them to approach a timer's limit.
 * The misconfigured variants teach F3.
 */
export function intervalAfterSlowDown(handling: SlowDownHandling, currentS: number, serverIntervalS: number | undefined): number {
  switch (handling) {
    case 'add-5':
      return Math.max(currentS + SLOW_DOWN_INCREMENT_S, clampSeconds(serverIntervalS ?? 0, MAX_POLL_INTERVAL_S));
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

/**
 * "Try again later" (HTTP 429, 503, a 5xx without an OAuth error; `RetryLaterError`). The server's `Retry-After`
 * (RFC 9110 §10.2.3) counts up to `MAX_RETRY_AFTER_S`, the same 5 min as a server's polling interval; RFC 6585
 * and RFC 9110 set no maximum. A refresh whose server asks for longer is not retried (the person is told when
 * to try again); a poll waits at most `MAX_POLL_INTERVAL_S` (the code's own deadline still ends the login).
 * Without `Retry-After` a refresh backs off exponentially from `REFRESH_RETRY_BASE_S`, and retries at most
 * `MAX_REFRESH_RETRIES` times before it gives up and keeps the refresh token.
 */
export const MAX_RETRY_AFTER_S = 300;
export const MAX_REFRESH_RETRIES = 3;
export const REFRESH_RETRY_BASE_S = 5;

/** `Retry-After` as a wait from `nowMs` on the world's clock, in ms: delay-seconds as sent; an HTTP-date already past is 0. */
export function retryAfterMs(retryAfter: RetryAfter | undefined, nowMs: number): number | undefined {
  if (retryAfter === undefined) return undefined;
  return 'seconds' in retryAfter ? retryAfter.seconds * 1000 : Math.max(0, retryAfter.date - nowMs);
}

/** The wait before refresh retry number `retry` (0-based): the server's `Retry-After` (ms), else 5 s, 10 s, 20 s. */
export function refreshRetryDelayMs(waitMs: number | undefined, retry: number): number {
  return waitMs ?? REFRESH_RETRY_BASE_S * 1000 * 2 ** retry;
}

/**
 * RFC 8628 §3.5 (exp-backoff) after a poll the server answered "try again later": double the interval as after a
 * timeout (up to `capS`), and wait at least the server's `Retry-After` (up to `MAX_POLL_INTERVAL_S`); never shrink.
 */
export function intervalAfterRetryLater(currentS: number, capS: number, waitMs: number | undefined): number {
  const askedS = waitMs === undefined ? 0 : clampSeconds(Math.ceil(waitMs / 1000), MAX_POLL_INTERVAL_S);
  return Math.max(intervalAfterTimeout(currentS, capS), askedS);
}
