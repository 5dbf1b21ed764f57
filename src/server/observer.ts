/**
 * Watches the rehearsal server's HTTP exchanges and sorts them into device logins (flows) for the report card:
 * a login starts with a device authorization request and owns the polls of its device code, the refreshes
 * and revocations of the tokens it got, and the API calls made with its access tokens. What it records is
 * plain data (`grade.ts` ObservedRequest); it keeps token values only to tell which login a request
 * belongs to, and never puts one in a report.
 */
import { createHash } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { DEVICE_CODE_GRANT_TYPE } from '../protocol/constants.ts';
import { ENDPOINT_PATHS, type AuthorizationServer } from '../sim/authServer/index.ts';
import { flowOutcome, type FlowObservations, type ObservedRequest, type RequestKind, type SeenProof, type Transport } from './grade.ts';

export interface Exchange {
  request: Request;
  /** The request body as text ('' for none). */
  body: string;
  at: number;
  /** The answer, unless the connection was dropped or abandoned. */
  response?: Response;
  answeredAt?: number;
  transport?: Transport;
}

interface RefreshTokenSeen {
  flow: FlowObservations;
  generation: number;
  replacedAt?: number;
}

export interface ObserverOptions {
  as: AuthorizationServer;
  /** Base URLs of the protected APIs. */
  apiBases: readonly string[];
  /** A login has ended (its outcome is no longer pending). */
  onEnded?: (flow: FlowObservations, index: number) => void;
}

export class FlowObserver {
  readonly flows: FlowObservations[] = [];
  readonly #ended = new Set<FlowObservations>();
  readonly #byDeviceCode = new Map<string, FlowObservations>();
  readonly #byRefreshToken = new Map<string, RefreshTokenSeen>();
  readonly #byAccessToken = new Map<string, FlowObservations>();
  readonly #opts: ObserverOptions;

  constructor(opts: ObserverOptions) {
    this.#opts = opts;
  }

  get endedCount(): number {
    return this.#ended.size;
  }

