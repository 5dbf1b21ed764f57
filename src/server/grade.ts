/**
 * The report card, pure: what the rehearsal server saw of one device login (observations in) graded against
 * the client (C) rows of the conformance checklist (checks out). No clock, no I/O: times are numbers on the
 * server's clock, and evidence gives them relative to the flow's start. `observer.ts` builds the observations
 * from real HTTP exchanges; tests build them by hand with a fake clock.
 */
import { DEFAULT_POLL_INTERVAL_S, DEVICE_CODE_GRANT_TYPE, REFRESH_TOKEN_GRANT_TYPE, SLOW_DOWN_INCREMENT_S } from '../protocol/constants.ts';

export type CheckLevel = 'MUST' | 'MUST NOT' | 'SHOULD' | 'SHOULD NOT' | 'DEF';
export type CheckResult = 'pass' | 'fail' | 'not observed';
export type FlowOutcome = 'pending' | 'approved' | 'denied' | 'expired' | 'failed';

export interface Check {
  id: string;
  level: CheckLevel;
  result: CheckResult;
  evidence: string;
}

export type RequestKind = 'device_authorization' | 'poll' | 'refresh' | 'revocation' | 'api';

/** A DPoP proof as sent (decoded, not verified: the server's own handler verifies it). */
export interface SeenProof {
  typ?: string;
  alg?: string;
  /** The `jwk` header carries private key members (d, p, q, dp, dq, qi, k). */
  privateKeyInJwk: boolean;
  jti?: string;
  htm?: string;
  htu?: string;
  iat?: number;
  ath?: string;
  nonce?: string;
  /** Not a decodable JWT at all. */
  malformed?: boolean;
}

/** What went wrong on the wire, when the server's script made it go wrong. */
export type Transport =
  /** The connection was dropped without an answer (`reset`). */
  | 'reset'
  /** A scripted 5xx (`error:<status>`). */
  | 'error'
  /** The answer was held back (`hang`) and the client waited for it. */
  | 'hang'
  /** The answer was held back and the client closed the connection first (its timeout). */
  | 'hang-abandoned';

export interface ObservedRequest {
  kind: RequestKind;
  /** Arrival. */
  at: number;
  method: string;
  /** The request URL without query or fragment (what a DPoP `htu` must be). */
  url: string;
  /** Media type, lower case, without parameters. */
  contentType?: string;
  charset?: string;
  userAgent?: string;
  /** Form (or query) parameter names that appeared more than once. */
  repeated: string[];
  /** `client_id` was in the body. */
  clientIdSent: boolean;
  /** HTTP Basic client authentication. */
  basicAuth: boolean;
  grantType?: string;
  /** A refresh's `scope` parameter. */
  scope?: string[];
  /** A refresh token the request carried (refresh, revocation): which one of the flow, and when a rotation replaced it. */
  refreshToken?: { generation: number; replacedAt?: number };
  /** Revocation: which kind of token was sent, and whether `token` was there at all. */
  revoked?: 'refresh_token' | 'access_token' | 'unknown';
  tokenParam?: boolean;
  /** API call: where the access token was (the header's scheme, the query, the body). */
  tokenIn?: { header?: string; query: boolean; body: boolean };
  /** API call: base64url SHA-256 of the access token, what a proof's `ath` must be. */
  expectedAth?: string;
  /** How many `DPoP` headers, and the proof when there was exactly one. */
  dpopHeaders: number;
  dpop?: SeenProof;
  transport?: Transport;
  /** The answer; undefined when there was none (reset, abandoned). */
  status?: number;
  /** The answer's OAuth error code, under its RFC name (provider renames undone). */
  error?: string;
  /** When the client had its answer, or knew it would get none (reset: arrival; abandoned: when it hung up). */
  answeredAt?: number;
  /** A slow_down body's `interval` (GitHub sends one). */
  slowDownInterval?: number;
  /** The answer carried a `DPoP-Nonce` header. */
  sentNonce?: boolean;
}

export interface FlowObservations {
  clientId: string;
  publicClient: boolean;
  userAgent?: string;
  startedAt: number;
  /** The codes as the client received them; absent when the device authorization failed. */
  codes?: { answeredAt: number; intervalS: number | null; expiresInS: number };
  /** When the code stops working at the server (earlier than expires_in after a scripted `expire`). */
  serverExpiresAt?: number;
  grantedScope?: string[];
  dpopRequired: boolean;
  /** Every request of this login, the device authorization first, in arrival order. */
  requests: ObservedRequest[];
}

