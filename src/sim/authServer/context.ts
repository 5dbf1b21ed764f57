/**
 * What every endpoint handler receives: the server's configuration, state, keys and clock, plus helpers
 * that several endpoints share (token issuance, grant revocation, DPoP checks, request parsing).
 */
import type { CryptoKey, JWK } from 'jose';
import { mintAccessToken } from '../../protocol/accessToken.ts';
import { longerThan, textOf } from '../../protocol/bodyText.ts';
import { FORM_CONTENT_TYPE, JSON_CONTENT_TYPE, TOKEN_TYPE_DPOP } from '../../protocol/constants.ts';
import { checkDpopProof, type DpopCheckResult } from '../../protocol/dpop.ts';
import { parseForm, type FormParams } from '../../protocol/form.ts';
import { randomSecret } from '../../protocol/random.ts';
import { AuditLog, fingerprint, type AuditDevice } from '../audit.ts';
import type { WorldClock } from '../clock.ts';
import type { ServerKnobs } from '../knobs.ts';
import type { IdpProfile } from '../profiles.ts';
import type { ClientRegistration, Registry, ResourceRegistration } from '../registry.ts';
import { acceptsJson, errorResponse, type ResponseContext } from './http.ts';
import { RateLimiter } from './rateLimit.ts';
import type { AuthState, GrantRecord } from './state.ts';

/** Where a request came from, as the transport knows it. */
export interface RequestMeta {
  remoteAddress?: string;
  /** The client software, when the transport knows it better than the header (the simulated actors). */
  userAgent?: string;
}

export interface ServerKeys {
  alg: ServerKnobs['accessTokenAlg'];
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
  kid: string;
}

export const MAX_BODY_BYTES = 64 * 1024;

/**
 * A workload issuer this server federates with (a CI platform's OIDC issuer): its identifier, the public key its
 * job ID tokens are signed with (a real provider reads it from the issuer's JWKS), and the audience those tokens
 * must name. Used only while the `workloadIdentityFederation` knob is on (tokenExchange.ts).
 */
export interface WorkloadIssuerTrust {
  issuer: string;
  audience: string;
  alg: 'ES256' | 'RS256';
  publicKey: CryptoKey;
}

export interface ServerCore {
  readonly issuer: string;
  readonly clock: WorldClock;
  readonly state: AuthState;
  readonly audit: AuditLog;
  /** The default (ES256) signing key. */
  readonly keys: ServerKeys;
  /** The signing key for an algorithm (the RS256 key is made on first use). */
  signingKey(alg: ServerKnobs['accessTokenAlg']): Promise<ServerKeys>;
  /** A verification key by `kid` and `alg`, among the keys made so far. */
  verificationKey(kid: string | undefined, alg: string): CryptoKey | undefined;
  /** Public keys (the JWKS). */
  publicJwks(): JWK[];
  readonly registry: Registry;
  readonly limiter: RateLimiter;
  /** Workload issuers configured for federation (RFC 8693 token exchange), whether or not the knob is on. */
  readonly workloadIssuers?: readonly WorkloadIssuerTrust[];
  knobs: ServerKnobs;
  profile: IdpProfile;
  /** Endpoint URLs (absolute). */
  readonly endpoints: { deviceAuthorization: string; token: string; revocation: string; introspection: string; jwks: string; verification: string };
  /** The current DPoP nonce (RFC 9449 §8), when nonces are on. */
  dpopNonce(): string;
  /** Remember a DPoP proof jti (RFC 9449 §11.1). */
  rememberJti(key: string, untilMs: number): boolean;
}

export function responseContext(core: ServerCore, request: Request): ResponseContext {
  return {
    profile: core.profile,
    acceptsJson: acceptsJson(request),
    ...(core.knobs.errorUri ? { errorUriBase: `${core.issuer}/docs/errors` } : {}),
  };
}

export function deviceOf(request: Request, meta: RequestMeta | undefined): AuditDevice {
  return {
    ip: meta?.remoteAddress ?? 'unknown',
    userAgent: (request.headers.get('user-agent') ?? meta?.userAgent ?? 'unknown').slice(0, 200),
  };
}

export type ParsedForm = { ok: true; params: FormParams } | { ok: false; response: Response };

/**
 * Read a POST body: method POST, content type form-urlencoded (RFC 6749 §3.2, RFC 8628 §3.1) or, where the
 * profile's provider accepts it, a JSON object of strings (`requestBodyTypes`: github.com takes JSON at both
 * device-flow endpoints); bounded size; no repeated parameter. Anything else is an `invalid_request`.
 */
