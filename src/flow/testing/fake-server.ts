/**
 * A scripted authorization server and API for client-machine tests: a function Request → Response that records
 * every exchange with its world-clock time. Each endpoint answers from its own queue of scripted replies and
 * falls back to a sensible, RFC-correct default (metadata, a device code, `authorization_pending`, refresh with
 * rotation, revocation 200, an API that checks the access token). Not the lead's simulator: small on purpose.
 */
import type { DeviceAuthorizationResponse } from '../../protocol/client.ts';
import type { VirtualClock } from '../../sim/clock.ts';
import { AS_METADATA_PATH, DEVICE_CODE_GRANT_TYPE, OPENID_METADATA_PATH, REFRESH_TOKEN_GRANT_TYPE } from '../../protocol/constants.ts';
import { randomSecret } from '../../protocol/random.ts';

export type ExchangeKind = 'metadata' | 'device' | 'poll' | 'refresh' | 'revoke' | 'api' | 'other';

export interface Exchange {
  id: number;
  kind: ExchangeKind;
  /** World-clock ms when the request arrived. */
  at: number;
  /** World-clock ms when it was answered, failed or aborted. */
  endedAt?: number;
  outcome: 'pending' | 'answered' | 'network-error' | 'aborted';
  method: string;
  url: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  /** Parsed form body (all values, repeated keys kept as arrays would be: see `repeatedKeys`). */
  form: Record<string, string>;
  repeatedKeys: string[];
  rawBody: string;
  status?: number;
}

export interface ReplySpec {
  status?: number;
  json?: unknown;
  form?: Record<string, string>;
  text?: string;
  headers?: Record<string, string>;
  /** Answer after this much world-clock time. */
  delayMs?: number;
}

/** A scripted reply: a response spec, a reply computed from the request, a rejected fetch, or no answer at all. */
export type Reply = ReplySpec | 'network-error' | 'hang' | ((exchange: Exchange, server: FakeServer) => Reply);

/** What the scripted device authorization endpoint answers by default. */
export type DeviceDefaults = DeviceAuthorizationResponse;

export interface FakeServerOptions {
  issuer?: string;
  apiBaseUrl?: string;
  /** Overrides for the default device authorization response; `undefined` values remove a member. */
  device?: Partial<Record<keyof DeviceDefaults, string | number | undefined>>;
  /** Overrides for the metadata document; `undefined` removes a member. */
  metadata?: Record<string, unknown>;
  /** Lifetime of minted access tokens, seconds (`expires_in`). */
  accessTokenTtlS?: number;
  /** Mint a refresh token with every token response. */
  issueRefreshTokens?: boolean;
}

export const TEST_ISSUER = 'https://auth.acme.test';
export const TEST_API = 'https://api.acme.test';

