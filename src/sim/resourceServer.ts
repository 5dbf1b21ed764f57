/**
 * The protected API (the resource server, RS), serving `/me`, `/projects` and `/invoices` below its base URL. Accepts access tokens only in the Authorization header
 * (RFC 6750 §2.1), validates them as RFC 9068 JWTs against the authorization server's key, asks the server
 * about revocation (unless the `apiChecksRevocation` knob is off), enforces DPoP binding (RFC 9449 §7) and
 * scope, and answers failures with RFC 6750 §3 `WWW-Authenticate` challenges. Its own request log redacts
 * Authorization and DPoP headers (RFC 9700 §4.9.3).
 */
import { verifyAccessToken } from '../protocol/accessToken.ts';
import { peekText, textResponse } from '../protocol/bodyText.ts';
import { JSON_CONTENT_TYPE } from '../protocol/constants.ts';
import { DPOP_SIGNING_ALGS, checkDpopProof } from '../protocol/dpop.ts';
import type { AuthorizationServer } from './authServer/index.ts';
import type { ResourceRegistration } from './registry.ts';

interface Route {
  method: string;
  pattern: RegExp;
  scope: string;
  respond: (sub: string, match: RegExpExecArray, rs: ResourceServerState) => { status: number; body: unknown };
}

interface ResourceServerState {
  projects: Array<{ id: string; name: string; owner: string }>;
}

/** One line of the API's own request log. Secrets never reach it. */
export interface ApiLogEntry {
  at: number;
  method: string;
  path: string;
  status: number;
  authorization: string;
  dpop: string;
  sub?: string;
}

export interface ResourceServer {
  readonly resource: ResourceRegistration;
  readonly log: ApiLogEntry[];
  handle(request: Request): Promise<Response>;
}

const ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/me$/, scope: 'profile', respond: (sub, _m, _s) => ({ status: 200, body: { sub } }) },
  { method: 'GET', pattern: /^\/projects$/, scope: 'projects:read', respond: (_sub, _m, s) => ({ status: 200, body: { projects: s.projects } }) },
  {
    method: 'POST', pattern: /^\/projects$/, scope: 'projects:write',
    respond: (sub, _m, s) => {
      const p = { id: `p${s.projects.length + 1}`, name: `project-${s.projects.length + 1}`, owner: sub };
      s.projects.push(p);
      return { status: 201, body: p };
    },
  },
  {
    method: 'DELETE', pattern: /^\/projects\/([a-z0-9-]{1,40})$/, scope: 'projects:admin',
    respond: (_sub, m, s) => {
      const i = s.projects.findIndex((p) => p.id === m[1]);
      if (i < 0) return { status: 404, body: { error: 'not_found' } };
      const [gone] = s.projects.splice(i, 1);
      return { status: 200, body: { deleted: gone } };
    },
  },
  { method: 'GET', pattern: /^\/invoices$/, scope: 'billing:read', respond: () => ({ status: 200, body: { invoices: [] } }) },
];