export interface GradeOptions {
  /** The server's `pollLeewayMs` knob: how much earlier than the interval a poll may come. */
  leewayMs: number;
}

/** What each check is about (the text card's second column). */
export const CHECK_TITLES: Record<string, string> = {
  'RFC8628-3.1-post-form': 'device authorization is a form POST',
  'RFC8628-3.1-client_id': 'every request identifies the client',
  'RFC8628-3.1-no-dup': 'no parameter is repeated',
  'RFC8628-3.2-interval-default': '5 s between polls when no interval is sent',
  'RFC8628-3.4-grant_type': 'polls use the device_code grant type',
  'RFC8628-3.5-wait-interval': 'polls wait the interval',
  'RFC8628-3.5-slowdown': 'slow_down adds 5 s',
  'RFC8628-3.5-stop-on-other': 'no poll after a final error',
  'RFC8628-3.5-timeout-backoff': 'slower polling after a failed poll',
  'RFC8628-3.5-exp-backoff': 'exponential back-off',
  'RFC6749-3.2-post': 'token requests are POST',
  'RFC6749-6-request': 'refresh request is well formed',
  'RFC6749-6-discard-old': 'a rotated refresh token is not used again',
  'RFC6749-6-scope-subset': 'refresh asks for no new scope',
  'RFC7009-2.1-request': 'logout revokes with a well-formed request',
  'RFC6750-2.1-client': 'API calls send the token in the Authorization header',
  'RFC6750-2.3-no-query': 'no token in a URL query',
  'RFC6750-2-one-method': 'one way of sending the token per request',
  'RFC9449-5-token-request': 'a DPoP proof on every token request',
  'RFC9449-4.2-header': 'DPoP proof header',
  'RFC9449-4.2-claims': 'DPoP proof claims',
  'RFC9449-4.2-ath': 'DPoP proof binds the access token at the API',
  'RFC9449-4.2-nonce': 'DPoP proofs carry the server nonce',
  'RFC9449-7.3-fresh-proof': 'a fresh DPoP proof per request',
  'polls-after-expiry': 'no poll after the code expired',
  'user-agent': 'sends a User-Agent',
};

/** Answers after which polling goes on: pending, slow_down, and a DPoP nonce to retry with (RFC 9449 §8). */
const FINAL_OK = new Set(['authorization_pending', 'slow_down', 'use_dpop_nonce']);
/** Back-off applies to these; longer gaps than this count as capped (RFC8628-3.5-exp-backoff allows a cap). */
export const BACKOFF_CAP_MS = 60_000;
/** The least growth of the wait after a failed poll that counts as exponential back-off (doubling is 2). */
export const EXP_BACKOFF_MIN_FACTOR = 1.5;

/** `1.2 s`: a time relative to the flow's start. */
function rel(flow: FlowObservations, t: number): string {
  return `${((t - flow.startedAt) / 1000).toFixed(1)} s`;
}
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** A poll whose answer ends the login for the client (RFC 8628 §3.5): a 4xx error other than pending and slow_down. */
function isFinalError(r: ObservedRequest): boolean {
  return r.transport !== 'reset' && r.transport !== 'error' && r.transport !== 'hang-abandoned' && r.error !== undefined &&
    !FINAL_OK.has(r.error) && r.status !== undefined && r.status < 500 && r.status !== 429;
}
const isSuccess = (r: ObservedRequest): boolean => r.status === 200 && r.error === undefined && r.transport !== 'hang-abandoned' && r.transport !== 'reset';
const isTransportFailure = (r: ObservedRequest): boolean => r.transport === 'reset' || r.transport === 'error' || r.transport === 'hang-abandoned';
const describeFailure = (r: ObservedRequest): string =>
  r.transport === 'reset' ? 'connection reset' : r.transport === 'error' ? `HTTP ${r.status}` : 'no answer before the client gave up';

/** Outcome and end time of a login: the first final answer decides it; an unanswered code expires. */
export function flowOutcome(flow: FlowObservations, now: number): { outcome: FlowOutcome; endedAt?: number } {
  if (!flow.codes) return { outcome: 'failed', endedAt: flow.requests[0]?.answeredAt ?? flow.startedAt };
  for (const r of flow.requests) {
    if (r.kind !== 'poll') continue;
    const end = r.answeredAt ?? r.at;
    if (r.status === 200 && !r.error && !r.transport?.startsWith('hang-')) return { outcome: 'approved', endedAt: end };
    if (!isFinalError(r)) continue;
    if (r.error === 'access_denied') return { outcome: 'denied', endedAt: end };
    if (r.error === 'expired_token') return { outcome: 'expired', endedAt: end };
    return { outcome: 'failed', endedAt: end };
  }
  const expiresAt = Math.min(flow.serverExpiresAt ?? Infinity, flow.codes.answeredAt + flow.codes.expiresInS * 1000);
  return now >= expiresAt ? { outcome: 'expired', endedAt: expiresAt } : { outcome: 'pending' };
}

