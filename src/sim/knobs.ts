/**
 * Server-side knobs (architecture seam 4: misconfiguration as data). Every knob is a typed field with a
 * secure default, a description and the risk it teaches. Labs, the sandbox and `npm run idp` set the same
 * knobs; nothing has its own code path.
 */
import { BRUTE_FORCE_BOUND, USER_CODE_ALPHABETS, bruteForceProbability, type UserCodeAlphabetName } from '../protocol/userCode.ts';
import { knobRequirement, type KnobKind, type KnobSpecOf } from './knobSpec.ts';

export const IDP_PROFILES = ['rfc', 'github', 'entra', 'google'] as const;
export type IdpProfileName = (typeof IDP_PROFILES)[number];

export interface ServerKnobs {
  /** Which identity provider's documented behaviour to imitate. */
  profile: IdpProfileName;
  /** Lifetime of a device code and its user code, seconds (RFC 8628 §3.2 `expires_in`). */
  codeLifetimeS: number;
  /** Minimum polling interval sent to clients, seconds; `null` omits it (clients then use 5 s). */
  intervalS: number | null;
  /** Answer `slow_down` (and add 5 s for that code) when a poll comes sooner than the current interval. */
  slowDownEnforcement: boolean;
  /** Jitter tolerated before a poll counts as too early, milliseconds. */
  pollLeewayMs: number;
  userCodeAlphabet: UserCodeAlphabetName;
  userCodeLength: number;
  /** Wrong user codes one browser session may try per code lifetime before it is locked out; 0 = unlimited. */
  userCodeAttemptLimit: number;
  /** Bind a pending user code to the first signed-in session that enters it (RFC 8628 §5.5). */
  bindCodeToFirstSession: boolean;
  /** Include `verification_uri_complete` (when the profile supports it). */
  verificationUriComplete: boolean;
  /** What opening `verification_uri_complete` does: show a code-match confirm page, or approve at once. */
  verificationCompleteMode: 'confirm' | 'one-click';
  /** How much the consent page shows: client, scopes, lifetime, device origin and a warning; or only the client name. */
  consentDetail: 'full' | 'minimal';
  /** Which clients may start a device flow: those registered for the device code grant, or every public client. */
  deviceGrantClients: 'registered' | 'any-public-client';
  /** Who may approve a device code (a tenant policy): members of the `engineering` group only, or everyone. */
  deviceFlowUsers: 'engineering' | 'everyone';
  accessTokenLifetimeS: number;
  /** How access tokens are signed (RFC 9068 §2.1: every AS and RS must support RS256). */
  accessTokenAlg: 'ES256' | 'RS256';
  /** Absolute refresh token lifetime, seconds. */
  refreshTokenLifetimeS: number;
  /** Refresh tokens unused this long expire (RFC 9700 §4.14.2), seconds. */
  refreshTokenIdleS: number;
  issueRefreshTokens: boolean;
  /** Issue a new refresh token on every refresh (RFC 9700 §4.14.2). */
  rotateRefreshTokens: boolean;
  /** After rotation the old refresh token stops working (false imitates Entra: it keeps working). */
  invalidateRotatedRefreshTokens: boolean;
  /** Presenting a rotated-out refresh token revokes the whole token family. */
  reuseDetection: boolean;
  /** Revoking a refresh token also revokes the access tokens of its grant (RFC 7009 §2.1). */
  revocationCascade: boolean;
  /** Revoking an access token also revokes the refresh token of its grant (RFC 7009 §2.1 MAY). */
  accessTokenRevocationCascade: boolean;
  /** The API asks the authorization server whether a token was revoked (false: a JWT stays valid until exp). */
  apiChecksRevocation: boolean;
  /** Scopes granted when a request names none (RFC 6749 §3.3). */
  defaultScopes: string[];
  /** Scopes a client may request at all; anything else is `invalid_scope`. */
  allowedScopes: string[];
  /** Require DPoP proofs for the CLI's token requests and bind its tokens (RFC 9449 §5.2). */
  dpopRequired: boolean;
  /** Require server-provided nonces in DPoP proofs (RFC 9449 §8). */
  dpopNonce: boolean;
  /** How far a proof's `iat` may be from now, seconds (RFC 9449 §11.1). */
  dpopProofWindowS: number;
  /** Requests per minute per client and address, shared by the token and revocation endpoints (RFC 7009 §5). */
  rateLimitPerMinute: number;
  /** Add `error_uri` to error responses. */
  errorUri: boolean;
  /**
   * Workload identity federation: accept an RFC 8693 token exchange whose subject token is an ID token signed by
   * one of the server's configured workload issuers (a CI platform's OIDC issuer), for a short-lived access token
   * without a refresh token. Off: no workload is trusted (nothing configured is trusted by default).
   */
  workloadIdentityFederation: boolean;
}

