/**
 * Identity provider profiles: the documented deviations of real providers (the last section of the
 * conformance checklist), as data. RFC-strict is the default; the others change what their providers document,
 * or where the documentation is silent what their official clients show; `claims` says which is which and
 * marks the guesses, `notImitated` lists what is left out.
 */
import type { IdpProfileName, ServerKnobs } from './knobs.ts';

export interface IdpProfile {
  name: IdpProfileName;
  label: string;
  /** Knob values this provider uses unless the caller overrides them. */
  knobDefaults: Partial<ServerKnobs>;
  /** Errors come back with HTTP 200 and `error` in the body (GitHub). */
  errorsWithStatus200: boolean;
  /** Bodies are form-urlencoded unless the request says `Accept: application/json` (GitHub). */
  formUnlessAcceptJson: boolean;
  /** A `slow_down` body carries the new `interval` (GitHub). */
  slowDownCarriesInterval: boolean;
  /** How `scope` is joined in token responses. */
  scopeSeparator: ' ' | ',';
  /** The exact `token_type` string for bearer tokens. */
  bearerTokenType: 'Bearer' | 'bearer';
  /** Renamed error codes at the token endpoint for the device code grant. */
  deviceGrantErrorNames: Readonly<Record<string, string>>;
  /** Renamed error codes everywhere. */
  errorNames: Readonly<Record<string, string>>;
  /** Name of the verification URI member in the device authorization response. */
  verificationUriMember: 'verification_uri' | 'verification_url';
  /** Whether the provider supports `verification_uri_complete` at all. */
  supportsVerificationUriComplete: boolean;
  /** `scope` is required at the device authorization endpoint (Entra, Google). */
  scopeRequired: boolean;
  /** The device authorization response carries a human `message` (Entra). */
  sendsMessage: boolean;
  /** Extra members in error bodies (Entra's error_codes, trace and correlation ids). */
  errorExtras?: (error: string) => Record<string, unknown>;
  /** Extra paths this provider uses for the same endpoints. */
  pathAliases: Readonly<Record<string, 'device_authorization' | 'token'>>;
  /**
   * Request body types the endpoints accept. RFC 6749 §3.2 and RFC 8628 §3.1 say form-urlencoded; github.com
   * also takes JSON at both device-flow endpoints (its official client, @octokit/oauth-methods, posts JSON).
   */
  requestBodyTypes: readonly RequestBodyType[];
  /** A token response with a refresh token also carries `refresh_token_expires_in` (GitHub Apps). */
  sendsRefreshTokenExpiresIn: boolean;
  /** A device-code poll must carry the client's `client_secret` (Google's "TVs and Limited Input devices" clients). */
  deviceGrantRequiresClientSecret: boolean;
  /**
   * HTTP status of an error response, by the error code the client sees (Google: 428 for authorization_pending,
   * 403 for slow_down and access_denied). Codes not listed use the RFC 6749 §5.2 status (400, or 401 with a
   * challenge); `errorsWithStatus200` overrides both.
   */
  errorStatus: Readonly<Record<string, number>>;
  /** Numeric STS codes sent in `error_codes`, by the error code the client sees (Entra's AADSTS numbers). */
  errorCodeNumbers: Readonly<Record<string, number>>;
  /**
   * Every behaviour this profile imitates, with where it comes from. `guess` marks what the provider's own
   * documentation does not say (for the UI and the lab text to present as guesses).
   */
  claims: readonly ProfileClaim[];
  /** Documented behaviour of the provider that this profile does not imitate (so nobody mistakes it for complete). */
  notImitated: readonly string[];
}

export type RequestBodyType = 'form' | 'json';

export interface ProfileClaim {
  /** What the simulated provider does. */
  behaviour: string;
  /** `documented`: the provider's documentation says so; `observed`: its official client or field reports show it; `guess`: neither. */
  basis: 'documented' | 'observed' | 'guess';
  source: string;
}

/** The claims of a profile that its provider's documentation does not back (for the UI and the lab text). */
export function profileGuesses(profile: IdpProfile): ProfileClaim[] {
  return profile.claims.filter((c) => c.basis !== 'documented');
}

