/**
 * The simulated authorization server: one fetch-style handler, `(request) => Promise<Response>`, reading time
 * only from the injected clock and holding its state in memory (architecture seam 1). The page routes the
 * CLI's and the browser's requests to it in memory; `npm run idp` serves the same handler over node:http.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { ACCESS_TOKEN_ALG } from '../../protocol/accessToken.ts';
import { textResponse } from '../../protocol/bodyText.ts';
import { AS_METADATA_PATH, DEVICE_CODE_GRANT_TYPE, OPENID_METADATA_PATH, REFRESH_TOKEN_GRANT_TYPE, TOKEN_EXCHANGE_GRANT_TYPE } from '../../protocol/constants.ts';
import { DPOP_SIGNING_ALGS } from '../../protocol/dpop.ts';
import { randomSecret } from '../../protocol/random.ts';
import { AuditLog } from '../audit.ts';
import type { WorldClock } from '../clock.ts';
import { resolveServerKnobs, type ServerKnobs } from '../knobs.ts';
import { getProfile } from '../profiles.ts';
import { defaultRegistry, type Registry } from '../registry.ts';
import { handleControl } from './control.ts';
import { accessTokenActive, type RequestMeta, type ServerCore, type ServerKeys, type WorkloadIssuerTrust } from './context.ts';
import { handleDeviceAuthorization } from './deviceAuthorization.ts';
import { noStoreHeaders } from './http.ts';
import { handleIntrospection, introspect } from './introspect.ts';
import { RateLimiter } from './rateLimit.ts';
import { handleRevocation } from './revoke.ts';
import { AuthState, type IssuedSecret } from './state.ts';
import { handleToken } from './token.ts';
import { tokenExchangeEnabled } from './tokenExchange.ts';
import { handleVerification } from './verification.ts';

export type { RequestMeta, WorkloadIssuerTrust } from './context.ts';
export type { IssuedSecret } from './state.ts';

export interface AuthorizationServerOptions {
  /** The issuer identifier, e.g. https://idp.acme.test (RFC 8414 §2). */
  issuer: string;
  clock: WorldClock;
  knobs?: Partial<ServerKnobs>;
  registry?: Registry;
  /** Enable the `/control/*` rehearsal surface (the local server does; the page does not). */
  enableControl?: boolean;
  /** Workload issuers to federate with (RFC 8693 token exchange), used while `workloadIdentityFederation` is on. */
  workloadIssuers?: readonly WorkloadIssuerTrust[];
}

export const ENDPOINT_PATHS = {
  deviceAuthorization: '/device_authorization',
  token: '/token',
  revocation: '/revoke',
  introspection: '/introspect',
  jwks: '/jwks',
  verification: '/device',
} as const;

export interface AuthorizationServer extends ServerCore {
  /** The fetch-style handler. Never throws: an internal failure is a 500 `server_error`. */
  handle(request: Request, meta?: RequestMeta): Promise<Response>;
  /** RFC 8414 metadata (also served as OpenID Connect Discovery's `openid-configuration`). */
  metadata(): Record<string, unknown>;
  /** Change knobs (they apply to requests from now on; existing codes keep their lifetime and interval). */
  setKnobs(patch: Partial<ServerKnobs>): void;
  /** Introspection as the protected API (running beside the server) sees it. */
  introspect(token: string): Record<string, unknown>;
  isAccessTokenActive(jtiOrValue: string): boolean;
  /** Every secret the server issued, and whether it would accept it now (for the exposure ledger). */
  issuedSecrets(): IssuedSecret[];
}

