/**
 * The report card's grading, pure: hand-built observations on a fake clock (times in seconds after the flow's
 * start), each client (C) row shown passing, failing and not observed.
 */
import { describe, expect, test } from 'vitest';
import { DEVICE_CODE_GRANT_TYPE } from '../protocol/constants.ts';
import { cardText, flowOutcome, gradeFlow, isMustLevel, reportOf, sortForCard, type Check, type FlowObservations, type ObservedRequest } from './grade.ts';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const ms = (s: number) => T0 + s * 1000;
const ISSUER = 'http://127.0.0.1:8628';
const LEEWAY = { leewayMs: 250 };

function req(kind: ObservedRequest['kind'], atS: number, extra: Partial<ObservedRequest> = {}): ObservedRequest {
  const path = { device_authorization: '/device_authorization', poll: '/token', refresh: '/token', revocation: '/revoke', api: '/api/me' }[kind];
  return {
    kind, at: ms(atS), method: kind === 'api' ? 'GET' : 'POST', url: `${ISSUER}${path}`,
    ...(kind === 'api' ? {} : { contentType: 'application/x-www-form-urlencoded', clientIdSent: true }),
    clientIdSent: kind !== 'api', basicAuth: false, repeated: [], dpopHeaders: 0, userAgent: 'my-cli/1.0', status: 200, answeredAt: ms(atS + 0.01),
    ...extra,
  };
}
const poll = (atS: number, answer: 'pending' | 'slow_down' | 'tokens' | string, extra: Partial<ObservedRequest> = {}) =>
  req('poll', atS, { grantType: DEVICE_CODE_GRANT_TYPE, ...(answer === 'tokens' ? { status: 200 } : { status: 400, error: answer === 'pending' ? 'authorization_pending' : answer }), ...extra });

function login(requests: ObservedRequest[], opts: { intervalS?: number | null; expiresInS?: number; dpop?: boolean } = {}): FlowObservations {
  return {
    clientId: 'my-cli', publicClient: true, userAgent: 'my-cli/1.0', startedAt: T0,
    codes: { answeredAt: ms(0.01), intervalS: opts.intervalS === undefined ? 5 : opts.intervalS, expiresInS: opts.expiresInS ?? 600 },
    grantedScope: ['profile', 'projects:read'], dpopRequired: opts.dpop === true,
    requests: [req('device_authorization', 0), ...requests],
  };
}

const check = (flow: FlowObservations, id: string): Check => {
  const c = gradeFlow(flow, LEEWAY).find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return c;
};
const result = (flow: FlowObservations, id: string) => check(flow, id).result;
const failing = (flow: FlowObservations) => gradeFlow(flow, LEEWAY).filter((c) => c.result === 'fail').map((c) => c.id);

/** A well-behaved login: pending, slow_down (honoured), tokens, a refresh, an API call, logout. */
const good = () => login([
  poll(5.1, 'pending'), poll(10.2, 'slow_down'), poll(20.3, 'tokens'),
  req('refresh', 30, { grantType: 'refresh_token', refreshToken: { generation: 1 } }),
  req('api', 31, { tokenIn: { header: 'Bearer', query: false, body: false } }),
  req('revocation', 40, { tokenParam: true, revoked: 'refresh_token', refreshToken: { generation: 2 } }),
  req('revocation', 40.1, { tokenParam: true, revoked: 'access_token' }),
]);

