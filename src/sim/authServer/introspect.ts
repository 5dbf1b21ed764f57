/**
 * POST introspection_endpoint (RFC 7662). Only authenticated resource servers may ask (§2.1); an inactive,
 * unknown or not-allowed token gets exactly `{"active":false}` (§2.2); before answering active the server
 * checks expiry, revocation and the grant (§4).
 */
import { authenticateClient } from './clientAuth.ts';
import { accessTokenActive, readForm, responseContext, type ServerCore } from './context.ts';
import { errorResponse, okResponse } from './http.ts';

export async function handleIntrospection(core: ServerCore, request: Request): Promise<Response> {
  const ctx = { ...responseContext(core, request), profile: { ...core.profile, errorsWithStatus200: false, formUnlessAcceptJson: false } };
  const form = await readForm(ctx, request);
  if (!form.ok) return form.response;
  const auth = authenticateClient(core.registry.clients, request, form.params, core.issuer);
  if (!auth.ok || !auth.authenticated || !auth.client.mayIntrospect) {
    return errorResponse(ctx, 'invalid_client', 'introspection requires an authenticated resource server', {
      status: 401, headers: { 'WWW-Authenticate': `Basic realm="${core.issuer}"` },
    });
  }
  const token = form.params.get('token');
  if (token === undefined) return errorResponse(ctx, 'invalid_request', 'token is required');
  return okResponse(ctx, introspect(core, token));
}

/** The introspection view of a token (shared with the protected API, which runs beside the server). */
export function introspect(core: ServerCore, token: string): Record<string, unknown> {
  const now = core.clock.now();
  const at = core.state.accessTokensByValue.get(token);
  if (at) {
    if (!accessTokenActive(core, at.jti)) return { active: false };
    return {
      active: true, scope: at.scope.join(' '), client_id: at.clientId, sub: at.sub, aud: at.aud, iss: core.issuer,
      iat: Math.floor(at.issuedAt / 1000), exp: Math.floor(at.expiresAt / 1000), jti: at.jti,
      token_type: at.jkt ? 'DPoP' : 'Bearer', ...(at.jkt ? { cnf: { jkt: at.jkt } } : {}),
    };
  }
  const rt = core.state.refreshTokens.get(token);
  if (rt) {
    const grant = core.state.grants.get(rt.grantId);
    const active = rt.status === 'active' && !!grant && grant.revokedAt === undefined && now < rt.expiresAt &&
      now - rt.lastUsedAt < core.knobs.refreshTokenIdleS * 1000;
    if (!active) return { active: false };
    return { active: true, scope: rt.scope.join(' '), client_id: rt.clientId, sub: rt.sub, exp: Math.floor(rt.expiresAt / 1000),
      iat: Math.floor(rt.issuedAt / 1000), ...(rt.jkt ? { cnf: { jkt: rt.jkt } } : {}) };
  }
  return { active: false };
}
