import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveNames } from '../../world/names.ts';
import {
  MAX_EMBED_HASH_LENGTH, MAX_ORIGINS, embedHash, normaliseOrigin, parseEmbedAttributes, parseEmbedHash,
  type EmbedOptions, type ParsedEmbedOptions,
} from './options.ts';

/** Control characters and bidi controls: never allowed in a notice. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LAB_ID = /^\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Whatever came in, what comes out is usable: known values only, and safe notices. */
function expectUsable({ options, notices }: ParsedEmbedOptions): void {
  expect(['full', 'compact']).toContain(options.mode);
  expect(['light', 'dark', 'auto']).toContain(options.theme);
  if (options.lab !== undefined) expect(options.lab).toMatch(LAB_ID);
  if (options.lab !== undefined) expect(options.lab.length).toBeLessThanOrEqual(80);
  if (options.names.cli !== undefined) expect(options.names.cli).toMatch(/^[a-z][a-z0-9-]{0,19}$/);
  for (const name of [options.names.org, options.names.idp]) {
    if (name === undefined) continue;
    expect(name).toBe(name.trim());
    expect(name.length).toBeGreaterThanOrEqual(1);
    expect(name.length, 'at most 40 UTF-16 units, as createWorld checks').toBeLessThanOrEqual(40);
    expect(name).not.toMatch(CONTROL);
    expect(name).not.toMatch(LONE_SURROGATE);
  }
  // Whatever names the parser keeps, the world accepts (src/world/names.ts).
  expect(() => resolveNames(options.names)).not.toThrow();
  expect(options.origins.length).toBeLessThanOrEqual(MAX_ORIGINS);
  expect(new Set(options.origins).size).toBe(options.origins.length);
  for (const origin of options.origins) expect(normaliseOrigin(origin)).toBe(origin);
  expect(Object.keys(options.names).every((k) => ['org', 'cli', 'idp'].includes(k))).toBe(true);
  for (const notice of notices) {
    expect(notice).not.toMatch(/[<>]/);
    expect(notice).not.toMatch(CONTROL);
    expect(notice).not.toMatch(LONE_SURROGATE);
    expect(notice.length).toBeLessThan(300);
  }
}

const KEYS = ['lab', 'mode', 'theme', 'org', 'cli', 'idp', 'origins'];
/** Strings that stress a parser: any UTF-16, percent sequences, markup, separators, prototype names. */
const nastyString = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: fc.constantFrom('%', '2', 'E', '0', 'F', 'a', '&', '=', '#', '+', ',', ' ') }),
  fc.constantFrom(
    '<img src=x onerror="window.__xss=1">', '"><svg onload=window.__xss=1>', '%E0%A4%A', '%', '%%', '%00', '%3Cb%3E',
    '__proto__', 'constructor', 'toString', 'hasOwnProperty', '\u202eevil', 'a\u0000b', '\ud800', 'null', '*',
  ),
);
const pairArb = fc.tuple(fc.oneof(fc.constantFrom(...KEYS), nastyString), nastyString);
const hashArb = fc.oneof(
  nastyString,
  fc.string({ unit: 'binary', minLength: MAX_EMBED_HASH_LENGTH - 5, maxLength: MAX_EMBED_HASH_LENGTH + 50 }),
  fc.array(pairArb, { maxLength: 12 }).map((pairs) => `#${new URLSearchParams(pairs).toString()}`),
  fc.array(pairArb, { maxLength: 12 }).map((pairs) => `#${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`),
);

/** Valid options, as the snippet builder would hold them. */
const hostArb = fc.oneof(fc.domain(), fc.ipV4(), fc.constant('localhost'), fc.constant('[::1]'));
const originArb = fc
  .tuple(fc.constantFrom('http', 'https'), hostArb, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }))
  .map(([scheme, host, port]) => normaliseOrigin(`${scheme}://${host}${port === undefined ? '' : `:${port}`}`))
  .filter((o): o is string => o !== undefined);
const nameArb = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
  .map((s) => s.trim())
  .filter((s) => s.length > 0 && s.length <= 40 && !CONTROL.test(s) && !LONE_SURROGATE.test(s));
