/**
 * Server-side DPoP proof checks (RFC 9449 §4.3), shared by the authorization server and the protected API.
 * Proof creation for the CLI lives in dpop-client.ts.
 */
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose';
import { DPOP_PROOF_JWT_TYP } from './constants.ts';
import { base64url } from './random.ts';

/** Asymmetric algorithms we accept in proofs (RFC 9449 §4.2: never `none`, never a MAC). */
export const DPOP_SIGNING_ALGS = ['ES256', 'ES384', 'ES512', 'RS256', 'PS256', 'EdDSA', 'Ed25519'] as const;

/** JWK members that only a private (or symmetric) key carries (RFC 9449 §4.2: the header holds the public key). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

export interface DpopCheckOptions {
  /** The raw `DPoP` header value, or null when absent. */
  header: string | null;
  method: string;
  url: string;
  nowMs: number;
  /** How far `iat` may be from now, seconds (RFC 9449 §11.1). */
  windowS: number;
  /** At the protected API: the access token the proof must be bound to via `ath`. */
  accessToken?: string;
  /** The key thumbprint the proof must match (`cnf.jkt` of the token, or the refresh token's binding). */
  expectedJkt?: string;
  /** The nonce the server currently expects, when nonces are in use (RFC 9449 §8, §11.3). */
  expectedNonce?: string;
  /** Remembers `jti`s within the window; returns false when this one was seen already (RFC 9449 §11.1). */
  rememberJti?: (jti: string, untilMs: number) => boolean;
}

export type DpopCheckResult =
  | { ok: true; jkt: string; jti: string }
  | { ok: false; error: 'invalid_dpop_proof' | 'use_dpop_nonce'; description: string };

const fail = (description: string): DpopCheckResult => ({ ok: false, error: 'invalid_dpop_proof', description });

/** base64url(SHA-256(ascii(token))): the `ath` claim (RFC 9449 §4.2). */
export async function accessTokenHash(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
  return base64url(new Uint8Array(digest));
}

/** Scheme- and syntax-based normalisation (RFC 9449 §4.3, RFC 3986 §6): lowercase scheme and host, no query or fragment. */
export function normalizeHtu(uri: string): string | undefined {
  try {
    const u = new URL(uri);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return undefined;
  }
}

/**
 * Check one DPoP proof against RFC 9449 §4.3: exactly one `DPoP` header holding a well-formed JWT; `typ`
 * dpop+jwt; an asymmetric `alg`; a public `jwk` that verifies the signature; `jti`, `htm`, `htu`, `iat`
 * present; `htm`/`htu` match the request; `iat` within the window; `jti` not replayed; `nonce` when one is
 * expected; and, when given, `ath` for the access token and the key thumbprint.
 */
export async function checkDpopProof(opts: DpopCheckOptions): Promise<DpopCheckResult> {
  const { header } = opts;
  if (header === null || header === '') return fail('a DPoP proof is required');
  // Fetch joins repeated headers with ", "; a compact JWT never contains a comma or a space.
  if (/[,\s]/.test(header)) return fail('exactly one DPoP header with one proof is allowed');
  if (header.split('.').length !== 3) return fail('the DPoP proof is not a compact JWT');

  let protectedHeader: ReturnType<typeof decodeProtectedHeader>;
  try {
    protectedHeader = decodeProtectedHeader(header);
  } catch {
    return fail('the DPoP proof header cannot be decoded');
  }
  if (protectedHeader.typ !== DPOP_PROOF_JWT_TYP) return fail(`typ must be ${DPOP_PROOF_JWT_TYP}`);
  const alg = protectedHeader.alg;
  if (typeof alg !== 'string' || !(DPOP_SIGNING_ALGS as readonly string[]).includes(alg)) {
    return fail(`alg ${String(alg)} is not an allowed asymmetric algorithm`);
  }
  const jwk = protectedHeader.jwk as JWK | undefined;
  if (!jwk || typeof jwk !== 'object') return fail('the proof header must carry the public key as jwk');
  if (PRIVATE_JWK_MEMBERS.some((m) => m in jwk)) return fail('the jwk in the proof header must not contain a private key');

  let payload: Record<string, unknown>;
  try {
    const key = await importJWK(jwk, alg);
    ({ payload } = await jwtVerify(header, key, {
      typ: DPOP_PROOF_JWT_TYP,
      algorithms: [alg],
      currentDate: new Date(opts.nowMs),
    }));
  } catch {
    return fail('the DPoP proof signature does not verify with its jwk');
  }

  const { jti, htm, htu, iat } = payload;
  if (typeof jti !== 'string' || jti.length < 16) return fail('jti must be a unique string of at least 96 random bits');
  if (typeof htm !== 'string' || typeof htu !== 'string' || typeof iat !== 'number') return fail('htm, htu and iat are required');
  if (htm !== opts.method.toUpperCase()) return fail(`htm ${htm} does not match the request method ${opts.method.toUpperCase()}`);
  const want = normalizeHtu(opts.url);
  if (!want || normalizeHtu(htu) !== want) return fail('htu does not match the request URI');
  const nowS = opts.nowMs / 1000;
  if (Math.abs(nowS - iat) > opts.windowS) return fail(`iat is outside the accepted window of ${opts.windowS} s`);

  if (opts.accessToken !== undefined) {
    if (payload.ath !== (await accessTokenHash(opts.accessToken))) return fail('ath does not match the access token');
  }
  if (opts.expectedNonce !== undefined && payload.nonce !== opts.expectedNonce) {
    return { ok: false, error: 'use_dpop_nonce', description: 'the proof must carry the nonce from DPoP-Nonce' };
  }
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  if (opts.expectedJkt !== undefined && jkt !== opts.expectedJkt) return fail('the proof key does not match the token binding');
  if (opts.rememberJti && !opts.rememberJti(`${jkt}:${jti}`, opts.nowMs + opts.windowS * 1000)) {
    return fail('this proof was already used (jti replay)');
  }
  return { ok: true, jkt, jti };
}
