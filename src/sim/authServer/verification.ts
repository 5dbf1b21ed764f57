/**
 * The user-facing verification flow (RFC 8628 §3.3, §3.3.1, §5.4, §5.5, §6.1) as a JSON API that the
 * simulated browser renders. A person signs in, enters the user code (normalised, rate-limited, bound to the
 * first session that enters it), sees consent with context, then approves (all or fewer scopes) or denies.
 * A GET never approves unless the `verificationCompleteMode` knob is set to the insecure `one-click`.
 *
 * Paths: POST /device/signin, /device/enter (the user code), /device/decision, /device/signout-everywhere;
 * GET /device[?user_code=]. (Not /device/code: that is Google's device authorization endpoint.)
 *
 * Session: the `X-Session` header (the simulated browser) or the `dfl_session` cookie (a real browser).
 */
import { peekText, textOf, textResponse } from '../../protocol/bodyText.ts';
import { JSON_CONTENT_TYPE } from '../../protocol/constants.ts';
import { parseForm, type FormParams } from '../../protocol/form.ts';
import { randomSecret } from '../../protocol/random.ts';
import { USER_CODE_ALPHABETS, formatUserCode, normalizeUserCode } from '../../protocol/userCode.ts';
import { fingerprint } from '../audit.ts';
import { deviceOf, findClient, revokeGrant, MAX_BODY_BYTES, type RequestMeta, type ServerCore } from './context.ts';
import { noStoreHeaders } from './http.ts';
import { renderVerificationHtml, wantsHtml } from './verificationHtml.ts';
import { refuseByPolicy } from './policy.ts';
import type { DeviceGrantRecord, SessionRecord } from './state.ts';
import type { ConsentDetails, VerificationBody, VerificationErrorBody } from './verificationView.ts';

/** Verification API errors (not OAuth errors: they are shown to a person, not parsed by a client). */
export type VerificationError =
  | 'login_required' | 'unknown_user' | 'invalid_user_code' | 'expired_user_code' | 'user_code_already_used'
  | 'too_many_attempts' | 'invalid_scope' | 'invalid_request' | 'not_found' | 'blocked_by_policy';

const MESSAGES: Record<VerificationError, string> = {
  login_required: 'Sign in first.',
  unknown_user: 'No such account.',
  invalid_user_code: 'That code is not valid. Check the code shown on your device.',
  expired_user_code: 'That code has expired. Start again on your device.',
  user_code_already_used: 'That code has already been used.',
  too_many_attempts: 'Too many wrong codes. Wait and try again later.',
  invalid_scope: 'You can only approve scopes that were requested.',
  invalid_request: 'The request was malformed.',
  not_found: 'No such page.',
  blocked_by_policy: 'Your organisation does not let this account sign in devices. If a website, a mail or a message gave you this code, someone is trying to phish you: tell your IT team.',
};

/**
 * The tenant's device-flow policy (`deviceFlowUsers`): when it leaves `userId` out, record the block in the audit
 * trail (who, which client, which device asked) and answer with the refusal; otherwise `undefined`.
 */
function policyRefusal(core: ServerCore, rec: DeviceGrantRecord, userId: string, from: { ip: string; userAgent: string }): Response | undefined {
  return refuseByPolicy(core, rec, userId, from) === undefined ? undefined : fail('blocked_by_policy', 403);
}

export const RETURN_TO_DEVICE = 'You can close this window and return to your device.';

/** Every answer of the verification API is one of the typed bodies of `VerificationBody` (verificationView.ts). */
function json(body: VerificationBody, status = 200, headers?: HeadersInit): Response {
  const h = noStoreHeaders(`${JSON_CONTENT_TYPE}; charset=utf-8`);
  if (headers) new Headers(headers).forEach((v, k) => h.set(k, v));
  return textResponse(JSON.stringify(body), { status, headers: h });
}

function fail(error: VerificationError, status: number, extra?: Omit<VerificationErrorBody, 'error' | 'message'>): Response {
  return json({ error, message: MESSAGES[error], ...extra }, status);
}

