/**
 * The grade is a pure function of the recorded exchanges: each line says what the provider did, and a line
 * only passes when the exchange shows it. Both sides: a provider that does it right, and one that does not.
 */
import { describe, expect, test } from 'vitest';
import { DEVICE_CODE_GRANT_TYPE } from '../protocol/constants.ts';
import { describeUserCode, gradeExchanges, type GradeOptions } from './grade.ts';
import type { Recorded } from './recorder.ts';

const ISSUER = 'https://idp.example.test';
const OPTS: GradeOptions = { issuer: ISSUER, clientId: 'cli', explicitEndpoints: false, probedSlowDown: false, clientSecret: false, dpop: false };
const NO_STORE: Array<[string, string]> = [['content-type', 'application/json'], ['cache-control', 'no-store'], ['pragma', 'no-cache']];

let id = 0;
function ex(role: Recorded['role'], form: Record<string, string>, status: number, body: unknown, headers = NO_STORE, probe = false): Recorded {
  return {
    id: ++id,
    role,
    ...(probe ? { probe: true } : {}),
    startedAt: 0,
    request: { method: role === 'discovery' ? 'GET' : 'POST', url: `${ISSUER}/${role}`, headers: [], body: new URLSearchParams(form).toString() },
    response: { at: 0, status, headers, body: JSON.stringify(body) },
  };
}

function flow(o: { userCode?: string; rotate?: boolean; headers?: Array<[string, string]>; pendingStatus?: number } = {}): Recorded[] {
  const h = o.headers ?? NO_STORE;
  return [
    ex('discovery', {}, 200, { issuer: ISSUER, device_authorization_endpoint: `${ISSUER}/device`, token_endpoint: `${ISSUER}/token`, grant_types_supported: [DEVICE_CODE_GRANT_TYPE] }),
    ex('device_authorization', { client_id: 'cli' }, 200, { device_code: 'dc', user_code: o.userCode ?? 'WDJB-MJHT', verification_uri: `${ISSUER}/d`, expires_in: 600 }, h),
    ex('token', { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: 'dc' }, o.pendingStatus ?? 400, { error: 'authorization_pending' }, h),
    ex('token', { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: 'dc' }, 200, { access_token: 'at', token_type: 'Bearer', expires_in: 60, refresh_token: 'rt1' }, h),
    ex('token', { grant_type: 'refresh_token', refresh_token: 'rt1' }, 200, { access_token: 'at2', token_type: 'Bearer', expires_in: 60, refresh_token: o.rotate === false ? 'rt1' : 'rt2' }, h),
  ];
}

const status = (log: Recorded[], lineId: string, opts = OPTS) => gradeExchanges(log, opts).lines.find((l) => l.id === lineId);

describe('grade lines, both sides', () => {
  test('Cache-Control and Pragma: pass with both; a deviation naming what is missing', () => {
    expect(status(flow(), 'cache.token')?.status).toBe('pass');
    const bare: Array<[string, string]> = [['content-type', 'application/json']];
    expect(status(flow({ headers: bare }), 'cache.token')).toMatchObject({ status: 'deviation', detail: 'missing Cache-Control: no-store and Pragma: no-cache' });
    expect(status(flow({ headers: bare }), 'cache.device')?.status).toBe('deviation');
  });

  test('refresh rotation: pass when a new refresh token comes back; a deviation for a public client when the same one does', () => {
    expect(status(flow(), 'refresh.rotation')?.status).toBe('pass');
    expect(status(flow({ rotate: false }), 'refresh.rotation')).toMatchObject({ status: 'deviation', rfc: 'RFC 9700 §4.14.2' });
  });

  test('RFC 6749 §5.2 error status: 400 passes; 200 is a deviation and GitHub\'s quirk; 428 is Google\'s', () => {
    expect(status(flow(), 'errors.format')?.status).toBe('pass');
    const github = gradeExchanges(flow({ pendingStatus: 200 }), OPTS);
    expect(github.lines.find((l) => l.id === 'errors.format')).toMatchObject({ status: 'deviation', detail: 'authorization_pending with HTTP 200' });
    expect(github.quirks.map((q) => q.id)).toEqual(['github-errors-200', 'github-no-complete']);
    expect(gradeExchanges(flow({ pendingStatus: 428 }), OPTS).quirks.map((q) => q.id)).toEqual(['google-error-status', 'google-no-complete']);
    expect(gradeExchanges(flow(), OPTS).quirks).toEqual([]);
  });

  test('user code: 8 base-20 characters pass; 6 digits is below RFC 8628 §6.1', () => {
    expect(status(flow(), 'device.user_code')?.status).toBe('pass');
    expect(status(flow({ userCode: '123-456' }), 'device.user_code')).toMatchObject({ status: 'deviation' });
    expect(describeUserCode('019-450-730')).toMatchObject({ alphabet: 'digits', length: 9, separators: "'-'" });
    expect(describeUserCode('FJYYA2HTB')).toMatchObject({ alphabet: 'letters and digits', length: 9 });
  });

  test('slow_down: not observed unless probed; a probe answered pending is a deviation, slow_down a pass', () => {
    expect(status(flow(), 'poll.slow_down')?.status).toBe('not observed');
    const probe = (error: string) => [...flow(), ex('token', { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: 'dc' }, 400, { error }, NO_STORE, true)];
    expect(status(probe('authorization_pending'), 'poll.slow_down', { ...OPTS, probedSlowDown: true })?.status).toBe('deviation');
    expect(status(probe('slow_down'), 'poll.slow_down', { ...OPTS, probedSlowDown: true })?.status).toBe('pass');
  });

  test('no secret ever appears in the report', () => {
    const text = JSON.stringify(gradeExchanges(flow(), OPTS));
    for (const secret of ['"dc"', '"at"', '"at2"', '"rt1"', '"rt2"']) expect(text).not.toContain(secret);
  });
});
