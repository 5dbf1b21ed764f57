/**
 * Test fixture for the simulated identity provider: a fresh server on a virtual clock, plus
 * intention-named helpers that speak HTTP to it exactly as a client or browser would.
 * Used by the server conformance tests and the property tests (never by production code).
 */
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import type { DeviceAuthorizationResponse } from '../../protocol/client.ts';
import { DEVICE_CODE_GRANT_TYPE } from '../../protocol/constants.ts';
import { accessTokenHash } from '../../protocol/dpop.ts';
import { randomSecret } from '../../protocol/random.ts';
import { VirtualClock } from '../clock.ts';
import { createSimIdp, SIM_ISSUER, type SimIdp } from '../idp.ts';
import type { ServerKnobs } from '../knobs.ts';

export const ISSUER = SIM_ISSUER;
export const API = 'https://api.acme.test/api';
export const CLI = 'acme-cli';
export const CI_CLIENT = 'acme-ci';
export const CI_SECRET = 'ci-runner-secret-not-for-devices';
export const WEB_CLIENT = 'acme-web';
export const RS_CLIENT = 'acme-api';
export const RS_SECRET = 'api-introspection-secret';

export type Params = Record<string, string | undefined>;

export interface TestIdp {
  idp: SimIdp;
  clock: VirtualClock;
  /** POST a form to an AS path (e.g. '/token'), or to an absolute URL. */
  post(path: string, params: Params, headers?: Record<string, string>): Promise<Response>;
  /** POST a raw body. */
  postRaw(path: string, body: string, headers?: Record<string, string>): Promise<Response>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  /** Device authorization request for the CLI (or another client); returns the parsed JSON. */
  deviceAuthorize(params?: Params, headers?: Record<string, string>): Promise<DeviceAuthorization>;
  /** One device_code poll. */
  poll(deviceCode: string, params?: Params, headers?: Record<string, string>): Promise<Response>;
  signIn(user?: string): Promise<string>;
  enterCode(session: string, userCode: string): Promise<Response>;
  decide(session: string, userCode: string, decision: 'approve' | 'deny', scope?: string): Promise<Response>;
  /** Sign in, enter the code and approve (optionally fewer scopes). */
  approve(userCode: string, opts?: { user?: string; scope?: string }): Promise<void>;
  deny(userCode: string, user?: string): Promise<void>;
  /** Full device login: authorize, approve, wait the interval, poll once. Returns the token response JSON. */
  login(opts?: { params?: Params; scope?: string; user?: string; dpop?: DpopKey }): Promise<TokenResponse>;
  refresh(refreshToken: string, params?: Params, headers?: Record<string, string>): Promise<Response>;
  revoke(token: string, params?: Params, headers?: Record<string, string>): Promise<Response>;
  introspect(token: string, auth?: 'rs' | 'none' | 'cli'): Promise<Response>;
  /** Call the protected API. */
  api(path: string, init?: { method?: string; headers?: Record<string, string> }): Promise<Response>;
}

/** A parsed device authorization response, with any extra members a profile adds (Entra's message, ...). */
export type DeviceAuthorization = DeviceAuthorizationResponse & Record<string, unknown>;

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

export function basic(id: string, secret: string): string {
  return `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`;
}