export function createResourceServer(as: AuthorizationServer, resource: ResourceRegistration): ResourceServer {
  const state: ResourceServerState = {
    projects: [
      { id: 'p1', name: 'payments-service', owner: 'alice' },
      { id: 'p2', name: 'website', owner: 'bob' },
    ],
  };
  const log: ApiLogEntry[] = [];
  const seenJtis = new Map<string, number>();
  const realm = resource.name.replace(/["\\]/g, '');

  const json = (status: number, body: unknown, headers?: Record<string, string>) =>
    textResponse(JSON.stringify(body), { status, headers: { 'Content-Type': `${JSON_CONTENT_TYPE}; charset=utf-8`, 'Cache-Control': 'no-store', ...headers } });

  /** RFC 6750 §3 / RFC 9449 §7.1 challenges; no error attribute when no credentials were sent (§3.1). */
  const challenge = (scheme: 'Bearer' | 'DPoP' | 'both', error?: string, description?: string, scope?: string): string => {
    const attrs = (extra: string[]) => [...extra, ...(error ? [`error="${error}"`] : []), ...(description ? [`error_description="${description.replace(/["\\]/g, '')}"`] : []), ...(scope ? [`scope="${scope}"`] : [])].join(', ');
    const bearer = `Bearer ${attrs([`realm="${realm}"`])}`;
    const dpop = `DPoP ${attrs([`algs="${DPOP_SIGNING_ALGS.join(' ')}"`])}`;
    return scheme === 'Bearer' ? bearer : scheme === 'DPoP' ? dpop : `${bearer}, DPoP algs="${DPOP_SIGNING_ALGS.join(' ')}"`;
  };

  async function handle(request: Request): Promise<Response> {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return json(400, { error: 'invalid_request' });
    }
    const entry: ApiLogEntry = {
      at: as.clock.now(), method: request.method, path: url.pathname, status: 0,
      authorization: redact(request.headers.get('authorization')), dpop: request.headers.has('dpop') ? '[redacted]' : '',
    };
    const res = await authorize(request, url, entry).catch(() => json(500, { error: 'server_error' }));
    entry.status = res.status;
    log.push(entry);
    return res;
  }

  async function authorize(request: Request, url: URL, entry: ApiLogEntry): Promise<Response> {
    const path = relativePath(url, resource.id);
    const route = ROUTES.find((r) => r.pattern.test(path) && r.method === request.method);
    const header = request.headers.get('authorization');
    const inQuery = url.searchParams.has('access_token');
    const isForm = (request.headers.get('content-type') ?? '').startsWith('application/x-www-form-urlencoded');
    const inBody = isForm && new URLSearchParams(await peekText(request).catch(() => '')).has('access_token');
    const methods = [header !== null, inQuery, inBody].filter(Boolean).length;
    if (methods > 1) {
      return json(400, { error: 'invalid_request' }, { 'WWW-Authenticate': challenge('both', 'invalid_request', 'use exactly one way to send the token') });
    }
    if (methods === 0) return json(401, { error: 'unauthorized' }, { 'WWW-Authenticate': challenge('both') });
    if (header === null) {
      return json(400, { error: 'invalid_request' }, { 'WWW-Authenticate': challenge('both', 'invalid_request', 'send the token in the Authorization header, never in the URL') });
    }
    const m = /^(Bearer|DPoP) ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header);
    if (!m) return json(400, { error: 'invalid_request' }, { 'WWW-Authenticate': challenge('both', 'invalid_request', 'malformed Authorization header') });
    const scheme = m[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    const token = m[2]!;

    const verified = await verifyAccessToken(token, { keyFor: (kid, alg) => as.verificationKey(kid, alg), issuer: as.issuer, audience: resource.id, nowMs: as.clock.now() });
    if (!verified.ok) return json(401, { error: 'invalid_token' }, { 'WWW-Authenticate': challenge(scheme, 'invalid_token', verified.reason) });
    const claims = verified.claims;
    if (as.knobs.apiChecksRevocation && !as.isAccessTokenActive(claims.jti)) {
      return json(401, { error: 'invalid_token' }, { 'WWW-Authenticate': challenge(scheme, 'invalid_token', 'the token has been revoked') });
    }
    const jkt = claims.cnf?.jkt;
    if (jkt) {
      // RFC 9449 §7.2: a DPoP-bound token presented as Bearer is refused.
      if (scheme !== 'DPoP') return json(401, { error: 'invalid_token' }, { 'WWW-Authenticate': challenge('DPoP', 'invalid_token', 'this token is DPoP-bound; present it with a DPoP proof') });
      const proof = await checkDpopProof({
        header: request.headers.get('dpop'), method: request.method, url: request.url, nowMs: as.clock.now(),
        windowS: as.knobs.dpopProofWindowS, accessToken: token,
        rememberJti: (k, until) => {
          const now = as.clock.now();
          for (const [key, t] of seenJtis) if (t <= now) seenJtis.delete(key);
          if (seenJtis.has(k)) return false;
          seenJtis.set(k, until);
          return true;
        },
      });
      if (!proof.ok) return json(401, { error: proof.error }, { 'WWW-Authenticate': challenge('DPoP', proof.error, proof.description) });
      // RFC 9449 §7.1 (its example): a well-formed proof by a key the token is not bound to is an invalid_token.
      if (proof.jkt !== jkt) return json(401, { error: 'invalid_token' }, { 'WWW-Authenticate': challenge('DPoP', 'invalid_token', 'invalid DPoP key binding: the proof key is not the key this token is bound to') });
    } else if (scheme === 'DPoP') {
      return json(401, { error: 'invalid_token' }, { 'WWW-Authenticate': challenge('DPoP', 'invalid_token', 'this token is not DPoP-bound') });
    }
    entry.sub = claims.sub;
    if (!route) return json(404, { error: 'not_found' });
    const granted = (claims.scope ?? '').split(' ');
    if (!granted.includes(route.scope)) {
      return json(403, { error: 'insufficient_scope' }, { 'WWW-Authenticate': challenge(scheme, 'insufficient_scope', `this call needs ${route.scope}`, route.scope) });
    }
    const out = route.respond(claims.sub, route.pattern.exec(path)!, state);
    return json(out.status, out.body);
  }

  return { resource, log, handle };
}

/** The request path below the resource's base URL (`https://api.acme.test/api/me` → `/me`). */
function relativePath(url: URL, resourceId: string): string {
  const base = new URL(resourceId).pathname.replace(/\/+$/, '');
  return url.pathname.startsWith(base) ? url.pathname.slice(base.length) || '/' : url.pathname;
}

function redact(authorization: string | null): string {
  if (authorization === null) return '';
  // Keep only a known scheme name: a header without one (a client that forgot "Bearer ") is the raw token.
  const scheme = /^(Bearer|DPoP|Basic)(?=\s)/i.exec(authorization)?.[1];
  return scheme ? `${scheme} [redacted]` : '[redacted]';
}
