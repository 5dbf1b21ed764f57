/**
 * POST token_endpoint with the device code grant (RFC 8628 §3.4-3.5), as node-oidc-provider's
 * `actions/grants/device_code.js`: each check reads like the checklist: unknown code, client mismatch, expired,
 * denied, already used, too fast, pending, then tokens. The dispatcher (token.ts) has already authenticated the
 * client and checked that it may use this grant.
 */
import { REFRESH_TOKEN_GRANT_TYPE, SLOW_DOWN_INCREMENT_S } from '../../protocol/constants.ts';
import type { FormParams } from '../../protocol/form.ts';
import { randomSecret } from '../../protocol/random.ts';
import { fingerprint } from '../audit.ts';
import type { ClientRegistration } from '../registry.ts';
import {
  checkTokenEndpointProof, clientRequiresDpop, deviceOf, dpopError, issueTokens, revokeGrant, type RequestMeta, type ServerCore,
} from './context.ts';
import { errorResponse, okResponse, type ResponseContext } from './http.ts';
import type { DeviceGrantRecord } from './state.ts';

/**
 * Answer `slow_down`. For a known code the interval it must keep grows by 5 s (RFC 8628 §3.5: the client adds 5 s
 * "for this and all subsequent requests", so the server expects exactly that from then on).
 */
export function slowDown(core: ServerCore, ctx: ResponseContext, rec: DeviceGrantRecord | undefined, why: string, headers?: HeadersInit): Response {
  const intervalS = (rec?.intervalS ?? core.knobs.intervalS ?? 5) + SLOW_DOWN_INCREMENT_S;
  if (rec) {
    rec.intervalS = intervalS;
    rec.slowDowns++;
    rec.polls++;
  }
  return errorResponse(ctx, 'slow_down', `${why}; wait at least ${intervalS} seconds between polls`, {
    deviceGrant: true, ...(headers ? { headers } : {}), ...(core.profile.slowDownCarriesInterval ? { extra: { interval: intervalS } } : {}),
  });
}

export async function deviceCodeGrant(
  core: ServerCore, ctx: ResponseContext, request: Request, params: FormParams, client: ClientRegistration, meta?: RequestMeta,
): Promise<Response> {
  const deviceCode = params.get('device_code');
  if (deviceCode === undefined) return errorResponse(ctx, 'invalid_request', 'device_code is required');

  let jkt: string | undefined;
  if (request.headers.has('dpop') || clientRequiresDpop(core, client)) {
    const proof = await checkTokenEndpointProof(core, request);
    if (!proof.ok) return dpopError(core, ctx, proof.error, proof.description);
    jkt = proof.jkt;
  }

  const now = core.clock.now();
  const rec = core.state.deviceGrants.get(deviceCode);
  if (!rec) return errorResponse(ctx, 'invalid_grant', 'device code not found', { deviceGrant: true });
  if (rec.clientId !== client.clientId) return errorResponse(ctx, 'invalid_grant', 'device code was issued to another client', { deviceGrant: true });
  if (now >= rec.expiresAt) {
    if (!rec.expiryAudited) {
      rec.expiryAudited = true;
      core.audit.record({ at: now, type: 'device_code.expired', clientId: rec.clientId, detail: 'a poll arrived after the code expired', refs: [fingerprint(rec.deviceCode)] });
    }
    return errorResponse(ctx, 'expired_token', 'the device code has expired; start a new login', { deviceGrant: true });
  }
  if (rec.status === 'denied') return errorResponse(ctx, 'access_denied', 'the user denied the request', { deviceGrant: true });
  if (rec.status === 'consumed') {
    core.audit.record({ at: now, type: 'device_code.reused', clientId: rec.clientId, from: deviceOf(request, meta), detail: 'a redeemed device code was presented again; its tokens are revoked', refs: [fingerprint(rec.deviceCode)] });
    if (rec.grantId) revokeGrant(core, rec.grantId, 'device code redeemed twice', deviceOf(request, meta));
    return errorResponse(ctx, 'invalid_grant', 'device code already used', { deviceGrant: true });
  }

  // Polling rate. RFC 8628 leaves it to the server to decide when a poll is too soon; this server asks for no
  // more than §3.5 asks of the client ("wait at least the number of seconds specified by the interval ... and
  // respect any increase in the polling interval required by the slow_down error"): the code's interval, which
  // grows by 5 s with every slow_down sent for it, counted from the last poll it accepted (a rejected early poll
  // does not move the baseline: H2CK/oidc#716), less the jitter leeway. That is never stricter than the RFC's
  // "between polling requests", so a poller that keeps the RFC's rule never hears slow_down unless it is forced
  // (rehearsal control) or over the rate limit.
  const tooSoon = core.knobs.slowDownEnforcement && rec.lastAcceptedPollAt !== undefined &&
    now - rec.lastAcceptedPollAt < rec.intervalS * 1000 - core.knobs.pollLeewayMs;
  if (tooSoon || rec.forcedSlowDowns > 0) {
    if (!tooSoon) {
      rec.forcedSlowDowns--;
      rec.lastAcceptedPollAt = now;
    }
    return slowDown(core, ctx, rec, 'polling too fast');
  }
  rec.lastAcceptedPollAt = now;
  rec.polls++;
  if (rec.status === 'pending') return errorResponse(ctx, 'authorization_pending', 'the user has not finished yet', { deviceGrant: true });

  // Approved: redeem once.
  rec.status = 'consumed';
  const grantId = randomSecret(12);
  const grant = {
    id: grantId, clientId: client.clientId, sub: rec.approvedBy ?? 'unknown', scope: rec.grantedScope ?? rec.scope,
    resource: rec.resource, createdAt: now,
  };
  core.state.grants.set(grantId, grant);
  rec.grantId = grantId;
  const withRefreshToken = core.knobs.issueRefreshTokens && client.grantTypes.includes(REFRESH_TOKEN_GRANT_TYPE);
  const issued = await issueTokens(core, { grant, client, scope: grant.scope, ...(jkt ? { jkt } : {}), withRefreshToken });
  core.audit.record({
    at: now, type: 'token.issued', clientId: client.clientId, user: grant.sub, grantId, from: deviceOf(request, meta), device: rec.device,
    detail: `tokens issued for "${grant.scope.join(' ')}"${jkt ? ' (DPoP-bound)' : ''}${issued.refreshToken ? ' with a refresh token' : ''}`,
    refs: [issued.accessToken, issued.refreshToken].filter((v): v is string => !!v).map(fingerprint),
  });
  return okResponse(ctx, issued.body);
}
