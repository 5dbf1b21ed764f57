/**
 * POST device_authorization_endpoint (RFC 8628 §3.1-3.2). Checks run in the order a careful server reads
 * the request: form, client, grant allowed, scope and resource; then fresh codes are minted.
 */
import { randomSecret } from '../../protocol/random.ts';
import { USER_CODE_ALPHABETS, formatUserCode, generateUserCode } from '../../protocol/userCode.ts';
import { fingerprint } from '../audit.ts';
import { authenticateClient } from './clientAuth.ts';
import { mayUseDeviceGrant } from './policy.ts';
import { deviceOf, readForm, resolveScope, responseContext, splitScope, type RequestMeta, type ServerCore } from './context.ts';
import { errorResponse, okResponse, retryLaterResponse } from './http.ts';
import type { DeviceGrantRecord } from './state.ts';

export async function handleDeviceAuthorization(core: ServerCore, request: Request, meta?: RequestMeta): Promise<Response> {
  const ctx = responseContext(core, request);
  const form = await readForm(ctx, request);
  if (!form.ok) return form.response;
  const { params } = form;

  const auth = authenticateClient(core.registry.clients, request, params, core.issuer);
  if (!auth.ok) {
    return errorResponse(ctx, auth.error, auth.description, { status: auth.status, ...(auth.challenge ? { headers: { 'WWW-Authenticate': auth.challenge } } : {}) });
  }
  const { client } = auth;
  if (!mayUseDeviceGrant(core.knobs, client)) {
    return errorResponse(ctx, 'unauthorized_client', 'this client is not allowed to use the device authorization grant');
  }

  const requested = splitScope(params.get('scope'), core.profile);
  if (requested === undefined && core.profile.scopeRequired) {
    return errorResponse(ctx, 'invalid_request', 'scope is required');
  }
  const resolved = resolveScope(core, ctx, requested, params.get('resource'));
  if (resolved instanceof Response) return resolved;
  const { scope, resource } = resolved;

  const now = core.clock.now();
  const alphabet = USER_CODE_ALPHABETS[core.knobs.userCodeAlphabet];
  let deviceCode = randomSecret();
  while (core.state.deviceGrants.has(deviceCode)) deviceCode = randomSecret();
  let userCode = generateUserCode(alphabet, core.knobs.userCodeLength);
  for (let tries = 0; liveUserCode(core, userCode, now); tries++) {
    if (tries > 1000) return retryLaterResponse(503, 1, 'no free user code; try again later');
    userCode = generateUserCode(alphabet, core.knobs.userCodeLength);
  }
  const device = { ...deviceOf(request, meta), at: now };
  const lifetime = core.knobs.codeLifetimeS;
  const rec: DeviceGrantRecord = {
    deviceCode, userCode, clientId: client.clientId, scope, resource: resource.id,
    createdAt: now, expiresAt: now + lifetime * 1000,
    intervalS: core.knobs.intervalS ?? 5, polls: 0, slowDowns: 0, status: 'pending', device, forcedSlowDowns: 0,
  };
  core.state.deviceGrants.set(deviceCode, rec);
  core.state.byUserCode.set(userCode, rec);
  core.audit.record({
    at: now, type: 'device_code.issued', clientId: client.clientId, from: deviceOf(request, meta), device,
    detail: `device code issued for scope "${scope.join(' ')}"`,
    refs: [fingerprint(deviceCode)],
  });
  // The audit trail records a code that lapses unused when it lapses, not only if someone polls afterwards.
  core.clock.setTimeout(() => {
    if (rec.expiryAudited || rec.status === 'consumed' || rec.status === 'denied') return;
    rec.expiryAudited = true;
    core.audit.record({ at: core.clock.now(), type: 'device_code.expired', clientId: rec.clientId, detail: 'the device code expired before it was redeemed', refs: [fingerprint(deviceCode)] });
  }, lifetime * 1000);

  const shown = formatUserCode(userCode, alphabet);
  const verificationUri = core.endpoints.verification;
  const body: Record<string, unknown> = {
    device_code: deviceCode,
    user_code: shown,
    [core.profile.verificationUriMember]: verificationUri,
  };
  if (core.knobs.verificationUriComplete && core.profile.supportsVerificationUriComplete) {
    body.verification_uri_complete = `${verificationUri}?user_code=${encodeURIComponent(shown)}`;
  }
  body.expires_in = lifetime;
  if (core.knobs.intervalS !== null) body.interval = core.knobs.intervalS;
  if (core.profile.sendsMessage) {
    body.message = `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${shown} to authenticate.`;
  }
  return okResponse(ctx, body);
}

function liveUserCode(core: ServerCore, userCode: string, now: number): boolean {
  const existing = core.state.byUserCode.get(userCode);
  return !!existing && existing.expiresAt > now;
}
