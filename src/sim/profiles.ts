/**
 * Identity provider profiles: the documented deviations of real providers (the last section of the
 * conformance checklist), as data. RFC-strict is the default; the others change only what their providers'
 * own documentation says they do.
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
  /** `scope` is required at the device authorization endpoint (Entra). */
  scopeRequired: boolean;
  /** The device authorization response carries a human `message` (Entra). */
  sendsMessage: boolean;
  /** Extra members in error bodies (Entra's error_codes, trace and correlation ids). */
  errorExtras?: (error: string) => Record<string, unknown>;
  /** Extra paths this provider uses for the same endpoints. */
  pathAliases: Readonly<Record<string, 'device_authorization' | 'token'>>;
}

const ENTRA_ERROR_CODES: Record<string, number> = {
  authorization_pending: 70016,
  authorization_declined: 70000,
  bad_verification_code: 70019,
  expired_token: 70020,
  invalid_scope: 70011,
  invalid_request: 900144,
  invalid_client: 7000215,
  invalid_grant: 70000,
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
      error_codes: [ENTRA_ERROR_CODES[error] ?? 50000],
      trace_id: '00000000-0000-4000-8000-000000000001',
      correlation_id: '00000000-0000-4000-8000-000000000002',
    }),
    pathAliases: { '/oauth2/v2.0/devicecode': 'device_authorization', '/oauth2/v2.0/token': 'token' },
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
    scopeRequired: false,
    sendsMessage: false,
    pathAliases: { '/device/code': 'device_authorization' },
  },
};

export function getProfile(name: IdpProfileName): IdpProfile {
  return IDP_PROFILE_TABLE[name];
}
