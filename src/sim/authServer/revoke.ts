/**
 * POST revocation_endpoint (RFC 7009). Answers 200 for revoked and for unknown tokens alike (§2.2), searches
 * every token type whatever the hint says (§2.1), refuses to touch another client's tokens, and shares the
 * token endpoint's rate limiter (§5), answering 503 with Retry-After when over it (§2.2.1).
 */
import { fingerprint } from '../audit.ts';
import { authenticateClient } from './clientAuth.ts';
import { deviceOf, readForm, responseContext, revokeGrant, type RequestMeta, type ServerCore } from './context.ts';
import { errorResponse, noStoreHeaders, retryLaterResponse } from './http.ts';

export async function handleRevocation(core: ServerCore, request: Request, meta?: RequestMeta): Promise<Response> {
  const ctx = { ...responseContext(core, request), profile: { ...core.profile, errorsWithStatus200: false } };
  const form = await readForm(ctx, request);
  if (!form.ok) return form.response;
  const { params } = form;
  const now = core.clock.now();
  const limiterKey = `${params.get('client_id') ?? 'basic'}@${meta?.remoteAddress ?? 'unknown'}`;
  if (!core.limiter.take(limiterKey, now)) {
    // RFC 7009 §2.2.1: on 503 the client assumes the token still exists and retries after Retry-After, which is
    // what a rate-limited revocation needs it to do (no RFC 6749 §5.2 error code means "too many requests").
    const retryAfterS = core.limiter.retryAfterS(limiterKey, now);
    return retryLaterResponse(503, retryAfterS, `too many requests from this client; retry after ${retryAfterS} seconds`);
  }
  const auth = authenticateClient(core.registry.clients, request, params, core.issuer);
  if (!auth.ok) {
    return errorResponse(ctx, auth.error, auth.description, { status: auth.status, ...(auth.challenge ? { headers: { 'WWW-Authenticate': auth.challenge } } : {}) });
  }
  const token = params.get('token');
  if (token === undefined) return errorResponse(ctx, 'invalid_request', 'token is required');
  const { client } = auth;
  const from = deviceOf(request, meta);
  const ok = () => new Response(null, { status: 200, headers: noStoreHeaders() });

  // The hint only orders the search (RFC 7009 §2.1); an unknown hint is ignored (§2.2).
  const hint = params.get('token_type_hint');
  const order = hint === 'access_token' ? (['access', 'refresh'] as const) : (['refresh', 'access'] as const);
  for (const kind of order) {
    if (kind === 'refresh') {
      const rt = core.state.refreshTokens.get(token);
      if (!rt) continue;
      if (rt.clientId !== client.clientId) return refuseForeign(ctx, auth.authenticated);
      if (rt.status !== 'revoked') {
        core.audit.record({ at: now, type: 'token.revoked', clientId: client.clientId, user: rt.sub, grantId: rt.grantId, from,
          detail: `refresh token revoked by the client${core.knobs.revocationCascade ? '; access tokens of the grant revoked too' : ''}`, refs: [fingerprint(token)] });
        if (core.knobs.revocationCascade) revokeGrant(core, rt.grantId, 'refresh token revoked (cascade)', from);
        else for (const other of core.state.refreshTokensOf(rt.grantId)) other.status = 'revoked';
      }
      return ok();
    }
    const at = core.state.accessTokensByValue.get(token);
    if (!at) continue;
    if (at.clientId !== client.clientId) return refuseForeign(ctx, auth.authenticated);
    if (!core.knobs.apiChecksRevocation) {
      return errorResponse(ctx, 'unsupported_token_type', 'access tokens are self-contained JWTs here and cannot be revoked before they expire');
    }
    if (at.revokedAt === undefined) {
      at.revokedAt = now;
      core.audit.record({ at: now, type: 'token.revoked', clientId: client.clientId, user: at.sub, grantId: at.grantId, from,
        detail: `access token revoked by the client${core.knobs.accessTokenRevocationCascade ? '; its grant revoked too' : ''}`, refs: [fingerprint(token)] });
      if (core.knobs.accessTokenRevocationCascade) revokeGrant(core, at.grantId, 'access token revoked (cascade)', from);
    }
    return ok();
  }
  return ok();
}

/**
 * Another client's token (RFC 7009 §2.1): nothing is revoked. Like node-oidc-provider, a public client
 * learns nothing (200), an authenticated client is told its request is invalid.
 */
function refuseForeign(ctx: Parameters<typeof errorResponse>[0], authenticated: boolean): Response {
  return authenticated
    ? errorResponse(ctx, 'invalid_request', 'this token was not issued to the requesting client')
    : new Response(null, { status: 200, headers: noStoreHeaders() });
}