interface PollTiming {
  poll: ObservedRequest;
  index: number;
  /** Arrival since the previous poll's arrival (the first: since the codes were answered). */
  gap: number;
  /** The interval in force for this poll: the announced one (or 5 s) plus every slow_down so far. */
  intervalS: number;
  /** The previous answer was slow_down. */
  afterSlowDown: boolean;
  /** A final error, or the tokens, were answered before this poll. */
  afterFinal?: ObservedRequest;
}

function pollTimings(flow: FlowObservations): PollTiming[] {
  const polls = flow.requests.filter((r) => r.kind === 'poll');
  const out: PollTiming[] = [];
  let intervalS = flow.codes?.intervalS ?? DEFAULT_POLL_INTERVAL_S;
  let finalError: ObservedRequest | undefined;
  // A poll answered use_dpop_nonce is retried at once with the nonce (RFC 9449 §8); the server does not count
  // it as a poll, so the retry's gap is measured from the poll before it.
  let prev: ObservedRequest | undefined;
  polls.forEach((poll, index) => {
    const prevAt = prev ? prev.at : flow.codes?.answeredAt ?? flow.startedAt;
    out.push({ poll, index, gap: poll.at - prevAt, intervalS, afterSlowDown: prev?.error === 'slow_down', ...(finalError ? { afterFinal: finalError } : {}) });
    if (poll.error !== 'use_dpop_nonce') prev = poll;
    if (poll.error === 'slow_down') intervalS = Math.max(intervalS + SLOW_DOWN_INCREMENT_S, poll.slowDownInterval ?? 0);
    if (!finalError && (isFinalError(poll) || isSuccess(poll))) finalError = poll;
  });
  return out;
}

