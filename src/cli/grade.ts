/**
 * `grade-idp`: what one real device login showed about an identity provider, line by line, against RFC 8628 and
 * its neighbours (RFC 8414, RFC 6749, RFC 7009, RFC 9449, RFC 9700). Pure: it reads the recorded exchanges
 * (recorder.ts) and nothing else, so every line is something the provider actually did. Each line is `pass`,
 * `deviation` or `not observed`, with the section that says what is expected.
 *
 * Documented quirks of GitHub, Microsoft Entra and Google are named when the exchanges show them (each quirk
 * is recognised from what was seen, never from the host name), with where the provider documents it.
 */
import { DEVICE_CODE_GRANT_TYPE, REFRESH_TOKEN_GRANT_TYPE } from '../protocol/constants.ts';
import { BASE20_ALPHABET } from '../protocol/userCode.ts';
import type { Recorded } from './recorder.ts';

export type GradeStatus = 'pass' | 'deviation' | 'not observed';
export type Provider = 'GitHub' | 'Entra' | 'Google';

export interface GradeLine {
  id: string;
  status: GradeStatus;
  /** What was checked, e.g. "interval". */
  subject: string;
  /** What was seen. Never a token, a device code or a secret. */
  detail: string;
  rfc: string;
}

export interface Quirk {
  provider: Provider;
  id: string;
  text: string;
  /** Where the provider documents it. */
  source: string;
}

export interface GradeReport {
  issuer: string;
  clientId: string;
  lines: GradeLine[];
  quirks: Quirk[];
  /** Providers whose documented quirks were recognised. */
  recognised: Provider[];
}

export interface GradeOptions {
  issuer: string;
  clientId: string;
  /** Endpoints came from the command line (no metadata was read). */
  explicitEndpoints: boolean;
  /** `--probe-slow-down` was given (one early poll was sent on purpose). */
  probedSlowDown: boolean;
  /** A client secret was sent. */
  clientSecret: boolean;
  /** DPoP proofs were sent (`--dpop`). */
  dpop: boolean;
}

/** GitHub Apps' user tokens: expiring tokens with refresh_token and refresh_token_expires_in. */
const GITHUB_APP_DOCS = 'docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens';

const DOCS: Record<Provider, string> = {
  GitHub: 'docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#device-flow',
  Entra: 'learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-device-code',
  Google: 'developers.google.com/identity/protocols/oauth2/limited-input-device',
};

const REGISTERED_ERRORS = new Set([
  // RFC 6749 §5.2
  'invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope',
  // RFC 8628 §3.5
  'authorization_pending', 'slow_down', 'access_denied', 'expired_token',
  // RFC 9449 §12.2, RFC 7009 §2.2.1
  'invalid_dpop_proof', 'use_dpop_nonce', 'unsupported_token_type',
]);

interface Parsed {
  x: Recorded;
  status: number;
  body?: Record<string, unknown>;
  /** Body was form-urlencoded rather than JSON. */
  form: boolean;
  header(name: string): string | undefined;
  requestForm: URLSearchParams;
}

function parse(x: Recorded): Parsed | undefined {
  if (!x.response) return undefined;
  const headers = new Map(x.response.headers.map(([k, v]) => [k.toLowerCase(), v]));
  const type = headers.get('content-type') ?? '';
  let body: Record<string, unknown> | undefined;
  let form = false;
  if (/x-www-form-urlencoded/i.test(type)) {
    body = Object.fromEntries(new URLSearchParams(x.response.body));
    form = true;
  } else {
    try {
      const v: unknown = JSON.parse(x.response.body);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) body = v as Record<string, unknown>;
    } catch {
      body = undefined;
    }
  }
  return { x, status: x.response.status, ...(body ? { body } : {}), form, header: (n) => headers.get(n), requestForm: new URLSearchParams(x.request.body) };
}

const errorOf = (p: Parsed): string | undefined => (typeof p.body?.error === 'string' && p.body.error !== '' ? p.body.error : undefined);
const has = (p: Parsed | undefined, key: string) => p?.body !== undefined && p.body[key] !== undefined && p.body[key] !== null;
const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);

