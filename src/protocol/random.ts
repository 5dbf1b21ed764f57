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
 * CSPRNG words drawn a batch at a time and each used once: one `getRandomValues` call per index showed in a
 * brute-force run's profile (a shuffle of 10,000 codes is 10,000 draws). Batching changes nothing about the
 * words themselves: each is still fresh output of the platform CSPRNG, read once.
 */
const WORDS = new Uint32Array(256);
let nextWord = WORDS.length;
function randomWord(): number {
  if (nextWord === WORDS.length) {
    crypto.getRandomValues(WORDS);
    nextWord = 0;
  }
  return WORDS[nextWord++]!;
}

/**
 * A uniformly random integer in [0, n) with rejection sampling, so no residue is favoured
 * (n ≤ 2^32).
 */
export function randomIndex(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError(`randomIndex: n must be an integer in [1, 2^32], got ${n}`);
  const limit = 2 ** 32 - (2 ** 32 % n);
  for (;;) {
    const v = randomWord();
    if (v < limit) return v % n;
  }
}