  /** Which endpoint a request is for, by path (profile aliases included). */
  kindOf(request: Request): Exclude<RequestKind, 'poll' | 'refresh'> | 'token' | undefined {
    const url = new URL(request.url);
    if (this.#opts.apiBases.some((b) => request.url === b || request.url.startsWith(`${b}/`) || request.url.startsWith(`${b}?`))) return 'api';
    const base = new URL(this.#opts.as.issuer).pathname.replace(/\/+$/, '');
    if (base && !url.pathname.startsWith(`${base}/`)) return undefined;
    const path = url.pathname.slice(base.length).replace(/\/+$/, '') || '/';
    const alias = this.#opts.as.profile.pathAliases[path];
    if (alias === 'device_authorization' || path === ENDPOINT_PATHS.deviceAuthorization) return 'device_authorization';
    if (alias === 'token' || path === ENDPOINT_PATHS.token) return 'token';
    if (path === ENDPOINT_PATHS.revocation) return 'revocation';
    return undefined;
  }

  async record(ex: Exchange): Promise<void> {
    const kind = this.kindOf(ex.request);
    if (!kind) return;
    const params = paramsOf(ex.request, ex.body);
    const answer = ex.response ? await answerOf(ex.response, this.#opts.as) : undefined;
    const base = baseObservation(ex, params, answer);
    switch (kind) {
      case 'device_authorization':
        this.#deviceAuthorization(ex, params, base, answer);
        break;
      case 'token': {
        const deviceCode = params.get('device_code');
        const refreshToken = params.get('refresh_token');
        if (deviceCode !== null || params.get('grant_type') === DEVICE_CODE_GRANT_TYPE) {
          const flow = deviceCode === null ? undefined : this.#byDeviceCode.get(deviceCode);
          if (!flow) return;
          const rec = this.#opts.as.state.deviceGrants.get(deviceCode!);
          if (rec) flow.serverExpiresAt = rec.expiresAt;
          this.#push(flow, { ...base, kind: 'poll', ...(answer?.body.interval !== undefined && answer.error === 'slow_down' ? { slowDownInterval: Number(answer.body.interval) } : {}) });
          if (answer?.ok) this.#tokens(flow, answer.body);
        } else if (refreshToken !== null) {
          const seen = this.#byRefreshToken.get(refreshToken);
          if (!seen) return;
          const scope = params.get('scope');
          this.#push(seen.flow, {
            ...base, kind: 'refresh', refreshToken: { generation: seen.generation, ...(seen.replacedAt !== undefined ? { replacedAt: seen.replacedAt } : {}) },
            ...(scope !== null ? { scope: scope.split(/[\s,]+/).filter(Boolean) } : {}),
          });
          if (answer?.ok) {
            const next = answer.body.refresh_token;
            if (typeof next === 'string' && next !== refreshToken && seen.replacedAt === undefined) seen.replacedAt = ex.answeredAt ?? ex.at;
            this.#tokens(seen.flow, answer.body, seen.generation);
          }
        }
        break;
      }
      case 'revocation': {
        const token = params.get('token');
        const rt = token === null ? undefined : this.#byRefreshToken.get(token);
        const flow = rt?.flow ?? (token === null ? undefined : this.#byAccessToken.get(token));
        if (!flow) return;
        this.#push(flow, {
          ...base, kind: 'revocation', tokenParam: true, revoked: rt ? 'refresh_token' : 'access_token',
          ...(rt ? { refreshToken: { generation: rt.generation, ...(rt.replacedAt !== undefined ? { replacedAt: rt.replacedAt } : {}) } } : {}),
        });
        break;
      }
      case 'api': {
        const authz = ex.request.headers.get('authorization') ?? '';
        const m = /^(\S+)\s+(\S+)$/.exec(authz);
        const query = new URL(ex.request.url).searchParams.get('access_token');
        const bodyToken = isForm(ex.request) ? params.get('access_token') : null;
        const token = m?.[2] ?? query ?? bodyToken;
        const flow = token ? this.#byAccessToken.get(token) : undefined;
        if (!flow || !token) return;
        this.#push(flow, {
          ...base, kind: 'api', tokenIn: { ...(m ? { header: m[1]! } : {}), query: query !== null, body: bodyToken !== null },
          expectedAth: createHash('sha256').update(token).digest('base64url'),
        });
        break;
      }
    }
  }

  /** Re-check every login that has not ended (a code that ran out unpolled ends as expired). */
  tick(now: number): void {
    for (const flow of this.flows) this.#checkEnded(flow, now);
  }

  #deviceAuthorization(ex: Exchange, params: URLSearchParams, base: Omit<ObservedRequest, 'kind'>, answer: Answer | undefined): void {
    const as = this.#opts.as;
    const deviceCode = answer?.ok && typeof answer.body.device_code === 'string' ? answer.body.device_code : undefined;
    const rec = deviceCode ? as.state.deviceGrants.get(deviceCode) : undefined;
    const clientId = rec?.clientId ?? params.get('client_id') ?? basicClientId(ex.request) ?? '(none)';
    const client = as.registry.clients.find((c) => c.clientId === clientId);
    const publicClient = client ? client.tokenEndpointAuthMethod === 'none' : !basicClientId(ex.request) && !params.has('client_secret');
    const userAgent = ex.request.headers.get('user-agent') ?? undefined;
    const flow: FlowObservations = {
      clientId, publicClient, ...(userAgent ? { userAgent } : {}), startedAt: ex.at,
      dpopRequired: !!client && (client.dpopBoundAccessTokens === true || (as.knobs.dpopRequired && client.tokenEndpointAuthMethod === 'none')),
      requests: [],
    };
    if (rec && answer) {
      const interval = answer.body.interval;
      flow.codes = { answeredAt: ex.answeredAt ?? ex.at, intervalS: interval === undefined ? null : Number(interval), expiresInS: Number(answer.body.expires_in) };
      flow.serverExpiresAt = rec.expiresAt;
      this.#byDeviceCode.set(rec.deviceCode, flow);
    }
    this.flows.push(flow);
    this.#push(flow, { ...base, kind: 'device_authorization' });
  }

  #tokens(flow: FlowObservations, body: Record<string, unknown>, fromGeneration = 0): void {
    if (typeof body.access_token === 'string') this.#byAccessToken.set(body.access_token, flow);
    if (typeof body.refresh_token === 'string' && !this.#byRefreshToken.has(body.refresh_token)) {
      this.#byRefreshToken.set(body.refresh_token, { flow, generation: fromGeneration + 1 });
    }
    if (fromGeneration === 0 && typeof body.scope === 'string') flow.grantedScope = body.scope.split(/[\s,]+/).filter(Boolean);
  }

  #push(flow: FlowObservations, obs: ObservedRequest): void {
    flow.requests.push(obs);
    this.#checkEnded(flow, obs.answeredAt ?? obs.at);
  }

  #checkEnded(flow: FlowObservations, now: number): void {
    if (this.#ended.has(flow)) return;
    if (flowOutcome(flow, now).outcome === 'pending') return;
    this.#ended.add(flow);
    this.#opts.onEnded?.(flow, this.flows.indexOf(flow));
  }
}

interface Answer {
  ok: boolean;
  status: number;
  error?: string;
  body: Record<string, unknown>;
  nonce: boolean;
}

