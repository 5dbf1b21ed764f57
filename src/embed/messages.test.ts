import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MESSAGE_SOURCE, MESSAGE_VERSION, parseIncoming, toMessage, type EmbedEvent } from './messages.ts';
import { normaliseOrigin } from './contract/options.ts';

const ALLOWED = ['https://docs.example.com', 'http://127.0.0.1:8080'];
const RESET = { source: MESSAGE_SOURCE, version: MESSAGE_VERSION, type: 'reset' };
const setTheme = (theme: unknown) => ({ source: MESSAGE_SOURCE, version: MESSAGE_VERSION, type: 'set-theme', theme });

const themeArb = fc.constantFrom('light' as const, 'dark' as const, 'auto' as const);
const commandArb = fc.oneof(fc.constant(RESET), themeArb.map(setTheme));
/** Any JSON-ish or structured-clone-ish value. */
const anythingArb = fc.oneof(
  fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, withObjectString: true, withBoxedValues: true, withSparseArray: true }),
  fc.string({ unit: 'binary' }),
  fc.jsonValue(),
);
/** The documented commands with one thing wrong. */
const malformedArb = fc.oneof(
  // A field changed to something else.
  fc.tuple(commandArb, fc.constantFrom('source', 'version', 'type', 'theme'), anythingArb).map(([c, key, value]) => ({ ...c, [key]: value })),
  // A field missing.
  fc.tuple(commandArb, fc.constantFrom('source', 'version', 'type')).map(([c, key]) => {
    const copy: Record<string, unknown> = { ...c };
    delete copy[key];
    return copy;
  }),
  // An extra field.
  fc.tuple(commandArb, fc.string().filter((k) => !['source', 'version', 'type', 'theme'].includes(k)), anythingArb).map(([c, key, value]) => {
    const copy: Record<string, unknown> = { ...c };
    Object.defineProperty(copy, key, { value, enumerable: true, configurable: true, writable: true });
    return copy;
  }),
  // Wrapped, or as an array, or as a string.
  commandArb.map((c) => ({ data: c })),
  commandArb.map((c) => Object.values(c)),
  commandArb.map((c) => JSON.stringify(c)),
).filter((data) => !isDocumented(data));

/** Is `data` exactly one of the documented commands? (An independent statement of the rule.) */
function isDocumented(data: unknown): boolean {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  if (Object.getPrototypeOf(data) !== Object.prototype && Object.getPrototypeOf(data) !== null) return false;
  const keys = Reflect.ownKeys(data).sort();
  const d = data as Record<string, unknown>;
  if (d.source !== MESSAGE_SOURCE || d.version !== MESSAGE_VERSION) return false;
  if (d.type === 'reset') return keys.join() === 'source,type,version';
  if (d.type === 'set-theme') return keys.join() === 'source,theme,type,version' && ['light', 'dark', 'auto'].includes(d.theme as string);
  return false;
}

/** Origins from the allowed list, as a browser would report them, and as people write them in the list. */
const listedOriginArb = fc.constantFrom(...ALLOWED);
const otherOriginArb = fc.oneof(
  fc.webUrl().map((u) => new URL(u).origin),
  fc.constantFrom(
    'null', '*', '', 'https://docs.example.com.evil.test', 'https://evil.test', 'http://docs.example.com', 'https://docs.example.com:8443',
    'http://127.0.0.1', 'http://127.0.0.1:8081', 'http://localhost:8080', 'https://docs.example.co', 'file://', 'https://docs.example.com/',
  ).filter((o) => o !== 'https://docs.example.com/'),
  fc.string({ unit: 'binary' }),
).filter((o) => !ALLOWED.includes(normaliseOrigin(o) ?? ''));

