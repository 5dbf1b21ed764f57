import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BASE20_ALPHABET, DIGITS_ALPHABET, formatUserCode, generateUserCode, normalizeUserCode, userCodeEntropyBits } from './userCode.ts';

describe('user codes', () => {
  test('format groups: 4-4 for base-20, 3-3-3 for nine digits, no short group for four digits', () => {
    expect(formatUserCode('WDJBMJHT', BASE20_ALPHABET)).toBe('WDJB-MJHT');
    expect(formatUserCode('019450730', DIGITS_ALPHABET)).toBe('019-450-730');
    expect(formatUserCode('1234', DIGITS_ALPHABET)).toBe('1234');
  });

  test('normalising the formatted code gives the code back, for any alphabet and length', () => {
    fc.assert(fc.property(fc.constantFrom(BASE20_ALPHABET, DIGITS_ALPHABET), fc.integer({ min: 4, max: 12 }), (alphabet, length) => {
      const code = generateUserCode(alphabet, length);
      expect(code).toHaveLength(length);
      expect([...code].every((c) => alphabet.includes(c))).toBe(true);
      expect(normalizeUserCode(formatUserCode(code, alphabet).toLowerCase(), alphabet)).toBe(code);
    }));
  });

  test('entropy of the default is 8 × log2(20) ≈ 34.6 bits', () => {
    expect(userCodeEntropyBits(BASE20_ALPHABET, 8)).toBeCloseTo(34.575, 3);
  });
});
