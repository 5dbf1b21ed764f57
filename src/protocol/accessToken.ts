/**
 * JWT access tokens (RFC 9068), signed ES256 with a key made per world, so the token inspector can decode
 * and verify them. Times come from the caller (the world's clock), never from the wall clock.
 */
import { SignJWT, jwtVerify, decodeProtectedHeader, errors as joseErrors, type CryptoKey, type JWTPayload } from 'jose';
import { ACCESS_TOKEN_JWT_TYP } from './constants.ts';

/** The default signing algorithm; RS256 is also supported, as RFC 9068 §2.1 requires of every AS and RS. */
export const ACCESS_TOKEN_ALG = 'ES256';
export const ACCESS_TOKEN_ALGS = ['ES256', 'RS256'] as const;
export type AccessTokenAlg = (typeof ACCESS_TOKEN_ALGS)[number];

/** The claims RFC 9068 §2.2 requires, plus scope (§2.2.3) and the DPoP binding (RFC 9449 §6.1). */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string;
  client_id: string;
  iat: number;
  exp: number;
  jti: string;
  scope?: string;
  cnf?: { jkt: string };
}

export interface MintAccessTokenOptions {
  claims: AccessTokenClaims;
  privateKey: CryptoKey;
  kid: string;
  alg?: AccessTokenAlg;
}

/** Sign an access token with header `{ alg, typ: at+jwt, kid }` (RFC 9068 §2.1). */
export async function mintAccessToken({ claims, privateKey, kid, alg = ACCESS_TOKEN_ALG }: MintAccessTokenOptions): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: ACCESS_TOKEN_JWT_TYP, kid }).sign(privateKey);
}

export type VerifyAccessTokenResult =
  | { ok: true; claims: AccessTokenClaims }
  | { ok: false; reason: string };

export interface VerifyAccessTokenOptions {
  /** The AS's verification key for the token's `kid` and `alg`, or undefined when there is none. */
  keyFor: (kid: string | undefined, alg: string) => CryptoKey | undefined;
  issuer: string;
  audience: string;
  nowMs: number;
  /** Leeway for clock skew, seconds (RFC 9068 §4 allows a small one). */
  clockToleranceS?: number;
}

/**
 * RFC 9068 §4 validation: `typ` is at+jwt (or application/at+jwt), the signature verifies with the AS key
 * (`alg: none` and MACs are refused), `iss` matches exactly, `aud` contains this resource, `exp` is in the
 * future. Returns a reason a developer can act on instead of throwing.
 */
export async function verifyAccessToken(token: string, opts: VerifyAccessTokenOptions): Promise<VerifyAccessTokenResult> {
  let typ: unknown;
  try {
    typ = decodeProtectedHeader(token).typ;
  } catch {
    return { ok: false, reason: 'the token is not a well-formed JWT' };
  }
  if (typeof typ !== 'string' || !['at+jwt', 'application/at+jwt'].includes(typ.toLowerCase())) {
    return { ok: false, reason: `typ must be at+jwt, got ${typeof typ === 'string' ? typ : 'none'}` };
  }
  try {
    const { payload } = await jwtVerify(token, (header) => {
      const key = opts.keyFor(header.kid, header.alg);
      if (!key) throw new joseErrors.JWKSNoMatchingKey();
      return key;
    }, {
      algorithms: [...ACCESS_TOKEN_ALGS],
      issuer: opts.issuer,
      audience: opts.audience,
      currentDate: new Date(opts.nowMs),
      clockTolerance: opts.clockToleranceS ?? 0,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'],
    });
    return { ok: true, claims: payload as AccessTokenClaims };
  } catch (e) {
    return { ok: false, reason: describeJoseError(e) };
  }
}

function describeJoseError(e: unknown): string {
  if (e instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (e instanceof joseErrors.JWTClaimValidationFailed) return `claim ${e.claim} is invalid: ${e.reason}`;
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'the signature does not verify';
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return 'the signing algorithm is not allowed';
  if (e instanceof joseErrors.JWKSNoMatchingKey) return 'no key of the authorization server matches the token';
  if (e instanceof joseErrors.JOSEError) return e.message;
  return 'the token could not be verified';
}