/** Which scope each API route needs (the simulated API's rules). */
const SCOPE_NEEDED: Array<[RegExp, string]> = [
  [/^DELETE \/api\/projects\//, 'projects:admin'],
  [/^GET \/api\/projects/, 'projects:read'],
];

export class FakeServer {
  readonly issuer: string;
  readonly apiBaseUrl: string;
  readonly exchanges: Exchange[] = [];
  /** Scripted replies per endpoint, consumed front to back. */
  readonly script: Record<Exclude<ExchangeKind, 'other'>, Reply[]> = { metadata: [], device: [], poll: [], refresh: [], revoke: [], api: [] };
  /** Every secret this server handed out, for leak checks. */
  readonly secrets = new Set<string>();
  readonly deviceCodes: string[] = [];
  readonly accessTokens: string[] = [];
  readonly refreshTokens: string[] = [];
  readonly revoked = new Set<string>();
  /** Live tokens: access token → granted scope; refresh token → scope. */
  readonly liveAccess = new Map<string, string>();
  readonly liveRefresh = new Map<string, string>();
  private seq = 0;
  private lastScope = 'profile projects:read';

  constructor(readonly clock: VirtualClock, readonly options: FakeServerOptions = {}) {
    this.issuer = options.issuer ?? TEST_ISSUER;
    this.apiBaseUrl = options.apiBaseUrl ?? TEST_API;
  }

  /** The fetch function to inject. */
  readonly fetch = (request: Request): Promise<Response> => this.handle(request);

  /** Requests received but not yet answered (hanging or delayed). */
  inFlight(): number {
    return this.exchanges.filter((e) => e.outcome === 'pending').length;
  }

  of(kind: ExchangeKind): Exchange[] {
    return this.exchanges.filter((e) => e.kind === kind);
  }

  /** Queue replies for an endpoint. */
  on(kind: Exclude<ExchangeKind, 'other'>, ...replies: Reply[]): this {
    this.script[kind].push(...replies);
    return this;
  }

  /** Mint an access token (and a refresh token unless disabled) for `scope`. */
  mintTokens(scope: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const n = this.accessTokens.length + 1;
    const accessToken = `AT${n}.${randomSecret(18)}`;
    this.accessTokens.push(accessToken);
    this.secrets.add(accessToken);
    this.liveAccess.set(accessToken, scope);
    const body: Record<string, unknown> = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.options.accessTokenTtlS ?? 900,
      scope,
      ...extra,
    };
    if (this.options.issueRefreshTokens !== false && !('refresh_token' in extra)) {
      const refreshToken = `RT${this.refreshTokens.length + 1}.${randomSecret(18)}`;
      this.refreshTokens.push(refreshToken);
      this.secrets.add(refreshToken);
      this.liveRefresh.set(refreshToken, scope);
      body.refresh_token = refreshToken;
    }
    for (const [k, v] of Object.entries(extra)) if (v === undefined) delete body[k];
    return body;
  }

  private async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const rawBody = request.body ? await request.clone().text() : '';
    const params = new URLSearchParams(rawBody);
    const form: Record<string, string> = {};
    const repeatedKeys: string[] = [];
    for (const [k, v] of params) {
      if (k in form) repeatedKeys.push(k);
      form[k] = v;
    }
    const headers: Record<string, string> = {};
    request.headers.forEach((v, k) => (headers[k] = v));
    const exchange: Exchange = {
      id: ++this.seq,
      kind: this.classify(request.method, url, form),
      at: this.clock.now(),
      outcome: 'pending',
      method: request.method,
      url: request.url,
      path: url.pathname,
      query: url.search,
      headers,
      form,
      repeatedKeys,
      rawBody,
    };
    this.exchanges.push(exchange);
    const scripted = exchange.kind === 'other' ? undefined : this.script[exchange.kind].shift();
    return this.respond(exchange, request.signal, scripted ?? ((ex) => this.defaultReply(ex)));
  }

  private respond(exchange: Exchange, signal: AbortSignal, reply: Reply): Promise<Response> {
    while (typeof reply === 'function') reply = reply(exchange, this);
    const end = (outcome: Exchange['outcome'], status?: number) => {
      exchange.outcome = outcome;
      exchange.endedAt = this.clock.now();
      if (status !== undefined) exchange.status = status;
    };
    if (reply === 'network-error') {
      end('network-error');
      return Promise.reject(new TypeError('fetch failed: connect ETIMEDOUT'));
    }
    const spec = reply;
    return new Promise<Response>((resolve, reject) => {
      let timer: unknown;
      const onAbort = () => {
        if (timer !== undefined) this.clock.clearTimeout(timer);
        end('aborted');
        reject(new DOMException('The operation was aborted.', 'AbortError'));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      if (spec === 'hang') return;
      const deliver = () => {
        signal.removeEventListener('abort', onAbort);
        const response = toResponse(spec);
        end('answered', response.status);
        resolve(response);
      };
      // The world's VirtualClock, not the wall clock: the answer arrives when the test moves time.
      if (spec.delayMs) timer = this.clock.setTimeout(deliver, spec.delayMs);
      else deliver();
    });
  }

  private classify(method: string, url: URL, form: Record<string, string>): ExchangeKind {
    if (url.origin === this.apiBaseUrl) return 'api';
    if (url.origin !== new URL(this.issuer).origin) return 'other';
    if (url.pathname === AS_METADATA_PATH || url.pathname === OPENID_METADATA_PATH) return 'metadata';
    if (url.pathname === '/device/code') return 'device';
    if (url.pathname === '/token' && form.grant_type === DEVICE_CODE_GRANT_TYPE) return 'poll';
    if (url.pathname === '/token' && form.grant_type === REFRESH_TOKEN_GRANT_TYPE) return 'refresh';
    if (url.pathname === '/revoke') return 'revoke';
    return method === 'POST' && url.pathname === '/token' ? 'poll' : 'other';
  }

  private defaultReply(exchange: Exchange): Reply {
    switch (exchange.kind) {
      case 'metadata':
        return { json: this.metadataDocument() };
      case 'device':
        return { json: this.deviceResponse(exchange.form.scope) };
      case 'poll':
        return replies.pending();
      case 'refresh': {
        const rt = exchange.form.refresh_token ?? '';
        const scope = this.liveRefresh.get(rt);
        if (scope === undefined) return replies.error('invalid_grant', 400, 'refresh token is invalid, expired or already used');
        this.liveRefresh.delete(rt);
        return { json: this.mintTokens(scope) };
      }
      case 'revoke': {
        const token = exchange.form.token ?? '';
        this.revoked.add(token);
        this.liveAccess.delete(token);
        this.liveRefresh.delete(token);
        return { status: 200 };
      }
      case 'api':
        return this.apiReply(exchange);
      case 'other':
        return { status: 404, json: { error: 'not_found' } };
    }
  }

  metadataDocument(): Record<string, unknown> {
    const doc: Record<string, unknown> = {
      issuer: this.issuer,
      device_authorization_endpoint: `${this.issuer}/device/code`,
      token_endpoint: `${this.issuer}/token`,
      revocation_endpoint: `${this.issuer}/revoke`,
      grant_types_supported: [DEVICE_CODE_GRANT_TYPE, REFRESH_TOKEN_GRANT_TYPE],
      ...this.options.metadata,
    };
    for (const [k, v] of Object.entries(doc)) if (v === undefined) delete doc[k];
    return doc;
  }

  private deviceResponse(scope: string | undefined): Record<string, unknown> {
    const deviceCode = `DC${this.deviceCodes.length + 1}.${randomSecret(24)}`;
    this.deviceCodes.push(deviceCode);
    this.secrets.add(deviceCode);
    if (scope) this.lastScope = scope;
    const body: Record<string, unknown> = {
      device_code: deviceCode,
      user_code: 'WDJB-MJHT',
      verification_uri: `${this.issuer}/device`,
      expires_in: 600,
      interval: 5,
      ...this.options.device,
    };
    for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k];
    return body;
  }

  /** The scope the last device authorization request asked for (what an approval grants by default). */
  get requestedScope(): string {
    return this.lastScope;
  }

  private apiReply(exchange: Exchange): Reply {
    const auth = exchange.headers.authorization ?? '';
    const [scheme, token] = auth.split(' ');
    const scope = token ? this.liveAccess.get(token) : undefined;
    if (!scheme || !token) return { status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="api"' }, text: '' };
    if (scope === undefined) return { status: 401, headers: { 'WWW-Authenticate': `${scheme} error="invalid_token"` }, text: '' };
    const needed = SCOPE_NEEDED.find(([re]) => re.test(`${exchange.method} ${exchange.path}`))?.[1];
    if (needed && !scope.split(' ').includes(needed)) {
      return { status: 403, headers: { 'WWW-Authenticate': `${scheme} error="insufficient_scope", scope="${needed}"` }, text: '' };
    }
    return { json: { ok: true, path: exchange.path } };
  }
}

