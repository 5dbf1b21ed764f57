/**
 * POST token_endpoint: the device code grant (RFC 8628 §3.4-3.5) and the refresh token grant (RFC 6749 §6,
 * RFC 9700 §4.14.2). Like node-oidc-provider's handler, each check reads like the checklist: unknown code,
 * client mismatch, expired, denied, already used, too fast, pending, then tokens.
 */
import { DEVICE_CODE_GRANT_TYPE, REFRESH_TOKEN_GRANT_TYPE, SLOW_DOWN_INCREMENT_S } from '../../protocol/constants.ts';
import type { FormParams } from '../../protocol/form.ts';
import { randomSecret } from '../../protocol/random.ts';
import { fingerprint } from '../audit.ts';
import type { ClientRegistration } from '../registry.ts';
import { authenticateClient } from './clientAuth.ts';
import {
  checkTokenEndpointProof, clientRequiresDpop, deviceOf, issueTokens, readForm, responseContext, revokeGrant, splitScope,
  type RequestMeta, type ServerCore,
} from './context.ts';
import { errorResponse, okResponse, type ResponseContext } from './http.ts';

export async function handleToken(core: ServerCore, request: Request, meta?: RequestMeta): Promise<Response> {
  const ctx = responseContext(core, request);
  const form = await readForm(ctx, request);
  if (!form.ok) return form.response;
  const { params } = form;

  const limiterKey = `${params.get('client_id') ?? 'basic'}@${meta?.remoteAddress ?? 'unknown'}`;
  if (!core.limiter.take(limiterKey, core.clock.now())) {
    return errorResponse(ctx, 'temporarily_unavailable', 'too many requests; slow down', {
      status: 429, headers: { 'Retry-After': String(core.limiter.retryAfterS(limiterKey, core.clock.now())) },
    });
  }

  const grantType = params.get('grant_type');
  if (grantType === undefined) return errorResponse(ctx, 'invalid_request', 'grant_type is required');
  if (grantType !== DEVICE_CODE_GRANT_TYPE && grantType !== REFRESH_TOKEN_GRANT_TYPE) {
    return errorResponse(ctx, 'unsupported_grant_type', `grant_type ${grantType.slice(0, 80)} is not supported`);
  }
  const auth = authenticateClient(core.registry.clients, request, params, core.issuer);
  if (!auth.ok) {
    return errorResponse(ctx, auth.error, auth.description, { status: auth.status, ...(auth.challenge ? { headers: { 'WWW-Authenticate': auth.challenge } } : {}) });
  }
  if (!auth.client.grantTypes.includes(grantType)) {
    return errorResponse(ctx, 'unauthorized_client', `this client may not use the ${grantType} grant`);
  }
  return grantType === DEVICE_CODE_GRANT_TYPE
    ? deviceCodeGrant(core, ctx, request, params, auth.client, meta)
    : refreshTokenGrant(core, ctx, request, params, auth.client, meta);
}

/** A DPoP proof problem as the token endpoint reports it (with a fresh nonce when nonces are on). */
function dpopError(core: ServerCore, ctx: ResponseContext, error: string, description: string): Response {
  return errorResponse(ctx, error, description, core.knobs.dpopNonce ? { headers: { 'DPoP-Nonce': core.dpopNonce() } } : {});
}