/** A server knob, in one of the sandbox's groups: a checkbox, a whole number, a choice or a scope list. */
export type KnobSpec<K extends keyof ServerKnobs = keyof ServerKnobs> = KnobSpecOf<
  ServerKnobs,
  K,
  Exclude<KnobKind, { kind: 'interval' }>,
  { group: 'profile' | 'codes' | 'polling' | 'consent' | 'tokens' | 'refresh' | 'revocation' | 'dpop' | 'limits' }
>;

/** Secure defaults: with these, every S/UI/RS row of the conformance checklist holds. */
export const DEFAULT_SERVER_KNOBS: Readonly<ServerKnobs> = Object.freeze({
  profile: 'rfc',
  codeLifetimeS: 600,
  intervalS: 5,
  slowDownEnforcement: true,
  pollLeewayMs: 250,
  userCodeAlphabet: 'base20',
  userCodeLength: 8,
  userCodeAttemptLimit: 5,
  bindCodeToFirstSession: true,
  verificationUriComplete: true,
  verificationCompleteMode: 'confirm',
  consentDetail: 'full',
  deviceGrantClients: 'registered',
  deviceFlowUsers: 'engineering',
  accessTokenLifetimeS: 900,
  accessTokenAlg: 'ES256',
  refreshTokenLifetimeS: 14 * 24 * 3600,
  refreshTokenIdleS: 3 * 24 * 3600,
  issueRefreshTokens: true,
  rotateRefreshTokens: true,
  invalidateRotatedRefreshTokens: true,
  reuseDetection: true,
  revocationCascade: true,
  accessTokenRevocationCascade: true,
  apiChecksRevocation: true,
  defaultScopes: ['profile', 'projects:read'],
  allowedScopes: ['profile', 'projects:read', 'projects:write', 'projects:admin'],
  dpopRequired: false,
  dpopNonce: false,
  dpopProofWindowS: 60,
  rateLimitPerMinute: 120,
  errorUri: false,
  workloadIdentityFederation: false,
}) as Readonly<ServerKnobs>;

const DAY = 24 * 3600;