const labArb = fc
  .tuple(fc.integer({ min: 0, max: 99 }), fc.array(fc.stringMatching(/^[a-z0-9]{1,8}$/), { minLength: 1, maxLength: 4 }))
  .map(([n, parts]) => `${String(n).padStart(2, '0')}-${parts.join('-')}`);
const validOptionsArb: fc.Arbitrary<EmbedOptions> = fc
  .record({
    lab: fc.option(labArb, { nil: undefined }),
    mode: fc.constantFrom('full' as const, 'compact' as const),
    theme: fc.constantFrom('light' as const, 'dark' as const, 'auto' as const),
    names: fc.record(
      { org: nameArb, cli: fc.stringMatching(/^[a-z][a-z0-9-]{0,19}$/), idp: nameArb },
      { requiredKeys: [] },
    ),
    origins: fc.uniqueArray(originArb, { maxLength: MAX_ORIGINS }),
  })
  .map((o) => {
    if (o.lab === undefined) delete (o as Partial<typeof o>).lab;
    return o;
  });

describe('normaliseOrigin', () => {
  it('writes an origin as MessageEvent.origin does', () => {
    expect(normaliseOrigin('https://Docs.Example.com:443/')).toBe('https://docs.example.com');
    expect(normaliseOrigin('http://127.0.0.1:80')).toBe('http://127.0.0.1');
    expect(normaliseOrigin('https://b.example:8443')).toBe('https://b.example:8443');
    expect(normaliseOrigin('http://[::1]:5173/')).toBe('http://[::1]:5173');
    expect(normaliseOrigin('HTTPS://A.EXAMPLE')).toBe('https://a.example');
  });

  it('rejects wildcards, opaque origins, other schemes, userinfo, paths, queries and fragments', () => {
    for (const bad of [
      '*', 'null', '', ' ', 'https://', 'https:///', 'example.com', '//example.com', 'ftp://a.example', 'file:///etc/passwd',
      'javascript:alert(1)', 'data:text/html,x', 'blob:https://a.example/1', 'https://user@a.example', 'https://u:p@a.example',
      'https://@a.example', 'https://a.example/path', 'https://a.example/?', 'https://a.example?x=1', 'https://a.example#x',
      'https://a.example#', 'https://a.example//', 'https://a.example\\', 'https://a.example:99999', 'https://a b.example',
      'https://a.example:443/x', `https://${'a'.repeat(300)}.example`,
    ]) {
      expect(normaliseOrigin(bad), bad).toBeUndefined();
    }
  });

  it('property: never throws, and what it returns is a fixed point with nothing after the port', () => {
    fc.assert(
      fc.property(fc.oneof(nastyString, fc.webUrl(), fc.webUrl().map((u) => u.toUpperCase())), (text) => {
        const origin = normaliseOrigin(text);
        if (origin === undefined) return;
        expect(origin).toMatch(/^https?:\/\/[^/?#@\s]+$/);
        expect(normaliseOrigin(origin)).toBe(origin);
        expect(new URL(origin).origin).toBe(origin);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('parseEmbedHash', () => {
  it('reads the documented hash', () => {
    expect(parseEmbedHash('#lab=01-anatomy&mode=compact&theme=dark&org=Acme%20Corp&cli=acme&idp=Okta&origins=https://a.example,https://b.example:8443'))
      .toEqual({
        options: {
          lab: '01-anatomy', mode: 'compact', theme: 'dark', names: { org: 'Acme Corp', cli: 'acme', idp: 'Okta' },
          origins: ['https://a.example', 'https://b.example:8443'],
        },
        notices: [],
      });
  });

  it('defaults to the full sandbox in the auto theme, with no names and no origins', () => {
    for (const hash of ['', '#', '#&', '#lab=&org=%20']) {
      expect(parseEmbedHash(hash)).toEqual({ options: { mode: 'full', theme: 'auto', names: {}, origins: [] }, notices: [] });
    }
  });

  it('keeps markup characters in names as text, and rejects control and bidi characters', () => {
    expect(parseEmbedHash(`#org=${encodeURIComponent('<img src=x onerror=alert(1)>')}`).options.names.org).toBe('<img src=x onerror=alert(1)>');
    for (const bad of ['a\u0000b', 'Acme\u202e', 'x\u2066y', 'x\u200fy', 'a\nb', 'a\u0085b']) {
      const parsed = parseEmbedHash(`#idp=${encodeURIComponent(bad)}`);
      expect(parsed.options.names).toEqual({});
      expect(parsed.notices).toEqual(['The identity provider name in the link contains control or text-direction characters; using the default name.']);
    }
    expect(parseEmbedAttributes((n) => (n === 'org' ? '\ud800x' : null)).notices)
      .toEqual(['The organisation name in the org attribute contains control or text-direction characters; using the default name.']);
    expect(embedHash({ names: { org: 'a\ud800' } })).toBe('#org=a%EF%BF%BD');
    expect(parseEmbedHash(`#org=${'x'.repeat(41)}`).notices).toEqual(['The organisation name in the link is longer than 40 characters; using the default name.']);
    expect(parseEmbedHash(`#org=%20%20${'x'.repeat(40)}%20`).options.names.org).toBe('x'.repeat(40));
  });

  it('names each problem in a notice and uses the default', () => {
    const parsed = parseEmbedHash('#lab=<script>&mode=huge&theme=neon&cli=Acme!&zz<b>=1&origins=*,null,https://a.example/x,https://ok.example');
    expect(parsed.options).toEqual({ mode: 'full', theme: 'auto', names: {}, origins: ['https://ok.example'] });
    expect(parsed.notices).toEqual([
      'Ignored the unknown setting “zz?b?”: expected lab, mode, theme, org, cli, idp, origins.',
      'The lab “?script?” in the link is not a lab id (like 01-anatomy); showing the sandbox.',
      'The mode “huge” in the link is not full or compact; using full.',
      'The theme “neon” in the link is not light, dark or auto; using auto.',
      'The CLI name “Acme?” in the link must be 1 to 20 lower-case letters, digits or dashes, starting with a letter; using the default name.',
      'Ignored the origin “?”: expected http(s)://host[:port] with nothing after it.',
      'Ignored the origin “null”: expected http(s)://host[:port] with nothing after it.',
      'Ignored the origin “https://a.example/x”: expected http(s)://host[:port] with nothing after it.',
    ]);
  });

  it('uses the default for a key given twice, and says so once', () => {
    const parsed = parseEmbedHash('#mode=compact&mode=full&mode=compact&theme=dark');
    expect(parsed.options).toMatchObject({ mode: 'full', theme: 'dark' });
    expect(parsed.notices).toEqual(['The setting “mode” appears more than once; using its default.']);
  });

  it('refuses a hash over the cap and values over theirs', () => {
    const long = parseEmbedHash(`#theme=dark&pad=${'x'.repeat(MAX_EMBED_HASH_LENGTH)}`);
    expect(long).toEqual({ options: { mode: 'full', theme: 'auto', names: {}, origins: [] }, notices: ['The embed settings are longer than 2000 characters; using the defaults.'] });
    expect(parseEmbedHash(`#theme=${'d'.repeat(201)}`).notices).toEqual(['The setting “theme” is longer than 200 characters; using its default.']);
  });

  it(`keeps at most ${MAX_ORIGINS} origins, without duplicates`, () => {
    const many = Array.from({ length: 14 }, (_, i) => `https://h${i}.example`);
    const parsed = parseEmbedHash(`#origins=https://H0.example:443,${many.join(',')}`);
    expect(parsed.options.origins).toEqual(many.slice(0, MAX_ORIGINS));
    expect(parsed.notices).toEqual([`More than ${MAX_ORIGINS} origins were given; only the first ${MAX_ORIGINS} are used.`]);
  });

  it('prototype names are unknown settings and pollute nothing', () => {
    const parsed = parseEmbedHash('#__proto__=x&constructor=y&toString=z&hasOwnProperty=1');
    expect(parsed.notices).toHaveLength(4);
    expect(parsed.options).toEqual({ mode: 'full', theme: 'auto', names: {}, origins: [] });
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('property: never throws on any string (unicode, % sequences, huge input) and gives usable options and safe notices', () => {
    fc.assert(fc.property(hashArb, (hash) => expectUsable(parseEmbedHash(hash))), { numRuns: 2000 });
  });

  it('property: notices never repeat more than a short quote of the input', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KEYS, 'zz'), fc.string({ unit: fc.constantFrom('a', 'b', '1', '-'), minLength: 60, maxLength: 200 }), (key, value) => {
        for (const notice of parseEmbedHash(`#${key}=${value}`).notices) expect(notice).not.toContain(value.slice(0, 31));
      }),
    );
  });

  it('property: embedHash then parseEmbedHash round-trips any valid options, with no notices', () => {
    fc.assert(
      fc.property(validOptionsArb, (options) => {
        const hash = embedHash(options);
        expect(hash.length).toBeLessThanOrEqual(MAX_EMBED_HASH_LENGTH);
        expect(parseEmbedHash(hash)).toEqual({ options, notices: [] });
      }),
      { numRuns: 1000 },
    );
  });

  it('property: embedHash never throws on any text and its output always parses to usable options', () => {
    fc.assert(
      fc.property(nastyString, nastyString, nastyString, fc.array(nastyString, { maxLength: 12 }), (lab, org, idp, origins) => {
        const hash = embedHash({ lab, names: { org, idp, cli: org }, origins, mode: lab as 'full', theme: idp as 'auto' });
        expectUsable(parseEmbedHash(hash));
      }),
      { numRuns: 500 },
    );
  });

  it('embedHash writes only what differs from the defaults, readably', () => {
    expect(embedHash({})).toBe('');
    expect(embedHash({ mode: 'full', theme: 'auto', names: {}, origins: [] })).toBe('');
    expect(embedHash({ lab: '01-anatomy', mode: 'compact', names: { org: 'Acme & Co' }, origins: ['https://a.example', 'https://b.example:8443'] }))
      .toBe('#lab=01-anatomy&mode=compact&org=Acme%20%26%20Co&origins=https://a.example,https://b.example:8443');
  });
});

describe('parseEmbedAttributes', () => {
  const from = (attrs: Record<string, string>) => (name: string) => (Object.hasOwn(attrs, name) ? attrs[name]! : null);

  it('reads the attributes, trimmed, case-insensitive for mode and theme', () => {
    expect(parseEmbedAttributes(from({ lab: ' 06-credentials-file ', mode: 'Compact', theme: 'DARK', org: 'Acme', cli: 'acme', idp: 'Okta' })))
      .toEqual({ options: { lab: '06-credentials-file', mode: 'compact', theme: 'dark', names: { org: 'Acme', cli: 'acme', idp: 'Okta' }, origins: [] }, notices: [] });
    expect(parseEmbedAttributes(() => null)).toEqual({ options: { mode: 'full', theme: 'auto', names: {}, origins: [] }, notices: [] });
  });

  it('never asks for origins (only the iframe takes them)', () => {
    const asked: string[] = [];
    parseEmbedAttributes((name) => (asked.push(name), null));
    expect(asked).toEqual(['lab', 'mode', 'theme', 'org', 'cli', 'idp']);
  });

  it('a getter that throws or returns a non-string gives a notice and the default', () => {
    const parsed = parseEmbedAttributes((name) => {
      if (name === 'mode') throw new Error('<b>boom</b>');
      if (name === 'theme') return 42 as unknown as string;
      return null;
    });
    expect(parsed.options).toEqual({ mode: 'full', theme: 'auto', names: {}, origins: [] });
    expect(parsed.notices).toEqual(['The mode attribute could not be read; using the default.', 'The theme attribute is not text; using the default.']);
  });

  it('property: never throws on any attribute values and gives usable options and safe notices', () => {
    const attrsArb = fc.record(
      Object.fromEntries(['lab', 'mode', 'theme', 'org', 'cli', 'idp'].map((k) => [k, fc.oneof(nastyString, fc.string({ minLength: 190, maxLength: 400 }))])),
      { requiredKeys: [] },
    );
    fc.assert(fc.property(attrsArb, (attrs) => expectUsable(parseEmbedAttributes(from(attrs as Record<string, string>)))), { numRuns: 1000 });
  });

  it('property: valid options written as attributes read back the same', () => {
    fc.assert(
      fc.property(validOptionsArb, (options) => {
        const attrs: Record<string, string> = { mode: options.mode, theme: options.theme, ...options.names };
        if (options.lab) attrs.lab = options.lab;
        expect(parseEmbedAttributes(from(attrs))).toEqual({ options: { ...options, origins: [] }, notices: [] });
      }),
    );
  });
});
