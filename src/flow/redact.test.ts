/**
 * Redaction of debug lines (RFC 6749 §10.3-10.4, RFC 8628 §5.5; F6, F7).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  MIN_REDACTABLE_SECRET_LENGTH,
  REDACTED,
  neutralizeControls,
  redactBody,
  redactForm,
  redactHeader,
  redactJson,
  redactSecrets,
  redactUrl,
  terminalText,
} from './redact.ts';

describe('redaction', () => {
  test('RFC6749-10.3-at-confidential: Authorization keeps its scheme, DPoP proofs and cookies disappear, other headers stay', () => {
    expect(redactHeader('Authorization', 'Bearer abc.def')).toBe(`Bearer ${REDACTED}`);
    expect(redactHeader('authorization', 'DPoP abc')).toBe(`DPoP ${REDACTED}`);
    expect(redactHeader('authorization', 'opaque')).toBe(REDACTED);
    expect(redactHeader('DPoP', 'eyJ...')).toBe(REDACTED);
    expect(redactHeader('Cookie', 'sid=1')).toBe(REDACTED);
    expect(redactHeader('content-type', 'application/json')).toBe('application/json');
  });

  test('form bodies keep their wire encoding except for secret parameters', () => {
    expect(redactForm('grant_type=refresh_token&refresh_token=rt%2B1&client_id=acme-cli&scope=a+b')).toBe(
      `grant_type=refresh_token&refresh_token=${REDACTED}&client_id=acme-cli&scope=a+b`,
    );
    expect(redactForm('token=x&token_type_hint=access_token&%zz=1')).toBe(`token=${REDACTED}&token_type_hint=access_token&%zz=1`);
  });

  test('JSON bodies: secret members are redacted at any depth, others kept', () => {
    expect(redactJson({ access_token: 'a', nested: [{ refresh_token: 'r', n: 1 }], user_code: 'WDJB-MJHT', interval: 5 })).toEqual({
      access_token: REDACTED,
      nested: [{ refresh_token: REDACTED, n: 1 }],
      user_code: REDACTED,
      interval: 5,
    });
  });

  test('bodies of unknown shape are withheld, not echoed', () => {
    expect(redactBody('<html>token=abc</html>', 'text/html')).toBe(`${REDACTED} (22 bytes)`);
    expect(redactBody('', null)).toBe('');
    expect(redactBody('device_code=d&client_id=c', 'application/x-www-form-urlencoded')).toBe(`device_code=${REDACTED}&client_id=c`);
    expect(redactBody('{"device_code":"d","expires_in":600}', 'application/json')).toBe(`{"device_code":"${REDACTED}","expires_in":600}`);
  });

  test('URLs: a secret in the query is redacted (defence in depth)', () => {
    expect(redactUrl('https://api.test/x?access_token=abc&page=2')).toBe(`https://api.test/x?access_token=${REDACTED}&page=2`);
    expect(redactUrl('https://api.test/x')).toBe('https://api.test/x');
  });
});

/** What a terminal acts on: C0/C1 controls (ESC, CR, BEL, CSI 0x9B ...), DEL and the bidi formatting characters. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

/** Pieces a hostile server would send: ANSI/ECMA-48 sequences (terminated or not), lone controls, bidi overrides. */
const hostilePiece = fc.oneof(
  fc.constantFrom(
    '\u001b[2J', '\u001b[31m', '\u001b[0m', '\u001b[1;1H', '\u001b[?25l', '\u009b2J', '\u001b]0;title\u0007',
    '\u001b]8;;https://evil.example/\u001b\\', '\u001bP+q\u009c', '\u001b(B', '\u001bc', '\u001b', '\u001b[', '\u001b]8;;',
    '\r', '\n', '\t', '\u0007', '\u0008', '\u0000', '\u007f', '\u0085', '\u202e', '\u2066', '\u200f', '\u2028',
  ),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.string({ maxLength: 8 }),
);
const hostileText = fc.array(hostilePiece, { maxLength: 12 }).map((parts) => parts.join(''));
/** Secrets as servers make them: base64 and base64url, JWT and hex characters ('+', '/' and '=' change when percent-encoded). */
const secretArb = fc
  .string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.+/='), minLength: MIN_REDACTABLE_SECRET_LENGTH, maxLength: 40 })
  .filter((s) => !REDACTED.includes(s));