export const SERVER_KNOB_SPECS: readonly KnobSpec[] = [
  { key: 'profile', kind: 'choice', choices: IDP_PROFILES, label: 'Identity provider profile', group: 'profile',
    description: 'RFC-strict, or the documented quirks of GitHub, Microsoft Entra or Google (what their docs do not say is marked a guess in the profile).',
    risk: 'A client written against one provider breaks on another (F25).' },
  { key: 'codeLifetimeS', kind: 'integer', min: 1, max: 3600, unit: 's', label: 'Code lifetime', group: 'codes',
    description: 'How long the device code and user code stay valid (expires_in).',
    risk: 'Long-lived codes widen the window for phishing and brute force (F15, F18).' },
  { key: 'intervalS', kind: 'integer', min: 1, max: 60, nullable: true, unit: 's', label: 'Server polling interval', group: 'polling',
    description: 'Minimum seconds between polls sent to the client; empty omits it (clients must then use 5 s).',
    risk: 'Clients that ignore it hammer the server (F1).' },
  { key: 'slowDownEnforcement', kind: 'boolean', label: 'Enforce slow_down', group: 'polling',
    description: 'Answer slow_down when a poll comes before the current interval and add 5 s for that code.',
    risk: 'Without it a runaway poller is never told to back off (F1, F3).' },
  { key: 'pollLeewayMs', kind: 'integer', min: 0, max: 5000, unit: 'ms', label: 'Polling jitter allowed', group: 'polling',
    description: 'How much earlier than the interval a poll may arrive and still be accepted.',
    risk: 'Zero leeway punishes honest clients for network jitter.' },
  { key: 'userCodeAlphabet', kind: 'choice', choices: Object.keys(USER_CODE_ALPHABETS), label: 'User code alphabet', group: 'codes',
    description: 'base-20 consonants (RFC 8628 §6.1), digits, or letters and digits with confusable characters.',
    risk: 'Small or confusable alphabets make codes easier to guess or mistype (F18).' },
  { key: 'userCodeLength', kind: 'integer', min: 4, max: 12, label: 'User code length', group: 'codes',
    description: 'Significant characters in the user code.',
    risk: 'Short codes can be brute-forced within their lifetime (F18).' },
  { key: 'userCodeAttemptLimit', kind: 'integer', min: 0, max: 1000, label: 'Wrong-code attempts per session', group: 'codes',
    description: 'Wrong user codes one browser session may try per code lifetime before lockout; 0 means unlimited.',
    risk: 'Without a limit, guessing live codes becomes practical (F18).' },
  { key: 'bindCodeToFirstSession', kind: 'boolean', label: 'Bind code to first session', group: 'consent',
    description: 'The first signed-in session that enters a code claims it; others are refused.',
    risk: 'An onlooker who enters the code can race the real user (F19).' },
  { key: 'verificationUriComplete', kind: 'boolean', label: 'Send verification_uri_complete', group: 'consent',
    description: 'Offer a link that carries the user code (for QR codes).',
    risk: 'A link that carries the code is what phishing mails carry (F15, F17).' },
  { key: 'verificationCompleteMode', kind: 'choice', choices: ['confirm', 'one-click'], label: 'Complete link behaviour', group: 'consent',
    description: 'confirm: the link opens a page that shows the code to match; one-click: opening the link approves.',
    risk: 'One-click approval lets any link approve any code (F17).' },
  { key: 'consentDetail', kind: 'choice', choices: ['full', 'minimal'], label: 'Consent page detail', group: 'consent',
    description: 'full: client, scopes, lifetime, where the request came from and a warning; minimal: the client name only.',
    risk: 'Without context a victim cannot tell whose device asks (F15, F16).' },
  { key: 'deviceGrantClients', kind: 'choice', choices: ['registered', 'any-public-client'], label: 'Clients allowed the device flow', group: 'consent',
    description: 'registered: only clients registered for the device code grant; any-public-client: every public client, as if each app allowed public client flows.',
    risk: 'A phishing page can start a device flow as any app whose name fits its lure, such as the web console (F15).' },
  { key: 'deviceFlowUsers', kind: 'choice', choices: ['engineering', 'everyone'], label: 'People allowed the device flow', group: 'consent',
    description: 'engineering: only members of the engineering group (the people who use the CLI) may approve a device code; everyone: any account.',
    risk: 'Anyone in the organisation can be phished into approving a device code, even people who never use the CLI (F15).' },
  { key: 'accessTokenLifetimeS', kind: 'integer', min: 10, max: 90 * DAY, unit: 's', label: 'Access token lifetime', group: 'tokens',
    description: 'Seconds an access token stays valid (expires_in and exp).',
    risk: 'A stolen long-lived token works for weeks (F12).' },
  { key: 'accessTokenAlg', kind: 'choice', choices: ['ES256', 'RS256'], label: 'Access token signature', group: 'tokens',
    description: 'ES256 (small, the default) or RS256 (what every RFC 9068 implementation must support).',
    risk: 'None either way; both are asymmetric, so the API cannot mint tokens.' },
  { key: 'refreshTokenLifetimeS', kind: 'integer', min: 60, max: 365 * DAY, unit: 's', label: 'Refresh token lifetime', group: 'refresh',
    description: 'Absolute lifetime of a refresh token family.',
    risk: 'A stolen refresh token keeps minting tokens (F13).' },
  { key: 'refreshTokenIdleS', kind: 'integer', min: 60, max: 365 * DAY, unit: 's', label: 'Refresh token idle expiry', group: 'refresh',
    description: 'A refresh token unused this long expires (RFC 9700 §4.14.2).',
    risk: 'Forgotten sessions on old machines stay usable (F21).' },
  { key: 'issueRefreshTokens', kind: 'boolean', label: 'Issue refresh tokens', group: 'refresh',
    description: 'Whether the CLI gets a refresh token at all.',
    risk: 'Without them, short access tokens force frequent logins and tempt long lifetimes (F12).' },
  { key: 'rotateRefreshTokens', kind: 'boolean', label: 'Rotate refresh tokens', group: 'refresh',
    description: 'Each refresh returns a new refresh token (RFC 9700 §4.14.2).',
    risk: 'Without rotation a stolen refresh token works indefinitely (F13).' },
  { key: 'invalidateRotatedRefreshTokens', kind: 'boolean', label: 'Invalidate rotated refresh tokens', group: 'refresh',
    description: 'After rotation the previous refresh token stops working.',
    risk: 'Entra-like: rotation without invalidation leaves every old refresh token usable (F13).' },
  { key: 'reuseDetection', kind: 'boolean', label: 'Refresh token reuse detection', group: 'refresh',
    description: 'Presenting a rotated-out refresh token revokes the whole family.',
    risk: 'An attacker who refreshes first keeps the session; the victim is none the wiser (F13).' },
  { key: 'revocationCascade', kind: 'boolean', label: 'Refresh revocation cascades', group: 'revocation',
    description: 'Revoking a refresh token also revokes the access tokens of its grant.',
    risk: 'After logout the stolen access token still works (F11).' },
  { key: 'accessTokenRevocationCascade', kind: 'boolean', label: 'Access revocation cascades', group: 'revocation',
    description: 'Revoking an access token also revokes the refresh token of its grant.',
    risk: 'A half-revoked session can be revived with its refresh token (F11).' },
  { key: 'apiChecksRevocation', kind: 'boolean', label: 'API checks revocation', group: 'revocation',
    description: 'The API asks the authorization server whether a token was revoked; otherwise a JWT is valid until exp.',
    risk: 'Self-contained tokens outlive logout (F11, F12).' },
  { key: 'defaultScopes', kind: 'scopes', label: 'Default scopes', group: 'tokens',
    description: 'Scopes granted when a request names none.',
    risk: 'A broad default turns every login into an admin login (F14).' },
  { key: 'allowedScopes', kind: 'scopes', label: 'Allowed scopes', group: 'tokens',
    description: 'Scopes a client may request; anything else is invalid_scope.',
    risk: 'Over-broad scopes make a stolen token destructive (F14).' },
  { key: 'dpopRequired', kind: 'boolean', label: 'Require DPoP', group: 'dpop',
    description: 'The CLI must prove possession of a key; its tokens are bound to that key (RFC 9449).',
    risk: 'Bearer tokens work from any host that steals them (F20).' },
  { key: 'dpopNonce', kind: 'boolean', label: 'DPoP server nonces', group: 'dpop',
    description: 'Proofs must carry a fresh server-provided nonce (RFC 9449 §8).',
    risk: 'Without nonces, proofs made in advance can be replayed within their window.' },
  { key: 'dpopProofWindowS', kind: 'integer', min: 1, max: 600, unit: 's', label: 'DPoP proof window', group: 'dpop',
    description: 'How long after creation a proof is accepted (RFC 9449 §11.1).',
    risk: 'Long windows give captured proofs more time to be replayed.' },
  { key: 'rateLimitPerMinute', kind: 'integer', min: 1, max: 100_000, label: 'Token endpoint rate limit', group: 'limits',
    description: 'Requests per minute per client and address at the token and revocation endpoints. Over it, a poll hears slow_down, a refresh HTTP 429 and a revocation HTTP 503, each with Retry-After.',
    risk: 'Without it revocation and polling endpoints can be flooded (RFC 7009 §5).' },
  { key: 'errorUri', kind: 'boolean', label: 'Send error_uri', group: 'limits',
    description: 'Add a documentation link to error responses.', risk: 'None; it helps developers.' },
  { key: 'workloadIdentityFederation', kind: 'boolean', label: 'Trust CI workload identity', group: 'tokens',
    description: "Accept a CI job's short-lived ID token from the configured CI issuer (signature, issuer, audience and expiry checked) in an RFC 8693 token exchange, for a short-lived access token and no refresh token.",
    risk: 'Off, a CI job has no identity of its own, so people log in with the device flow on runners and leave long-lived refresh tokens there (F22, G10).' },
];