export async function readForm(ctx: ResponseContext, request: Request): Promise<ParsedForm> {
  const bad = (description: string, headers?: HeadersInit): ParsedForm => ({
    ok: false,
    response: errorResponse(ctx, 'invalid_request', description, { ...(headers ? { headers } : {}), oauthEndpoint: true }),
  });
  if (request.method !== 'POST') return bad(`this endpoint accepts POST only, not ${request.method}`, { Allow: 'POST' });
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const accepted = ctx.profile.requestBodyTypes;
  const json = type === JSON_CONTENT_TYPE && accepted.includes('json');
  if (!json && (type !== FORM_CONTENT_TYPE || !accepted.includes('form'))) {
    const wanted = accepted.map((t) => (t === 'json' ? JSON_CONTENT_TYPE : FORM_CONTENT_TYPE)).join(' or ');
    return bad(`the body must be ${wanted}, not ${type.slice(0, 80) || 'missing'}`);
  }
  let body: string;
  try {
    body = await textOf(request);
  } catch {
    return bad('the request body could not be read');
  }
  if (longerThan(body, MAX_BODY_BYTES)) return bad(`the body is larger than ${MAX_BODY_BYTES} bytes`);
  if (json) {
    const parsed = parseJsonParams(body);
    return typeof parsed === 'string' ? bad(parsed) : { ok: true, params: parsed };
  }
  const parsed = parseForm(body);
  if (!parsed.ok) return bad(`the parameter ${parsed.repeated.slice(0, 40)} is repeated`);
  return { ok: true, params: parsed.params };
}

/**
 * A JSON request body as parameters: one object whose members are strings (numbers and booleans are taken as
 * their text, as a form would carry them); empty strings and nulls count as omitted, like empty form values.
 * Returns the problem as text otherwise.
 */
function parseJsonParams(body: string): FormParams | string {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return 'the body is not valid JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the JSON body must be an object of parameters';
  const params = new Map<string, string>();
  for (const [name, v] of Object.entries(value)) {
    if (v === null || v === '') continue;
    if (typeof v === 'string') params.set(name, v);
    else if (typeof v === 'number' || typeof v === 'boolean') params.set(name, String(v));
    else return `the parameter ${name.slice(0, 40)} must be a string`;
  }
  return params;
}

/**
 * The scope asked for (or the default) and the one resource it belongs to, or the RFC error response: every
 * scope allowed, a `resource` parameter naming a known resource (RFC 8707), and all scopes of that resource.
 */
export function resolveScope(
  core: ServerCore, ctx: ResponseContext, requested: string[] | undefined, resourceParam: string | undefined,
): { scope: string[]; resource: ResourceRegistration } | Response {
  const scope = requested ?? core.knobs.defaultScopes;
  const unknown = scope.filter((s) => !core.knobs.allowedScopes.includes(s));
  if (unknown.length) return errorResponse(ctx, 'invalid_scope', `unknown or not allowed scope: ${unknown.join(' ')}`);
  const resource = resourceParam
    ? core.registry.resources.find((r) => r.id === resourceParam)
    : core.registry.resources.find((r) => scope.every((s) => s in r.scopes));
  if (!resource) {
    return resourceParam
      ? errorResponse(ctx, 'invalid_target', 'unknown resource')
      : errorResponse(ctx, 'invalid_scope', 'the requested scopes do not belong to one resource');
  }
  const foreign = scope.filter((s) => !(s in resource.scopes));
  if (foreign.length) return errorResponse(ctx, 'invalid_scope', `scope not valid for ${resource.id}: ${foreign.join(' ')}`);
  return { scope, resource };
}

/** Split a scope parameter (RFC 6749 §3.3: space-delimited; GitHub also accepts commas). */
export function splitScope(scope: string | undefined, profile: IdpProfile): string[] | undefined {
  if (scope === undefined) return undefined;
  const sep = profile.scopeSeparator === ',' ? /[\s,]+/ : / +/;
  return [...new Set(scope.split(sep).filter(Boolean))];
}

export function joinScope(scope: readonly string[], profile: IdpProfile): string {
  return scope.join(profile.scopeSeparator);
}

/** Check a DPoP proof sent to the token endpoint, with nonces when they are on. */
export async function checkTokenEndpointProof(core: ServerCore, request: Request, expectedJkt?: string): Promise<DpopCheckResult> {
  return checkDpopProof({
    header: request.headers.get('dpop'),
    method: request.method,
    url: request.url,
    nowMs: core.clock.now(),
    windowS: core.knobs.dpopProofWindowS,
    ...(expectedJkt ? { expectedJkt } : {}),
    ...(core.knobs.dpopNonce ? { expectedNonce: core.dpopNonce() } : {}),
    rememberJti: (k, until) => core.rememberJti(k, until),
  });
}

/** A DPoP proof problem as the token endpoint reports it (with a fresh nonce when nonces are on). */
export function dpopError(core: ServerCore, ctx: ResponseContext, error: string, description: string): Response {
  return errorResponse(ctx, error, description, core.knobs.dpopNonce ? { headers: { 'DPoP-Nonce': core.dpopNonce() } } : {});
}

