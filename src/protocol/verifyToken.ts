/**
 * The token inspector's check: decode a JWT access token and verify its signature against the identity
 * provider's published keys, at the world clock's time (never the wall clock). Protocol code (jose only), so
 * it sits in src/protocol; the inspector panel (src/ui/panels/TokenInspector.svelte) renders its verdict.
 */
import { decodeJwt, decodeProtectedHeader, errors, importJWK, jwtVerify, type JWK, type JWTPayload, type ProtectedHeaderParameters } from 'jose';

export interface Decoded {
  header: ProtectedHeaderParameters;
  claims: JWTPayload;
}

export type Verdict =
  /** Signature and claims good at `nowMs`. */
  | { signature: 'valid'; claims: 'valid'; message: string }
  /** Signature good, but a time or issuer claim fails at `nowMs`. */
  | { signature: 'valid'; claims: 'invalid'; message: string }
  | { signature: 'invalid'; claims: 'unknown'; message: string };

/** Decode without verifying; undefined when it is not a JWT (opaque tokens). */
export function decodeToken(token: string): Decoded | undefined {
  try {
    return { header: decodeProtectedHeader(token), claims: decodeJwt(token) };
  } catch {
    return undefined;
  }
}

export async function verifyToken(token: string, opts: { jwks: readonly JWK[]; issuer: string; nowMs: number }): Promise<Verdict> {
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return { signature: 'invalid', claims: 'unknown', message: 'Not a well-formed JWT.' };
  }
  const jwk = opts.jwks.find((k) => k.kid === header.kid) ?? (opts.jwks.length === 1 ? opts.jwks[0] : undefined);
  if (!jwk || !header.alg) return { signature: 'invalid', claims: 'unknown', message: `No key in the identity provider's JWKS matches kid ${String(header.kid)}.` };
  try {
    const key = await importJWK(jwk, header.alg);
    await jwtVerify(token, key, { issuer: opts.issuer, currentDate: new Date(opts.nowMs) });
    return { signature: 'valid', claims: 'valid', message: `Signature verified with the identity provider's key ${shortKid(jwk.kid)}; issuer and times check out.` };
  } catch (e) {
    // jose checks the signature before the claims, so a claim error means the signature verified.
    if (e instanceof errors.JWTExpired) return { signature: 'valid', claims: 'invalid', message: 'Signature verified, but the token has expired at the world clock.' };
    if (e instanceof errors.JWTClaimValidationFailed) return { signature: 'valid', claims: 'invalid', message: `Signature verified, but claim ${e.claim} fails: ${e.reason}.` };
    if (e instanceof errors.JWSSignatureVerificationFailed) return { signature: 'invalid', claims: 'unknown', message: 'The signature does not verify with the identity provider\'s key.' };
    return { signature: 'invalid', claims: 'unknown', message: e instanceof Error ? e.message : 'The token could not be verified.' };
  }
}

function shortKid(kid: string | undefined): string {
  return kid ? `${kid.slice(0, 8)}…` : '(no kid)';
}