/** Grade one login. The list is in the checklist's order; `sortForCard` puts failures first. */
export function gradeFlow(flow: FlowObservations, opts: GradeOptions): Check[] {
  const { leewayMs } = opts;
  const checks: Check[] = [];
  const add = (id: string, level: CheckLevel, result: CheckResult, evidence: string) => checks.push({ id, level, result, evidence });
  const at = (r: ObservedRequest) => rel(flow, r.at);
  const label = (r: ObservedRequest): string => {
    const n = flow.requests.filter((x) => x.kind === r.kind).indexOf(r) + 1;
    const name = r.kind === 'device_authorization' ? 'device authorization' : r.kind === 'api' ? 'API call' : r.kind;
    return `${name} ${n} (${r.method} ${new URL(r.url).pathname} at ${at(r)})`;
  };
  const firstFailures = (bad: ObservedRequest[], why: (r: ObservedRequest) => string): string =>
    bad.slice(0, 3).map((r) => `${label(r)} ${why(r)}`).join('; ') + (bad.length > 3 ? `; and ${bad.length - 3} more` : '');
  const polls = flow.requests.filter((r) => r.kind === 'poll');
  const refreshes = flow.requests.filter((r) => r.kind === 'refresh');
  const revocations = flow.requests.filter((r) => r.kind === 'revocation');
  const apiCalls = flow.requests.filter((r) => r.kind === 'api');
  const asRequests = flow.requests.filter((r) => r.kind !== 'api');
  const tokenRequests = [...polls, ...refreshes];
  const timings = pollTimings(flow);

  // --- RFC 8628 §3.1 device authorization request
  const deviceAuths = flow.requests.filter((r) => r.kind === 'device_authorization');
  {
    const bad = deviceAuths.filter((r) => r.method !== 'POST' || r.contentType !== 'application/x-www-form-urlencoded' || (r.charset !== undefined && r.charset !== 'utf-8'));
    add('RFC8628-3.1-post-form', 'DEF', bad.length ? 'fail' : 'pass', bad.length
      ? firstFailures(bad, (r) => `was ${r.method} with ${r.contentType ? `Content-Type ${r.contentType}${r.charset ? `; charset=${r.charset}` : ''}` : 'no Content-Type'}`)
      : `${label(deviceAuths[0]!)} was a POST with Content-Type application/x-www-form-urlencoded`);
  }
  {
    const identifies = (r: ObservedRequest) => r.clientIdSent || (!flow.publicClient && r.basicAuth);
    const bad = asRequests.filter((r) => !identifies(r));
    add('RFC8628-3.1-client_id', 'MUST', bad.length ? 'fail' : 'pass', bad.length
      ? firstFailures(bad, () => (flow.publicClient ? 'had no client_id' : 'had neither client_id nor HTTP Basic'))
      : `all ${plural(asRequests.length, 'request')} to the authorization server identified ${flow.clientId}${flow.publicClient ? ' with client_id' : ''}`);
  }
  {
    const bad = flow.requests.filter((r) => r.repeated.length > 0);
    add('RFC8628-3.1-no-dup', 'MUST NOT', bad.length ? 'fail' : 'pass', bad.length
      ? firstFailures(bad, (r) => `repeated ${r.repeated.join(', ')}`)
      : `no parameter repeated in ${plural(flow.requests.length, 'request')}`);
  }

  // --- RFC 8628 §3.2, §3.4, §3.5 polling
  if (!flow.codes || flow.codes.intervalS !== null) {
    add('RFC8628-3.2-interval-default', 'MUST', 'not observed', flow.codes ? `the server sent interval ${flow.codes.intervalS}` : 'no codes were issued');
  } else {
    const judged = timings.filter((t) => t.intervalS === DEFAULT_POLL_INTERVAL_S && !t.afterSlowDown && !t.afterFinal);
    const bad = judged.filter((t) => t.gap < DEFAULT_POLL_INTERVAL_S * 1000 - leewayMs);
    add('RFC8628-3.2-interval-default', 'MUST', judged.length === 0 ? 'not observed' : bad.length ? 'fail' : 'pass', judged.length === 0
      ? 'no poll before a slow_down'
      : bad.length
        ? bad.slice(0, 3).map((t) => `poll ${t.index + 1} came ${secs(t.gap)} after the ${t.index ? 'previous poll' : 'codes'}`).join('; ') + '; no interval was sent, so the wait is 5 s'
        : `no interval was sent; every gap was at least 5 s (shortest ${secs(Math.min(...judged.map((t) => t.gap)))})`);
  }
  {
    const bad = polls.filter((r) => r.grantType !== DEVICE_CODE_GRANT_TYPE);
    add('RFC8628-3.4-grant_type', 'MUST', polls.length === 0 ? 'not observed' : bad.length ? 'fail' : 'pass', polls.length === 0
      ? 'no poll'
      : bad.length ? firstFailures(bad, (r) => `had grant_type ${r.grantType === undefined ? '(none)' : JSON.stringify(r.grantType.slice(0, 60))}`)
        : `all ${plural(polls.length, 'poll')} had grant_type ${DEVICE_CODE_GRANT_TYPE}`);
  }
  {
    const judged = timings.filter((t) => !t.afterSlowDown && !t.afterFinal);
    const bad = judged.filter((t) => t.gap < t.intervalS * 1000 - leewayMs);
    add('RFC8628-3.5-wait-interval', 'MUST', judged.length === 0 ? 'not observed' : bad.length ? 'fail' : 'pass', judged.length === 0
      ? 'no poll'
      : bad.length
        ? bad.slice(0, 3).map((t) => `poll ${t.index + 1} came ${secs(t.gap)} after the ${t.index ? 'previous poll' : 'codes'} (at ${at(t.poll)}); the interval was ${t.intervalS} s`).join('; ')
        : `${plural(judged.length, 'poll')} each waited the interval (shortest gap ${secs(Math.min(...judged.map((t) => t.gap)))}; interval ${judged[0]!.intervalS} s${judged.at(-1)!.intervalS !== judged[0]!.intervalS ? ` rising to ${judged.at(-1)!.intervalS} s` : ''})`);
  }
  {
    const judged = timings.filter((t) => t.afterSlowDown && !t.afterFinal);
    const bad = judged.filter((t) => t.gap < t.intervalS * 1000 - leewayMs);
    add('RFC8628-3.5-slowdown', 'MUST', judged.length === 0 ? 'not observed' : bad.length ? 'fail' : 'pass', judged.length === 0
      ? (polls.some((p) => p.error === 'slow_down') ? 'no poll came after the slow_down answer' : 'the server never answered slow_down')
      : bad.length
        ? bad.slice(0, 3).map((t) => `poll ${t.index + 1} came ${secs(t.gap)} after the slow_down answer (at ${at(t.poll)}); the interval was ${t.intervalS} s`).join('; ')
        : judged.map((t) => `poll ${t.index + 1} came ${secs(t.gap)} after slow_down (interval ${t.intervalS} s)`).join('; '));
  }
  {
    const final = polls.find(isFinalError);
    const afterError = final ? polls.slice(polls.indexOf(final) + 1) : [];
    const tokens = polls.find(isSuccess);
    const afterTokens = tokens ? polls.slice(polls.indexOf(tokens) + 1) : [];
    const when = (r: ObservedRequest) => rel(flow, r.answeredAt ?? r.at);
    add('RFC8628-3.5-stop-on-other', 'MUST', afterError.length || afterTokens.length ? 'fail' : final ? 'pass' : 'not observed',
      afterError.length && final
        ? `after ${final.error} at ${when(final)} the client polled ${plural(afterError.length, 'more time')} (first at ${at(afterError[0]!)})`
        : afterTokens.length && tokens
          ? `after the tokens at ${when(tokens)} the client polled ${plural(afterTokens.length, 'more time')} with the used code (first at ${at(afterTokens[0]!)})`
          : final ? `no poll after ${final.error} at ${when(final)}` : 'no poll was answered with a final error');
  }
  {
    const judged = timings.filter((t) => t.index > 0 && isTransportFailure(timings[t.index - 1]!.poll));
    const waits = judged.map((t) => {
      const failed = timings[t.index - 1]!;
      const before = failed.index === 0 ? failed.poll.at - (flow.codes?.answeredAt ?? flow.startedAt)
        : failed.poll.at - (timings[failed.index - 1]!.poll.answeredAt ?? timings[failed.index - 1]!.poll.at);
      const after = t.poll.at - (failed.poll.answeredAt ?? failed.poll.at);
      return { t, failed: failed.poll, before, after };
    });
    const describe = (w: (typeof waits)[number]) =>
      `poll ${w.t.index} failed (${describeFailure(w.failed)}) at ${rel(flow, w.failed.answeredAt ?? w.failed.at)}; the client waited ${secs(w.before)} before it and ${secs(w.after)} after`;
    const noFailure = polls.some(isTransportFailure) ? 'no poll came after the failed poll' : 'no poll failed on the wire (hang, reset or 5xx)';
    const bad = waits.filter((w) => w.after <= w.before + leewayMs);
    add('RFC8628-3.5-timeout-backoff', 'MUST', waits.length === 0 ? 'not observed' : bad.length ? 'fail' : 'pass',
      waits.length === 0 ? noFailure : (bad.length ? bad : waits).slice(0, 3).map(describe).join('; '));
    // RFC 8628 §3.5 recommends exponential back-off and gives doubling as its example: a wait that grows by at least
    // half each time counts (a fixed extra delay does not), and so does one already at the cap.
    const notDoubled = waits.filter((w) => w.after < Math.min(EXP_BACKOFF_MIN_FACTOR * w.before, BACKOFF_CAP_MS) - leewayMs);
    add('RFC8628-3.5-exp-backoff', 'SHOULD', waits.length === 0 ? 'not observed' : notDoubled.length ? 'fail' : 'pass',
      waits.length === 0 ? noFailure : (notDoubled.length ? notDoubled : waits).slice(0, 3).map(describe).join('; ') + (notDoubled.length ? ` (exponential back-off, such as doubling, grows the wait at least ${EXP_BACKOFF_MIN_FACTOR}×)` : ''));
  }

  // --- RFC 6749 token requests, refresh
  {
    const bad = tokenRequests.filter((r) => r.method !== 'POST');
    add('RFC6749-3.2-post', 'MUST', tokenRequests.length === 0 ? 'not observed' : bad.length ? 'fail' : 'pass', tokenRequests.length === 0
      ? 'no token request'
      : bad.length ? firstFailures(bad, (r) => `was ${r.method}`) : `all ${plural(tokenRequests.length, 'token request')} were POST`);
  }
  {
    const bad = refreshes.filter((r) => r.method !== 'POST' || r.contentType !== 'application/x-www-form-urlencoded' || r.grantType !== REFRESH_TOKEN_GRANT_TYPE || !r.refreshToken);
    add('RFC6749-6-request', 'MUST', refreshes.length === 0 ? 'not observed' : bad.length ? 'fail' : 'pass', refreshes.length === 0
      ? 'no refresh'
      : bad.length ? firstFailures(bad, (r) => `was ${r.method} ${r.contentType ?? 'without a body type'}, grant_type ${r.grantType ?? '(none)'}${r.refreshToken ? '' : ', without a refresh token of this login'}`)
        : `${plural(refreshes.length, 'refresh', 'refreshes')}: form POST with grant_type=refresh_token and refresh_token`);
  }
  {
    const uses = [...refreshes, ...revocations].filter((r) => r.refreshToken).sort((a, b) => a.at - b.at);
    const stale = uses.filter((r) => r.refreshToken!.replacedAt !== undefined && r.refreshToken!.replacedAt <= r.at);
    const rotated = refreshes.some((r) => r.status === 200);
    add('RFC6749-6-discard-old', 'MUST', stale.length ? 'fail' : rotated ? 'pass' : 'not observed', stale.length
      ? firstFailures(stale, (r) => `sent refresh token ${r.refreshToken!.generation}, which a rotation replaced at ${rel(flow, r.refreshToken!.replacedAt!)}`)
      : rotated ? `after ${plural(refreshes.filter((r) => r.status === 200).length, 'rotation')} only the newest refresh token was used` : 'no refresh token was rotated');
  }
  {
    const granted = flow.grantedScope ?? [];
    const wider = refreshes.filter((r) => r.scope?.some((s) => !granted.includes(s)));
    add('RFC6749-6-scope-subset', 'MUST NOT', refreshes.length === 0 ? 'not observed' : wider.length ? 'fail' : 'pass', refreshes.length === 0
      ? 'no refresh'
      : wider.length ? firstFailures(wider, (r) => `asked for "${r.scope!.join(' ')}"; the grant was "${granted.join(' ')}"`)
        : refreshes.some((r) => r.scope) ? `every refresh scope was within "${granted.join(' ')}"` : 'refreshes sent no scope (the grant applies)');
  }

  // --- RFC 7009 logout
  {
    const bad = revocations.filter((r) => r.method !== 'POST' || r.contentType !== 'application/x-www-form-urlencoded' || !r.tokenParam ||
      !(r.clientIdSent || (!flow.publicClient && r.basicAuth)));
    const kinds = revocations.map((r) => `the ${r.revoked === 'unknown' ? 'unknown token' : r.revoked === 'refresh_token' ? 'refresh token' : 'access token'} at ${at(r)}`);
    const leftLive = revocations.length && !revocations.some((r) => r.revoked === 'refresh_token') && flow.requests.some((r) => r.kind === 'poll' && r.status === 200)
      ? '; the refresh token was not revoked' : '';
    add('RFC7009-2.1-request', 'DEF', revocations.length === 0 ? 'not observed' : bad.length ? 'fail' : 'pass', revocations.length === 0
      ? 'no revocation (logout)'
      : bad.length ? firstFailures(bad, (r) => `was ${r.method} ${r.contentType ?? ''}${r.tokenParam ? '' : ' without token'}${r.clientIdSent || r.basicAuth ? '' : ' without client_id'}`)
        : `revoked ${kinds.join(' and ')}${leftLive}`);
  }

  // --- RFC 6750 at the API
  {
    const none = 'no API call with a token of this login';
    const notHeader = apiCalls.filter((r) => !r.tokenIn?.header);
    add('RFC6750-2.1-client', 'SHOULD', apiCalls.length === 0 ? 'not observed' : notHeader.length ? 'fail' : 'pass', apiCalls.length === 0
      ? none : notHeader.length ? firstFailures(notHeader, (r) => `sent the token ${r.tokenIn?.query ? 'in the URL query' : 'in the body'}`)
        : `${plural(apiCalls.length, 'API call')} sent Authorization: ${[...new Set(apiCalls.map((r) => r.tokenIn!.header))].join(', ')}`);
    const inQuery = apiCalls.filter((r) => r.tokenIn?.query);
    add('RFC6750-2.3-no-query', 'SHOULD NOT', apiCalls.length === 0 ? 'not observed' : inQuery.length ? 'fail' : 'pass', apiCalls.length === 0
      ? none : inQuery.length ? firstFailures(inQuery, () => 'had access_token in the URL query') : `no access_token in the URL of ${apiCalls.length === 1 ? 'the API call' : `any of ${apiCalls.length} API calls`}`);
    const methods = (r: ObservedRequest) => [r.tokenIn?.header ? 'header' : '', r.tokenIn?.query ? 'query' : '', r.tokenIn?.body ? 'body' : ''].filter(Boolean);
    const several = apiCalls.filter((r) => methods(r).length > 1);
    add('RFC6750-2-one-method', 'MUST NOT', apiCalls.length === 0 ? 'not observed' : several.length ? 'fail' : 'pass', apiCalls.length === 0
      ? none : several.length ? firstFailures(several, (r) => `sent the token by ${methods(r).join(' and ')}`) : `${apiCalls.length === 1 ? 'the API call' : `each of ${apiCalls.length} API calls`} used one method`);
  }

  // --- RFC 9449, when the server requires DPoP of this client
  if (flow.dpopRequired) gradeDpop(flow, add, firstFailures, tokenRequests, apiCalls);

  // --- Beyond the checklist rows
  {
    const expiresAt = flow.codes ? flow.codes.answeredAt + flow.codes.expiresInS * 1000 : undefined;
    const late = expiresAt === undefined ? [] : polls.filter((r) => r.at > expiresAt + leewayMs);
    add('polls-after-expiry', 'SHOULD NOT', expiresAt === undefined || polls.length === 0 ? 'not observed' : late.length ? 'fail' : 'pass',
      expiresAt === undefined ? 'no codes were issued' : polls.length === 0 ? 'no poll'
        : late.length ? `${plural(late.length, 'poll')} came after the code's expires_in ran out at ${rel(flow, expiresAt)} (first at ${at(late[0]!)})`
          : `no poll after expires_in (${flow.codes!.expiresInS} s, at ${rel(flow, expiresAt)})`);
  }
  {
    const bad = flow.requests.filter((r) => !r.userAgent);
    const agents = [...new Set(flow.requests.flatMap((r) => (r.userAgent ? [r.userAgent] : [])))];
    add('user-agent', 'SHOULD', bad.length ? 'fail' : 'pass', bad.length
      ? firstFailures(bad, () => 'had no User-Agent')
      : `${agents.map((a) => JSON.stringify(a.slice(0, 80))).join(', ')} on all ${plural(flow.requests.length, 'request')}`);
  }
  return checks;
}

