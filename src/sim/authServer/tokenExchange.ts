/**
 * POST token_endpoint with the token exchange grant (RFC 8693 §2.1), used as workload identity federation: a CI
 * job presents the short-lived ID token its CI platform minted for it (`subject_token`, type
 * `urn:ietf:params:oauth:token-type:id_token` or `...:jwt`) and receives a short-lived access token for the
 * workload itself (`sub` is the workflow, not a person), with no refresh token (RFC 8693 §2.2.1: "refresh_token
 * ... OPTIONAL"; a job that needs more exchanges a fresh ID token). This is how GitHub Actions' OIDC tokens are
 * accepted by cloud identity providers (Google STS implements RFC 8693; Entra and AWS take the same ID token
 * through their own federation grants). Offered only while the `workloadIdentityFederation` knob is on, and only
 * for ID tokens signed by a configured workload issuer with this server as audience, unexpired.
 * Errors per RFC 8693 §2.2.2 (RFC 6749 §5.2 codes): invalid_request for a missing or unsupported parameter,
 * invalid_grant for a subject token that is not acceptable, invalid_scope, invalid_target.
 */
import { decodeJwt, jwtVerify, errors as joseErrors } from 'jose';
import { TOKEN_TYPE_URN } from '../../protocol/constants.ts';
import type { FormParams } from '../../protocol/form.ts';
import { randomSecret } from '../../protocol/random.ts';
import { fingerprint } from '../audit.ts';
import { authenticateClient } from './clientAuth.ts';
import { deviceOf, issueTokens, resolveScope, splitScope, type RequestMeta, type ServerCore, type WorkloadIssuerTrust } from './context.ts';
import { errorResponse, okResponse, type ResponseContext } from './http.ts';

/** Subject token types this server accepts (RFC 8693 §3): an OpenID ID token, or a JWT. */
const SUBJECT_TOKEN_TYPES: readonly string[] = [TOKEN_TYPE_URN.idToken, TOKEN_TYPE_URN.jwt];
/** Clock skew tolerated on the subject token's `exp`/`nbf`/`iat`, seconds. */
const CLOCK_TOLERANCE_S = 30;

/** Is the grant offered right now (the knob on and at least one workload issuer configured)? */
export function tokenExchangeEnabled(core: ServerCore): boolean {
  return core.knobs.workloadIdentityFederation && (core.workloadIssuers?.length ?? 0) > 0;
}

export async function tokenExchangeGrant(
  core: ServerCore, ctx: ResponseContext, request: Request, params: FormParams, meta?: RequestMeta,
): Promise<Response> {
  const auth = authenticateClient(core.registry.clients, request, params, core.issuer);
  if (!auth.ok) {
    return errorResponse(ctx, auth.error, auth.description, { status: auth.status, ...(auth.challenge ? { headers: { 'WWW-Authenticate': auth.challenge } } : {}) });
  }
  const { client } = auth;
  const now = core.clock.now();
  const from = deviceOf(request, meta);
  const subjectToken = params.get('subject_token');
  const subjectTokenType = params.get('subject_token_type');
  if (subjectToken === undefined) return errorResponse(ctx, 'invalid_request', 'subject_token is required');
  if (subjectTokenType === undefined) return errorResponse(ctx, 'invalid_request', 'subject_token_type is required');
  if (!SUBJECT_TOKEN_TYPES.includes(subjectTokenType)) {
    return errorResponse(ctx, 'invalid_request', `subject_token_type ${subjectTokenType.slice(0, 80)} is not supported; send an ID token (${TOKEN_TYPE_URN.idToken})`);
  }
  if (params.get('actor_token') !== undefined || params.get('actor_token_type') !== undefined) {
    return errorResponse(ctx, 'invalid_request', 'actor_token is not supported: this server does no delegation, only workload identity');
  }
  const requestedType = params.get('requested_token_type');
  if (requestedType !== undefined && requestedType !== TOKEN_TYPE_URN.accessToken) {
    return errorResponse(ctx, 'invalid_request', `requested_token_type ${requestedType.slice(0, 80)} is not supported; only access tokens are issued`);
  }

  const reject = (why: string) => {
    core.audit.record({ at: now, type: 'token.exchange_rejected', clientId: client.clientId, from, detail: why, refs: [fingerprint(subjectToken)] });
    return errorResponse(ctx, 'invalid_grant', why);
  };
  let claimedIssuer: unknown;
  try {
    claimedIssuer = decodeJwt(subjectToken).iss;
  } catch {
    return reject('the subject token is not a JWT');
  }
  const trust = core.workloadIssuers?.find((t) => t.issuer === claimedIssuer);
  if (!trust) return reject(`the subject token's issuer ${String(claimedIssuer ?? '(none)').slice(0, 80)} is not a trusted workload issuer`);
  const verified = await verifySubjectToken(trust, subjectToken, core.issuer, now);
  if (typeof verified === 'string') return reject(verified);

  const requested = splitScope(params.get('scope'), core.profile);
  const resolved = resolveScope(core, ctx, requested, params.get('resource'));
  if (resolved instanceof Response) return resolved;
  const { scope, resource } = resolved;

  const grant = { id: randomSecret(12), clientId: client.clientId, sub: verified.sub, scope, resource: resource.id, createdAt: now };
  core.state.grants.set(grant.id, grant);
  const issued = await issueTokens(core, { grant, client, scope, withRefreshToken: false });
  core.audit.record({
    at: now, type: 'token.exchanged', clientId: client.clientId, user: grant.sub, grantId: grant.id, from,
    detail: `workload ID token from ${trust.issuer} exchanged for a ${core.knobs.accessTokenLifetimeS} s access token for "${scope.join(' ')}", no refresh token (RFC 8693)`,
    refs: [fingerprint(subjectToken), fingerprint(issued.accessToken)],
  });
  return okResponse(ctx, { ...issued.body, issued_token_type: TOKEN_TYPE_URN.accessToken });
}

/** Verify the subject token against its issuer's key: signature, `iss`, `aud` (this server), `exp`, `sub`. */
async function verifySubjectToken(trust: WorkloadIssuerTrust, token: string, audience: string, nowMs: number): Promise<{ sub: string } | string> {
  try {
    const { payload } = await jwtVerify(token, trust.publicKey, {
      issuer: trust.issuer,
      audience: trust.audience || audience,
      algorithms: [trust.alg],
      requiredClaims: ['exp', 'iat', 'sub'],
      currentDate: new Date(nowMs),
      clockTolerance: CLOCK_TOLERANCE_S,
    });
    return { sub: payload.sub! };
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) return 'the subject token has expired';
    if (e instanceof joseErrors.JWTClaimValidationFailed) {
      return e.claim === 'aud' ? 'the subject token was issued for another audience, not this identity provider' : `the subject token's ${e.claim} claim is not acceptable`;
    }
    if (e instanceof joseErrors.JWSSignatureVerificationFailed) return "the subject token's signature does not verify with its issuer's key";
    return 'the subject token could not be verified';
  }
}