/**
 * Route a request under the verification URI (`/device...`). A real browser (Accept: text/html, no
 * X-Session) gets the same answers rendered as HTML pages.
 */
export async function handleVerification(core: ServerCore, request: Request, subpath: string, meta?: RequestMeta): Promise<Response> {
  const { response, params } = await handleVerificationJson(core, request, subpath, meta);
  if (!wantsHtml(request)) return response;
  // Our own answer, produced typed by `json` above.
  const body = JSON.parse(await peekText(response)) as VerificationBody;
  const userCode = params?.get('user_code') ?? (new URL(request.url).searchParams.get('user_code') ?? undefined);
  return renderVerificationHtml(response.status, body, {
    base: core.endpoints.verification, registry: core.registry, ...(userCode ? { userCode } : {}), afterSignIn: subpath === '/signin' && response.ok,
  }, response.headers);
}

async function handleVerificationJson(
  core: ServerCore, request: Request, subpath: string, meta?: RequestMeta,
): Promise<{ response: Response; params?: FormParams }> {
  if (subpath === '' && request.method === 'GET') return { response: landing(core, request, meta) };
  if (request.method !== 'POST') return { response: fail('invalid_request', 405, { allow: 'POST' }) };
  const text = await textOf(request).catch(() => '');
  if (text.length > MAX_BODY_BYTES) return { response: fail('invalid_request', 413) };
  const parsed = parseForm(text);
  if (!parsed.ok) return { response: fail('invalid_request', 400, { detail: `repeated parameter ${parsed.repeated.slice(0, 40)}` }) };
  const params = parsed.params;
  const respond = (response: Response) => ({ response, params });
  switch (subpath) {
    case '/signin': return respond(signIn(core, request, params.get('user'), meta));
    case '/enter': return respond(enterCode(core, request, params.get('user_code'), meta));
    case '/decision': {
      // The HTML consent form sends one checkbox per scope (`scope:<name>`); the JSON API a `scope` list.
      let scope = params.get('scope');
      if (params.has('scope_form')) {
        const ticked = [...params.keys()].filter((k) => k.startsWith('scope:')).map((k) => k.slice('scope:'.length));
        if (params.get('decision') === 'approve' && ticked.length === 0) return respond(fail('invalid_scope', 400));
        scope = ticked.join(' ') || undefined;
      }
      return respond(decide(core, request, params.get('user_code'), params.get('decision'), scope, meta));
    }
    case '/signout-everywhere': return respond(signOutEverywhere(core, request, meta));
    case '/grants': return respond(listGrants(core, request));
    case '/revoke-grant': return respond(revokeOneGrant(core, request, params.get('grant_id'), meta));
    default: return respond(fail('not_found', 404));
  }
}

function sessionOf(core: ServerCore, request: Request): SessionRecord | undefined {
  const header = request.headers.get('x-session');
  const cookie = /(?:^|;\s*)dfl_session=([A-Za-z0-9_-]+)/.exec(request.headers.get('cookie') ?? '')?.[1];
  const id = header ?? cookie;
  return id ? core.state.sessions.get(id) : undefined;
}

/** GET verification_uri, optionally with `?user_code=` (the verification_uri_complete path). */
function landing(core: ServerCore, request: Request, meta?: RequestMeta): Response {
  const url = new URL(request.url);
  const session = sessionOf(core, request);
  const code = url.searchParams.get('user_code');
  const signedIn = session ? { id: session.userId } : null;
  if (code === null) return json({ page: 'enter_code', signed_in: signedIn });
  const alphabet = USER_CODE_ALPHABETS[core.knobs.userCodeAlphabet];
  const normalized = normalizeUserCode(code, alphabet);
  if (core.knobs.verificationCompleteMode === 'one-click' && session) {
    // The insecure variant (F17): opening a link approves whatever code it carries.
    const rec = core.state.byUserCode.get(normalized);
    if (rec && rec.status === 'pending' && rec.expiresAt > core.clock.now()) {
      const refused = policyRefusal(core, rec, session.userId, deviceOf(request, meta));
      if (refused) return refused;
      approve(core, rec, session.userId, rec.scope, deviceOf(request, meta));
      return json({ page: 'approved', message: RETURN_TO_DEVICE });
    }
  }
  // RFC 8628 §3.3.1: show the code and ask the person to match it against the device; nothing is decided.
  return json({
    page: 'confirm_code',
    signed_in: signedIn,
    user_code: formatUserCode(normalized, alphabet),
    message: 'Check that this code matches the one shown on your device before you continue.',
  });
}