const GITHUB_OAUTH_DOC = 'docs.github.com: Authorizing OAuth apps, "Device flow" (github/docs content/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps.md)';
const GITHUB_APP_DOC = 'docs.github.com: Generating / Refreshing a user access token for a GitHub App (github/docs content/apps/creating-github-apps/authenticating-with-a-github-app/)';
const ENTRA_DEVICE_DOC = 'learn.microsoft.com: Microsoft identity platform and the OAuth 2.0 device authorization grant flow (MicrosoftDocs/entra-docs docs/identity-platform/v2-oauth2-device-code.md)';
const ENTRA_CODES_DOC = 'learn.microsoft.com: Microsoft Entra authentication and authorization error codes (MicrosoftDocs/entra-docs docs/identity-platform/reference-error-codes.md)';
const GOOGLE_DOC = 'developers.google.com: OAuth 2.0 for TV and Limited-Input Device Applications (/identity/protocols/oauth2/limited-input-device; the same text at /youtube/v3/live/guides/auth/devices)';

/**
 * AADSTS numbers from Microsoft's error code reference: 70016 AuthorizationPending, 70018 BadVerificationCode,
 * 70019 CodeExpired, 70011 InvalidScope, 70000 InvalidGrant, 900144 (a required body parameter is missing),
 * 7000215 (invalid client secret), 65004 UserDeclinedConsent. Microsoft's device-flow page names
 * `authorization_declined` but gives it no number; 65004 is this profile's guess.
 */
export const ENTRA_ERROR_CODES: Readonly<Record<string, number>> = {
  authorization_pending: 70016,
  authorization_declined: 65004,
  bad_verification_code: 70018,
  expired_token: 70019,
  invalid_scope: 70011,
  invalid_request: 900144,
  invalid_client: 7000215,
  invalid_grant: 70000,
};

/** Google's documented statuses for device-flow errors (step 6, "Handle responses to polling requests"). */
const GOOGLE_ERROR_STATUS: Readonly<Record<string, number>> = {
  authorization_pending: 428,
  slow_down: 403,
  access_denied: 403,
  invalid_client: 401,
  invalid_grant: 400,
  unsupported_grant_type: 400,
};