describe('parseIncoming', () => {
  it('accepts the documented commands from a listed origin', () => {
    expect(parseIncoming(RESET, 'https://docs.example.com', ALLOWED)).toEqual({ ok: true, command: { type: 'reset' } });
    expect(parseIncoming(setTheme('dark'), 'http://127.0.0.1:8080', ALLOWED)).toEqual({ ok: true, command: { type: 'set-theme', theme: 'dark' } });
    expect(parseIncoming(Object.assign(Object.create(null), RESET), 'https://docs.example.com', ALLOWED).ok).toBe(true);
  });

  it('matches origins after normalising the list: case, default port and a trailing slash do not matter', () => {
    expect(parseIncoming(RESET, 'https://docs.example.com', ['HTTPS://Docs.Example.com:443/']).ok).toBe(true);
    expect(parseIncoming(RESET, 'https://docs.example.com', ['*'])).toEqual({ ok: false, reason: 'the sender’s origin is not in the allowed list' });
    expect(parseIncoming(RESET, 'null', ['null'])).toEqual({ ok: false, reason: 'the sender has no usable origin' });
    expect(parseIncoming(RESET, 'https://docs.example.com', [])).toMatchObject({ ok: false });
  });

  it('rejects data with getters, throwing proxies, class instances and prototype tricks, without running them', () => {
    let ran = false;
    const withGetter = { ...RESET };
    Object.defineProperty(withGetter, 'type', { get: () => ((ran = true), 'reset'), enumerable: true });
    const throwing = new Proxy({}, {
      get: () => { ran = true; throw new Error('get'); },
      ownKeys: () => { throw new Error('ownKeys'); },
      getPrototypeOf: () => { throw new Error('proto'); },
      getOwnPropertyDescriptor: () => { throw new Error('descriptor'); },
    });
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    class Command { source = MESSAGE_SOURCE; version = MESSAGE_VERSION; type = 'reset'; }
    const inherited = Object.create(RESET) as object;
    const polluted = JSON.parse('{"source":"device-flow-lab","version":1,"type":"reset","__proto__":{"theme":"dark"}}') as object;
    for (const data of [withGetter, throwing, revocable.proxy, new Command(), inherited, polluted, { ...RESET, [Symbol('x')]: 1 }]) {
      const result = parseIncoming(data, 'https://docs.example.com', ALLOWED);
      expect(result.ok).toBe(false);
    }
    expect(ran).toBe(false);
    // An allowed list that is itself hostile.
    expect(parseIncoming(RESET, 'https://docs.example.com', revocable.proxy as unknown as string[]).ok).toBe(false);
    expect(parseIncoming(RESET, 'https://docs.example.com', null as unknown as string[]).ok).toBe(false);
    expect(parseIncoming(RESET, 42 as unknown as string, ALLOWED).ok).toBe(false);
  });

  it('rejects huge strings and deep objects quickly, and the reason never repeats them', () => {
    const huge = 'x'.repeat(5_000_000);
    for (const data of [huge, { ...RESET, type: huge }, setTheme(huge), { ...RESET, source: huge }]) {
      const result = parseIncoming(data, 'https://docs.example.com', ALLOWED);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason.length).toBeLessThan(100);
    }
    let deep: unknown = RESET;
    for (let i = 0; i < 10_000; i++) deep = { data: deep };
    expect(parseIncoming(deep, 'https://docs.example.com', ALLOWED).ok).toBe(false);
  });

  it('property: accepts exactly the documented commands from listed origins', () => {
    fc.assert(
      fc.property(commandArb, listedOriginArb, (data, origin) => {
        const result = parseIncoming(data, origin, ALLOWED);
        expect(result.ok).toBe(true);
        if (result.ok) expect(result.command).toEqual(data.type === 'reset' ? { type: 'reset' } : { type: 'set-theme', theme: (data as { theme: string }).theme });
      }),
    );
  });

  it('property: rejects every origin that is not listed, whatever the data', () => {
    fc.assert(
      fc.property(fc.oneof(commandArb, anythingArb), otherOriginArb, (data, origin) => {
        expect(parseIncoming(data, origin, ALLOWED)).toEqual({ ok: false, reason: expect.any(String) });
      }),
      { numRuns: 1000 },
    );
  });

  it('property: rejects every malformed shape, even from a listed origin', () => {
    fc.assert(
      fc.property(fc.oneof(malformedArb, anythingArb.filter((d) => !isDocumented(d))), listedOriginArb, (data, origin) => {
        const result = parseIncoming(data, origin, ALLOWED);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.reason).not.toMatch(/[<>]/);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: never throws, and accepts only when the origin is listed and the data is a documented command', () => {
    fc.assert(
      fc.property(fc.oneof(commandArb, malformedArb, anythingArb), fc.oneof(listedOriginArb, otherOriginArb), fc.array(fc.oneof(listedOriginArb, fc.string())), (data, origin, allowed) => {
        const result = parseIncoming(data, origin, allowed);
        const listed = allowed.some((a) => normaliseOrigin(a) !== undefined && normaliseOrigin(a) === normaliseOrigin(origin));
        expect(result.ok).toBe(listed && isDocumented(data));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('toMessage', () => {
  const eventArb: fc.Arbitrary<EmbedEvent> = fc.oneof(
    fc.record({ type: fc.constant('ready' as const), lab: fc.option(fc.string(), { nil: null }), mode: fc.constantFrom('full' as const, 'compact' as const), theme: themeArb }),
    fc.record({ type: fc.constant('objective-completed' as const), lab: fc.string(), objective: fc.string(), text: fc.string(), done: fc.nat(), total: fc.nat() }),
    fc.record({ type: fc.constant('lab-completed' as const), lab: fc.string(), total: fc.nat() }),
  );

  it('property: stamps the source and version and carries exactly the listed fields', () => {
    fc.assert(
      fc.property(eventArb, fc.dictionary(fc.constantFrom('token', 'accessToken', 'deviceCode', 'userCode', 'secret', 'world'), fc.string()), (event, extra) => {
        const message = toMessage({ ...extra, ...event } as EmbedEvent);
        expect(message).toEqual({ ...event, source: MESSAGE_SOURCE, version: MESSAGE_VERSION });
        expect(structuredClone(message)).toEqual(message);
      }),
    );
  });
});