/** One finding about an insecure or inconsistent knob setting (shown in the sandbox and the idp banner). */
export interface KnobFinding {
  knob: keyof ServerKnobs;
  severity: 'risk' | 'error';
  message: string;
}

/**
 * Check a knob set: `error` findings make it unusable (out of range, wrong type); `risk` findings mark an
 * insecure choice that a lab may make on purpose.
 */
export function assessServerKnobs(knobs: ServerKnobs): KnobFinding[] {
  const out: KnobFinding[] = [];
  for (const spec of SERVER_KNOB_SPECS) {
    const value: unknown = knobs[spec.key];
    const needed = knobRequirement(spec, value);
    if (needed) out.push({ knob: spec.key, severity: 'error', message: `${spec.key} must be ${needed}` });
  }
  const alphabet = USER_CODE_ALPHABETS[knobs.userCodeAlphabet] ?? '';
  const attempts = knobs.userCodeAttemptLimit === 0 ? Infinity : knobs.userCodeAttemptLimit;
  if (alphabet && bruteForceProbability(alphabet, knobs.userCodeLength, attempts) > BRUTE_FORCE_BOUND) {
    out.push({ knob: 'userCodeAttemptLimit', severity: 'risk',
      message: 'user codes can be brute-forced: attempts per lifetime / alphabet^length exceeds 2^-32 (RFC 8628 §5.1)' });
  }
  if (knobs.issueRefreshTokens && !knobs.dpopRequired && !(knobs.rotateRefreshTokens && knobs.invalidateRotatedRefreshTokens)) {
    out.push({ knob: 'rotateRefreshTokens', severity: 'risk',
      message: 'refresh tokens for a public client are neither rotated nor sender-constrained (RFC 9700 §2.2.2)' });
  }
  if (knobs.accessTokenLifetimeS > 3600) {
    out.push({ knob: 'accessTokenLifetimeS', severity: 'risk', message: 'access tokens live longer than one hour (RFC 6750 §5.3)' });
  }
  if (!knobs.slowDownEnforcement) out.push({ knob: 'slowDownEnforcement', severity: 'risk', message: 'polling rate is not enforced' });
  if (knobs.verificationCompleteMode === 'one-click') {
    out.push({ knob: 'verificationCompleteMode', severity: 'risk', message: 'a GET on verification_uri_complete approves without confirmation (RFC 8628 §3.3.1)' });
  }
  if (knobs.deviceGrantClients === 'any-public-client') {
    out.push({ knob: 'deviceGrantClients', severity: 'risk', message: 'every public client may start a device flow, not only those registered for it (RFC 8628 §5.4)' });
  }
  if (knobs.deviceFlowUsers === 'everyone') out.push({ knob: 'deviceFlowUsers', severity: 'risk', message: 'every account may approve a device code (RFC 8628 §5.4)' });
  return out;
}

/** Merge overrides over the defaults (and a profile's defaults, applied by the caller) and validate. */
export function resolveServerKnobs(...layers: Array<Partial<ServerKnobs> | undefined>): ServerKnobs {
  const knobs = Object.assign({}, DEFAULT_SERVER_KNOBS, ...layers.filter(Boolean)) as ServerKnobs;
  const errors = assessServerKnobs(knobs).filter((f) => f.severity === 'error');
  if (errors.length) throw new TypeError(`Invalid server knobs: ${errors.map((e) => e.message).join('; ')}`);
  return knobs;
}
