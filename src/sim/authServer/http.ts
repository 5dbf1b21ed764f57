/**
 * Response helpers for the authorization server. Every response carries `Cache-Control: no-store` and
 * `Pragma: no-cache` (RFC 6749 §5.1: responses with tokens, codes or credentials; harmless elsewhere), and
 * every error is an RFC 6749 §5.2 body shaped by the active IdP profile.
 */
import { textResponse } from '../../protocol/bodyText.ts';
import { FORM_CONTENT_TYPE, JSON_CONTENT_TYPE } from '../../protocol/constants.ts';
import { oauthErrorBody } from '../../protocol/errors.ts';
import type { IdpProfile } from '../profiles.ts';

export interface ResponseContext {
  profile: IdpProfile;
  /** The request asked for JSON (`Accept: application/json`). */
  acceptsJson: boolean;
  /** Include `error_uri` pointing at the issuer's error docs. */
  errorUriBase?: string;
}

export function noStoreHeaders(contentType = `${JSON_CONTENT_TYPE}; charset=utf-8`): Headers {
  return new Headers({ 'Content-Type': contentType, 'Cache-Control': 'no-store', Pragma: 'no-cache' });
}

/** A JSON (or, for GitHub without Accept: json, form-encoded) success body. */
export function okResponse(ctx: ResponseContext | undefined, body: Record<string, unknown>, headers?: HeadersInit, status = 200): Response {
  const asForm = ctx?.profile.formUnlessAcceptJson === true && !ctx.acceptsJson;
  const h = noStoreHeaders(asForm ? FORM_CONTENT_TYPE : undefined);
  if (headers) new Headers(headers).forEach((v, k) => h.set(k, v));
  return textResponse(asForm ? toForm(body) : JSON.stringify(body), { status, headers: h });
}

export interface ErrorOptions {
  status?: number;
  /** Use the profile's device-grant error names (Entra's authorization_declined, GitHub's incorrect_device_code). */
  deviceGrant?: boolean;
  headers?: HeadersInit;
  /** Extra body members (GitHub's slow_down interval). */
  extra?: Record<string, unknown>;
  /** Errors of protocol endpoints may be turned into HTTP 200 by the GitHub profile. */
  oauthEndpoint?: boolean;
}

/** An RFC 6749 §5.2 error, renamed and reshaped as the profile's provider does. */
export function errorResponse(ctx: ResponseContext, error: string, description: string, opts: ErrorOptions = {}): Response {
  const name = (opts.deviceGrant ? ctx.profile.deviceGrantErrorNames[error] : undefined) ?? ctx.profile.errorNames[error] ?? error;
  const extras = { ...ctx.profile.errorExtras?.(name), ...opts.extra };
  const body = oauthErrorBody(name, description, extras) as Record<string, unknown>;
  if (ctx.errorUriBase) body.error_uri = `${ctx.errorUriBase}#${encodeURIComponent(name)}`;
  const status = opts.oauthEndpoint === false
    ? (opts.status ?? 400)
    : ctx.profile.errorsWithStatus200 ? 200 : (ctx.profile.errorStatus[name] ?? opts.status ?? 400);
  return okResponse(ctx, body, opts.headers, status);
}

/**
 * "Try again later" at the HTTP level: 429 Too Many Requests (RFC 6585 §4) or 503 Service Unavailable (RFC 9110
 * §15.6.4; RFC 7009 §2.2.1 for revocation), with `Retry-After` in seconds (RFC 9110 §10.2.3). Not an RFC 6749 §5.2
 * error: no OAuth `error` code fits (`temporarily_unavailable` is defined for the authorization endpoint only,
 * RFC 6749 §4.1.2.1), so the body only describes the refusal. No profile turns it into a 200.
 */
export function retryLaterResponse(status: 429 | 503, retryAfterS: number, description: string): Response {
  const h = noStoreHeaders();
  h.set('Retry-After', String(retryAfterS));
  return textResponse(JSON.stringify({ error_description: description }), { status, headers: h });
}

function toForm(body: Record<string, unknown>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(body)) {
    if (v === undefined || v === null) continue;
    p.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  return p.toString();
}

/** Does the Accept header ask for JSON? */
export function acceptsJson(request: Request): boolean {
  return /application\/json/i.test(request.headers.get('accept') ?? '');
}