/** Create a server with its ES256 signing key (the process's key for that algorithm: see `signingKeyFor`). */
export async function createAuthorizationServer(opts: AuthorizationServerOptions): Promise<AuthorizationServer> {
  const issuer = opts.issuer.replace(/\/+$/, '');
  const issuerUrl = new URL(issuer);
  const basePath = issuerUrl.pathname.replace(/\/+$/, '');
  const initialKnobs = opts.knobs ?? {};
  let knobs = resolveServerKnobs(getProfile(initialKnobs.profile ?? 'rfc').knobDefaults, initialKnobs);
  const keys = await signingKeyFor(ACCESS_TOKEN_ALG);
  const keyring = new Map<ServerKeys['alg'], Promise<ServerKeys>>([[ACCESS_TOKEN_ALG, Promise.resolve(keys)]]);
  const made: ServerKeys[] = [keys];
  const endpoints = Object.fromEntries(Object.entries(ENDPOINT_PATHS).map(([k, p]) => [k, `${issuer}${p}`])) as ServerCore['endpoints'];

  const seenJtis = new Map<string, number>();
  const nonces: Array<{ value: string; until: number }> = [];
  const NONCE_LIFETIME_MS = 5 * 60_000;

  const core: AuthorizationServer = {
    issuer,
    clock: opts.clock,
    state: new AuthState(),
    audit: new AuditLog(),
    keys,
    signingKey(alg) {
      let key = keyring.get(alg);
      if (!key) {
        key = signingKeyFor(alg).then((k) => (made.push(k), k));
        keyring.set(alg, key);
      }
      return key;
    },
    verificationKey: (kid, alg) => made.find((k) => k.kid === kid && k.alg === alg)?.publicKey,
    publicJwks: () => made.map((k) => k.publicJwk),
    registry: opts.registry ?? defaultRegistry(),
    limiter: new RateLimiter(() => core.knobs.rateLimitPerMinute),
    ...(opts.workloadIssuers ? { workloadIssuers: opts.workloadIssuers } : {}),
    knobs,
    profile: getProfile(knobs.profile),
    endpoints,
    dpopNonce() {
      const now = opts.clock.now();
      while (nonces.length && nonces[0]!.until <= now) nonces.shift();
      const last = nonces[nonces.length - 1];
      if (last && last.until - now > NONCE_LIFETIME_MS / 2) return last.value;
      const fresh = { value: randomSecret(16), until: now + NONCE_LIFETIME_MS };
      nonces.push(fresh);
      return fresh.value;
    },
    rememberJti(key, untilMs) {
      const now = opts.clock.now();
      for (const [k, until] of seenJtis) if (until <= now) seenJtis.delete(k);
      if (seenJtis.has(key)) return false;
      seenJtis.set(key, untilMs);
      return true;
    },
    setKnobs(patch) {
      const profileChanged = patch.profile !== undefined && patch.profile !== knobs.profile;
      knobs = resolveServerKnobs(knobs, profileChanged ? getProfile(patch.profile!).knobDefaults : {}, patch);
      core.knobs = knobs;
      core.profile = getProfile(knobs.profile);
    },
    metadata: () => metadata(core),
    introspect: (token) => introspect(core, token),
    isAccessTokenActive: (v) => accessTokenActive(core, v),
    issuedSecrets: () => issuedSecrets(core),
    async handle(request, meta) {
      try {
        return await route(core, request, meta, basePath, opts.enableControl === true);
      } catch (e) {
        const body = { error: 'server_error', error_description: 'the server failed to handle the request' };
        void e;
        return new Response(JSON.stringify(body), { status: 500, headers: noStoreHeaders() });
      }
    },
  };
  return core;
}

/**
 * The signing key for `alg`, made once per process (JavaScript realm) and shared by every server made after, as a
 * provider keeps its key across sessions: generating one cost more than the rest of a simulated login (an RS256
 * key far more), and the page and the tests make a new world for every replay. Each server gets its own copy of
 * the record; the CryptoKeys are shared.
 */
async function signingKeyFor(alg: ServerKeys['alg']): Promise<ServerKeys> {
  let made = processKeys.get(alg);
  if (!made) {
    made = makeSigningKey(alg);
    processKeys.set(alg, made);
    made.catch(() => processKeys.delete(alg));
  }
  const k = await made;
  return { ...k, publicJwk: { ...k.publicJwk } };
}
const processKeys = new Map<ServerKeys['alg'], Promise<ServerKeys>>();

/**
 * Start making the default signing key now, if this realm has none yet, without waiting for it: a page calls it
 * as the engine arrives, so the key is made on the crypto thread while the page renders, not after.
 */
export function warmSigningKey(): void {
  void signingKeyFor(ACCESS_TOKEN_ALG).catch(() => undefined);
}

/** A signing key pair for access tokens, with its RFC 7638 thumbprint as `kid`. */
async function makeSigningKey(alg: ServerKeys['alg']): Promise<ServerKeys> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { alg, privateKey, publicKey, publicJwk: { ...publicJwk, kid, alg, use: 'sig' }, kid };
}

