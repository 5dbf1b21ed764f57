/**
 * POST token_endpoint with the refresh token grant (RFC 6749 §6, RFC 9700 §4.14.2), as node-oidc-provider's
 * `actions/grants/refresh_token.js`: unknown token, client mismatch, revoked, rotated out (reuse detection),
 * expired, idle, proof key, scope, then tokens. The dispatcher (token.ts) has already authenticated the client
 * and checked that it may use this grant.
 */
import type { FormParams } from '../../protocol/form.ts';
import { fingerprint } from '../audit.ts';
import type { ClientRegistration } from '../registry.ts';
import {
  checkTokenEndpointProof, clientRequiresDpop, deviceOf, dpopError, issueTokens, revokeGrant, splitScope, type RequestMeta, type ServerCore,
} from './context.ts';
import { errorResponse, okResponse, type ResponseContext } from './http.ts';

export async function refreshTokenGrant(
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
