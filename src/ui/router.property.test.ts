/**
 * Property tests for the hash router: the hash is untrusted input, so whatever it is the router returns one of
 * its known routes, never throws, and its notices are short quotes without control or direction characters.
 * (A notice may quote `<` as TEXT, e.g. “<img src=x>”: the page renders notices as text, which
 * e2e/xss.spec.ts checks in the browser.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_HASH_LENGTH, MAX_STEP, labHref, parseRoute, quote, type Route } from './router.ts';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LAB_ID = /^\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*$/;

const nasty = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: fc.constantFrom('%', '2', 'E', '0', 'F', 'A', 'd', '8', '/', '?', '#', '&', '=', '+') }),
  fc.constantFrom('<img src=x onerror="window.__xss=1">', '"><svg onload=window.__xss=1>', '%E0%A4%A', '%', '%ED%A0%80', '__proto__', 'constructor', '\u202e', '\ud83d'),
);
const labIdArb = fc
  .tuple(fc.integer({ min: 0, max: 99 }), fc.array(fc.stringMatching(/^[a-z0-9]{1,8}$/), { minLength: 1, maxLength: 5 }))
  .map(([n, parts]) => `${String(n).padStart(2, '0')}-${parts.join('-')}`);
const hashArb = fc.oneof(
  nasty,
  nasty.map((s) => `#/${s}`),
  nasty.map((s) => `#/lab/${s}`),
  fc.tuple(labIdArb, nasty).map(([id, step]) => `#/lab/${id}?step=${step}`),
  fc.tuple(labIdArb, nasty, nasty).map(([id, hard, hints]) => `#/lab/${id}?hard=${hard}&hints=${hints}`),
  fc.tuple(labIdArb, nasty).map(([id, step]) => `#/lab/${id}?step=${encodeURIComponent(step.replace(/[\uD800-\uDFFF]/g, ''))}`),
  nasty.map((s) => `#/sandbox?${s}`),
  fc.string({ minLength: MAX_HASH_LENGTH - 3, maxLength: MAX_HASH_LENGTH + 20 }).map((s) => `#/${s}`),
);

function expectWellFormed(route: Route): void {
  expect(['home', 'simulator', 'sandbox', 'instructor', 'embed', 'lab']).toContain(route.name);
  expect(typeof route.query).toBe('string');
  if (route.name === 'lab') expect(route.labId).toMatch(LAB_ID);
  else expect(route.labId).toBeUndefined();
  if (route.step !== undefined) {
    expect(route.name).toBe('lab');
    expect(Number.isInteger(route.step) && route.step >= 1 && route.step <= MAX_STEP).toBe(true);
  }
  for (const flag of [route.hard, route.hideHints]) {
    if (flag === undefined) continue;
    expect(route.name).toBe('lab');
    expect(flag).toBe(true);
  }
  if (route.notice !== undefined) {
    expect(route.notice).not.toMatch(CONTROL);
    expect(route.notice).not.toMatch(LONE_SURROGATE);
    expect(route.notice.length).toBeLessThan(160);
  }
}

describe('parseRoute (properties)', () => {
  it('property: never throws on any string (unicode, % sequences, huge input) and always gives a known route', () => {
    fc.assert(fc.property(hashArb, (hash) => expectWellFormed(parseRoute(hash))), { numRuns: 3000 });
  });

  it('property: a notice never repeats more than a short quote of the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'b', 'c', '-'), minLength: 50, maxLength: 400 }), fc.constantFrom('#/', '#/lab/', '#/lab/01-x?step='), (text, prefix) => {
        const { notice } = parseRoute(`${prefix}${text}`);
        expect(notice).toBeDefined();
        expect(notice).not.toContain(text.slice(0, 41));
      }),
    );
  });

  it('property: labHref round-trips every lab id and step', () => {
    fc.assert(
      fc.property(labIdArb.filter((id) => id.length <= 80), fc.integer({ min: 0, max: MAX_STEP }), (id, step) => {
        const route = parseRoute(labHref(id, step));
        expect(route).toMatchObject({ name: 'lab', labId: id });
        expect(route.step).toBe(step === 0 ? undefined : step);
        expect(route.notice).toBeUndefined();
      }),
    );
  });

  it('property: quote keeps no control or direction character, splits no surrogate pair, and stays short', () => {
    fc.assert(
      fc.property(fc.oneof(nasty, fc.string({ unit: 'grapheme', minLength: 30, maxLength: 60 })), (text) => {
        const q = quote(text);
        expect(q).not.toMatch(CONTROL);
        expect(q).not.toMatch(LONE_SURROGATE);
        expect(Array.from(q).length).toBeLessThanOrEqual(41);
      }),
      { numRuns: 2000 },
    );
  });
});