/** Printable text with no control and no bidi character (letters of any script, emoji, punctuation, spaces). */
const printable = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !CONTROL.test(s));

describe('server-supplied text on the terminal (properties)', () => {
  test('whatever the server sends, no control character, escape sequence or bidi override comes out', () => {
    fc.assert(fc.property(hostileText, (text) => {
      expect(neutralizeControls(text)).not.toMatch(CONTROL);
    }));
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
      expect(neutralizeControls(text)).not.toMatch(CONTROL);
    }));
  });

  test('printable text comes out exactly as it went in, and neutralising twice changes nothing', () => {
    fc.assert(fc.property(printable, (text) => {
      expect(neutralizeControls(text)).toBe(text);
    }));
    fc.assert(fc.property(hostileText, (text) => {
      expect(neutralizeControls(neutralizeControls(text))).toBe(neutralizeControls(text));
    }));
  });

  test('the words around escape sequences stay; a terminal sequence is removed whole, not left half-printed', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(printable, fc.constantFrom('\u001b[31m', '\u001b[1;2H', '\u001b]8;;https://e.example/\u0007', '\u202e', '\u0007')), { maxLength: 6 }), printable, (pairs, tail) => {
        const text = pairs.map(([words, seq]) => words + seq).join('') + tail;
        expect(neutralizeControls(text)).toBe(pairs.map(([words]) => words).join('') + tail);
      }),
    );
  });

  test('a known secret never survives, even cut up by escape sequences, percent-encoded or repeated', () => {
    fc.assert(
      fc.property(secretArb, hostileText, hostileText, fc.nat({ max: 3 }), fc.constantFrom('plain', 'cut', 'encoded'), (secret, before, after, repeats, form) => {
        const cut = [...secret].join('\u001b[0m');
        const shown = form === 'plain' ? secret : form === 'cut' ? cut : encodeURIComponent(`${secret}&`);
        const text = before + Array.from({ length: repeats + 1 }, () => shown).join(after) + after;
        const out = terminalText(text, [secret]);
        expect(out).not.toContain(secret);
        expect(out).not.toMatch(CONTROL);
        expect(terminalText(out, [secret])).toBe(out);
      }),
    );
  });

  test('text without the secrets is left alone; the longer of two overlapping secrets is redacted whole', () => {
    fc.assert(
      fc.property(printable, secretArb, (text, secret) => {
        fc.pre(!text.includes(secret));
        expect(terminalText(text, [secret])).toBe(text);
      }),
    );
    expect(redactSecrets('token abcdefgh12345678 end', ['abcdefgh', 'abcdefgh12345678'])).toBe(`token ${REDACTED} end`);
    // Too short to search for without garbling ordinary words; `undefined` (a secret not held yet) is skipped.
    expect(redactSecrets('a cat sat', ['at', undefined])).toBe('a cat sat');
  });

  test('examples: colours, screen clears, OSC 8 links, titles, overrides and line tricks', () => {
    expect(neutralizeControls('\u001b[31mred\u001b[0m')).toBe('red');
    expect(neutralizeControls('\u001b]8;;https://evil.example/\u0007click here\u001b]8;;\u0007')).toBe('click here');
    expect(neutralizeControls('a\u001b]0;pwned')).toBe('a'); // unterminated: a terminal would swallow the rest
    expect(neutralizeControls('\u001b[2J\u001b[Hfake prompt$ ')).toBe('fake prompt$ ');
    expect(neutralizeControls('abc\u202efed.exe')).toBe('abcfed.exe');
    expect(neutralizeControls('denied\r✓ Logged in')).toBe('denied ✓ Logged in');
    expect(neutralizeControls('two\nlines\ttab')).toBe('two lines tab');
    expect(neutralizeControls('WDJB-MJHT — 認証 ✓ 👍🏽')).toBe('WDJB-MJHT — 認証 ✓ 👍🏽');
  });

  test('linear time: 200,000 unterminated escape openers are handled in well under a second', () => {
    const text = '\u001b['.repeat(100_000) + '\u001b]'.repeat(100_000);
    const started = performance.now();
    expect(neutralizeControls(text)).not.toMatch(CONTROL);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