function gradeDpop(
  flow: FlowObservations,
  add: (id: string, level: CheckLevel, result: CheckResult, evidence: string) => void,
  firstFailures: (bad: ObservedRequest[], why: (r: ObservedRequest) => string) => string,
  tokenRequests: ObservedRequest[],
  apiCalls: ObservedRequest[],
): void {
  const noProof = tokenRequests.filter((r) => r.dpopHeaders !== 1 || !r.dpop || r.dpop.malformed);
  add('RFC9449-5-token-request', 'MUST', tokenRequests.length === 0 ? 'not observed' : noProof.length ? 'fail' : 'pass', tokenRequests.length === 0
    ? 'no token request'
    : noProof.length ? firstFailures(noProof, (r) => (r.dpopHeaders === 0 ? 'had no DPoP header' : r.dpopHeaders > 1 ? `had ${r.dpopHeaders} DPoP headers` : 'had a DPoP header that is not a JWT'))
      : `all ${tokenRequests.length} token requests carried one DPoP proof`);
  const proved = flow.requests.filter((r) => r.dpop && !r.dpop.malformed);
  const badHeader = proved.filter((r) => r.dpop!.typ !== 'dpop+jwt' || !r.dpop!.alg || r.dpop!.alg === 'none' || /^HS/i.test(r.dpop!.alg) || r.dpop!.privateKeyInJwk);
  add('RFC9449-4.2-header', 'MUST', proved.length === 0 ? 'not observed' : badHeader.length ? 'fail' : 'pass', proved.length === 0
    ? 'no DPoP proof'
    : badHeader.length ? firstFailures(badHeader, (r) => `had typ ${r.dpop!.typ ?? '(none)'}, alg ${r.dpop!.alg ?? '(none)'}${r.dpop!.privateKeyInJwk ? ', a private key in jwk' : ''}`)
      : `${proved.length} proofs: typ dpop+jwt, alg ${[...new Set(proved.map((r) => r.dpop!.alg))].join(', ')}, public jwk`);
  const badClaims = proved.filter((r) => !r.dpop!.jti || r.dpop!.htm !== r.method || r.dpop!.htu !== r.url || typeof r.dpop!.iat !== 'number');
  add('RFC9449-4.2-claims', 'MUST', proved.length === 0 ? 'not observed' : badClaims.length ? 'fail' : 'pass', proved.length === 0
    ? 'no DPoP proof'
    : badClaims.length ? firstFailures(badClaims, (r) => `had jti ${r.dpop!.jti ? 'set' : 'missing'}, htm ${r.dpop!.htm ?? '(none)'}, htu ${r.dpop!.htu ?? '(none)'}${typeof r.dpop!.iat === 'number' ? '' : ', no iat'}`)
      : `${proved.length} proofs had jti, iat and the request's htm and htu`);
  const dpopCalls = apiCalls.filter((r) => r.tokenIn?.header?.toLowerCase() === 'dpop');
  const badAth = dpopCalls.filter((r) => !r.dpop || r.dpop.ath !== r.expectedAth);
  add('RFC9449-4.2-ath', 'MUST', dpopCalls.length === 0 ? 'not observed' : badAth.length ? 'fail' : 'pass', dpopCalls.length === 0
    ? 'no API call with a DPoP-bound token'
    : badAth.length ? firstFailures(badAth, (r) => (r.dpop ? `had ${r.dpop.ath ? 'an ath of another token' : 'no ath'}` : 'had no proof'))
      : `${plural(dpopCalls.length, 'API call')} carried ath of the access token`);
  const firstNonce = flow.requests.findIndex((r) => r.kind !== 'api' && r.sentNonce);
  const later = firstNonce < 0 ? [] : flow.requests.slice(firstNonce + 1).filter((r) => r.kind !== 'api' && r.dpop && !r.dpop.malformed);
  const noNonce = later.filter((r) => !r.dpop!.nonce);
  add('RFC9449-4.2-nonce', 'MUST', later.length === 0 ? 'not observed' : noNonce.length ? 'fail' : 'pass', firstNonce < 0
    ? 'the server sent no DPoP-Nonce'
    : later.length === 0 ? 'no proof after the server sent a nonce'
      : noNonce.length ? firstFailures(noNonce, () => 'had no nonce after the server sent DPoP-Nonce') : `${plural(later.length, 'proof')} after DPoP-Nonce carried a nonce`);
  const seen = new Map<string, ObservedRequest>();
  const reused = proved.filter((r) => {
    const jti = r.dpop!.jti;
    if (!jti) return false;
    if (seen.has(jti)) return true;
    seen.set(jti, r);
    return false;
  });
  add('RFC9449-7.3-fresh-proof', 'SHOULD', proved.length === 0 ? 'not observed' : reused.length ? 'fail' : 'pass', proved.length === 0
    ? 'no DPoP proof'
    : reused.length ? firstFailures(reused, () => 'reused the jti of an earlier proof') : `${proved.length} proofs, each with its own jti`);
}

