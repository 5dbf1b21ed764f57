/**
 * The CLI machine's effects, one promise actor per protocol step (verbs: `discoverMetadata`,
 * `requestDeviceCode`, `pollToken`, `refreshTokens`, `revokeToken`, `callApi`) plus the storage steps. Each
 * takes everything it needs as typed input; all HTTP goes through `send` (the injected fetch), and the only
 * time they read is `now()` for DPoP `iat`.
 */
import { fromPromise } from 'xstate';
import {
  assertSecureUrl,
  deviceAuthorizationRequest,
  deviceCodeGrantRequest,
  discoveryRequest,
  openidDiscoveryRequest,
  ResponseValidationError,
  processDeviceAuthorizationResponse,
  processDeviceCodeGrantResponse,
  processDiscoveryResponse,
  processProtectedResourceResponse,
  processRevocationResponse,
  processTokenEndpointResponse,
  protectedResourceRequest,
  refreshTokenGrantRequest,
  revocationRequest,
  type ClientIdentity,
  type ResourceCredentials,
  type TokenTypeHint,
  type UrlPolicy,
} from '../protocol/client.ts';
import { createDpopProof, generateDpopKeyPair, type DpopKeyPair } from '../protocol/dpop-client.ts';
import { peekText } from '../protocol/bodyText.ts';
import { send, type HttpOptions } from './http.ts';
import type { TokenRecord, StorageHost } from './ports.ts';
import { clearRecord, loadRecord, saveRecord, type StoragePlan } from './storage.ts';

/** DPoP material for one request: the login's key, the server's latest nonce and the clock's now. */
export interface DpopInput {
  key: DpopKeyPair;
  nonce?: string;
  now: () => number;
}

interface WithHttp {
  http: HttpOptions;
}

/** The client's identity: `client_id`, and `client_secret` for a confidential client (RFC 6749 §2.3.1). */
export interface WithClient {
  clientId: string;
  clientSecret?: string;
}

const clientOf = (input: WithClient): ClientIdentity =>
  input.clientSecret ? { clientId: input.clientId, clientSecret: input.clientSecret } : { clientId: input.clientId };

/**
 * Send a request built around a fresh DPoP proof (RFC 9449 §4, §7.3: a new `jti` every time), and retry once
 * with the server's nonce on `use_dpop_nonce` (RFC 9449 §8-9). Returns the response and the latest nonce.
 */
async function sendWithDpop(
  http: HttpOptions,
  dpop: DpopInput | undefined,
  target: { method: string; url: string; accessToken?: string },
  build: (proof: string | undefined) => Request,
): Promise<{ response: Response; nonce?: string }> {
  let nonce = dpop?.nonce;
  for (let attempt = 0; ; attempt++) {
    const proof = dpop
      ? await createDpopProof({ key: dpop.key, method: target.method, url: target.url, nowMs: dpop.now(), nonce, accessToken: target.accessToken })
      : undefined;
    const response = await send(http, build(proof));
    const offered = response.headers.get('dpop-nonce') ?? undefined;
    if (offered) nonce = offered;
    if (dpop && attempt === 0 && offered && (await asksForNonce(response))) continue;
    return nonce === undefined ? { response } : { response, nonce };
  }
}

/** `use_dpop_nonce` in an RFC 6749 §5.2 body (authorization server) or a `WWW-Authenticate` challenge (API). */
async function asksForNonce(response: Response): Promise<boolean> {
  if (/use_dpop_nonce/.test(response.headers.get('www-authenticate') ?? '')) return true;
  try {
    const body: unknown = JSON.parse(await peekText(response));
    return typeof body === 'object' && body !== null && (body as { error?: unknown }).error === 'use_dpop_nonce';
  } catch {
    return false;
  }
}

/**
 * RFC 8414: fetch and validate the metadata. When the server has no RFC 8414 document (any status but 200), try
 * OpenID Connect Discovery 1.0 §4 (`/.well-known/openid-configuration`), which many providers publish instead.
 */
export const discoverMetadata = fromPromise(async ({ input, signal }: { input: WithHttp & { issuer: string; policy: UrlPolicy }; signal: AbortSignal }) => {
  const { http } = input;
  const response = await send(http, discoveryRequest(input.issuer, input.policy, { signal }));
  if (response.status === 200) return processDiscoveryResponse(input.issuer, response, input.policy);
  await response.body?.cancel();
  const openid = await send(http, openidDiscoveryRequest(input.issuer, input.policy, { signal }));
  if (openid.status !== 200) {
    await openid.body?.cancel();
    throw new ResponseValidationError('authorization server metadata', '(status)', `HTTP 200 at ${new URL(discoveryRequest(input.issuer, input.policy).url).pathname} (RFC 8414 §3) or ${new URL(openidDiscoveryRequest(input.issuer, input.policy).url).pathname} (OpenID Connect Discovery §4)`, `${response.status} and ${openid.status}`);
  }
  return processDiscoveryResponse(input.issuer, openid, input.policy);
});