describe('report card grading', () => {
  test('a well-behaved login fails nothing, and the rows it exercised pass with evidence in flow-relative seconds', () => {
    const flow = good();
    expect(failing(flow)).toEqual([]);
    for (const id of ['RFC8628-3.1-post-form', 'RFC8628-3.1-client_id', 'RFC8628-3.1-no-dup', 'RFC8628-3.4-grant_type', 'RFC8628-3.5-wait-interval',
      'RFC8628-3.5-slowdown', 'RFC6749-3.2-post', 'RFC6749-6-request', 'RFC6749-6-discard-old', 'RFC6749-6-scope-subset', 'RFC7009-2.1-request',
      'RFC6750-2.1-client', 'RFC6750-2.3-no-query', 'RFC6750-2-one-method', 'polls-after-expiry', 'user-agent']) {
      expect(result(flow, id), id).toBe('pass');
    }
    expect(check(flow, 'RFC8628-3.5-slowdown').evidence).toBe('poll 3 came 10.1 s after slow_down (interval 10 s)');
    expect(check(flow, 'RFC7009-2.1-request').evidence).toBe('revoked the refresh token at 40.0 s and the access token at 40.1 s');
    expect(flowOutcome(flow, ms(100))).toEqual({ outcome: 'approved', endedAt: ms(20.31) });
    // No DPoP rows unless the server requires DPoP.
    expect(gradeFlow(flow, LEEWAY).some((c) => c.id.startsWith('RFC9449'))).toBe(false);
  });

  test('grades RFC8628-3.1-post-form, RFC8628-3.1-client_id, RFC8628-3.1-no-dup: a GET without client_id and a repeated parameter fail', () => {
    const flow = login([poll(5.1, 'pending', { clientIdSent: false, repeated: ['scope'] })]);
    flow.requests[0] = req('device_authorization', 0, { method: 'GET', contentType: undefined, status: 400, error: 'invalid_request' });
    delete flow.codes;
    expect(failing(flow)).toEqual(['RFC8628-3.1-post-form', 'RFC8628-3.1-client_id', 'RFC8628-3.1-no-dup']);
    expect(check(flow, 'RFC8628-3.1-post-form').evidence).toBe('device authorization 1 (GET /device_authorization at 0.0 s) was GET with no Content-Type');
    expect(check(flow, 'RFC8628-3.1-no-dup').evidence).toBe('poll 1 (POST /token at 5.1 s) repeated scope');
    expect(flowOutcome(flow, ms(1)).outcome).toBe('failed');
    // A confidential client may identify with HTTP Basic instead of client_id.
    const basic = login([poll(5.1, 'pending', { clientIdSent: false, basicAuth: true })]);
    basic.publicClient = false;
    basic.requests[0]!.clientIdSent = false;
    basic.requests[0]!.basicAuth = true;
    expect(result(basic, 'RFC8628-3.1-client_id')).toBe('pass');
    // A charset other than UTF-8 is not the form encoding RFC 8628 §3.1 asks for.
    const latin = login([]);
    latin.requests[0]!.charset = 'iso-8859-1';
    expect(result(latin, 'RFC8628-3.1-post-form')).toBe('fail');
  });

  test('grades RFC8628-3.2-interval-default: without an interval the client waits 5 s; it is not observed when the server sent one', () => {
    expect(result(login([poll(5.0, 'pending'), poll(10.0, 'tokens')], { intervalS: null }), 'RFC8628-3.2-interval-default')).toBe('pass');
    const eager = login([poll(1.0, 'pending'), poll(2.0, 'tokens')], { intervalS: null });
    expect(result(eager, 'RFC8628-3.2-interval-default')).toBe('fail');
    expect(check(eager, 'RFC8628-3.2-interval-default').evidence).toContain('poll 1 came 1.0 s after the codes');
    expect(check(good(), 'RFC8628-3.2-interval-default')).toMatchObject({ result: 'not observed', evidence: 'the server sent interval 5' });
  });

  test('grades RFC8628-3.4-grant_type: a poll with another grant_type fails', () => {
    const flow = login([poll(5.1, 'pending', { grantType: 'device_code' })]);
    expect(failing(flow)).toEqual(['RFC8628-3.4-grant_type']);
    expect(result(login([]), 'RFC8628-3.4-grant_type')).toBe('not observed');
  });

  test('grades RFC8628-3.5-wait-interval: polling early fails, within the pollLeewayMs knob passes', () => {
    const early = login([poll(1.2, 'pending'), poll(2.4, 'slow_down')]);
    expect(failing(early)).toEqual(['RFC8628-3.5-wait-interval']);
    expect(check(early, 'RFC8628-3.5-wait-interval').evidence).toBe(
      'poll 1 came 1.2 s after the codes (at 1.2 s); the interval was 5 s; poll 2 came 1.2 s after the previous poll (at 2.4 s); the interval was 5 s');
    // 200 ms early is within the 250 ms leeway; 300 ms early is not.
    expect(result(login([poll(4.81, 'pending'), poll(9.61, 'tokens')]), 'RFC8628-3.5-wait-interval')).toBe('pass');
    expect(result(login([poll(4.71, 'pending')]), 'RFC8628-3.5-wait-interval')).toBe('fail');
    expect(gradeFlow(login([poll(4.71, 'pending')]), { leewayMs: 500 }).find((c) => c.id === 'RFC8628-3.5-wait-interval')!.result).toBe('pass');
  });

  test('grades RFC8628-3.5-slowdown: ignoring slow_down fails that row only; GitHub-style slow_down intervals count', () => {
    const ignoring = login([poll(5.1, 'slow_down'), poll(10.2, 'slow_down'), poll(15.3, 'slow_down')]);
    expect(failing(ignoring)).toEqual(['RFC8628-3.5-slowdown']);
    expect(check(ignoring, 'RFC8628-3.5-slowdown').evidence).toBe(
      'poll 2 came 5.1 s after the slow_down answer (at 10.2 s); the interval was 10 s; poll 3 came 5.1 s after the slow_down answer (at 15.3 s); the interval was 15 s');
    const github = login([poll(5.1, 'slow_down', { slowDownInterval: 30 }), poll(20, 'pending')]);
    expect(result(github, 'RFC8628-3.5-slowdown')).toBe('fail');
    expect(result(login([poll(5.1, 'slow_down')]), 'RFC8628-3.5-slowdown')).toBe('not observed');
    // The interval never shrinks afterwards: after the slow_down, later polls are held to 10 s too.
    const shrinking = login([poll(5.1, 'slow_down'), poll(15.2, 'pending'), poll(20.3, 'pending')]);
    expect(failing(shrinking)).toEqual(['RFC8628-3.5-wait-interval']);
  });

  test('grades RFC8628-3.5-stop-on-other: polling after access_denied, after expired_token or after the tokens fails', () => {
    const afterDenial = login([poll(5.1, 'access_denied', { status: 400 }), poll(10.2, 'access_denied', { status: 400 })]);
    expect(failing(afterDenial)).toEqual(['RFC8628-3.5-stop-on-other']);
    expect(check(afterDenial, 'RFC8628-3.5-stop-on-other').evidence).toBe('after access_denied at 5.1 s the client polled 1 more time (first at 10.2 s)');
    expect(flowOutcome(afterDenial, ms(11)).outcome).toBe('denied');
    expect(result(login([poll(5.1, 'access_denied')]), 'RFC8628-3.5-stop-on-other')).toBe('pass');
    expect(result(login([poll(5.1, 'invalid_grant'), poll(10.2, 'invalid_grant')]), 'RFC8628-3.5-stop-on-other')).toBe('fail');
    expect(result(login([poll(5.1, 'tokens'), poll(10.2, 'invalid_grant')]), 'RFC8628-3.5-stop-on-other')).toBe('fail');
    expect(result(login([poll(5.1, 'tokens')]), 'RFC8628-3.5-stop-on-other')).toBe('not observed');
    // A 5xx is not final: the client should retry (with back-off).
    expect(result(login([poll(5.1, 'server_error', { status: 500, transport: 'error' }), poll(15.2, 'tokens')]), 'RFC8628-3.5-stop-on-other')).toBe('not observed');
  });

  test('polls-after-expiry: polls after expires_in ran out fail; the server-side expiry ends the login as expired', () => {
    const late = login([poll(5.1, 'pending'), poll(10.2, 'expired_token'), poll(15.3, 'expired_token')], { expiresInS: 10 });
    expect(failing(late)).toEqual(['RFC8628-3.5-stop-on-other', 'polls-after-expiry']);
    expect(check(late, 'polls-after-expiry').evidence).toBe("1 poll came after the code's expires_in ran out at 10.0 s (first at 15.3 s)");
    expect(flowOutcome(late, ms(20)).outcome).toBe('expired');
    const quiet = login([poll(5.1, 'pending')], { expiresInS: 10 });
    expect(flowOutcome(quiet, ms(9)).outcome).toBe('pending');
    expect(flowOutcome(quiet, ms(10.02))).toEqual({ outcome: 'expired', endedAt: ms(10.01) });
    quiet.serverExpiresAt = ms(6);
    expect(flowOutcome(quiet, ms(7))).toEqual({ outcome: 'expired', endedAt: ms(6) });
  });

  test('grades RFC8628-3.5-timeout-backoff and RFC8628-3.5-exp-backoff: after a hang, a reset or a 5xx the client must wait longer', () => {
    // Waits: 5 s before the hung poll; it gave up at 7.1 s, then waited 10 s (doubled): both pass.
    const doubling = login([poll(5.1, 'pending'), req('poll', 10.1, { grantType: DEVICE_CODE_GRANT_TYPE, transport: 'hang-abandoned', status: undefined, answeredAt: ms(12.1) }),
      poll(22.1, 'tokens')]);
    expect(failing(doubling)).toEqual([]);
    expect(result(doubling, 'RFC8628-3.5-timeout-backoff')).toBe('pass');
    expect(check(doubling, 'RFC8628-3.5-exp-backoff')).toMatchObject({
      result: 'pass', evidence: 'poll 2 failed (no answer before the client gave up) at 12.1 s; the client waited 5.0 s before it and 10.0 s after',
    });
    // No back-off after a reset: the client waits the same 5 s.
    const same = login([poll(5.1, 'pending'), req('poll', 10.1, { grantType: DEVICE_CODE_GRANT_TYPE, transport: 'reset', status: undefined, answeredAt: ms(10.1) }), poll(15.1, 'pending')]);
    expect(failing(same)).toEqual(['RFC8628-3.5-timeout-backoff', 'RFC8628-3.5-exp-backoff']);
    // Slower, but not doubled: the MUST passes, the SHOULD fails.
    const linear = login([poll(5.1, 'pending'), req('poll', 10.1, { grantType: DEVICE_CODE_GRANT_TYPE, transport: 'error', status: 503, error: 'temporarily_unavailable', answeredAt: ms(10.1) }),
      poll(16.1, 'pending')]);
    expect(failing(linear)).toEqual(['RFC8628-3.5-exp-backoff']);
    // Growth by half counts as exponential (doubling is the RFC's example, not the only factor).
    const halfAgain = login([poll(5.1, 'pending'), req('poll', 10.1, { grantType: DEVICE_CODE_GRANT_TYPE, transport: 'error', status: 503, error: 'temporarily_unavailable', answeredAt: ms(10.1) }),
      poll(17.6, 'pending')]);
    expect(failing(halfAgain)).toEqual([]);
    expect(result(good(), 'RFC8628-3.5-timeout-backoff')).toBe('not observed');
    // A hang the client waited out is an answer, not a failure.
    const patient = login([poll(5.1, 'pending', { transport: 'hang', answeredAt: ms(8.1) }), poll(13.1, 'pending')]);
    expect(result(patient, 'RFC8628-3.5-timeout-backoff')).toBe('not observed');
  });

  test('grades RFC6749-3.2-post and RFC6749-6-request: token requests must be form POSTs', () => {
    const get = login([poll(5.1, 'tokens'), req('refresh', 10, { method: 'GET', contentType: undefined, grantType: 'refresh_token', refreshToken: { generation: 1 } })]);
    expect(failing(get)).toEqual(['RFC6749-3.2-post', 'RFC6749-6-request']);
    expect(result(login([poll(5.1, 'tokens')]), 'RFC6749-6-request')).toBe('not observed');
  });

  test('grades RFC6749-6-discard-old: a rotated-out refresh token used again (to refresh or to revoke) fails', () => {
    const reuse = login([poll(5.1, 'tokens'),
      req('refresh', 10, { grantType: 'refresh_token', refreshToken: { generation: 1 } }),
      req('refresh', 20, { grantType: 'refresh_token', refreshToken: { generation: 1, replacedAt: ms(10.01) }, status: 400, error: 'invalid_grant' })]);
    expect(failing(reuse)).toEqual(['RFC6749-6-discard-old']);
    expect(check(reuse, 'RFC6749-6-discard-old').evidence).toBe('refresh 2 (POST /token at 20.0 s) sent refresh token 1, which a rotation replaced at 10.0 s');
    const revokeOld = login([poll(5.1, 'tokens'), req('refresh', 10, { grantType: 'refresh_token', refreshToken: { generation: 1 } }),
      req('revocation', 20, { tokenParam: true, revoked: 'refresh_token', refreshToken: { generation: 1, replacedAt: ms(10.01) } })]);
    expect(failing(revokeOld)).toEqual(['RFC6749-6-discard-old']);
    expect(result(login([poll(5.1, 'tokens')]), 'RFC6749-6-discard-old')).toBe('not observed');
  });

  test('grades RFC6749-6-scope-subset: a refresh asking for a scope never granted fails', () => {
    const wider = login([poll(5.1, 'tokens'), req('refresh', 10, { grantType: 'refresh_token', refreshToken: { generation: 1 }, scope: ['profile', 'projects:admin'], status: 400, error: 'invalid_scope' })]);
    expect(failing(wider)).toEqual(['RFC6749-6-scope-subset']);
    const narrower = login([poll(5.1, 'tokens'), req('refresh', 10, { grantType: 'refresh_token', refreshToken: { generation: 1 }, scope: ['profile'] })]);
    expect(result(narrower, 'RFC6749-6-scope-subset')).toBe('pass');
  });

  test('grades RFC7009-2.1-request: a revocation without client_id fails; the evidence says which tokens were revoked', () => {
    const bad = login([poll(5.1, 'tokens'), req('revocation', 10, { tokenParam: true, revoked: 'access_token', clientIdSent: false })]);
    expect(failing(bad)).toEqual(['RFC8628-3.1-client_id', 'RFC7009-2.1-request']);
    const accessOnly = login([poll(5.1, 'tokens'), req('revocation', 10, { tokenParam: true, revoked: 'access_token' })]);
    expect(check(accessOnly, 'RFC7009-2.1-request')).toMatchObject({ result: 'pass', evidence: 'revoked the access token at 10.0 s; the refresh token was not revoked' });
  });

  test('grades RFC6750-2.1-client, RFC6750-2.3-no-query, RFC6750-2-one-method: the token in the query string, or in two places', () => {
    const query = login([poll(5.1, 'tokens'), req('api', 10, { tokenIn: { query: true, body: false } })]);
    expect(failing(query)).toEqual(['RFC6750-2.1-client', 'RFC6750-2.3-no-query']);
    const both = login([poll(5.1, 'tokens'), req('api', 10, { tokenIn: { header: 'Bearer', query: true, body: false }, status: 400 })]);
    expect(failing(both)).toEqual(['RFC6750-2.3-no-query', 'RFC6750-2-one-method']);
    expect(result(login([poll(5.1, 'tokens')]), 'RFC6750-2.1-client')).toBe('not observed');
  });

  test('user-agent: a request without User-Agent fails', () => {
    const flow = login([poll(5.1, 'pending', { userAgent: undefined })]);
    expect(failing(flow)).toEqual(['user-agent']);
    expect(check(good(), 'user-agent').evidence).toBe('"my-cli/1.0" on all 8 requests');
  });

  test('DPoP rows, when the server requires DPoP: a proof on every token request, well formed, fresh, with ath and the nonce', () => {
    const proof = (n: number, extra: Partial<NonNullable<ObservedRequest['dpop']>> = {}) =>
      ({ typ: 'dpop+jwt', alg: 'ES256', privateKeyInJwk: false, jti: `jti-${n}`, htm: 'POST', htu: `${ISSUER}/token`, iat: 1, ...extra });
    const okFlow = login([
      poll(5.1, 'use_dpop_nonce', { dpopHeaders: 1, dpop: proof(1), sentNonce: true, status: 400 }),
    ], { dpop: true });
    // use_dpop_nonce is not final: the client retries at once with the nonce, and the retry's gap counts from before.
    okFlow.requests.push(poll(5.2, 'pending', { dpopHeaders: 1, dpop: proof(4, { nonce: 'n1' }) }), poll(10.3, 'tokens', { dpopHeaders: 1, dpop: proof(2, { nonce: 'n1' }) }),
      req('api', 11, { tokenIn: { header: 'DPoP', query: false, body: false }, dpopHeaders: 1, dpop: proof(3, { htm: 'GET', htu: `${ISSUER}/api/me`, ath: 'A' }), expectedAth: 'A' }));
    const dpopChecks = gradeFlow(okFlow, LEEWAY).filter((c) => c.id.startsWith('RFC9449'));
    expect(dpopChecks.map((c) => [c.id, c.result])).toEqual([
      ['RFC9449-5-token-request', 'pass'], ['RFC9449-4.2-header', 'pass'], ['RFC9449-4.2-claims', 'pass'], ['RFC9449-4.2-ath', 'pass'],
      ['RFC9449-4.2-nonce', 'pass'], ['RFC9449-7.3-fresh-proof', 'pass'],
    ]);
    expect(failing(okFlow)).toEqual([]);
    expect(result(okFlow, 'RFC8628-3.5-wait-interval')).toBe('pass');
    const badFlow = login([
      poll(5.1, 'pending', { dpopHeaders: 0 }),
      poll(10.2, 'pending', { dpopHeaders: 1, dpop: proof(1, { typ: 'JWT', htu: `${ISSUER}/token?x=1` }), sentNonce: true }),
      poll(15.3, 'tokens', { dpopHeaders: 1, dpop: proof(1) }),
      req('api', 16, { tokenIn: { header: 'DPoP', query: false, body: false }, dpopHeaders: 1, dpop: proof(4, { htm: 'GET', htu: `${ISSUER}/api/me` }), expectedAth: 'A' }),
    ], { dpop: true });
    expect(failing(badFlow).filter((id) => id.startsWith('RFC9449'))).toEqual([
      'RFC9449-5-token-request', 'RFC9449-4.2-header', 'RFC9449-4.2-claims', 'RFC9449-4.2-ath', 'RFC9449-4.2-nonce', 'RFC9449-7.3-fresh-proof',
    ]);
  });

  test('the card lists failures first (MUST-level before SHOULD), and the JSON report has the documented shape', () => {
    const flow = login([poll(1.2, 'pending', { userAgent: undefined })]);
    const sorted = sortForCard(gradeFlow(flow, LEEWAY));
    expect(sorted.slice(0, 2).map((c) => [c.id, c.result])).toEqual([['RFC8628-3.5-wait-interval', 'fail'], ['user-agent', 'fail']]);
    expect(isMustLevel('MUST NOT')).toBe(true);
    expect(isMustLevel('SHOULD')).toBe(false);
    const report = reportOf([flow], ms(2), LEEWAY);
    expect(report).toEqual({ flows: [{ client_id: 'my-cli', user_agent: 'my-cli/1.0', started_at: '2026-01-05T09:00:00.000Z', outcome: 'pending', checks: expect.any(Array) }] });
    for (const c of report.flows[0]!.checks) expect(Object.keys(c)).toEqual(['id', 'level', 'result', 'evidence']);
    const text = cardText(report.flows[0]!, 1);
    expect(text.split('\n').slice(0, 3)).toEqual([
      'Report card 1: my-cli, started 2026-01-05T09:00:00.000Z, outcome pending, User-Agent "my-cli/1.0"',
      expect.stringMatching(/^ {2}2 failed \(1 MUST-level\), \d+ passed, \d+ not observed$/),
      expect.stringMatching(/^ {2}FAIL {9}MUST {7}RFC8628-3.5-wait-interval +polls wait the interval$/),
    ]);
  });
});
