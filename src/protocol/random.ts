/**
 * Secrets and codes come from the platform CSPRNG (`crypto.getRandomValues`), never `Math.random`.
 * RFC 6749 §10.10: credentials not meant for end users need a guess probability ≤ 2^-128 (MUST) and
 * should reach ≤ 2^-160; 32 random bytes give 256 bits.
 */

/** Bytes of entropy in every opaque secret we mint (device codes, refresh tokens, session ids). */
export const SECRET_BYTES = 32;

/** `n` bytes from the CSPRNG. */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  crypto.getRandomValues(out);
  return out;
}

/** base64url without padding (RFC 4648 §5). */
export function base64url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** An opaque secret: `SECRET_BYTES` random bytes, base64url (43 characters, 256 bits). */
export function randomSecret(bytes: number = SECRET_BYTES): string {
  return base64url(randomBytes(bytes));
}

/**
 * A uniformly random integer in [0, n) with rejection sampling, so no residue is favoured
 * (n ≤ 2^32).
 */
export function randomIndex(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError(`randomIndex: n must be an integer in [1, 2^32], got ${n}`);
  const limit = 2 ** 32 - (2 ** 32 % n);
  const buf = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(buf);
    const v = buf[0]!;
    if (v < limit) return v % n;
  }
}