async function route(core: AuthorizationServer, request: Request, meta: RequestMeta | undefined, basePath: string, control: boolean): Promise<Response> {
  let path: string;
  try {
    path = new URL(request.url).pathname;
  } catch {
    return notFound();
  }
  // RFC 8414 §3: for an issuer with a path, the well-known segment goes between host and path.
  if (path === AS_METADATA_PATH + basePath || path === basePath + AS_METADATA_PATH) return getOnly(request, () => jsonOk(core.metadata()));
  // OpenID Connect Discovery 1.0 §4 (appended to the issuer's path): the same document, since many CLIs try only
  // this one (RFC 8414 §5 keeps the two compatible). It does not claim the OpenID Provider members this server
  // cannot honour: it issues no ID tokens.
  if (path === basePath + OPENID_METADATA_PATH) return getOnly(request, () => jsonOk(core.metadata()));
  if (basePath && !path.startsWith(basePath + '/')) return notFound();
  path = path.slice(basePath.length).replace(/\/+$/, '') || '/';

  const alias = core.profile.pathAliases[path];
  if (alias === 'device_authorization' || path === ENDPOINT_PATHS.deviceAuthorization) return handleDeviceAuthorization(core, request, meta);
  if (alias === 'token' || path === ENDPOINT_PATHS.token) return handleToken(core, request, meta);
  if (path === ENDPOINT_PATHS.revocation) return handleRevocation(core, request, meta);
  if (path === ENDPOINT_PATHS.introspection) return handleIntrospection(core, request);
  if (path === ENDPOINT_PATHS.jwks) return getOnly(request, () => jsonOk({ keys: core.publicJwks() }));
  if (path === ENDPOINT_PATHS.verification || path.startsWith(ENDPOINT_PATHS.verification + '/')) {
    return handleVerification(core, request, path.slice(ENDPOINT_PATHS.verification.length), meta);
  }
  if (control && path.startsWith('/control/')) return handleControl(core, request, path.slice('/control/'.length), meta);
  return notFound();
}

function jsonOk(body: unknown): Response {
  return textResponse(JSON.stringify(body), { status: 200, headers: noStoreHeaders() });
}

function getOnly(request: Request, respond: () => Response): Response {
  if (request.method === 'GET' || request.method === 'HEAD') return respond();
  return new Response(JSON.stringify({ error: 'invalid_request', error_description: 'GET only' }), {
    status: 405, headers: (() => { const h = noStoreHeaders(); h.set('Allow', 'GET'); return h; })(),
  });
}

function notFound(): Response {
  return new Response(JSON.stringify({ error: 'not_found', error_description: 'no such endpoint' }), { status: 404, headers: noStoreHeaders() });
}

/** RFC 8414 §2 metadata, with RFC 8628 §4 `device_authorization_endpoint`. */
function metadata(core: AuthorizationServer): Record<string, unknown> {
  return {
    issuer: core.issuer,
    device_authorization_endpoint: core.endpoints.deviceAuthorization,
    token_endpoint: core.endpoints.token,
    revocation_endpoint: core.endpoints.revocation,
    introspection_endpoint: core.endpoints.introspection,
    jwks_uri: core.endpoints.jwks,
    grant_types_supported: [DEVICE_CODE_GRANT_TYPE, REFRESH_TOKEN_GRANT_TYPE, ...(tokenExchangeEnabled(core) ? [TOKEN_EXCHANGE_GRANT_TYPE] : [])],
    response_types_supported: [],
    scopes_supported: core.knobs.allowedScopes,
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    dpop_signing_alg_values_supported: [...DPOP_SIGNING_ALGS],
    service_documentation: `${core.issuer}/docs`,
  };
}

function issuedSecrets(core: AuthorizationServer): IssuedSecret[] {
  const now = core.clock.now();
  const out: IssuedSecret[] = [];
  for (const d of core.state.deviceGrants.values()) {
    const live = d.expiresAt > now;
    const usable = live && (d.status === 'pending' || d.status === 'approved');
    const status = !live ? 'expired' : d.status;
    out.push({ kind: 'device_code', value: d.deviceCode, clientId: d.clientId, issuedAt: d.createdAt, usable, status });
    out.push({ kind: 'user_code', value: d.userCode, clientId: d.clientId, issuedAt: d.createdAt, usable: live && d.status === 'pending', status });
  }
  for (const a of core.state.accessTokens.values()) {
    const usable = accessTokenActive(core, a.jti);
    const status = a.revokedAt !== undefined || core.state.grants.get(a.grantId)?.revokedAt !== undefined ? 'revoked' : now >= a.expiresAt ? 'expired' : 'active';
    out.push({ kind: 'access_token', value: a.value, clientId: a.clientId, sub: a.sub, issuedAt: a.issuedAt, usable, status });
  }
  for (const r of core.state.refreshTokens.values()) {
    const active = introspect(core, r.value).active === true;
    const usable = active || (r.status === 'rotated' && !core.knobs.invalidateRotatedRefreshTokens && core.state.grants.get(r.grantId)?.revokedAt === undefined && now < r.expiresAt);
    out.push({ kind: 'refresh_token', value: r.value, clientId: r.clientId, sub: r.sub, issuedAt: r.issuedAt, usable, status: usable ? 'active' : r.status === 'active' ? 'expired' : r.status });
  }
  for (const s of core.state.sessions.values()) {
    out.push({ kind: 'session', value: s.id, sub: s.userId, issuedAt: s.createdAt, usable: true, status: 'active' });
  }
  return out;
}