/** Failures first (MUST-level before the rest), then passes, then what was not observed; otherwise checklist order. */
export function sortForCard(checks: readonly Check[]): Check[] {
  const rank = (c: Check) => (c.result === 'fail' ? (isMustLevel(c.level) ? 0 : 1) : c.result === 'pass' ? 2 : 3);
  return checks.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i).map(({ c }) => c);
}

export const isMustLevel = (level: CheckLevel): boolean => level === 'MUST' || level === 'MUST NOT';

export interface FlowReport {
  client_id: string;
  user_agent: string | null;
  started_at: string;
  outcome: FlowOutcome;
  checks: Check[];
}

/** `GET /control/report` (JSON) for a set of logins at time `now`. */
export function reportOf(flows: readonly FlowObservations[], now: number, opts: GradeOptions): { flows: FlowReport[] } {
  return {
    flows: flows.map((f) => ({
      client_id: f.clientId,
      user_agent: f.userAgent ?? null,
      started_at: new Date(f.startedAt).toISOString(),
      outcome: flowOutcome(f, now).outcome,
      checks: gradeFlow(f, opts),
    })),
  };
}

/** The same as a readable table, one block per login, failures first. */
export function reportText(report: { flows: readonly FlowReport[] }): string {
  if (report.flows.length === 0) return 'No device login yet.\n';
  return report.flows.map((f, i) => cardText(f, i + 1)).join('\n');
}

export function cardText(flow: FlowReport, n: number): string {
  const checks = sortForCard(flow.checks);
  const failed = checks.filter((c) => c.result === 'fail');
  const must = failed.filter((c) => isMustLevel(c.level)).length;
  const head = `Report card ${n}: ${flow.client_id}, started ${flow.started_at}, outcome ${flow.outcome}` +
    `${flow.user_agent ? `, User-Agent ${JSON.stringify(flow.user_agent.slice(0, 80))}` : ''}\n` +
    `  ${failed.length ? `${failed.length} failed (${must} MUST-level)` : 'no failures'}, ${checks.filter((c) => c.result === 'pass').length} passed, ` +
    `${checks.filter((c) => c.result === 'not observed').length} not observed\n`;
  const idW = Math.max(...checks.map((c) => c.id.length));
  const rows = checks.map((c) => {
    const result = c.result === 'fail' ? 'FAIL' : c.result;
    return `  ${result.padEnd(12)} ${c.level.padEnd(10)} ${c.id.padEnd(idW)}  ${CHECK_TITLES[c.id] ?? ''}\n${' '.repeat(26)}${c.evidence}\n`;
  });
  return head + rows.join('');
}
