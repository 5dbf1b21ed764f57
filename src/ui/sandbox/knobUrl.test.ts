import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLIENT_KNOB_SPECS, DEFAULT_CLIENT_KNOBS, resolveClientKnobs, type ClientKnobs } from '../../flow/knobs.ts';
import { DEFAULT_SERVER_KNOBS, SERVER_KNOB_SPECS, resolveServerKnobs, type ServerKnobs } from '../../sim/knobs.ts';
import { KNOWN_SCOPES } from './knobModel.ts';
import { MAX_HASH_LENGTH, knobsToHash, parseKnobsFromHash } from './knobUrl.ts';

/** Any valid value for each server knob, built from its spec. */
function serverValueArb(spec: (typeof SERVER_KNOB_SPECS)[number]): fc.Arbitrary<unknown> {
  switch (spec.kind) {
    case 'boolean':
      return fc.boolean();
    case 'integer': {
      const n = fc.integer({ min: spec.min, max: spec.max });
      return spec.nullable ? fc.option(n, { nil: null }) : n;
    }
    case 'choice':
      return fc.constantFrom(...spec.choices);
    case 'scopes':
      return fc.subarray([...KNOWN_SCOPES]);
  }
}

function clientValueArb(spec: (typeof CLIENT_KNOB_SPECS)[number]): fc.Arbitrary<unknown> {
  switch (spec.kind) {
    case 'boolean':
      return fc.boolean();
    case 'choice':
      return fc.constantFrom(...spec.choices);
    case 'interval':
      return fc.oneof(fc.constant('server'), fc.integer({ min: spec.min, max: spec.max }));
  }
}

const serverKnobsArb = fc.record(
  Object.fromEntries(SERVER_KNOB_SPECS.map((s) => [s.key, serverValueArb(s)])) as Record<string, fc.Arbitrary<unknown>>,
  { requiredKeys: [] },
) as fc.Arbitrary<Partial<ServerKnobs>>;
const clientKnobsArb = fc.record(
  Object.fromEntries(CLIENT_KNOB_SPECS.map((s) => [s.key, clientValueArb(s)])) as Record<string, fc.Arbitrary<unknown>>,
  { requiredKeys: [] },
) as fc.Arbitrary<Partial<ClientKnobs>>;

/** The full knob sets these overrides mean (what the sandbox would run with). */
const fullServer = (k: Partial<ServerKnobs>) => ({ ...DEFAULT_SERVER_KNOBS, ...k });
const fullClient = (k: Partial<ClientKnobs>) => ({ ...DEFAULT_CLIENT_KNOBS, ...k });

describe('knobsToHash', () => {
  it('is the bare route when every knob is at its secure default', () => {
    expect(knobsToHash({}, {})).toBe('#/sandbox');
    expect(knobsToHash({ ...DEFAULT_SERVER_KNOBS }, { ...DEFAULT_CLIENT_KNOBS })).toBe('#/sandbox');
  });

  it('carries only the knobs that differ, readable', () => {
    const hash = knobsToHash(
      { ...DEFAULT_SERVER_KNOBS, codeLifetimeS: 60, intervalS: null, allowedScopes: ['profile', 'projects:read'] },
      { pollInterval: 1, slowDown: 'ignore', storage: 'keychain' },
    );
    expect(hash).toBe('#/sandbox?s.codeLifetimeS=60&s.intervalS=omit&s.allowedScopes=profile,projects:read&c.pollInterval=1&c.slowDown=ignore');
  });
});

