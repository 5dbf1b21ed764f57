/**
 * Property tests for the sandbox link parser (src/ui/sandbox/knobUrl.ts) over hostile input: it never throws,
 * whatever the hash is; what it keeps is valid for the knob resolvers; and its notices never carry markup, a
 * control character or more than a short, plain quote of a key (never a value).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLIENT_KNOB_SPECS, resolveClientKnobs } from '../../flow/knobs.ts';
import { SERVER_KNOB_SPECS, resolveServerKnobs } from '../../sim/knobs.ts';
import { MAX_HASH_LENGTH, MAX_PARAMS, MAX_VALUE_LENGTH, parseKnobsFromHash } from './knobUrl.ts';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const KNOB_KEYS = [...SERVER_KNOB_SPECS.map((s) => `s.${s.key}`), ...CLIENT_KNOB_SPECS.map((s) => `c.${s.key}`)];

const nasty = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: fc.constantFrom('%', '2', 'E', '0', 'F', 'A', 'd', '8', '&', '=', '+', '.', ',') }),
  fc.constantFrom(
    '<img src=x onerror="window.__xss=1">', '"><svg onload=window.__xss=1>', '%E0%A4%A', '%', '%ED%A0%80', '%00', '%3Cb%3E',
    '__proto__', 's.__proto__', 'c.constructor', 's.toString', '\u202eevil', 'true', 'omit', '1e309', '-0', '9'.repeat(30),
  ),
);
const keyArb = fc.oneof(fc.constantFrom(...KNOB_KEYS), nasty, nasty.map((s) => `s.${s}`), nasty.map((s) => `c.${s}`));
const valueArb = fc.oneof(nasty, fc.string({ minLength: MAX_VALUE_LENGTH - 2, maxLength: MAX_VALUE_LENGTH + 50 }));
/** Pairs written raw (no encoding at all) and through URLSearchParams. */
const hashArb = fc.oneof(
  nasty,
  nasty.map((s) => `#/sandbox?${s}`),
  fc.array(fc.tuple(keyArb, valueArb), { maxLength: 15 }).map((pairs) => `#/sandbox?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`),
  fc.array(fc.tuple(keyArb, valueArb), { maxLength: 15 }).map((pairs) => `#/sandbox?${new URLSearchParams(pairs).toString()}`),
  fc.string({ minLength: MAX_HASH_LENGTH - 12, maxLength: MAX_HASH_LENGTH + 30 }).map((s) => `#/sandbox?${s}`),
  fc.integer({ min: MAX_PARAMS - 2, max: MAX_PARAMS + 5 }).map((n) => `#/sandbox?${Array.from({ length: n }, (_, i) => `x${i}=1`).join('&')}`),
);

describe('parseKnobsFromHash (properties over hostile links)', () => {
  it('property: never throws on any string (unicode, % sequences, huge input) and keeps only valid knob values', () => {
    fc.assert(
      fc.property(hashArb, (hash) => {
        const parsed = parseKnobsFromHash(hash);
        expect(() => resolveServerKnobs(parsed.serverKnobs)).not.toThrow();
        expect(() => resolveClientKnobs(parsed.clientKnobs)).not.toThrow();
        expect(Object.getPrototypeOf(parsed.serverKnobs)).toBe(Object.prototype);
        expect(Object.getPrototypeOf(parsed.clientKnobs)).toBe(Object.prototype);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: notices never contain <, >, a control or direction character, or a split surrogate, and stay short', () => {
    fc.assert(
      fc.property(hashArb, (hash) => {
        for (const notice of parseKnobsFromHash(hash).notices) {
          expect(notice).not.toMatch(/[<>]/);
          expect(notice).not.toMatch(CONTROL);
          expect(notice).not.toMatch(LONE_SURROGATE);
          expect(notice.length).toBeLessThan(300);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('property: a notice never repeats a value from the link', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KNOB_KEYS), fc.string({ unit: fc.constantFrom('q', 'z', 'x', 'j'), minLength: 6, maxLength: 300 }), (key, value) => {
        for (const notice of parseKnobsFromHash(`#/sandbox?${key}=${value}`).notices) expect(notice).not.toContain(value);
      }),
    );
  });

  it('property: every parameter it could not use is named in a notice', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.stringMatching(/^[a-z]{1,6}$/), nasty), { minLength: 1, maxLength: 10 }), (pairs) => {
        // Keys that are never knobs (no "s." or "c." prefix): each one is reported and nothing is kept.
        const parsed = parseKnobsFromHash(`#/sandbox?${new URLSearchParams(pairs).toString()}`);
        expect(parsed.serverKnobs).toEqual({});
        expect(parsed.clientKnobs).toEqual({});
        expect(parsed.notices.filter((n) => n.startsWith('Ignored unknown knob'))).toHaveLength(pairs.length);
      }),
    );
  });
});