async function deviceCodeGrant(
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

  // Polling rate (RFC 8628 §3.5): measured from the last accepted poll, so a client that waits the current
  // interval is never locked out; every slow_down adds 5 s for this code from then on.
  const tooSoon = core.knobs.slowDownEnforcement && rec.lastAcceptedPollAt !== undefined &&
    now - rec.lastAcceptedPollAt < rec.intervalS * 1000 - core.knobs.pollLeewayMs;
  if (tooSoon || rec.forcedSlowDowns > 0) {
    if (!tooSoon) {
      rec.forcedSlowDowns--;
      rec.lastAcceptedPollAt = now;
    }
    rec.intervalS += SLOW_DOWN_INCREMENT_S;
    rec.slowDowns++;
    rec.polls++;
    return errorResponse(ctx, 'slow_down', `polling too fast; wait at least ${rec.intervalS} seconds between polls`, {
      deviceGrant: true, ...(core.profile.slowDownCarriesInterval ? { extra: { interval: rec.intervalS } } : {}),
    });
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

async function refreshTokenGrant(
  core: ServerCore, ctx: ResponseContext, request: Request, params: FormParams, client: ClientRegistration, meta?: RequestMeta,
): Promise<Response> {
  const value = params.get('refresh_token');
  if (value === undefined) return errorResponse(ctx, 'invalid_request', 'refresh_token is required');
  const now = core.clock.now();
  const from = deviceOf(request, meta);
  const rt = core.state.refreshTokens.get(value);
  if (!rt) return errorResponse(ctx, 'invalid_grant', 'refresh token not found');
  if (rt.clientId !== client.clientId) return errorResponse(ctx, 'invalid_grant', 'refresh token was issued to another client');
  const grant = core.state.grants.get(rt.grantId);
  if (!grant || grant.revokedAt !== undefined || rt.status === 'revoked') return errorResponse(ctx, 'invalid_grant', 'refresh token has been revoked');
  if (rt.status === 'rotated' && core.knobs.invalidateRotatedRefreshTokens) {
    if (core.knobs.reuseDetection) {
      core.audit.record({ at: now, type: 'refresh_token.reuse_detected', clientId: client.clientId, user: rt.sub, grantId: rt.grantId, from,
        detail: 'a rotated-out refresh token was presented; the whole token family is revoked', refs: [fingerprint(value)] });
      revokeGrant(core, rt.grantId, 'refresh token reuse detected', from);
      return errorResponse(ctx, 'invalid_grant', 'refresh token already used; all tokens of this grant are revoked');
    }
    return errorResponse(ctx, 'invalid_grant', 'refresh token was rotated and is no longer valid');
  }
  if (now >= rt.expiresAt) return errorResponse(ctx, 'invalid_grant', 'refresh token has expired');
  if (now - rt.lastUsedAt >= core.knobs.refreshTokenIdleS * 1000) return errorResponse(ctx, 'invalid_grant', 'refresh token expired after inactivity');

  let jkt: string | undefined;
  if (rt.jkt || request.headers.has('dpop') || clientRequiresDpop(core, client)) {
    const proof = await checkTokenEndpointProof(core, request);
    if (!proof.ok) return dpopError(core, ctx, proof.error, proof.description);
    if (rt.jkt && proof.jkt !== rt.jkt) return errorResponse(ctx, 'invalid_grant', 'failed jkt verification: the proof key is not the key this refresh token is bound to');
    jkt = proof.jkt;
  }

  const requested = splitScope(params.get('scope'), core.profile);
  const scope = requested ?? rt.scope;
  const wider = scope.filter((s) => !rt.scope.includes(s));
  if (wider.length) return errorResponse(ctx, 'invalid_scope', `scope exceeds what was granted: ${wider.join(' ')}`);

  const rotate = core.knobs.rotateRefreshTokens;
  if (rotate) rt.status = 'rotated';
  else rt.lastUsedAt = now;
  const issued = await issueTokens(core, {
    grant: { ...grant, scope: rt.scope }, client, scope, ...(jkt ?? rt.jkt ? { jkt: jkt ?? rt.jkt } : {}),
    withRefreshToken: rotate, refreshExpiresAt: rt.expiresAt,
  });
  core.audit.record({
    at: now, type: 'token.refreshed', clientId: client.clientId, user: rt.sub, grantId: rt.grantId, from,
    detail: rotate ? 'access token refreshed; refresh token rotated' : 'access token refreshed (no rotation)',
    refs: [value, issued.accessToken, issued.refreshToken].filter((v): v is string => !!v).map(fingerprint),
  });
  return okResponse(ctx, issued.body);
}
