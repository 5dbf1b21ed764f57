/**
 * DPoP proofs as the CLI makes them (RFC 9449 §4). Server-side checks live in dpop.ts.
 * Time comes from the caller (`nowMs`, read from the world clock); randomness from `crypto.getRandomValues`.
 */
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { DPOP_PROOF_JWT_TYP } from './constants.ts';
import { accessTokenHash, normalizeHtu } from './dpop.ts';
import { base64url, randomBytes } from './random.ts';

/** The one proof algorithm the CLI uses (RFC 9449 §4.2: asymmetric, never `none` or a MAC). */
export const DPOP_CLIENT_ALG = 'ES256';

/** A per-login key pair. The private key is non-extractable; only `publicJwk` ever leaves this object. */
export interface DpopKeyPair {
  privateKey: CryptoKey;
  /** Public members only (kty, crv, x, y): what goes in the proof's `jwk` header (RFC 9449 §4.2). */
  publicJwk: JWK;
}

/** RFC 9449 §4.2: generate an ES256 key pair for one login session. */
export async function generateDpopKeyPair(): Promise<DpopKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(DPOP_CLIENT_ALG);
  const { kty, crv, x, y } = await exportJWK(publicKey);
  return { privateKey, publicJwk: { kty, crv, x, y } };
}

export interface DpopProofOptions {
  key: DpopKeyPair;
  /** HTTP method of the request the proof is for (`htm`). */
  method: string;
  /** Target URI; query and fragment are dropped for `htu` (RFC 9449 §4.2). */
  url: string;
  /** Now, milliseconds since the epoch, from the world clock (`iat`, in seconds). */
  nowMs: number;
  /** The latest `DPoP-Nonce` from this server, if any (RFC 9449 §8). */
  nonce?: string;
  /** At a protected resource: the access token, whose hash becomes `ath` (RFC 9449 §4.2, §7). */
  accessToken?: string;
}

/**
 * RFC 9449 §4.2: a proof JWT with header `typ: dpop+jwt`, `alg: ES256`, `jwk` (public key only) and claims
 * `jti` (128 random bits, fresh for every call, RFC 9449 §7.3), `htm`, `htu` (no query or fragment), `iat`,
 * plus `nonce` when the server sent one and `ath` when presenting an access token.
 */
export async function createDpopProof(opts: DpopProofOptions): Promise<string> {
  const htu = normalizeHtu(opts.url);
  if (!htu) throw new TypeError(`createDpopProof: url must be an absolute URL, got ${JSON.stringify(opts.url)}`);
  const claims: Record<string, string | number> = {
    jti: base64url(randomBytes(16)),
    htm: opts.method.toUpperCase(),
    htu,
    iat: Math.floor(opts.nowMs / 1000),
  };
  if (opts.nonce !== undefined) claims.nonce = opts.nonce;
  if (opts.accessToken !== undefined) claims.ath = await accessTokenHash(opts.accessToken);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: DPOP_CLIENT_ALG, typ: DPOP_PROOF_JWT_TYP, jwk: opts.key.publicJwk })
    .sign(opts.key.privateKey);
}