/** How a user code looks: its alphabet (as far as one sample shows), length without separators, separators. */
export function describeUserCode(code: string): { alphabet: string; size: number; length: number; separators: string; bits: number } {
  const chars = code.replace(/[\s-]/g, '');
  const separators = [...new Set(code.replace(/[^\s-]/g, ''))].map((c) => (c === ' ' ? 'space' : `'${c}'`)).join(', ');
  const upper = chars.toUpperCase();
  let alphabet: string;
  let size: number;
  if ([...upper].every((c) => BASE20_ALPHABET.includes(c)) && chars.length > 0) [alphabet, size] = ['base-20 (consonants, RFC 8628 §6.1)', 20];
  else if (/^[0-9]+$/.test(chars)) [alphabet, size] = ['digits', 10];
  else if (/^[A-Z]+$/i.test(chars)) [alphabet, size] = ['letters A-Z', 26];
  else if (/^[A-Z0-9]+$/i.test(chars)) [alphabet, size] = ['letters and digits', 36];
  else [alphabet, size] = ['other characters', 62];
  return { alphabet, size, length: chars.length, separators, bits: Math.round(chars.length * Math.log2(size) * 10) / 10 };
}

/** RFC 8628 §6.1's weakest example is 9 digits ("019-450-730"): about 29.9 bits. */
const MIN_USER_CODE_BITS = 9 * Math.log2(10) - 0.05;