function toResponse(spec: ReplySpec): Response {
  const headers = new Headers(spec.headers);
  let body: string | null = null;
  if (spec.json !== undefined) {
    body = JSON.stringify(spec.json);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  } else if (spec.form !== undefined) {
    body = new URLSearchParams(spec.form).toString();
    if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded');
  } else if (spec.text !== undefined) {
    body = spec.text;
  }
  return new Response(body, { status: spec.status ?? 200, headers });
}

/** Reply builders for scripts. */
export const replies = {
  pending: (): ReplySpec => replies.error('authorization_pending'),
  slowDown: (interval?: number): ReplySpec =>
    ({ status: 400, json: interval === undefined ? { error: 'slow_down' } : { error: 'slow_down', interval } }),
  denied: (): ReplySpec => replies.error('access_denied'),
  expired: (): ReplySpec => replies.error('expired_token'),
  error: (error: string, status = 400, description?: string): ReplySpec =>
    ({ status, json: description === undefined ? { error } : { error, error_description: description } }),
  /** Approve: mint tokens for the scope the device request asked for; `extra` overrides members. */
  tokens: (extra: Record<string, unknown> = {}): Reply => (_ex, server) => ({ json: server.mintTokens(server.requestedScope, extra) }),
  networkError: (): Reply => 'network-error',
  hang: (): Reply => 'hang',
};
