/**
 * The CLI's side of the protocol, one request builder and one response processor per step, in the style of
 * oauth4webapi: discovery (RFC 8414), device authorization (RFC 8628 §3.1-3.2), the device code poll
 * (RFC 8628 §3.4-3.5), refresh (RFC 6749 §6), revocation (RFC 7009) and protected resource calls
 * (RFC 6750, RFC 9449 §7).
 *
 * Builders return WHATWG `Request`s that never put a secret in a URL and never follow a redirect; processors take
 * the `Response` and either return typed data or throw a `ResponseValidationError` naming the field and what was
 * expected, reading at most `MAX_RESPONSE_BYTES` of it. Processors tolerate the documented deviations of real providers (see the last section of spec/conformance.md): errors
 * with HTTP 200, form-urlencoded bodies, lowercase `bearer`, comma-separated `scope`, `verification_url`.
 * Pure TypeScript: no clock, no XState, no DOM.
 */
import {
  AS_METADATA_PATH,
  OPENID_METADATA_PATH,
  DEVICE_CODE_GRANT_TYPE,
  FORM_CONTENT_TYPE,
  JSON_CONTENT_TYPE,
  REFRESH_TOKEN_GRANT_TYPE,
  TOKEN_EXCHANGE_GRANT_TYPE,
  TOKEN_TYPE_BEARER,
  TOKEN_TYPE_URN,
  TOKEN_TYPE_DPOP,
} from './constants.ts';
import { BodyTooLargeError, textAtMost, withBodyText } from './bodyText.ts';
import { encodeForm } from './form.ts';

// ---------------------------------------------------------------------------------------------------------
// Errors

/** A response did not have the shape the RFC requires: `field` is the member, `expected` what it should be. */
export class ResponseValidationError extends Error {
  override readonly name = 'ResponseValidationError';
  constructor(
    readonly context: string,
    readonly field: string,
    readonly expected: string,
    readonly got?: unknown,
  ) {
    super(`${context}: "${field}" must be ${expected}${got === undefined ? ' (it is missing)' : `, got ${describe(got)}`}`);
  }
}

/** The server answered with an RFC 6749 §5.2 error body (whatever the HTTP status, see GitHub). */
export class OAuthResponseError extends Error {
  override readonly name = 'OAuthResponseError';
  constructor(readonly context: string, readonly detail: OAuthError) {
    super(`${context}: ${detail.error}${detail.error_description ? ` (${detail.error_description})` : ''}`);
  }
}

/**
 * "Try again later" at the HTTP level, not an RFC 6749 §5.2 answer: HTTP 429 (RFC 6585 §4) or 503 (RFC 9110
 * §15.6.4) without an error code (or with a "busy" one, `temporarily_unavailable` / `server_error`, as some providers
 * send), or another 5xx without an RFC 6749 error body (a proxy's error page). The request may succeed later;
 * nothing it carried (a refresh token, a device code) is known to be bad. `retryAfter` is the server's
 * `Retry-After`, when it sent one.
 */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
  constructor(
    readonly context: string,
    readonly status: number,
    readonly retryAfter: RetryAfter | undefined,
    readonly detail?: OAuthError,
  ) {
    super(`${context}: HTTP ${status}${detail ? ` (${detail.error})` : ''}, try again later`);
  }
}