/** RFC 9449 §4.2: a fresh key pair for this login. */
export const generateProofKey = fromPromise(async () => generateDpopKeyPair());

/** RFC 8628 §3.1-3.2: ask for a device code and user code. */
export const requestDeviceCode = fromPromise(
  async ({ input, signal }: { input: WithHttp & WithClient & { endpoint: string; scopes: string[] }; signal: AbortSignal }) => {
    const response = await send(input.http, deviceAuthorizationRequest(input.endpoint, clientOf(input), input.scopes, { signal }));
    return processDeviceAuthorizationResponse(response);
  },
);

/** RFC 8628 §3.4-3.5: one poll of the token endpoint. */
export const pollToken = fromPromise(
  async ({ input, signal }: { input: WithHttp & WithClient & { endpoint: string; deviceCode: string; dpop?: DpopInput }; signal: AbortSignal }) => {
    const { response, nonce } = await sendWithDpop(input.http, input.dpop, { method: 'POST', url: input.endpoint }, (proof) =>
      deviceCodeGrantRequest(input.endpoint, clientOf(input), input.deviceCode, proof ? { dpop: proof, signal } : { signal }),
    );
    const outcome = await processDeviceCodeGrantResponse(response, { dpopProofSent: input.dpop !== undefined });
    return { outcome, nonce };
  },
);

/** RFC 6749 §6: trade the refresh token for new tokens. */
export const refreshTokens = fromPromise(
  async ({ input, signal }: { input: WithHttp & WithClient & { endpoint: string; refreshToken: string; dpop?: DpopInput }; signal: AbortSignal }) => {
    const { response, nonce } = await sendWithDpop(input.http, input.dpop, { method: 'POST', url: input.endpoint }, (proof) =>
      refreshTokenGrantRequest(input.endpoint, clientOf(input), input.refreshToken, proof ? { dpop: proof, signal } : { signal }),
    );
    const result = await processTokenEndpointResponse(response, { dpopProofSent: input.dpop !== undefined });
    return { result, nonce };
  },
);

/** RFC 7009 §2: revoke one token. */
export const revokeToken = fromPromise(
  async ({ input, signal }: { input: WithHttp & WithClient & { endpoint: string; token: string; hint: TokenTypeHint; policy: UrlPolicy }; signal: AbortSignal }) => {
    const request = revocationRequest(input.endpoint, clientOf(input), input.token, input.hint, input.policy, { signal });
    return processRevocationResponse(await send(input.http, request));
  },
);

/**
 * The URL for an API path. The token only ever goes to the configured API, over TLS (RFC 6749 §10.3): a path
 * that points elsewhere, or an http API, is refused; a fragment never leaves the client.
 */
export function apiUrl(baseUrl: string, path: string, policy: UrlPolicy): string {
  const base = assertSecureUrl('apiBaseUrl', baseUrl, policy);
  const url = new URL(path, base);
  if (url.origin !== base.origin) throw new TypeError(`refusing to send the access token to ${url.origin}: API paths must stay on ${base.origin}`);
  url.hash = '';
  return url.href;
}

/** RFC 6750 §2.1 / RFC 9449 §7: one API call with the access token in the Authorization header. */
export const callApi = fromPromise(
  async ({
    input,
    signal,
  }: {
    input: WithHttp & { baseUrl: string; path: string; method: string; session: TokenRecord; policy: UrlPolicy; dpop?: DpopInput };
    signal: AbortSignal;
  }) => {
    const url = apiUrl(input.baseUrl, input.path, input.policy);
    const { accessToken, tokenType } = input.session;
    const dpop = tokenType === 'DPoP' ? input.dpop : undefined;
    const { response, nonce } = await sendWithDpop(input.http, dpop, { method: input.method, url, accessToken }, (proof) => {
      const credentials: ResourceCredentials = proof ? { accessToken, tokenType, dpop: proof } : { accessToken, tokenType };
      return protectedResourceRequest(url, input.method, credentials, { signal });
    });
    return { outcome: await processProtectedResourceResponse(response), nonce };
  },
);

interface StorageInput {
  host: StorageHost;
  plan: StoragePlan;
}

export const loadSession = fromPromise(async ({ input }: { input: StorageInput }) => loadRecord(input.host, input.plan));
export const saveSession = fromPromise(async ({ input }: { input: StorageInput & { record: TokenRecord } }) =>
  saveRecord(input.host, input.plan, input.record),
);
export const clearSession = fromPromise(async ({ input }: { input: StorageInput }) => clearRecord(input.host, input.plan));