/** Does this client have to use DPoP (RFC 9449 §5.2)? */
export function clientRequiresDpop(core: ServerCore, client: ClientRegistration): boolean {
  return client.dpopBoundAccessTokens === true || (core.knobs.dpopRequired && client.tokenEndpointAuthMethod === 'none');
}

export interface IssueOptions {
  grant: GrantRecord;
  client: ClientRegistration;
  /** The access token's scope (may be narrower than the grant on refresh). */
  scope: string[];
  jkt?: string;
  /** Issue a refresh token with this response. */
  withRefreshToken: boolean;
  /** Absolute expiry for a new refresh token (a rotated one keeps its family's). */
  refreshExpiresAt?: number;
}

/** Mint an access token (and maybe a refresh token) for a grant, record them, and build the RFC 6749 §5.1 body. */
export async function issueTokens(core: ServerCore, opts: IssueOptions): Promise<{ body: Record<string, unknown>; accessToken: string; refreshToken?: string }> {
  const now = core.clock.now();
  const { grant, client, scope, jkt } = opts;
  const iat = Math.floor(now / 1000);
  const lifetime = core.knobs.accessTokenLifetimeS;
  const jti = randomSecret(); // 256 bits: every token carries ≥160 bits of CSPRNG output (RFC 6749 §10.10)
  const key = await core.signingKey(core.knobs.accessTokenAlg);
  const accessToken = await mintAccessToken({
    privateKey: key.privateKey,
    kid: key.kid,
    alg: key.alg,
    claims: {
      iss: core.issuer,
      sub: grant.sub,
      aud: grant.resource,
      client_id: client.clientId,
      iat,
      exp: iat + lifetime,
      jti,
      scope: scope.join(' '),
      ...(jkt ? { cnf: { jkt } } : {}),
    },
  });
  core.state.addAccessToken({
    jti, value: accessToken, grantId: grant.id, clientId: client.clientId, sub: grant.sub, scope, aud: grant.resource,
    issuedAt: now, expiresAt: now + lifetime * 1000, ...(jkt ? { jkt } : {}),
  });
  let refreshToken: string | undefined;
  const refreshExpiresAt = opts.refreshExpiresAt ?? now + core.knobs.refreshTokenLifetimeS * 1000;
  if (opts.withRefreshToken) {
    refreshToken = randomSecret();
    core.state.refreshTokens.set(refreshToken, {
      value: refreshToken, grantId: grant.id, clientId: client.clientId, sub: grant.sub, scope: grant.scope, resource: grant.resource,
      ...(jkt ? { jkt } : {}), issuedAt: now, lastUsedAt: now,
      expiresAt: refreshExpiresAt, status: 'active',
    });
  }
  const body: Record<string, unknown> = {
    access_token: accessToken,
    token_type: jkt ? TOKEN_TYPE_DPOP : core.profile.bearerTokenType,
    expires_in: lifetime,
    scope: joinScope(scope, core.profile),
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
    // GitHub Apps: the refresh token's remaining lifetime, seconds (a rotated token keeps its family's end).
    ...(refreshToken && core.profile.sendsRefreshTokenExpiresIn ? { refresh_token_expires_in: Math.max(1, Math.floor((refreshExpiresAt - now) / 1000)) } : {}),
  };
  return { body, accessToken, ...(refreshToken ? { refreshToken } : {}) };
}

/** Revoke a whole grant: every refresh token and access token of the family. */
export function revokeGrant(core: ServerCore, grantId: string, reason: string, from?: AuditDevice): void {
  const grant = core.state.grants.get(grantId);
  if (!grant || grant.revokedAt !== undefined) return;
  const now = core.clock.now();
  grant.revokedAt = now;
  grant.revokedReason = reason;
  const refs: string[] = [];
  for (const rt of core.state.refreshTokensOf(grantId)) {
    if (rt.status !== 'revoked') refs.push(fingerprint(rt.value));
    rt.status = 'revoked';
  }
  for (const at of core.state.accessTokensOf(grantId)) {
    if (at.revokedAt === undefined) {
      at.revokedAt = now;
      refs.push(fingerprint(at.value));
    }
  }
  core.audit.record({ at: now, type: 'grant.revoked', clientId: grant.clientId, user: grant.sub, grantId, detail: reason, refs, ...(from ? { from } : {}) });
}

/** Is this access token usable right now (not expired, not revoked, grant alive)? */
export function accessTokenActive(core: ServerCore, jtiOrValue: string): boolean {
  const rec = core.state.accessTokens.get(jtiOrValue) ?? core.state.accessTokensByValue.get(jtiOrValue);
  if (!rec || rec.revokedAt !== undefined) return false;
  if (core.clock.now() >= rec.expiresAt) return false;
  const grant = core.state.grants.get(rec.grantId);
  return !!grant && grant.revokedAt === undefined;
}

export function findClient(core: ServerCore, clientId: string): ClientRegistration | undefined {
  return core.registry.clients.find((c) => c.clientId === clientId);
}