/** An endpoint or issuer that is not https (RFC 8628 §3.1, RFC 7009 §2, RFC 6749 §3.2). */
export class InsecureEndpointError extends Error {
  override readonly name = 'InsecureEndpointError';
  constructor(readonly field: string, readonly url: string) {
    super(`${field} must be an https URL (RFC 8628 §3.1, RFC 7009 §2), got ${JSON.stringify(url)}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null) return 'null';
  return typeof value === 'object' ? (Array.isArray(value) ? 'an array' : 'an object') : `${typeof value} ${String(value)}`;
}

/** An RFC 6749 §5.2 error as the client sees it, plus what the HTTP layer carried with it. */
export interface OAuthError {
  error: string;
  error_description?: string;
  error_uri?: string;
  /** GitHub's `slow_down` carries the new interval, seconds. */
  interval?: number;
  status: number;
  /** `Retry-After`, seconds (RFC 7009 §2.2.1 for 503). */
  retryAfterS?: number;
  /** `DPoP-Nonce` response header (RFC 9449 §8). */
  dpopNonce?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Transport security

/** Hosts that `allowInsecureLoopback` permits over plain http. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface UrlPolicy {
  /** Allow http://127.0.0.1, http://localhost and http://[::1] only (a local IdP). Default false. */
  allowInsecureLoopback?: boolean;
  /** Allow plain http to any host (a real CLI's explicit `--insecure`; never a default). Default false. */
  allowInsecure?: boolean;
}

/** Whether `url` is plain http to a loopback host (127.0.0.1, localhost, [::1]). */
export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

/**
 * Check that `url` is https (RFC 8628 §3.1: all requests from the device MUST use TLS; RFC 7009 §2: the
 * revocation URL MUST be https and clients MUST verify that). Returns the parsed URL or throws.
 */
export function assertSecureUrl(field: string, url: string, policy: UrlPolicy = {}): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InsecureEndpointError(field, url);
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:' && (policy.allowInsecure || (policy.allowInsecureLoopback && LOOPBACK_HOSTS.has(parsed.hostname)))) return parsed;
  throw new InsecureEndpointError(field, url);
}

// ---------------------------------------------------------------------------------------------------------
// Bodies

type Body = Record<string, unknown>;

/**
 * The most the CLI reads of any answer, authorization server or API: their answers are a few kilobytes, and a
 * server that sends more (or never stops) fails the step instead of filling the CLI's memory.
 */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** A redirect is not an answer: the request was not sent on (see `requestInit`), and the step fails saying where it pointed. */
function refuseRedirect(context: string, response: Response): void {
  // A browser's fetch gives a redirect it did not follow as an opaque response: status 0, no headers.
  if (response.type !== 'opaqueredirect' && (response.status < 300 || response.status > 399)) return;
  // Where it pointed, in full up to a sane length: the reader wants the host, which a 40-character excerpt can cut.
  const location = response.headers.get('location');
  const where = location ? ` to ${location.length > 200 ? `${location.slice(0, 200)}…` : location}` : '';
  throw new ResponseValidationError(context, '(status)', `an answer, not a redirect${where} (the CLI does not send its request on)`,
    `HTTP ${response.status}`);
}

async function boundedText(context: string, response: Response): Promise<string> {
  try {
    return await textAtMost(response, MAX_RESPONSE_BYTES);
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw new ResponseValidationError(context, '(body)', `at most ${MAX_RESPONSE_BYTES} bytes`, error.seen);
    throw error;
  }
}

interface ParsedBody {
  format: 'json' | 'form';
  body: Body;
}

/**
 * Read a response body as JSON (RFC 6749 §5.1) or, when the server ignored `Accept: application/json` and sent
 * form-urlencoded (GitHub's default), as a form. Anything else is a validation error.
 */
export async function readBody(context: string, response: Response): Promise<ParsedBody> {
  refuseRedirect(context, response);
  const text = await boundedText(context, response);
  const type = response.headers.get('content-type') ?? '';
  if (/x-www-form-urlencoded/i.test(type)) return { format: 'form', body: Object.fromEntries(new URLSearchParams(text)) };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ResponseValidationError(context, '(body)', `a JSON object (HTTP ${response.status}, Content-Type ${JSON.stringify(type)})`, text);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ResponseValidationError(context, '(body)', 'a JSON object', value);
  }
  return { format: 'json', body: value as Body };
}

function requiredString(context: string, body: Body, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') throw new ResponseValidationError(context, field, 'a non-empty string', value);
  return value;
}

function optionalString(context: string, body: Body, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ResponseValidationError(context, field, 'a string when present', value);
  return value;
}

/** A positive integer number of seconds; form bodies carry numbers as digit strings. */
function secondsField(context: string, parsed: ParsedBody, field: string, required: true): number;
function secondsField(context: string, parsed: ParsedBody, field: string, required: false): number | undefined;
function secondsField(context: string, parsed: ParsedBody, field: string, required: boolean): number | undefined {
  const raw = parsed.body[field];
  if (raw === undefined || raw === null) {
    if (required) throw new ResponseValidationError(context, field, 'a positive integer number of seconds', raw);
    return undefined;
  }
  const value = parsed.format === 'form' && typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  // A safe integer: 1e300 is an "integer" to JavaScript, but times 1000 it is no longer a usable instant.
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new ResponseValidationError(context, field, 'a positive integer number of seconds', raw);
  }
  return value;
}

/** The error members of a body, or undefined when it has no `error` (RFC 6749 §5.2; GitHub sends them with 200). */
function errorFrom(parsed: ParsedBody, response: Response): OAuthError | undefined {
  const { body } = parsed;
  if (typeof body.error !== 'string' || body.error === '') return undefined;
  const out: OAuthError = { error: body.error, status: response.status };
  if (typeof body.error_description === 'string') out.error_description = body.error_description;
  if (typeof body.error_uri === 'string') out.error_uri = body.error_uri;
  const interval = Number(body.interval);
  if (body.interval !== undefined && Number.isSafeInteger(interval) && interval > 0) out.interval = interval;
  const retryAfter = retryAfterSeconds(response);
  if (retryAfter !== undefined) out.retryAfterS = retryAfter;
  const nonce = response.headers.get('dpop-nonce');
  if (nonce) out.dpopNonce = nonce;
  return out;
}

/** `Retry-After` in delta-seconds form (RFC 9110 §10.2.3); the HTTP-date form is ignored (no wall clock here). */
export function retryAfterSeconds(response: Response): number | undefined {
  const raw = response.headers.get('retry-after');
  return raw !== null && /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : undefined;
}

/**
 * `Retry-After` (RFC 9110 §10.2.3) in either form: `{ seconds }` (delay-seconds) or `{ date }` (an HTTP-date, as
 * milliseconds since the epoch). No clock here: the caller counts a date from its own "now". Anything else
 * (a negative or fractional number, an unparseable date) is no `Retry-After` at all.
 */
export type RetryAfter = { seconds: number } | { date: number };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms a recipient must also accept (all UTC). */
const HTTP_DATES: ReadonlyArray<[RegExp, (m: RegExpExecArray) => [number, string, number, string, string, string]]> = [
  [/^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/, (m) => [Number(m[3]), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!]],
  [/^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/, (m) => [Number(m[3]) + (Number(m[3]) < 70 ? 2000 : 1900), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!]],
  [/^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/, (m) => [Number(m[6]), m[1]!, Number(m[2]!.trim()), m[3]!, m[4]!, m[5]!]],
];

export function parseRetryAfter(response: Response): RetryAfter | undefined {
  const raw = response.headers.get('retry-after')?.trim();
  if (!raw) return undefined;
  if (/^\d+$/.test(raw)) {
    const seconds = Number(raw);
    return Number.isSafeInteger(seconds) ? { seconds } : undefined;
  }
  for (const [re, parts] of HTTP_DATES) {
    const m = re.exec(raw);
    if (!m) continue;
    const [year, mon, day, h, min, sec] = parts(m);
    const month = MONTHS.indexOf(mon);
    const date = Date.UTC(year, month, day, Number(h), Number(min), Number(sec));
    // Date.UTC rolls 31 Feb over into March: only a date that reads back the same is one.
    const back = new Date(date);
    return month >= 0 && back.getUTCDate() === day && back.getUTCMonth() === month ? { date } : undefined;
  }
  return undefined;
}

/**
 * What every builder also takes: the `signal` that aborts the request (a timeout, Ctrl+C), given to the Request as
 * it is made, as `fetch(url, { signal })` would be (a copy made later to add one costs a second Request).
 */
export interface RequestOptions {
  signal?: AbortSignal | undefined;
}

/**
 * What every request is made with: its signal, and `redirect: 'manual'`. The CLI never follows a redirect: a 307
 * or 308 from the token endpoint would send the same body (a device code, a refresh token) on to whatever URL the
 * answer names. A redirect is an answer the processors refuse (`readBody`), as oauth4webapi does.
 */
const requestInit = (opts: RequestOptions): { redirect: 'manual'; signal?: AbortSignal } =>
  (opts.signal ? { redirect: 'manual', signal: opts.signal } : { redirect: 'manual' });

function formPost(url: string, params: Record<string, string | undefined>, headers: Record<string, string | undefined>, opts: RequestOptions): Request {
  const h = new Headers({ 'Content-Type': FORM_CONTENT_TYPE, Accept: JSON_CONTENT_TYPE });
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) h.set(name, value);
  const body = encodeForm(params);
  return withBodyText(new Request(url, { method: 'POST', headers: h, body, ...requestInit(opts) }), body);
}

// ---------------------------------------------------------------------------------------------------------
// Discovery (RFC 8414)

/** The RFC 8414 §2 members the CLI uses. */
export interface AuthorizationServerMetadata {
  issuer: string;
  token_endpoint: string;
  /** RFC 8628 §4. */
  device_authorization_endpoint: string;
  /** RFC 8414 §2 / RFC 7009; absent when the server cannot revoke. */
  revocation_endpoint?: string;
  grant_types_supported?: string[];
  dpop_signing_alg_values_supported?: string[];
}

/** RFC 8414 §3.1: GET `<issuer>/.well-known/oauth-authorization-server` (path inserted after the host). */
export function discoveryRequest(issuer: string, policy: UrlPolicy = {}, opts: RequestOptions = {}): Request {
  const url = assertSecureUrl('issuer', issuer, policy);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return new Request(`${url.origin}${AS_METADATA_PATH}${path}`, { method: 'GET', headers: { Accept: JSON_CONTENT_TYPE }, ...requestInit(opts) });
}

/**
 * OpenID Connect Discovery 1.0 §4: GET `<issuer>/.well-known/openid-configuration` (path appended to the
 * issuer's), the fallback for providers that publish only OpenID metadata. The document has the same members
 * and the same issuer rule (§4.3), so `processDiscoveryResponse` reads it too.
 */
export function openidDiscoveryRequest(issuer: string, policy: UrlPolicy = {}, opts: RequestOptions = {}): Request {
  const url = assertSecureUrl('issuer', issuer, policy);
  const path = url.pathname.replace(/\/$/, '');
  return new Request(`${url.origin}${path}${OPENID_METADATA_PATH}`, { method: 'GET', headers: { Accept: JSON_CONTENT_TYPE }, ...requestInit(opts) });
}

/**
 * RFC 8414 §3.2-3.3: parse the metadata, check that `issuer` is identical to the one asked for, and that every
 * endpoint the CLI will use is https (RFC 8628 §3.1, RFC 7009 §2). RFC 8628 §4: `device_authorization_endpoint`.
 */
export async function processDiscoveryResponse(issuer: string, response: Response, policy: UrlPolicy = {}): Promise<AuthorizationServerMetadata> {
  const context = 'authorization server metadata';
  if (response.status !== 200) throw new ResponseValidationError(context, '(status)', 'HTTP 200', response.status);
  const { body } = await readBody(context, response);
  const got = requiredString(context, body, 'issuer');
  if (got !== issuer) throw new ResponseValidationError(context, 'issuer', `identical to ${JSON.stringify(issuer)} (RFC 8414 §3.3)`, got);
  const out: AuthorizationServerMetadata = {
    issuer: got,
    token_endpoint: requiredString(context, body, 'token_endpoint'),
    device_authorization_endpoint: requiredString(context, body, 'device_authorization_endpoint'),
  };
  assertSecureUrl('token_endpoint', out.token_endpoint, policy);
  assertSecureUrl('device_authorization_endpoint', out.device_authorization_endpoint, policy);
  const revocation = optionalString(context, body, 'revocation_endpoint');
  if (revocation !== undefined) {
    assertSecureUrl('revocation_endpoint', revocation, policy);
    out.revocation_endpoint = revocation;
  }
  for (const field of ['grant_types_supported', 'dpop_signing_alg_values_supported'] as const) {
    const list = body[field];
    if (Array.isArray(list) && list.every((v) => typeof v === 'string')) out[field] = list as string[];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Device authorization (RFC 8628 §3.1-3.2)

export interface ClientIdentity {
  /** The public client's id; sent on every request (RFC 8628 §3.1, §3.4; RFC 7009 §2.1). */
  clientId: string;
  /**
   * A confidential client's secret, sent in the body as `client_secret` (RFC 6749 §2.3.1; some providers, such
   * as Google, register device-flow clients with one). Never in a URL; absent for a public client.
   */
  clientSecret?: string;
}

/** The client's parameters for a request body: `client_id`, and `client_secret` for a confidential client. */
function clientParams(client: ClientIdentity): Record<string, string | undefined> {
  return { client_id: client.clientId, client_secret: client.clientSecret || undefined };
}

/**
 * RFC 8628 §3.1: POST to the device authorization endpoint, form-urlencoded, with `client_id` (public client,
 * RFC 6749 §3.2.1) and the optional `scope` (RFC 6749 §3.3, space-delimited). No parameter is ever repeated.
 */
export function deviceAuthorizationRequest(endpoint: string, client: ClientIdentity, scope?: readonly string[], opts: RequestOptions = {}): Request {
  return formPost(endpoint, { ...clientParams(client), scope: scope && scope.length ? scope.join(' ') : undefined }, {}, opts);
}

/** RFC 8628 §3.2 device authorization response (with `verification_url` accepted as an alias, as Google sends). */
export interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  /** Lifetime of both codes, seconds. */
  expires_in: number;
  /** Minimum seconds between polls; absent means 5 (RFC 8628 §3.2). */
  interval?: number;
}

/**
 * RFC 8628 §3.2: require `device_code`, `user_code`, `verification_uri` (or Google's `verification_url`) and
 * `expires_in`; `interval` and `verification_uri_complete` are optional; unknown members (Entra's `message`)
 * are ignored. An error body (RFC 6749 §5.2, any status) throws `OAuthResponseError`.
 */
export async function processDeviceAuthorizationResponse(response: Response): Promise<DeviceAuthorizationResponse> {
  const context = 'device authorization response';
  const parsed = await readBody(context, response);
  const error = errorFrom(parsed, response);
  if (error) throw new OAuthResponseError(context, error);
  if (response.status !== 200) throw new ResponseValidationError(context, '(status)', 'HTTP 200 or an error body', response.status);
  const { body } = parsed;
  const uriField = body.verification_uri === undefined && body.verification_url !== undefined ? 'verification_url' : 'verification_uri';
  const out: DeviceAuthorizationResponse = {
    device_code: requiredString(context, body, 'device_code'),
    user_code: requiredString(context, body, 'user_code'),
    verification_uri: webUrl(context, uriField, requiredString(context, body, uriField)),
    expires_in: secondsField(context, parsed, 'expires_in', true),
  };
  const complete = optionalString(context, body, 'verification_uri_complete');
  if (complete !== undefined) out.verification_uri_complete = webUrl(context, 'verification_uri_complete', complete);
  const interval = secondsField(context, parsed, 'interval', false);
  if (interval !== undefined) out.interval = interval;
  return out;
}

/** The user will open it in a browser: only http(s) URLs are shown. */
function webUrl(context: string, field: string, value: string): string {
  let ok = false;
  try {
    ok = ['https:', 'http:'].includes(new URL(value).protocol);
  } catch {
    ok = false;
  }
  if (!ok) throw new ResponseValidationError(context, field, 'an absolute http(s) URL', value);
  return value;
}

// ---------------------------------------------------------------------------------------------------------
// Token endpoint (RFC 8628 §3.4-3.5, RFC 6749 §5-6)

export interface DpopHeader extends RequestOptions {
  /** A fresh DPoP proof for this exact request (RFC 9449 §5). */
  dpop?: string;
}

/**
 * RFC 8628 §3.4: POST to the token endpoint with `grant_type` exactly `urn:ietf:params:oauth:grant-type:device_code`,
 * the `device_code` from §3.2 and `client_id` (a public client does not authenticate, RFC 6749 §3.2.1).
 */
export function deviceCodeGrantRequest(tokenEndpoint: string, client: ClientIdentity, deviceCode: string, opts: DpopHeader = {}): Request {
  return formPost(
    tokenEndpoint,
    { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode, ...clientParams(client) },
    { DPoP: opts.dpop },
    opts,
  );
}

/**
 * RFC 6749 §6: POST with `grant_type=refresh_token`, `refresh_token` and `client_id`. `scope` is left out, so
 * the grant keeps exactly the originally granted scope and can never widen it (RFC 6749 §6 MUST NOT).
 */
export function refreshTokenGrantRequest(tokenEndpoint: string, client: ClientIdentity, refreshToken: string, opts: DpopHeader = {}): Request {
  return formPost(
    tokenEndpoint,
    { grant_type: REFRESH_TOKEN_GRANT_TYPE, refresh_token: refreshToken, ...clientParams(client) },
    { DPoP: opts.dpop },
    opts,
  );
}

/**
 * RFC 8693 §2.1: POST with `grant_type=urn:ietf:params:oauth:grant-type:token-exchange`, the workload's ID token
 * as `subject_token` (`subject_token_type` `urn:ietf:params:oauth:token-type:id_token`), asking for an access
 * token (`requested_token_type`) for the configured scopes, and `client_id`.
 */
export function tokenExchangeRequest(tokenEndpoint: string, client: ClientIdentity, subjectToken: string, scope?: readonly string[], opts: RequestOptions = {}): Request {
  return formPost(tokenEndpoint, {
    grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
    subject_token: subjectToken,
    subject_token_type: TOKEN_TYPE_URN.idToken,
    requested_token_type: TOKEN_TYPE_URN.accessToken,
    scope: scope && scope.length ? scope.join(' ') : undefined,
    ...clientParams(client),
  }, {}, opts);
}

/** RFC 6749 §5.1 token response, normalised: `token_type` is canonical case, `scope` space-delimited. */
export interface TokenResponse {
  access_token: string;
  token_type: typeof TOKEN_TYPE_BEARER | typeof TOKEN_TYPE_DPOP;
  /** Seconds; absent means "unknown" (RFC 6749 §5.1 RECOMMENDED only). Never derived from a JWT `exp` (RFC 9068 §6). */
  expires_in?: number;
  refresh_token?: string;
  /** The granted scope as the server said it, space-delimited; absent means "as requested" (RFC 6749 §5.1). */
  scope?: string;
}

export interface TokenResponseOptions {
  /**
   * Whether the request carried a DPoP proof. `true`: a non-DPoP `token_type` is a downgrade and is refused
   * (RFC 9449 §5). `false`: a `DPoP` token is refused, since without the key it cannot be used (RFC 6749 §7.1).
   * Left out: either type is accepted.
   */
  dpopProofSent?: boolean;
}

export type TokenEndpointResult = { ok: true; tokens: TokenResponse } | { ok: false; error: OAuthError };

/**
 * Error codes that mean "busy, try again later" (RFC 6749 §4.1.2.1 defines them for the authorization endpoint;
 * providers also send them from the token endpoint). With HTTP 429 or 503 they are a `RetryLaterError`.
 */
const BUSY_ERRORS = new Set(['temporarily_unavailable', 'server_error']);

/**
 * RFC 6749 §5.1-5.2: branch on the `error` member, not on the status (GitHub answers errors with 200).
 * Success needs `access_token` and a `token_type` the client understands, case-insensitively (RFC 6749 §7.1:
 * `Bearer`, or `DPoP` per RFC 9449 §5); anything else throws. Unknown members are ignored (RFC 6749 §5.1).
 * The access token itself is never decoded (RFC 9068 §6). A 429 or 5xx that is not an OAuth answer (no error
 * code, or a "busy" one with 429/503) throws `RetryLaterError`: nothing is known to be wrong with the grant.
 */
export async function processTokenEndpointResponse(response: Response, opts: TokenResponseOptions = {}): Promise<TokenEndpointResult> {
  const context = 'token response';
  // RFC 6585 §4, RFC 9110 §15.6: 429 and 5xx may carry no OAuth error at all (a rate limiter, a proxy's page).
  const busy = response.status === 429 || response.status >= 500;
  let parsed: ParsedBody;
  try {
    parsed = await readBody(context, response);
  } catch (err) {
    if (busy) throw new RetryLaterError(context, response.status, parseRetryAfter(response));
    throw err;
  }
  const error = errorFrom(parsed, response);
  if (busy && (!error || ((response.status === 429 || response.status === 503) && BUSY_ERRORS.has(error.error)))) {
    throw new RetryLaterError(context, response.status, parseRetryAfter(response), error);
  }
  if (error) return { ok: false, error };
  if (response.status !== 200) throw new ResponseValidationError(context, '(status)', 'HTTP 200 or an error body', response.status);
  const { body } = parsed;
  const accessToken = requiredString(context, body, 'access_token');
  const rawType = requiredString(context, body, 'token_type');
  const tokenType = [TOKEN_TYPE_BEARER, TOKEN_TYPE_DPOP].find((t) => t.toLowerCase() === rawType.toLowerCase());
  if (!tokenType) throw new ResponseValidationError(context, 'token_type', '"Bearer" or "DPoP" (case-insensitive; RFC 6749 §7.1)', rawType);
  if (opts.dpopProofSent === true && tokenType !== TOKEN_TYPE_DPOP) {
    throw new ResponseValidationError(context, 'token_type', '"DPoP" because a DPoP proof was sent (RFC 9449 §5: discard a downgraded response)', rawType);
  }
  if (opts.dpopProofSent === false && tokenType === TOKEN_TYPE_DPOP) {
    throw new ResponseValidationError(context, 'token_type', '"Bearer" because no DPoP proof was sent (a DPoP-bound token is unusable without the key)', rawType);
  }
  const tokens: TokenResponse = { access_token: accessToken, token_type: tokenType as TokenResponse['token_type'] };
  const expiresIn = secondsField(context, parsed, 'expires_in', false);
  if (expiresIn !== undefined) tokens.expires_in = expiresIn;
  const refreshToken = optionalString(context, body, 'refresh_token');
  if (refreshToken) tokens.refresh_token = refreshToken;
  const scope = optionalString(context, body, 'scope');
  if (scope !== undefined) tokens.scope = normalizeScope(scope);
  return { ok: true, tokens };
}

/** Space-delimited scope (RFC 6749 §3.3); GitHub's comma-separated lists are accepted. */
export function normalizeScope(scope: string): string {
  return scope.split(/[\s,]+/).filter(Boolean).join(' ');
}

/** How the device poll loop must treat a token endpoint answer (RFC 8628 §3.5). */
export type DevicePollOutcome =
  | { kind: 'tokens'; tokens: TokenResponse }
  | { kind: 'pending' }
  | { kind: 'slow_down'; error: OAuthError }
  | { kind: 'denied'; error: OAuthError }
  | { kind: 'expired'; error: OAuthError }
  | { kind: 'error'; error: OAuthError };

/** Provider spellings of the RFC 8628 §3.5 terminal errors (Entra's `authorization_declined`, GitHub's `token_expired`). */
const DENIAL_ERRORS = new Set(['access_denied', 'authorization_declined']);
const EXPIRY_ERRORS = new Set(['expired_token', 'token_expired']);

/** RFC 8628 §3.5: sort a poll error into keep-polling (`pending`, `slow_down`) or stop (everything else). */
export function classifyPollError(error: OAuthError): Exclude<DevicePollOutcome, { kind: 'tokens' }> {
  if (error.error === 'authorization_pending') return { kind: 'pending' };
  if (error.error === 'slow_down') return { kind: 'slow_down', error };
  if (DENIAL_ERRORS.has(error.error)) return { kind: 'denied', error };
  if (EXPIRY_ERRORS.has(error.error)) return { kind: 'expired', error };
  return { kind: 'error', error };
}

/** RFC 8628 §3.5: process one poll answer (see `processTokenEndpointResponse` and `classifyPollError`). */
export async function processDeviceCodeGrantResponse(response: Response, opts: TokenResponseOptions = {}): Promise<DevicePollOutcome> {
  const result = await processTokenEndpointResponse(response, opts);
  return result.ok ? { kind: 'tokens', tokens: result.tokens } : classifyPollError(result.error);
}

// ---------------------------------------------------------------------------------------------------------
// Revocation (RFC 7009)

export type TokenTypeHint = 'refresh_token' | 'access_token';

/**
 * RFC 7009 §2.1: POST, form-encoded, `token`, the optional `token_type_hint` and, for a public client,
 * `client_id`. The endpoint must be https (RFC 7009 §2), checked here again.
 */
export function revocationRequest(endpoint: string, client: ClientIdentity, token: string, hint: TokenTypeHint, policy: UrlPolicy = {}, opts: RequestOptions = {}): Request {
  assertSecureUrl('revocation_endpoint', endpoint, policy);
  return formPost(endpoint, { token, token_type_hint: hint, ...clientParams(client) }, {}, opts);
}

export type RevocationResult =
  | { ok: true }
  | { ok: false; status: number; retryAfterS?: number; error?: string };

/**
 * RFC 7009 §2.2: a 200 means revoked (or already invalid); its body is not read. RFC 7009 §2.2.1: other answers
 * are errors; on 503 the token must be assumed to still exist, and `Retry-After` says when to try again.
 */
export async function processRevocationResponse(response: Response): Promise<RevocationResult> {
  if (response.status === 200) return { ok: true };
  const out: { ok: false; status: number; retryAfterS?: number; error?: string } = { ok: false, status: response.status };
  const retryAfter = retryAfterSeconds(response);
  if (retryAfter !== undefined) out.retryAfterS = retryAfter;
  try {
    const parsed = await readBody('revocation error', response);
    if (typeof parsed.body.error === 'string') out.error = parsed.body.error;
  } catch {
    // An error without a readable body is still an error; the status says enough.
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Protected resources (RFC 6750, RFC 9449 §7)

export interface ResourceCredentials {
  accessToken: string;
  tokenType: TokenResponse['token_type'];
  /** Required when `tokenType` is DPoP: a proof with `ath` for this request (RFC 9449 §7). */
  dpop?: string;
}

/**
 * RFC 6750 §2.1 / RFC 9449 §7.1: the token travels only in the `Authorization` header (`Bearer` or `DPoP`),
 * never in the query (RFC 6750 §2.3) and never by two methods at once (RFC 6750 §2).
 */
export function protectedResourceRequest(url: string, method: string, credentials: ResourceCredentials, opts: RequestOptions = {}): Request {
  const headers = new Headers({ Accept: JSON_CONTENT_TYPE, Authorization: `${credentials.tokenType} ${credentials.accessToken}` });
  if (credentials.tokenType === TOKEN_TYPE_DPOP) {
    if (!credentials.dpop) throw new TypeError('protectedResourceRequest: a DPoP-bound token needs a DPoP proof (RFC 9449 §7)');
    headers.set('DPoP', credentials.dpop);
  }
  return new Request(url, { method, headers, ...requestInit(opts) });
}

/** One `WWW-Authenticate` challenge (RFC 9110 §11.6.1): scheme plus auth-params. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parse `WWW-Authenticate` into challenges (quoted strings and token values; enough for RFC 6750 / RFC 9449). */
export function parseWwwAuthenticate(header: string | null): Challenge[] {
  if (!header) return [];
  const out: Challenge[] = [];
  const re = /([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*))?/gy;
  let i = 0;
  let current: Challenge | undefined;
  while (i < header.length) {
    while (i < header.length && /[\s,]/.test(header[i]!)) i++;
    re.lastIndex = i;
    const m = re.exec(header);
    if (!m) break;
    i = re.lastIndex;
    const [, name, rawValue] = m;
    if (rawValue === undefined) {
      current = { scheme: name!, params: {} };
      out.push(current);
    } else if (current) {
      current.params[name!.toLowerCase()] = rawValue.startsWith('"') ? rawValue.slice(1, -1).replace(/\\(.)/g, '$1') : rawValue;
    }
  }
  return out;
}

/** How the CLI must react to an API answer (RFC 6750 §3.1, RFC 9449 §7.1, §8). */
export type ResourceOutcome =
  | { kind: 'ok'; status: number; body: string }
  /** 401 `invalid_token` (or a 401 without error): refresh once and retry (RFC 6750 §3.1). */
  | { kind: 'invalid_token'; status: number; description?: string }
  /** 403 with a challenge saying `insufficient_scope`: a refresh cannot widen scope; re-login with the named scope (RFC 6750 §3.1). */
  | { kind: 'insufficient_scope'; status: number; scope?: string; description?: string }
  /** 401 `use_dpop_nonce`: retry once with the new nonce (RFC 9449 §8-9). */
  | { kind: 'use_dpop_nonce'; status: number; nonce?: string }
  | { kind: 'error'; status: number; body: string; error?: string };

/** Classify a protected resource response by status and its `WWW-Authenticate` challenge. */
export async function processProtectedResourceResponse(response: Response): Promise<ResourceOutcome> {
  const status = response.status;
  const body = await boundedText('API response', response);
  if (status >= 200 && status < 300) return { kind: 'ok', status, body };
  const challenge = parseWwwAuthenticate(response.headers.get('www-authenticate'))
    .find((c) => ['bearer', 'dpop'].includes(c.scheme.toLowerCase()));
  const error = challenge?.params.error;
  const description = challenge?.params.error_description;
  const withDescription = <T extends object>(o: T) => (description ? { ...o, description } : o);
  if (error === 'use_dpop_nonce') {
    const nonce = response.headers.get('dpop-nonce');
    return nonce ? { kind: 'use_dpop_nonce', status, nonce } : { kind: 'use_dpop_nonce', status };
  }
  // RFC 6750 §3.1: insufficient_scope is an error code in the Bearer (or DPoP) challenge. A bare 403 (no challenge,
  // or one without that code) is a plain refusal (an authorization policy, a WAF, a rate limit): no step-up.
  if (status === 403 && error === 'insufficient_scope') {
    const scope = challenge?.params.scope;
    return withDescription(scope ? { kind: 'insufficient_scope' as const, status, scope } : { kind: 'insufficient_scope' as const, status });
  }
  if (status === 401 && (error === 'invalid_token' || error === undefined)) return withDescription({ kind: 'invalid_token' as const, status });
  return error ? { kind: 'error', status, body, error } : { kind: 'error', status, body };
}
