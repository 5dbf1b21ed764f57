/**
 * A sliding-window limiter on the world's clock, shared by the token and revocation endpoints
 * (RFC 7009 §5: the revocation endpoint gets the token endpoint's DoS countermeasures). Over the limit, a
 * device-code poll hears `slow_down` (RFC 8628 §3.5), any other token request HTTP 429 (RFC 6585 §4) and a
 * revocation HTTP 503 (RFC 7009 §2.2.1), each with Retry-After; never `temporarily_unavailable`, which RFC 6749
 * §4.1.2.1 defines for the authorization endpoint only.
 */
export class RateLimiter {
  #hits = new Map<string, number[]>();
  constructor(private readonly limit: () => number, private readonly windowMs = 60_000) {}

  /** Record a request for `key` at `now`; false when the key is over its limit (the request is refused). */
  take(key: string, now: number): boolean {
    const since = now - this.windowMs;
    const hits = (this.#hits.get(key) ?? []).filter((t) => t > since);
    const allowed = hits.length < this.limit();
    if (allowed) hits.push(now);
    this.#hits.set(key, hits);
    return allowed;
  }

  /** Seconds until `key` may send again. */
  retryAfterS(key: string, now: number): number {
    const hits = this.#hits.get(key) ?? [];
    const oldest = hits[0];
    return oldest === undefined ? 0 : Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000));
  }
}
