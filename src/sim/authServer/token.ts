/**
 * POST token_endpoint, the dispatcher (node-oidc-provider's `actions/token.js`): read the form, apply the rate
 * limit, pick the grant by `grant_type`, authenticate the client and check it may use that grant, then hand over
 * to one file per grant, as node-oidc-provider's `actions/grants/`: the device code grant (deviceCodeGrant.ts,
 * RFC 8628 §3.4-3.5), the refresh token grant (refreshTokenGrant.ts, RFC 6749 §6) and, while its knob is on,
 * token exchange (tokenExchange.ts, RFC 8693).
 */
import { DEVICE_CODE_GRANT_TYPE, REFRESH_TOKEN_GRANT_TYPE, TOKEN_EXCHANGE_GRANT_TYPE } from '../../protocol/constants.ts';
import type { FormParams } from '../../protocol/form.ts';
import { authenticateClient } from './clientAuth.ts';
import { readForm, responseContext, type RequestMeta, type ServerCore } from './context.ts';
import { deviceCodeGrant, slowDown } from './deviceCodeGrant.ts';
import { errorResponse, retryLaterResponse, type ResponseContext } from './http.ts';
import { mayUseDeviceGrant } from './policy.ts';
import { refreshTokenGrant } from './refreshTokenGrant.ts';
import { tokenExchangeEnabled, tokenExchangeGrant } from './tokenExchange.ts';

export async function handleToken(core: ServerCore, request: Request, meta?: RequestMeta): Promise<Response> {
  const ctx = responseContext(core, request);
  const form = await readForm(ctx, request);
  if (!form.ok) return form.response;
  const { params } = form;

  const limiterKey = `${params.get('client_id') ?? 'basic'}@${meta?.remoteAddress ?? 'unknown'}`;
  if (!core.limiter.take(limiterKey, core.clock.now())) return rateLimited(core, ctx, params, limiterKey);

  const grantType = params.get('grant_type');
  if (grantType === undefined) return errorResponse(ctx, 'invalid_request', 'grant_type is required');
  // RFC 8693 token exchange (workload identity), only while the knob is on: tokenExchange.ts.
  if (grantType === TOKEN_EXCHANGE_GRANT_TYPE && tokenExchangeEnabled(core)) return tokenExchangeGrant(core, ctx, request, params, meta);
  if (grantType !== DEVICE_CODE_GRANT_TYPE && grantType !== REFRESH_TOKEN_GRANT_TYPE) {
    return errorResponse(ctx, 'unsupported_grant_type', `grant_type ${grantType.slice(0, 80)} is not supported`);
  }
  const auth = authenticateClient(core.registry.clients, request, params, core.issuer);
  if (!auth.ok) {
    return errorResponse(ctx, auth.error, auth.description, { status: auth.status, ...(auth.challenge ? { headers: { 'WWW-Authenticate': auth.challenge } } : {}) });
  }
  if (grantType === DEVICE_CODE_GRANT_TYPE ? !mayUseDeviceGrant(core.knobs, auth.client) : !auth.client.grantTypes.includes(grantType)) {
    return errorResponse(ctx, 'unauthorized_client', `this client may not use the ${grantType} grant`);
  }
  // Google: a device-code poll carries the client's client_secret ("TVs and Limited Input devices" clients).
  if (grantType === DEVICE_CODE_GRANT_TYPE && core.profile.deviceGrantRequiresClientSecret && !auth.authenticated) {
    return errorResponse(ctx, 'invalid_request', 'client_secret is missing.');
  }
  return grantType === DEVICE_CODE_GRANT_TYPE
    ? deviceCodeGrant(core, ctx, request, params, auth.client, meta)
    : refreshTokenGrant(core, ctx, request, params, auth.client, meta);
}

/**
 * Over the shared rate limit (RFC 7009 §5 applies the token endpoint's countermeasures to revocation too).
 * A device-code poll gets RFC 8628 §3.5 `slow_down`, the answer the RFC defines for polling too often (and
 * GitHub's documented one); any other token request gets HTTP 429 with Retry-After (RFC 6585 §4), since no
 * RFC 6749 §5.2 error code means "too many requests".
 */
function rateLimited(core: ServerCore, ctx: ResponseContext, params: FormParams, limiterKey: string): Response {
  const now = core.clock.now();
  const retryAfterS = core.limiter.retryAfterS(limiterKey, now);
  if (params.get('grant_type') !== DEVICE_CODE_GRANT_TYPE) {
    return retryLaterResponse(429, retryAfterS, `too many requests from this client; retry after ${retryAfterS} seconds`);
  }
  const rec = core.state.deviceGrants.get(params.get('device_code') ?? '');
  const known = rec !== undefined && rec.clientId === params.get('client_id');
  return slowDown(core, ctx, known ? rec : undefined, 'too many requests from this client', { 'Retry-After': String(retryAfterS) });
}
