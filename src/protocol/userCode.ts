/**
 * User codes (RFC 8628 §6.1, §5.1): what a person reads off the terminal and types into the browser.
 * Default: 8 characters of the base-20 alphabet (no vowels, no digits, nothing confusable), shown as
 * `XXXX-XXXX`; about 34.6 bits, which with at most 5 guesses per code lifetime keeps a brute-force hit
 * below 2^-32 (RFC 8628 §5.1).
 */
import { randomIndex } from './random.ts';

/** RFC 8628 §6.1: case-insensitive A-Z with the vowels removed. */
export const BASE20_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const DIGITS_ALPHABET = '0123456789';
/** A deliberately weak alphabet for the brute-force lab: includes the confusable 0/O and 1/I. */
export const ALNUM_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export const USER_CODE_ALPHABETS = {
  base20: BASE20_ALPHABET,
  digits: DIGITS_ALPHABET,
  alnum: ALNUM_ALPHABET,
} as const;
export type UserCodeAlphabetName = keyof typeof USER_CODE_ALPHABETS;

/** Characters RFC 8628 §6.1 says to avoid because people confuse them. */
export const CONFUSABLE_CHARACTERS = ['0', 'O', '1', 'l', 'I'] as const;

/** Entropy of a user code in bits: length × log2(alphabet size). */
export function userCodeEntropyBits(alphabet: string, length: number): number {
  return length * Math.log2(alphabet.length);
}

/**
 * RFC 8628 §5.1 invariant: the chance that `attempts` guesses within one code lifetime hit a live code,
 * `attempts / |alphabet|^length`, must stay at or below 2^-32.
 */
export function bruteForceProbability(alphabet: string, length: number, attempts: number): number {
  return attempts / alphabet.length ** length;
}
export const BRUTE_FORCE_BOUND = 2 ** -32;

/** A fresh random user code, unformatted (only alphabet characters). */
export function generateUserCode(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomIndex(alphabet.length)];
  return out;
}

/**
 * Format a normalised code for display: groups of four joined by `-` (the `****-****` mask); numeric codes
 * whose length divides by three in groups of three (`019-450-730`, RFC 8628 §6.1), so no group is left short.
 */
export function formatUserCode(code: string, alphabet: string): string {
  const group = alphabet === DIGITS_ALPHABET && code.length % 3 === 0 ? 3 : 4;
  const parts: string[] = [];
  for (let i = 0; i < code.length; i += group) parts.push(code.slice(i, i + group));
  return parts.join('-');
}

/**
 * Normalise what a person typed (RFC 8628 §6.1): uppercase it, map confusable look-alikes into the alphabet
 * where one exists (`O`→`0`, `I`/`L`→`1` for numeric codes, MAY), then drop every character outside the
 * alphabet (dashes, spaces and other punctuation the server added for readability).
 */
export function normalizeUserCode(input: string, alphabet: string): string {
  const numeric = alphabet === DIGITS_ALPHABET;
  let out = '';
  for (const raw of input.slice(0, 256).toUpperCase()) {
    let ch = raw;
    if (numeric) {
      if (ch === 'O') ch = '0';
      else if (ch === 'I' || ch === 'L') ch = '1';
    }
    if (alphabet.includes(ch)) out += ch;
  }
  return out;
}
