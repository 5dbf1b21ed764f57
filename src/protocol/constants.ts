/**
 * Protocol constants in one place (grant type URNs, error codes, token types, media types).
 * Wire names keep the RFCs' snake_case; our identifiers are camelCase.
 */

/** RFC 8628 §3.4: the device code grant type. */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';
/** RFC 6749 §6. */
export const REFRESH_TOKEN_GRANT_TYPE = 'refresh_token';
/** RFC 8693 §2.1: the token exchange grant type (workload identity: a CI job trades its ID token). */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 8693 §3 token type identifiers. */
export const TOKEN_TYPE_URN = {
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
} as const;
/** RFC 6749 §4.1.3 (registered for web clients only, so `unauthorized_client` can be shown). */
export const AUTHORIZATION_CODE_GRANT_TYPE = 'authorization_code';

export const GRANT_TYPES = [DEVICE_CODE_GRANT_TYPE, REFRESH_TOKEN_GRANT_TYPE, AUTHORIZATION_CODE_GRANT_TYPE] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** RFC 6749 §5.2 token endpoint errors. */
export const TOKEN_ERRORS = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
] as const;

/** RFC 8628 §3.5 device polling errors. */
export const DEVICE_POLL_ERRORS = ['authorization_pending', 'slow_down', 'access_denied', 'expired_token'] as const;

/** RFC 7009 §2.2.1, RFC 9449 §5, §7.1, §8 and RFC 6750 §3.1 errors, plus a generic overload error. */
export const OTHER_ERRORS = [
  'unsupported_token_type',
  'invalid_dpop_proof',
  'use_dpop_nonce',
  'invalid_token',
  'insufficient_scope',
  'temporarily_unavailable',
  'server_error',
] as const;

export type OAuthErrorCode =
  | (typeof TOKEN_ERRORS)[number]
  | (typeof DEVICE_POLL_ERRORS)[number]
  | (typeof OTHER_ERRORS)[number];

/** RFC 8628 §3.2: interval to use when the server sends none, in seconds. */
export const DEFAULT_POLL_INTERVAL_S = 5;
/** RFC 8628 §3.5: how much `slow_down` adds to the interval, in seconds, for this and all later polls. */
export const SLOW_DOWN_INCREMENT_S = 5;

export const TOKEN_TYPE_BEARER = 'Bearer';
export const TOKEN_TYPE_DPOP = 'DPoP';

/** RFC 9068 §2.1. */
export const ACCESS_TOKEN_JWT_TYP = 'at+jwt';
/** RFC 9449 §4.2. */
export const DPOP_PROOF_JWT_TYP = 'dpop+jwt';

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
export const JSON_CONTENT_TYPE = 'application/json';

/** RFC 8414 §3 well-known path. */
export const AS_METADATA_PATH = '/.well-known/oauth-authorization-server';
/** OpenID Connect Discovery 1.0 §4, appended to the issuer's path. */
export const OPENID_METADATA_PATH = '/.well-known/openid-configuration';