/** The answer's status and OAuth error under its RFC name (a profile's renamed codes mapped back). */
async function answerOf(response: Response, as: AuthorizationServer): Promise<Answer> {
  const text = await response.text().catch(() => '');
  let body: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    body = Object.fromEntries(new URLSearchParams(text));
  }
  const renamed = new Map<string, string>();
  for (const [rfc, name] of Object.entries({ ...as.profile.errorNames, ...as.profile.deviceGrantErrorNames })) renamed.set(name, rfc);
  const raw = typeof body.error === 'string' ? body.error : undefined;
  const error = raw === undefined ? undefined : renamed.get(raw) ?? raw;
  return { ok: response.status === 200 && error === undefined, status: response.status, ...(error ? { error } : {}), body, nonce: response.headers.has('dpop-nonce') };
}

function isForm(request: Request): boolean {
  return (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/** The form body of a POST, or the query of anything else (a GET to the token endpoint still says what it meant). */
function paramsOf(request: Request, body: string): URLSearchParams {
  return request.method === 'POST' && body ? new URLSearchParams(body) : new URL(request.url).searchParams;
}

/** The client id of HTTP Basic client authentication (RFC 6749 §2.3.1), if any. */
export function basicClientId(request: Request): string | undefined {
  const authz = request.headers.get('authorization') ?? '';
  if (!/^basic /i.test(authz)) return undefined;
  try {
    const text = atob(authz.slice(6).trim());
    const i = text.indexOf(':');
    return i < 0 ? undefined : decodeURIComponent(text.slice(0, i).replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function baseObservation(ex: Exchange, params: URLSearchParams, answer: Answer | undefined): Omit<ObservedRequest, 'kind'> {
  const { request } = ex;
  const url = new URL(request.url);
  const [type = '', ...typeParams] = (request.headers.get('content-type') ?? '').split(';').map((s) => s.trim());
  const charset = typeParams.find((p) => /^charset=/i.test(p))?.slice(8).replace(/"/g, '').toLowerCase();
  const counts = new Map<string, number>();
  for (const name of params.keys()) counts.set(name, (counts.get(name) ?? 0) + 1);
  const dpopHeader = request.headers.get('dpop');
  const dpopParts = dpopHeader === null ? [] : dpopHeader.split(',').map((s) => s.trim()).filter(Boolean);
  const userAgent = request.headers.get('user-agent');
  const clientId = params.get('client_id');
  const grantType = params.get('grant_type');
  return {
    at: ex.at,
    method: request.method,
    url: `${url.origin}${url.pathname}`,
    ...(type ? { contentType: type.toLowerCase() } : {}),
    ...(charset ? { charset } : {}),
    ...(userAgent ? { userAgent } : {}),
    repeated: [...counts].filter(([, n]) => n > 1).map(([name]) => name),
    clientIdSent: clientId !== null && clientId !== '',
    basicAuth: /^basic /i.test(request.headers.get('authorization') ?? ''),
    ...(grantType !== null ? { grantType } : {}),
    dpopHeaders: dpopParts.length,
    ...(dpopParts.length === 1 ? { dpop: decodeProof(dpopParts[0]!) } : {}),
    ...(ex.transport ? { transport: ex.transport } : {}),
    ...(answer ? { status: answer.status, ...(answer.error ? { error: answer.error } : {}), ...(answer.nonce ? { sentNonce: true } : {}) } : {}),
    ...(ex.answeredAt !== undefined ? { answeredAt: ex.answeredAt } : {}),
  };
}

function decodeProof(jwt: string): SeenProof {
  try {
    const header = decodeProtectedHeader(jwt);
    const claims = decodeJwt(jwt);
    const jwk = (header.jwk ?? {}) as Record<string, unknown>;
    return {
      ...(typeof header.typ === 'string' ? { typ: header.typ } : {}),
      ...(typeof header.alg === 'string' ? { alg: header.alg } : {}),
      privateKeyInJwk: ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((m) => m in jwk),
      ...(typeof claims.jti === 'string' ? { jti: claims.jti } : {}),
      ...(typeof claims.htm === 'string' ? { htm: claims.htm } : {}),
      ...(typeof claims.htu === 'string' ? { htu: claims.htu } : {}),
      ...(typeof claims.iat === 'number' ? { iat: claims.iat } : {}),
      ...(typeof claims.ath === 'string' ? { ath: claims.ath } : {}),
      ...(typeof claims.nonce === 'string' ? { nonce: claims.nonce } : {}),
    };
  } catch {
    return { privateKeyInJwk: false, malformed: true };
  }
}