export const IDP_PROFILE_TABLE: Readonly<Record<IdpProfileName, IdpProfile>> = {
  rfc: {
    name: 'rfc',
    label: 'RFC-strict',
    knobDefaults: {},
    errorsWithStatus200: false,
    formUnlessAcceptJson: false,
    slowDownCarriesInterval: false,
    scopeSeparator: ' ',
    bearerTokenType: 'Bearer',
    deviceGrantErrorNames: {},
    errorNames: {},
    verificationUriMember: 'verification_uri',
    supportsVerificationUriComplete: true,
    scopeRequired: false,
    sendsMessage: false,
    pathAliases: {},
    requestBodyTypes: ['form'],
    sendsRefreshTokenExpiresIn: false,
    deviceGrantRequiresClientSecret: false,
    errorStatus: {},
    errorCodeNumbers: {},
    claims: [
      { behaviour: 'Request bodies are application/x-www-form-urlencoded only; a JSON body is invalid_request.', basis: 'documented', source: 'RFC 6749 §3.2, RFC 8628 §3.1 and §3.4' },
      { behaviour: 'Errors are HTTP 400 (401 for a failed client authentication with a challenge) with an RFC 6749 §5.2 JSON body.', basis: 'documented', source: 'RFC 6749 §5.2' },
    ],
    notImitated: [],
  },
  github: {
    name: 'github',
    label: 'GitHub-like',
    knobDefaults: { codeLifetimeS: 900, intervalS: 5, verificationUriComplete: false },
    errorsWithStatus200: true,
    formUnlessAcceptJson: true,
    slowDownCarriesInterval: true,
    scopeSeparator: ',',
    bearerTokenType: 'bearer',
    deviceGrantErrorNames: { invalid_grant: 'incorrect_device_code' },
    errorNames: { invalid_client: 'incorrect_client_credentials' },
    verificationUriMember: 'verification_uri',
    supportsVerificationUriComplete: false,
    scopeRequired: false,
    sendsMessage: false,
    pathAliases: { '/login/device/code': 'device_authorization', '/login/oauth/access_token': 'token' },
    requestBodyTypes: ['form', 'json'],
    sendsRefreshTokenExpiresIn: true,
    deviceGrantRequiresClientSecret: false,
    errorStatus: {},
    errorCodeNumbers: {},
    claims: [
      { behaviour: 'Endpoints POST /login/device/code and POST /login/oauth/access_token.', basis: 'documented', source: GITHUB_OAUTH_DOC },
      { behaviour: 'Responses are form-urlencoded unless the request says Accept: application/json.', basis: 'documented', source: GITHUB_OAUTH_DOC },
      { behaviour: 'JSON request bodies are accepted at both endpoints.', basis: 'observed', source: 'not stated in GitHub\'s docs; GitHub\'s official client @octokit/oauth-methods (createDeviceCode, exchangeDeviceCode) posts JSON through @octokit/request' },
      { behaviour: 'Poll errors (authorization_pending, slow_down, ...) come back with HTTP 200 and an error member.', basis: 'observed', source: 'the docs show error codes but no status; @octokit/oauth-methods checks "error" in a 200 body; issue octokit/auth-oauth-app.js#13' },
      { behaviour: 'slow_down adds 5 s to the last interval and the error response carries the new interval.', basis: 'documented', source: GITHUB_OAUTH_DOC },
      { behaviour: 'Error codes incorrect_device_code (unknown device code) and incorrect_client_credentials (unknown client); access_denied, unsupported_grant_type as in the RFC.', basis: 'documented', source: GITHUB_OAUTH_DOC },
      { behaviour: 'An expired device code polls as expired_token.', basis: 'documented', source: `${GITHUB_OAUTH_DOC} (its error table says expired_token; the sentence beside it says token_expired)` },
      { behaviour: 'No verification_uri_complete; expires_in 900 and interval 5 by default.', basis: 'documented', source: GITHUB_OAUTH_DOC },
      { behaviour: 'token_type "bearer" and a comma-separated scope in token responses.', basis: 'documented', source: GITHUB_OAUTH_DOC },
      { behaviour: 'A response with a refresh token carries refresh_token_expires_in.', basis: 'documented', source: GITHUB_APP_DOC },
      { behaviour: 'Other error codes (invalid_request, invalid_scope, ...) keep their RFC names; GitHub documents only the device-flow ones.', basis: 'guess', source: 'not in GitHub\'s docs' },
    ],
    notImitated: [
      'the verification page lives at /login/device on github.com; here it stays at /device',
      'device_flow_disabled (the app has not opted in to the device flow)',
      'the limit of 50 user-code submissions per hour per application (the attempt-limit knob is per session)',
      'XML responses (Accept: application/xml)',
    ],
  },
  entra: {
    name: 'entra',
    label: 'Microsoft Entra-like',
    knobDefaults: { codeLifetimeS: 900, intervalS: 5, verificationUriComplete: false, invalidateRotatedRefreshTokens: false, reuseDetection: false },
    errorsWithStatus200: false,
    formUnlessAcceptJson: false,
    slowDownCarriesInterval: false,
    scopeSeparator: ' ',
    bearerTokenType: 'Bearer',
    deviceGrantErrorNames: { access_denied: 'authorization_declined', invalid_grant: 'bad_verification_code' },
    errorNames: {},
    verificationUriMember: 'verification_uri',
    supportsVerificationUriComplete: false,
    scopeRequired: true,
    sendsMessage: true,
    errorExtras: (error) => ({
      ...(ENTRA_ERROR_CODES[error] !== undefined ? { error_codes: [ENTRA_ERROR_CODES[error]] } : {}),
      trace_id: '00000000-0000-4000-8000-000000000001',
      correlation_id: '00000000-0000-4000-8000-000000000002',
    }),
    pathAliases: { '/oauth2/v2.0/devicecode': 'device_authorization', '/oauth2/v2.0/token': 'token' },
    requestBodyTypes: ['form'],
    sendsRefreshTokenExpiresIn: false,
    deviceGrantRequiresClientSecret: false,
    errorStatus: {},
    errorCodeNumbers: ENTRA_ERROR_CODES,
    claims: [
      { behaviour: 'Endpoints /{tenant}/oauth2/v2.0/devicecode and /{tenant}/oauth2/v2.0/token (here without the tenant segment).', basis: 'documented', source: ENTRA_DEVICE_DOC },
      { behaviour: 'scope is required at the device authorization endpoint.', basis: 'documented', source: ENTRA_DEVICE_DOC },
      { behaviour: 'The device authorization response adds a human message; verification_uri_complete is not sent; expires_in is 15 minutes by default.', basis: 'documented', source: ENTRA_DEVICE_DOC },
      { behaviour: 'Poll errors authorization_pending, authorization_declined (for a denial), bad_verification_code (unknown device code), expired_token.', basis: 'documented', source: ENTRA_DEVICE_DOC },
      { behaviour: 'Error bodies add error_codes, trace_id and correlation_id.', basis: 'documented', source: ENTRA_CODES_DOC },
      { behaviour: 'error_codes: 70016 pending, 70018 bad verification code, 70019 code expired, 70011 invalid scope, 70000 invalid grant, 900144 missing parameter, 7000215 invalid client secret.', basis: 'documented', source: ENTRA_CODES_DOC },
      { behaviour: 'authorization_declined carries error_codes [65004] (UserDeclinedConsent).', basis: 'guess', source: 'the device-flow page gives authorization_declined no number; 65004 is the reference\'s code for a user who declined consent' },
      { behaviour: 'Every invalid_client carries 7000215, also for an unknown client id (for which Entra documents 700016, UnauthorizedClient_DoesNotMatchRequest).', basis: 'guess', source: `${ENTRA_CODES_DOC}; this profile maps one number per error code` },
      { behaviour: 'Errors are HTTP 400.', basis: 'guess', source: 'Microsoft\'s pages give no status for these errors' },
      { behaviour: 'slow_down is sent (as RFC 8628) when polling too fast.', basis: 'guess', source: 'Microsoft\'s device-flow page does not list slow_down' },
      { behaviour: 'Rotated refresh tokens keep working (no reuse detection).', basis: 'documented', source: 'learn.microsoft.com: Refresh tokens in the Microsoft identity platform ("doesn\'t revoke old refresh tokens")' },
    ],
    notImitated: [
      'the {tenant} path segment (/common, /organizations, a tenant id)',
      'a localised message (?mkt=xx-XX)',
      'the AADSTS number and trace ids repeated inside error_description, and the timestamp and error_uri members',
      '700016 for an unknown client id (see the claims)',
    ],
  },
  google: {
    name: 'google',
    label: 'Google-like',
    knobDefaults: { codeLifetimeS: 1800, intervalS: 5, verificationUriComplete: false },
    errorsWithStatus200: false,
    formUnlessAcceptJson: false,
    slowDownCarriesInterval: false,
    scopeSeparator: ' ',
    bearerTokenType: 'Bearer',
    deviceGrantErrorNames: {},
    errorNames: {},
    verificationUriMember: 'verification_url',
    supportsVerificationUriComplete: false,
    scopeRequired: true,
    sendsMessage: false,
    pathAliases: { '/device/code': 'device_authorization' },
    requestBodyTypes: ['form'],
    sendsRefreshTokenExpiresIn: false,
    deviceGrantRequiresClientSecret: true,
    errorStatus: GOOGLE_ERROR_STATUS,
    errorCodeNumbers: {},
    claims: [
      { behaviour: 'Endpoints POST /device/code and POST /token (oauth2.googleapis.com).', basis: 'documented', source: GOOGLE_DOC },
      { behaviour: 'The device authorization response says verification_url, not verification_uri; no verification_uri_complete; examples show expires_in 1800 and interval 5.', basis: 'documented', source: GOOGLE_DOC },
      { behaviour: 'A device-code poll needs client_secret (the client type "TVs and Limited Input devices" has one).', basis: 'documented', source: `${GOOGLE_DOC}, step 4 parameters; also cli/oauth PR #24` },
      { behaviour: 'A poll without client_secret gets 400 invalid_request "client_secret is missing."', basis: 'observed', source: 'field reports of Google\'s token endpoint; Google\'s page does not show this error' },
      { behaviour: 'authorization_pending is HTTP 428; slow_down and access_denied are HTTP 403; invalid_client 401; invalid_grant and unsupported_grant_type 400.', basis: 'documented', source: `${GOOGLE_DOC}, step 6` },
      { behaviour: 'An expired device code polls as expired_token with HTTP 400.', basis: 'guess', source: 'Google\'s page does not list expired_token or its status' },
      { behaviour: 'The device authorization request takes client_id and a required scope, and no client_secret; a request without scope is invalid_request.', basis: 'documented', source: `${GOOGLE_DOC}, step 1 parameters (the error text is this simulator's)` },
    ],
    notImitated: [
      'verification_url on another host (https://www.google.com/device)',
      'client_secret on refresh requests too',
      'the allow-list of scopes for device clients, and admin_policy_enforced / org_internal',
      '403 rate_limit_exceeded when device-code requests exceed the client\'s quota',
    ],
  },
};

export function getProfile(name: IdpProfileName): IdpProfile {
  return IDP_PROFILE_TABLE[name];
}