function signIn(core: ServerCore, request: Request, userId: string | undefined, meta?: RequestMeta): Response {
  const user = core.registry.users.find((u) => u.id === userId);
  if (!user) return fail('unknown_user', 400);
  const id = randomSecret();
  const from = meta?.remoteAddress ? deviceOf(request, meta) : { ip: user.ip, userAgent: user.userAgent };
  core.state.sessions.set(id, { id, userId: user.id, createdAt: core.clock.now(), from, failedAttempts: [] });
  core.audit.record({ at: core.clock.now(), type: 'user.signed_in', user: user.id, from, detail: `${user.name} signed in at the identity provider` });
  return json({ session: id, user: { id: user.id, name: user.name, email: user.email } }, 200, {
    'Set-Cookie': `dfl_session=${id}; Path=/; HttpOnly; SameSite=Lax`,
  });
}

/** Enter a user code: normalise (RFC 8628 §6.1), limit attempts (§5.1), bind to this session (§5.5), show consent. */
function enterCode(core: ServerCore, request: Request, input: string | undefined, meta?: RequestMeta): Response {
  const session = sessionOf(core, request);
  if (!session) return fail('login_required', 401);
  const now = core.clock.now();
  const limit = core.knobs.userCodeAttemptLimit;
  const windowMs = core.knobs.codeLifetimeS * 1000;
  // Count wrong codes per session and per source address (RFC 8628 §5.1): signing in again must not buy
  // an attacker a fresh allowance of guesses.
  const address = session.from.ip;
  dropExpired(session.failedAttempts, now - windowMs);
  let byAddress = core.state.failedCodeAttemptsByAddress.get(address);
  if (!byAddress) core.state.failedCodeAttemptsByAddress.set(address, (byAddress = []));
  dropExpired(byAddress, now - windowMs);
  const used = () => Math.max(session.failedAttempts.length, byAddress.length);
  if (limit > 0 && used() >= limit) {
    return fail('too_many_attempts', 429, { attempts_left: 0 });
  }
  const alphabet = USER_CODE_ALPHABETS[core.knobs.userCodeAlphabet];
  const normalized = normalizeUserCode(input ?? '', alphabet);
  const rec = core.state.byUserCode.get(normalized);
  const from = session.from;
  const wrong = (error: VerificationError): Response => {
    session.failedAttempts.push(now);
    byAddress.push(now);
    const left = limit > 0 ? Math.max(0, limit - used()) : null;
    core.audit.record({ at: now, type: left === 0 ? 'user_code.locked_out' : 'user_code.rejected', user: session.userId, from,
      detail: `wrong user code entered (${error})${left === 0 ? '; this session is now locked out' : ''}` });
    return fail(error, 400, { attempts_left: left });
  };
  if (!rec || normalized.length !== core.knobs.userCodeLength) return wrong('invalid_user_code');
  if (rec.expiresAt <= now) return wrong('expired_user_code');
  if (rec.status !== 'pending') return fail('user_code_already_used', 400);
  const refused = policyRefusal(core, rec, session.userId, from);
  if (refused) return refused;
  if (core.knobs.bindCodeToFirstSession && rec.boundSessionId && rec.boundSessionId !== session.id) {
    // Someone else is entering a code that a person is already deciding on (RFC 8628 §5.5): refuse, and keep a
    // trace of who tried, from where, so the attempt is visible in the audit trail.
    core.audit.record({ at: now, type: 'user_code.rejected', clientId: rec.clientId, user: session.userId, from, device: rec.device,
      detail: 'refused: the code is bound to the browser session that entered it first (session spying, RFC 8628 §5.5)',
      refs: [fingerprint(rec.deviceCode)] });
    return fail('user_code_already_used', 400);
  }
  rec.boundSessionId ??= session.id;
  core.audit.record({ at: now, type: 'user_code.entered', clientId: rec.clientId, user: session.userId, from, device: rec.device,
    detail: 'the user code was entered', refs: [fingerprint(rec.deviceCode)] });
  void meta;
  return json({ page: 'consent', ...consentView(core, rec) });
}