describe('parseKnobsFromHash', () => {
  it('reads a shared link back', () => {
    const parsed = parseKnobsFromHash('#/sandbox?s.codeLifetimeS=60&s.intervalS=omit&s.slowDownEnforcement=false&c.pollInterval=1&c.slowDown=ignore&s.defaultScopes=');
    expect(parsed).toEqual({
      serverKnobs: { codeLifetimeS: 60, intervalS: null, slowDownEnforcement: false, defaultScopes: [] },
      clientKnobs: { pollInterval: 1, slowDown: 'ignore' },
      notices: [],
    });
  });

  it('ignores what it cannot use, with a notice naming the key and what was expected', () => {
    const parsed = parseKnobsFromHash('#/sandbox?s.codeLifetimeS=abc&c.storage=<img src=x>&zzz=1&s.userCodeLength=99&c.pollInterval=0&s.allowedScopes=profile,root&c.debug=bodies');
    expect(parsed.serverKnobs).toEqual({});
    expect(parsed.clientKnobs).toEqual({ debug: 'bodies' });
    const text = parsed.notices.join('\n');
    expect(parsed.notices).toHaveLength(6);
    expect(text).toContain('"s.codeLifetimeS": codeLifetimeS must be a whole number (a whole number from 1 to 3600 s)');
    expect(text).toContain('"c.storage": expected one of keychain, memory, file-0600, file-0644, keychain-or-plaintext');
    expect(text).toContain('unknown knob "zzz"');
    expect(text).toContain('"s.userCodeLength": userCodeLength must be between 4 and 12');
    expect(text).toContain('"c.pollInterval": expected \'server\' or a whole number of seconds from 1 to 120');
    expect(text).toContain('"s.allowedScopes"');
    expect(text).not.toMatch(/[<>]/);
    expect(text).not.toContain('img');
  });

  it('does not reflect markup in key names', () => {
    const parsed = parseKnobsFromHash('#/sandbox?<script>alert(1)</script>=1&s.<b>=2');
    expect(parsed.notices).toHaveLength(2);
    for (const n of parsed.notices) expect(n).not.toMatch(/[<>"']script|[<>]/);
  });

  it('refuses oversized links and values, and prototype keys', () => {
    const long = parseKnobsFromHash(`#/sandbox?s.codeLifetimeS=60&pad=${'x'.repeat(MAX_HASH_LENGTH)}`);
    expect(long.serverKnobs).toEqual({});
    expect(long.notices[0]).toContain(`longer than ${MAX_HASH_LENGTH}`);
    const value = parseKnobsFromHash(`#/sandbox?c.storage=${'a'.repeat(500)}`);
    expect(value.clientKnobs).toEqual({});
    expect(value.notices[0]).toContain('"c.storage": the value is longer than');
    const proto = parseKnobsFromHash('#/sandbox?s.__proto__=1&c.constructor=2&s.toString=3');
    expect(proto.notices).toHaveLength(3);
    expect(Object.keys(proto.serverKnobs)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('notes a knob given twice and keeps the last valid value', () => {
    const parsed = parseKnobsFromHash('#/sandbox?s.codeLifetimeS=60&s.codeLifetimeS=120');
    expect(parsed.serverKnobs).toEqual({ codeLifetimeS: 120 });
    expect(parsed.notices).toEqual(['Knob "s.codeLifetimeS" appears more than once; the last valid value is used.']);
  });

  it('reads nothing from a route without a query', () => {
    expect(parseKnobsFromHash('')).toEqual({ serverKnobs: {}, clientKnobs: {}, notices: [] });
    expect(parseKnobsFromHash('#/sandbox')).toEqual({ serverKnobs: {}, clientKnobs: {}, notices: [] });
  });

  it('property: knobsToHash then parseKnobsFromHash round-trips any valid knob set', () => {
    fc.assert(
      fc.property(serverKnobsArb, clientKnobsArb, (server, client) => {
        const hash = knobsToHash(server, client);
        expect(hash.length).toBeLessThanOrEqual(MAX_HASH_LENGTH);
        const parsed = parseKnobsFromHash(hash);
        expect(parsed.notices).toEqual([]);
        expect(fullServer(parsed.serverKnobs)).toEqual(fullServer(server));
        expect(fullClient(parsed.clientKnobs)).toEqual(fullClient(client));
        // Only what differs from the secure defaults is carried.
        for (const [k, v] of Object.entries(parsed.serverKnobs)) expect(v).not.toEqual(DEFAULT_SERVER_KNOBS[k as keyof ServerKnobs]);
        for (const [k, v] of Object.entries(parsed.clientKnobs)) expect(v).not.toEqual(DEFAULT_CLIENT_KNOBS[k as keyof ClientKnobs]);
      }),
      { numRuns: 300 },
    );
  });

  const keyArb = fc.oneof(
    fc.constantFrom(...SERVER_KNOB_SPECS.map((s) => `s.${s.key}`), ...CLIENT_KNOB_SPECS.map((s) => `c.${s.key}`)),
    fc.string(),
  );
  const valueArb = fc.oneof(
    fc.string(),
    fc.integer().map(String),
    fc.constantFrom('true', 'false', 'omit', 'server', 'null', '', '1e3', '0x10', ' 5', '5.5', '-1', 'NaN', 'Infinity'),
    fc.subarray([...KNOWN_SCOPES, 'root', '<b>', 'a"b']).map((a) => a.join(',')),
  );
  const queryArb = fc.array(fc.tuple(keyArb, valueArb), { maxLength: 12 }).map((pairs) => `#/sandbox?${new URLSearchParams(pairs).toString()}`);

  it('property: any string parses without throwing and yields only valid knob values', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 3000 }), queryArb, fc.string().map((s) => `#/sandbox?${s}`)), (hash) => {
        const parsed = parseKnobsFromHash(hash);
        expect(() => resolveServerKnobs(parsed.serverKnobs)).not.toThrow();
        expect(() => resolveClientKnobs(parsed.clientKnobs)).not.toThrow();
        for (const key of Object.keys(parsed.serverKnobs)) expect(SERVER_KNOB_SPECS.some((s) => s.key === key)).toBe(true);
        for (const key of Object.keys(parsed.clientKnobs)) expect(CLIENT_KNOB_SPECS.some((s) => s.key === key)).toBe(true);
        for (const scopes of [parsed.serverKnobs.allowedScopes, parsed.serverKnobs.defaultScopes]) {
          if (scopes) for (const s of scopes) expect(KNOWN_SCOPES).toContain(s);
        }
        for (const n of parsed.notices) expect(n).not.toMatch(/[<>]/);
      }),
      { numRuns: 500 },
    );
  });
});