export function gradeExchanges(log: readonly Recorded[], opts: GradeOptions): GradeReport {
  const lines: GradeLine[] = [];
  const quirks: Quirk[] = [];
  const line = (id: string, status: GradeStatus, subject: string, detail: string, rfc: string) => lines.push({ id, status, subject, detail, rfc });
  const quirk = (provider: Provider, id: string, text: string) => {
    if (!quirks.some((q) => q.id === id)) quirks.push({ provider, id, text, source: id === 'github-rt-expiry' ? GITHUB_APP_DOCS : DOCS[provider] });
  };

  const parsed = log.map(parse);
  const all = parsed.filter((p): p is Parsed => p !== undefined);
  const discovery = all.filter((p) => p.x.role === 'discovery');
  const metadata = discovery.find((p) => p.status === 200 && p.body);
  const device = all.find((p) => p.x.role === 'device_authorization' && p.status === 200 && !errorOf(p));
  const deviceAny = all.filter((p) => p.x.role === 'device_authorization');
  const tokenCalls = all.filter((p) => p.x.role === 'token');
  const polls = tokenCalls.filter((p) => p.requestForm.get('grant_type') === DEVICE_CODE_GRANT_TYPE);
  const machinePolls = polls.filter((p) => !p.x.probe);
  const refreshes = tokenCalls.filter((p) => p.requestForm.get('grant_type') === REFRESH_TOKEN_GRANT_TYPE);
  const revocations = all.filter((p) => p.x.role === 'revocation');
  const granted = machinePolls.find((p) => p.status === 200 && !errorOf(p) && has(p, 'access_token'));
  const tokenAnswers = [...(granted ? [granted] : []), ...refreshes.filter((p) => !errorOf(p) && has(p, 'access_token'))];
  const errors = [...deviceAny, ...tokenCalls, ...revocations].filter((p) => errorOf(p) !== undefined || (p.status >= 400 && p.x.role !== 'revocation'));

  // --- Paths that name a provider (documented endpoints; the path is the provider's own API).
  for (const p of [...deviceAny, ...tokenCalls]) {
    const path = new URL(p.x.request.url).pathname;
    if (/\/login\/device\/code$|\/login\/oauth\/access_token$/.test(path)) quirk('GitHub', 'github-paths', 'device flow at /login/device/code and /login/oauth/access_token (GitHub publishes no RFC 8414 or OpenID metadata)');
    if (/\/oauth2\/v2\.0\/(devicecode|token)$/.test(path)) quirk('Entra', 'entra-paths', 'device flow at /{tenant}/oauth2/v2.0/devicecode and /oauth2/v2.0/token');
  }

  // --- Metadata (RFC 8414 §2-3; OpenID Connect Discovery 1.0 §4; RFC 8628 §4)
  if (opts.explicitEndpoints) {
    line('metadata', 'not observed', 'metadata', 'not read: the endpoints were given on the command line', 'RFC 8414 §3');
  } else if (!metadata) {
    line('metadata', 'deviation', 'metadata', `no metadata document (${discovery.map((p) => `${new URL(p.x.request.url).pathname} ${p.status}`).join(', ') || 'no answer'})`, 'RFC 8414 §3; RFC 8628 §4');
  } else {
    const path = new URL(metadata.x.request.url).pathname;
    const rfc8414 = path.includes('/.well-known/oauth-authorization-server');
    line('metadata', 'pass', 'metadata', rfc8414 ? `RFC 8414 document at ${path}` : `OpenID Connect discovery at ${path} (no RFC 8414 document)`, rfc8414 ? 'RFC 8414 §3' : 'OpenID Connect Discovery 1.0 §4; RFC 8414 §3');
    const m = metadata.body!;
    line('metadata.device_authorization_endpoint', typeof m.device_authorization_endpoint === 'string' ? 'pass' : 'deviation', 'device_authorization_endpoint',
      typeof m.device_authorization_endpoint === 'string' ? String(m.device_authorization_endpoint) : 'missing', 'RFC 8628 §4');
    const grants = list(m.grant_types_supported);
    line('metadata.grant_types_supported', m.grant_types_supported === undefined ? 'deviation' : grants.includes(DEVICE_CODE_GRANT_TYPE) ? 'pass' : 'deviation', 'grant_types_supported',
      m.grant_types_supported === undefined ? 'missing (RFC 8414 §2 then means authorization_code and implicit only)' : grants.includes(DEVICE_CODE_GRANT_TYPE) ? `lists the device_code grant${grants.includes('refresh_token') ? ' and refresh_token' : ''}` : `does not list ${DEVICE_CODE_GRANT_TYPE}: ${grants.join(', ')}`,
      'RFC 8414 §2; RFC 8628 §4');
    line('metadata.revocation_endpoint', typeof m.revocation_endpoint === 'string' ? 'pass' : 'not observed', 'revocation_endpoint',
      typeof m.revocation_endpoint === 'string' ? String(m.revocation_endpoint) : 'not published: tokens cannot be revoked by the CLI', 'RFC 8414 §2; RFC 7009 §2');
    const algs = list(m.dpop_signing_alg_values_supported);
    line('metadata.dpop_signing_alg_values_supported', algs.length ? 'pass' : 'not observed', 'dpop_signing_alg_values_supported',
      algs.length ? algs.join(', ') : 'not published (no DPoP advertised)', 'RFC 9449 §5.1');
  }

  // --- Device authorization response (RFC 8628 §3.2)
  if (!device) {
    const refused = deviceAny.find((p) => errorOf(p));
    line('device', 'not observed', 'device authorization', refused ? `refused: ${errorOf(refused)} (HTTP ${refused.status})` : 'no device authorization response', 'RFC 8628 §3.2');
  } else {
    const b = device.body!;
    const expires = Number(b.expires_in);
    line('device.expires_in', Number.isInteger(expires) && expires > 0 ? 'pass' : 'deviation', 'expires_in',
      b.expires_in === undefined ? 'missing (REQUIRED)' : `${String(b.expires_in)} s`, 'RFC 8628 §3.2');
    const interval = b.interval === undefined ? undefined : Number(b.interval);
    line('device.interval', interval === undefined || (Number.isInteger(interval) && interval > 0) ? 'pass' : 'deviation', 'interval',
      interval === undefined ? 'not sent (OPTIONAL; clients wait 5 s)' : `${String(b.interval)} s`, 'RFC 8628 §3.2');
    if (b.verification_uri !== undefined) {
      line('device.verification_uri', 'pass', 'verification_uri', String(b.verification_uri), 'RFC 8628 §3.2');
    } else if (b.verification_url !== undefined) {
      line('device.verification_uri', 'deviation', 'verification_uri', `sent as verification_url (${String(b.verification_url)})`, 'RFC 8628 §3.2');
      quirk('Google', 'google-verification-url', 'the verification URI is sent as verification_url, not verification_uri');
    } else {
      line('device.verification_uri', 'deviation', 'verification_uri', 'missing (REQUIRED)', 'RFC 8628 §3.2');
    }
    line('device.verification_uri_complete', b.verification_uri_complete !== undefined ? 'pass' : 'not observed', 'verification_uri_complete',
      b.verification_uri_complete !== undefined ? 'sent (QR code and one-click link possible)' : 'not sent (OPTIONAL): the person types the code', 'RFC 8628 §3.3.1');
    if (typeof b.user_code === 'string') {
      const u = describeUserCode(b.user_code);
      const strong = u.bits >= MIN_USER_CODE_BITS;
      line('device.user_code', strong ? 'pass' : 'deviation', 'user code',
        `${u.length} characters of ${u.alphabet}${u.separators ? `, separated by ${u.separators}` : ''}: about ${u.bits} bits as seen${strong ? '' : ' (below the 9 digits of RFC 8628 §6.1)'}`,
        'RFC 8628 §6.1, §5.1');
    } else {
      line('device.user_code', 'deviation', 'user code', 'missing (REQUIRED)', 'RFC 8628 §3.2');
    }
    if (typeof b.message === 'string') quirk('Entra', 'entra-message', 'the device authorization response carries a human-readable message');
  }

  // --- Cache-Control: no-store and Pragma: no-cache on answers that carry secrets (RFC 6749 §5.1)
  const cacheLine = (id: string, subject: string, answers: Parsed[], rfc: string) => {
    if (answers.length === 0) return line(id, 'not observed', subject, 'no such answer seen', rfc);
    const missing = new Set<string>();
    for (const p of answers) {
      if (!/(^|,)\s*no-store\s*(,|$)/i.test(p.header('cache-control') ?? '')) missing.add('Cache-Control: no-store');
      if (!/no-cache/i.test(p.header('pragma') ?? '')) missing.add('Pragma: no-cache');
    }
    const onlyPragma = missing.size === 1 && missing.has('Pragma: no-cache');
    line(id, missing.size === 0 ? 'pass' : 'deviation', subject,
      missing.size === 0
        ? `Cache-Control: no-store and Pragma: no-cache on ${answers.length === 1 ? 'it' : `all ${answers.length}`}`
        : `missing ${[...missing].join(' and ')}${onlyPragma ? ' (Cache-Control: no-store is there; RFC 9111 §5.4 deprecates Pragma and OAuth 2.1 drops it)' : ''}`,
      rfc);
  };
  cacheLine('cache.device', 'no-store on the device code answer', device ? [device] : [], 'RFC 6749 §5.1; RFC 8628 §3.2');
  cacheLine('cache.token', 'no-store on token answers', tokenAnswers, 'RFC 6749 §5.1');

  // --- Error bodies (RFC 6749 §5.2: JSON, an `error` code, HTTP 400, or 401 for invalid_client)
  const errorBodies = errors.filter((p) => p.x.role !== 'revocation');
  if (errorBodies.length === 0) {
    line('errors.format', 'not observed', 'error answers', 'no error answer seen', 'RFC 6749 §5.2');
  } else {
    const problems = new Set<string>();
    for (const p of errorBodies) {
      const e = errorOf(p);
      const type = p.header('content-type') ?? '';
      if (!e) problems.add(`HTTP ${p.status} without an error code`);
      else if (p.status === 200) problems.add(`${e} with HTTP 200`);
      else if (!(p.status === 400 || (p.status === 401 && e === 'invalid_client'))) problems.add(`${e} with HTTP ${p.status}`);
      if (!/application\/json/i.test(type)) problems.add(`Content-Type ${type || '(none)'}`);
    }
    const codes = [...new Set(errorBodies.map(errorOf).filter(Boolean))].join(', ');
    line('errors.format', problems.size === 0 ? 'pass' : 'deviation', 'error answers',
      problems.size === 0 ? `${errorBodies.length} seen (${codes}): JSON with error, HTTP 400` : [...problems].join('; '), 'RFC 6749 §5.2');
    if (errorBodies.some((p) => p.status === 200 && errorOf(p))) quirk('GitHub', 'github-errors-200', 'errors are answered with HTTP 200 and the error in the body');
    if (errorBodies.some((p) => (p.status === 428 && errorOf(p) === 'authorization_pending') || (p.status === 403 && ['slow_down', 'access_denied'].includes(errorOf(p) ?? '')))) {
      quirk('Google', 'google-error-status', 'authorization_pending is HTTP 428, slow_down and access_denied HTTP 403');
    }
    const unregistered = [...new Set(errorBodies.map(errorOf).filter((e): e is string => e !== undefined && !REGISTERED_ERRORS.has(e)))];
    line('errors.codes', unregistered.length ? 'deviation' : 'pass', 'error codes',
      unregistered.length ? `not registered: ${unregistered.join(', ')}` : `registered codes only (${codes || 'none'})`, 'RFC 8628 §3.5; RFC 6749 §5.2');
    for (const e of unregistered) {
      if (e === 'authorization_declined') quirk('Entra', 'entra-declined', 'a denial is authorization_declined, not access_denied');
      if (e === 'bad_verification_code') quirk('Entra', 'entra-bad-code', 'an unknown device code is bad_verification_code, not invalid_grant');
      if (e === 'incorrect_device_code') quirk('GitHub', 'github-incorrect-code', 'an unknown device code is incorrect_device_code');
      if (e === 'incorrect_client_credentials') quirk('GitHub', 'github-client-credentials', 'a bad client is incorrect_client_credentials');
    }
    if (errorBodies.some((p) => Array.isArray(p.body?.error_codes) || typeof p.body?.trace_id === 'string')) {
      quirk('Entra', 'entra-error-extras', 'error bodies add error_codes (AADSTS numbers), trace_id and correlation_id');
    }
    const secretMissing = (p: Parsed) => ['invalid_client', 'invalid_request'].includes(errorOf(p) ?? '') && /client_secret/i.test(String(p.body?.error_description ?? ''));
    if (!opts.clientSecret && polls.some(secretMissing)) {
      quirk('Google', 'google-secret', 'polling needs the client_secret, even for a "TVs and Limited Input devices" client');
    }
  }

  // --- slow_down (RFC 8628 §3.5)
  const slowDowns = polls.filter((p) => errorOf(p) === 'slow_down');
  const probe = polls.find((p) => p.x.probe);
  if (opts.probedSlowDown && probe) {
    const got = errorOf(probe) ?? `HTTP ${probe.status}`;
    line('poll.slow_down', got === 'slow_down' ? 'pass' : 'deviation', 'slow_down when polled early',
      got === 'slow_down' ? `an early poll got slow_down${has(probe, 'interval') ? ` with interval ${String(probe.body!.interval)}` : ''}` : `an early poll got ${got}: the polling interval is not enforced`,
      'RFC 8628 §3.5');
  } else if (slowDowns.length) {
    line('poll.slow_down', 'pass', 'slow_down', `sent ${slowDowns.length} time(s)`, 'RFC 8628 §3.5');
  } else {
    line('poll.slow_down', 'not observed', 'slow_down when polled early', opts.probedSlowDown ? 'the probe could not be sent (no pending poll)' : 'not probed (the CLI never polls early; --probe-slow-down sends one early poll)', 'RFC 8628 §3.5');
  }
  if (slowDowns.some((p) => has(p, 'interval'))) quirk('GitHub', 'github-slowdown-interval', 'slow_down carries the new interval in the body');

  // --- The tokens (RFC 6749 §5.1, §3.3)
  if (!granted) {
    const last = machinePolls.at(-1);
    line('token', 'not observed', 'token response', last ? `no tokens (last poll: ${errorOf(last) ?? `HTTP ${last.status}`})` : 'no poll was answered', 'RFC 8628 §3.5');
  } else {
    const b = granted.body!;
    const type = String(b.token_type ?? '');
    line('token.token_type', /^(bearer|dpop)$/i.test(type) ? 'pass' : 'deviation', 'token_type', type || 'missing', 'RFC 6749 §5.1, §7.1');
    if (type === 'bearer') quirk('GitHub', 'github-lowercase-bearer', 'token_type is lowercase "bearer" (valid: it is case-insensitive)');
    const scope = typeof b.scope === 'string' ? b.scope : undefined;
    line('token.scope', scope === undefined || !scope.includes(',') ? 'pass' : 'deviation', 'scope',
      scope === undefined ? 'not sent (as requested)' : scope.includes(',') ? `comma-separated ("${scope}"), not space-delimited` : `"${scope}"`, 'RFC 6749 §3.3, §5.1');
    if (scope?.includes(',')) quirk('GitHub', 'github-comma-scope', 'scope is comma-separated');
    line('token.expires_in', has(granted, 'expires_in') ? 'pass' : 'deviation', 'access token lifetime',
      has(granted, 'expires_in') ? `${String(b.expires_in)} s` : 'expires_in not sent (RECOMMENDED): the CLI cannot tell when the token ends', 'RFC 6749 §5.1');
    if (has(granted, 'refresh_token_expires_in')) quirk('GitHub', 'github-rt-expiry', 'refresh_token_expires_in gives the refresh token\'s lifetime');
  }

  // --- Refresh (RFC 6749 §6; RFC 9700 §2.2.2, §4.14.2)
  if (!granted || !has(granted, 'refresh_token')) {
    line('refresh.rotation', 'not observed', 'refresh token rotation', granted ? 'no refresh token was issued' : 'no tokens', 'RFC 9700 §4.14.2; RFC 6749 §6');
  } else if (refreshes.length === 0) {
    line('refresh.rotation', 'not observed', 'refresh token rotation', 'no refresh was sent', 'RFC 9700 §4.14.2; RFC 6749 §6');
  } else {
    const r = refreshes[0]!;
    const sent = r.requestForm.get('refresh_token');
    if (errorOf(r) || r.status !== 200) {
      line('refresh.rotation', 'deviation', 'refresh token rotation', `the refresh was refused: ${errorOf(r) ?? `HTTP ${r.status}`}`, 'RFC 6749 §6');
    } else if (has(r, 'refresh_token') && r.body!.refresh_token !== sent) {
      line('refresh.rotation', 'pass', 'refresh token rotation', 'a new refresh token with every refresh', 'RFC 9700 §4.14.2; RFC 6749 §6');
    } else {
      const bound = String(r.body?.token_type ?? '').toLowerCase() === 'dpop';
      line('refresh.rotation', bound ? 'pass' : 'deviation', 'refresh token rotation',
        bound ? 'not rotated, but sender-constrained (DPoP)' : 'not rotated: a public client\'s refresh token must be rotated or sender-constrained', 'RFC 9700 §4.14.2');
    }
    if (has(r, 'refresh_token_expires_in')) quirk('GitHub', 'github-rt-expiry', 'refresh_token_expires_in gives the refresh token\'s lifetime');
  }

  // --- Revocation (RFC 7009 §2.2)
  if (revocations.length === 0) {
    line('revocation', 'not observed', 'revocation', 'no revocation was sent (no revocation endpoint)', 'RFC 7009 §2.2');
  } else {
    const statuses = revocations.map((p) => `${p.requestForm.get('token_type_hint') ?? 'token'} ${p.status}${errorOf(p) ? ` ${errorOf(p)}` : ''}`);
    const unsupported = revocations.filter((p) => errorOf(p) === 'unsupported_token_type').map((p) => p.requestForm.get('token_type_hint') ?? 'token');
    line('revocation', revocations.every((p) => p.status === 200) ? 'pass' : 'deviation', 'revocation',
      `${statuses.join(', ')}${unsupported.length ? ` (RFC 7009 §2.2.1 allows refusing a token type; the ${unsupported.join(' and ').replace(/_/g, ' ')} stays valid until it expires)` : ''}`,
      unsupported.length ? 'RFC 7009 §2.2, §2.2.1' : 'RFC 7009 §2.2');
  }

  const recognised = [...new Set(quirks.map((q) => q.provider))];
  // Quirks that are only absences are named for a provider already recognised from what it did.
  if (device && device.body!.verification_uri_complete === undefined) {
    for (const p of recognised) quirk(p, `${p.toLowerCase()}-no-complete`, 'verification_uri_complete is never sent');
  }
  return { issuer: opts.issuer, clientId: opts.clientId, lines, quirks, recognised };
}

const STATUS_WIDTH = 'not observed'.length;

/** The report as the terminal shows it. */
export function formatReport(report: GradeReport): string {
  const out = [`Device flow report for ${report.issuer} (client ${report.clientId})`, ''];
  const rfcWidth = Math.min(32, Math.max(...report.lines.map((l) => l.rfc.length)));
  for (const l of report.lines) out.push(`  ${l.status.padEnd(STATUS_WIDTH)}  ${l.rfc.padEnd(rfcWidth)}  ${l.subject}: ${l.detail}`);
  const counts = (s: GradeStatus) => report.lines.filter((l) => l.status === s).length;
  out.push('', `${counts('pass')} pass, ${counts('deviation')} deviation, ${counts('not observed')} not observed`);
  if (report.quirks.length) {
    out.push('', 'Documented provider quirks recognised:');
    for (const q of report.quirks) out.push(`  ${q.provider}: ${q.text} (${q.source})`);
  } else {
    out.push('No documented quirk of GitHub, Entra or Google recognised.');
  }
  return out.join('\n');
}