/**
 * Forget the attempts at or before `cutoff`, in place. The times are appended as the clock reads them, so they
 * are in order and the expired ones are a prefix: this costs the number dropped, not the length of the list
 * (a filter per request made a long guessing run quadratic).
 */
function dropExpired(times: number[], cutoff: number): void {
  let expired = 0;
  while (expired < times.length && times[expired]! <= cutoff) expired++;
  if (expired > 0) times.splice(0, expired);
}

/** What the consent page shows (RFC 6749 §10.2, RFC 8628 §5.4). `minimal` drops the context on purpose (F16). */
export function consentView(core: ServerCore, rec: DeviceGrantRecord): ConsentDetails {
  const client = findClient(core, rec.clientId);
  const resource = core.registry.resources.find((r) => r.id === rec.resource);
  const alphabet = USER_CODE_ALPHABETS[core.knobs.userCodeAlphabet];
  const base = { user_code: formatUserCode(rec.userCode, alphabet), client: { id: rec.clientId, name: client?.name ?? rec.clientId } };
  if (core.knobs.consentDetail === 'minimal') return { ...base, detail: 'minimal' };
  return {
    ...base,
    detail: 'full',
    scopes: rec.scope.map((s) => ({ name: s, description: resource?.scopes[s] ?? s })),
    resource: { id: rec.resource, name: resource?.name ?? rec.resource },
    access_token_lifetime_s: core.knobs.accessTokenLifetimeS,
    refresh_token: core.knobs.issueRefreshTokens,
    requested_at: rec.device.at,
    device: { ip: rec.device.ip, user_agent: rec.device.userAgent },
    warning: 'You are signing in a command-line tool on another device. Continue only if you started this yourself, just now.',
  };
}

function decide(
  core: ServerCore, request: Request, input: string | undefined, decision: string | undefined, scopeParam: string | undefined, meta?: RequestMeta,
): Response {
  const session = sessionOf(core, request);
  if (!session) return fail('login_required', 401);
  if (decision !== 'approve' && decision !== 'deny') return fail('invalid_request', 400, { detail: 'decision must be approve or deny' });
  const alphabet = USER_CODE_ALPHABETS[core.knobs.userCodeAlphabet];
  const rec = core.state.byUserCode.get(normalizeUserCode(input ?? '', alphabet));
  const now = core.clock.now();
  if (!rec) return fail('invalid_user_code', 400);
  if (rec.expiresAt <= now) return fail('expired_user_code', 400);
  if (rec.status !== 'pending') return fail('user_code_already_used', 400);
  // Approval needs the code to have been entered in this session (RFC 8628 §3.3: the user supplies the code).
  if (rec.boundSessionId === undefined || (core.knobs.bindCodeToFirstSession && rec.boundSessionId !== session.id)) {
    return fail('user_code_already_used', 400);
  }
  const from = session.from;
  if (decision === 'deny') {
    rec.status = 'denied';
    rec.decidedAt = now;
    core.audit.record({ at: now, type: 'grant.denied', clientId: rec.clientId, user: session.userId, from, device: rec.device,
      detail: 'the user denied the request', refs: [fingerprint(rec.deviceCode)] });
    return json({ page: 'denied', message: RETURN_TO_DEVICE });
  }
  const scope = scopeParam === undefined ? rec.scope : [...new Set(scopeParam.split(' ').filter(Boolean))];
  if (scope.length === 0 || scope.some((s) => !rec.scope.includes(s))) return fail('invalid_scope', 400);
  // The policy may have changed since the code was entered.
  const refused = policyRefusal(core, rec, session.userId, from);
  if (refused) return refused;
  approve(core, rec, session.userId, scope, from);
  void meta;
  return json({ page: 'approved', granted_scope: scope.join(' '), message: RETURN_TO_DEVICE });
}