export async function createTestIdp(knobs: Partial<ServerKnobs> = {}, opts: { enableControl?: boolean } = {}): Promise<TestIdp> {
  const clock = new VirtualClock();
  const idp = await createSimIdp({ clock, knobs, ...(opts.enableControl ? { enableControl: true } : {}) });
  const url = (p: string) => (p.startsWith('http') ? p : `${ISSUER}${p}`);
  const form = (params: Params) => {
    const out = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) out.append(k, v);
    return out.toString();
  };
  const t: TestIdp = {
    idp,
    clock,
    post: (path, params, headers = {}) => idp.handle(new Request(url(path), { method: 'POST', headers: { ...FORM, ...headers }, body: form(params) })),
    postRaw: (path, body, headers = {}) => idp.handle(new Request(url(path), { method: 'POST', headers: { ...FORM, ...headers }, body })),
    get: (path, headers = {}) => idp.handle(new Request(url(path), { headers })),
    async deviceAuthorize(params = {}, headers = {}) {
      const res = await t.post('/device_authorization', { client_id: CLI, ...params }, { accept: 'application/json', ...headers });
      if (res.status !== 200) throw new Error(`device authorization failed: ${res.status} ${await res.text()}`);
      return (await res.json()) as DeviceAuthorization;
    },
    poll: (deviceCode, params = {}, headers = {}) =>
      t.post('/token', { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode, client_id: CLI, ...params }, headers),
    async signIn(user = 'alice') {
      const res = await t.post('/device/signin', { user });
      return ((await res.json()) as { session: string }).session;
    },
    enterCode: (session, userCode) => t.post('/device/enter', { user_code: userCode }, { 'x-session': session }),
    decide: (session, userCode, decision, scope) => t.post('/device/decision', { user_code: userCode, decision, scope }, { 'x-session': session }),
    async approve(userCode, o = {}) {
      const s = await t.signIn(o.user);
      const entered = await t.enterCode(s, userCode);
      if (entered.status !== 200) throw new Error(`enter code failed: ${await entered.text()}`);
      const res = await t.decide(s, userCode, 'approve', o.scope);
      if (res.status !== 200) throw new Error(`approve failed: ${await res.text()}`);
    },
    async deny(userCode, user) {
      const s = await t.signIn(user);
      await t.enterCode(s, userCode);
      const res = await t.decide(s, userCode, 'deny');
      if (res.status !== 200) throw new Error(`deny failed: ${await res.text()}`);
    },
    async login(o = {}) {
      const da = await t.deviceAuthorize(o.params);
      await t.approve(da.user_code, { ...(o.user ? { user: o.user } : {}), ...(o.scope ? { scope: o.scope } : {}) });
      clock.advance((da.interval ?? 5) * 1000);
      const headers: Record<string, string> = { accept: 'application/json', ...(o.dpop ? { dpop: await o.dpop.proof('POST', `${ISSUER}/token`) } : {}) };
      const res = await t.poll(da.device_code, {}, headers);
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
      return (await res.json()) as TokenResponse;
    },
    refresh: (refreshToken, params = {}, headers = {}) =>
      t.post('/token', { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLI, ...params }, headers),
    revoke: (token, params = {}, headers = {}) => t.post('/revoke', { token, client_id: CLI, ...params }, headers),
    introspect(token, auth = 'rs') {
      if (auth === 'rs') return t.post('/introspect', { token }, { authorization: basic(RS_CLIENT, RS_SECRET) });
      if (auth === 'cli') return t.post('/introspect', { token, client_id: CLI });
      return t.post('/introspect', { token });
    },
    api: (path, init = {}) => idp.handle(new Request(`${API}${path}`, { method: init.method ?? 'GET', headers: init.headers ?? {} })),
  };
  return t;
}

/** A DPoP key pair and a proof maker for tests (valid by default; every field can be overridden to break it). */
export interface DpopKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
  clock: { now(): number };
  proof(
    htm: string,
    htu: string,
    opts?: { accessToken?: string; nonce?: string; iatOffsetS?: number; jti?: string; header?: Record<string, unknown>; claims?: Record<string, unknown> },
  ): Promise<string>;
}

export async function createDpopKey(clock: { now(): number }): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return {
    privateKey,
    publicJwk,
    clock,
    async proof(htm, htu, o = {}) {
      const claims: Record<string, unknown> = {
        jti: o.jti ?? randomSecret(16),
        htm,
        htu,
        iat: Math.floor(clock.now() / 1000) + (o.iatOffsetS ?? 0),
        ...(o.accessToken ? { ath: await accessTokenHash(o.accessToken) } : {}),
        ...(o.nonce ? { nonce: o.nonce } : {}),
        ...o.claims,
      };
      return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: publicJwk, ...o.header } as never).sign(privateKey);
    },
  };
}