/** Mark a device grant approved by `userId` for `scope` (RFC 6749 §3.3: the user may grant less). */
export function approve(core: ServerCore, rec: DeviceGrantRecord, userId: string, scope: string[], from: { ip: string; userAgent: string }): void {
  const now = core.clock.now();
  rec.status = 'approved';
  rec.approvedBy = userId;
  rec.grantedScope = scope;
  rec.decidedAt = now;
  const narrower = scope.length < rec.scope.length ? ` (narrowed from "${rec.scope.join(' ')}")` : '';
  core.audit.record({ at: now, type: 'grant.approved', clientId: rec.clientId, user: userId, from, device: rec.device,
    detail: `approved "${scope.join(' ')}"${narrower}`, refs: [fingerprint(rec.deviceCode)] });
}

export function deny(core: ServerCore, rec: DeviceGrantRecord, userId: string, from: { ip: string; userAgent: string }): void {
  rec.status = 'denied';
  rec.decidedAt = core.clock.now();
  core.audit.record({ at: rec.decidedAt, type: 'grant.denied', clientId: rec.clientId, user: userId, from, device: rec.device,
    detail: 'the user denied the request', refs: [fingerprint(rec.deviceCode)] });
}

/**
 * The signed-in person's grants, as an account page lists "apps with access" (Okta's user grants, Google's
 * third-party access): the client, when it was approved, the scope and whether it is active. Like those pages
 * it does not say which device holds each grant: that is in the audit log.
 */
function listGrants(core: ServerCore, request: Request): Response {
  const session = sessionOf(core, request);
  if (!session) return fail('login_required', 401);
  const grants = [...core.state.grants.values()].filter((g) => g.sub === session.userId).map((g) => ({
    grant_id: g.id, client: findClient(core, g.clientId)?.name ?? g.clientId, approved_at: g.createdAt, scope: g.scope.join(' '),
    active: g.revokedAt === undefined,
  }));
  return json({ page: 'grants', grants }, 200);
}

/** Revoke one of the signed-in person's grants (RFC 9700 §4.14.2: the authorization server revokes a grant). */
function revokeOneGrant(core: ServerCore, request: Request, grantId: string | undefined, meta?: RequestMeta): Response {
  const session = sessionOf(core, request);
  if (!session) return fail('login_required', 401);
  const grant = grantId === undefined ? undefined : core.state.grants.get(grantId);
  // Another person's grant is answered exactly like a missing one: the page reveals no one else's grant ids.
  if (!grant || grant.sub !== session.userId) return fail('not_found', 404);
  revokeGrant(core, grant.id, 'the user revoked this grant at the identity provider', deviceOf(request, meta));
  return json({ page: 'grant_revoked', grant_id: grant.id }, 200);
}

/** "Sign out everywhere" (RFC 9700 §4.14.2 MAY): revoke every grant of the signed-in person. */
function signOutEverywhere(core: ServerCore, request: Request, meta?: RequestMeta): Response {
  const session = sessionOf(core, request);
  if (!session) return fail('login_required', 401);
  let revoked = 0;
  for (const grant of core.state.grants.values()) {
    if (grant.sub === session.userId && grant.revokedAt === undefined) {
      revokeGrant(core, grant.id, 'the user signed out everywhere', deviceOf(request, meta));
      revoked++;
    }
  }
  // Signing out everywhere ends this person's browser sessions too, this one included.
  for (const [id, s] of core.state.sessions) if (s.userId === session.userId) core.state.sessions.delete(id);
  return json({ page: 'signed_out', revoked_grants: revoked }, 200, { 'Set-Cookie': 'dfl_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0' });
}
