/**
 * The ledger's one-pass search finds exactly what `text.includes(spelling)` finds, for every secret and place,
 * and the first sighting per place is the first entry containing the secret: checked against the plain
 * search over random texts built from small alphabets (so windows collide and spellings overlap, repeat and
 * sit at the very start and end of a text), short and long spellings alike; and the wire place, kept between
 * computations, is what a fresh reading of the same log gives.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import type { IssuedSecret } from '../sim/authServer/state.ts';
import { VirtualClock } from '../sim/clock.ts';
import { Host } from './host.ts';
import { computeLedger, INDEX_FROM, placesOf, SpellingFinder, type Place } from './ledger.ts';
import type { WireExchange } from './wire.ts';

const word = (min: number, max: number) => fc.string({ unit: fc.constantFrom('a', 'b', 'A', '-', '1'), minLength: min, maxLength: max });

/** Texts made of filler and whole or cut spellings, so most spellings do occur, some only in part. */
const textsAbout = (spellings: string[]) => fc.array(
  fc.array(fc.oneof(word(0, 6), fc.tuple(fc.constantFrom(...spellings), fc.nat(20), fc.nat(20)).map(([s, a, b]) => (a % 4 === 0 ? s : s.slice(a % s.length, s.length - (b % 3))))), { maxLength: 8 }).map((parts) => parts.join('')),
  { maxLength: 6 },
);

test('SpellingFinder reports an owner exactly when one of its spellings is in the text, searching each or all in one pass', () => {
  const owners = fc.array(fc.array(word(1, 20), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8 });
  fc.assert(
    fc.property(owners.chain((o) => fc.tuple(fc.constant(o), textsAbout(o.flat()), fc.constantFrom(0, INDEX_FROM))), ([owners, texts, indexFrom]) => {
      const finder = new SpellingFinder(owners, indexFrom);
      for (const text of texts) {
        const found = new Set<number>();
        finder.forEachIn(text, (i) => found.add(i));
        const expected = new Set(owners.flatMap((forms, i) => (forms.some((f) => text.includes(f)) ? [i] : [])));
        expect([...found].sort()).toEqual([...expected].sort());
      }
    }),
    { numRuns: 400 },
  );
});

test('SpellingFinder finds a long secret embedded anywhere in a long text, and nothing when one character differs', () => {
  const secret = 'dc_8Jq2vKx9LmN3pR7sT1uW4yZ6aB0cE5fG';
  const filler = 'x'.repeat(5000);
  const finder = new SpellingFinder([[secret], ['BCDF-GHJK', 'BCDFGHJK']], 0);
  const hits = (text: string) => {
    const found: number[] = [];
    finder.forEachIn(text, (i) => found.push(i));
    return [...new Set(found)].sort();
  };
  expect(hits(`${filler}device_code=${secret}&${filler}`)).toEqual([0]);
  expect(hits(secret)).toEqual([0]);
  expect(hits(`${secret.slice(0, -1)}H ${filler} code BCDFGHJK`)).toEqual([1]);
  expect(hits(`${filler}${secret.slice(1)}`)).toEqual([]);
});

const secretOf = (value: string, kind: IssuedSecret['kind'] = 'refresh_token'): IssuedSecret => ({ kind, value, issuedAt: 0, usable: true, status: 'active' });

/** The ledger's search as it was first written: for each secret and place, the first entry containing a spelling. */
function naiveSightings(secrets: IssuedSecret[], places: Place[], spellingsOf: (s: IssuedSecret) => string[]) {
  return secrets.filter((s) => s.kind !== 'session').map((s) => places.flatMap((p) => {
    const hit = p.entries.find((e) => spellingsOf(s).some((f) => e.text.includes(f)));
    return hit ? [{ placeId: p.id, since: hit.at }] : [];
  }));
}

test('computeLedger gives the same sightings, in place order with the first entry\'s time, as a search secret by secret', () => {
  fc.assert(
    fc.property(
      // A few secrets (each searched alone) or many long ones (the one-pass search).
      fc.oneof(fc.array(word(1, 16), { minLength: 1, maxLength: 6 }), fc.array(word(8, 16), { minLength: INDEX_FROM, maxLength: INDEX_FROM + 8 })).chain((values) =>
        fc.tuple(fc.constant(values), fc.array(textsAbout(values).chain((texts) => fc.tuple(...texts.map((t) => fc.tuple(fc.nat(100), fc.constant(t))))), { maxLength: 5 }))),
      ([values, placeEntries]) => {
        const secrets = values.map((v, i) => secretOf(v, i % 3 === 0 ? 'session' : 'refresh_token'));
        const places: Place[] = placeEntries.map((entries, i) => ({ id: `p${i}`, label: `place ${i}`, readers: ['you'], entries: entries.map(([at, text]) => ({ at, text })) }));
        const got = computeLedger(secrets, places).map((e) => e.places.map((p) => ({ placeId: p.placeId, since: p.since })));
        expect(got).toEqual(naiveSightings(secrets, places, (s) => [s.value]));
      },
    ),
    { numRuns: 300 },
  );
});

test('a user code is found with its dashes too, and a session cookie is never listed', () => {
  const places: Place[] = [
    { id: 'terminal', label: 'terminal', readers: ['you'], entries: [{ at: 5, text: 'Enter the code BCDF-GHJK at https://idp.acme.test/device' }] },
    { id: 'support', label: 'support ticket', readers: ['support staff'], entries: [{ at: 1, text: 'nothing' }, { at: 9, text: 'my code is BCD-FGH-JK' }] },
  ];
  const ledger = computeLedger([secretOf('BCDFGHJK', 'user_code'), secretOf('sess-1234567890', 'session')], places);
  expect(ledger).toHaveLength(1);
  expect(ledger[0]!.places.map((p) => [p.placeId, p.since])).toEqual([['terminal', 5], ['support', 9]]);
  expect(ledger[0]!.atRisk).toBe(true);
});

test('the wire place of a growing log, answered out of order, is what a fresh reading of the same exchanges gives', () => {
  const host = new Host(new VirtualClock());
  const log: WireExchange[] = [];
  const exchange = (id: number): WireExchange => ({
    id, actor: 'cli', startedAt: id * 10, request: { method: 'POST', url: 'https://idp.acme.test/token', headers: [['content-type', 'text/plain']], body: `req-${id}` },
  });
  const answer = (e: WireExchange) => void (e.response = { at: e.startedAt + 5, status: 200, headers: [], body: `res-${e.id}` });
  const wireOf = (wire: readonly WireExchange[]) => placesOf({ host, wire }).find((p) => p.id === 'wire')!.entries.map((e) => `${e.at} ${e.text.split('\n').at(-1)}`);
  const check = () => expect(wireOf(log)).toEqual(wireOf([...log]));
  for (let id = 1; id <= 3; id++) log.push(exchange(id));
  answer(log[0]!);
  check();
  answer(log[2]!); // answered before the one ahead of it
  check();
  answer(log[1]!);
  log.push(exchange(4));
  check();
  log[3]!.fault = 'timeout'; // hung, then given up by its caller: settled without a response
  log[3]!.abandonedAt = 45;
  log.push(exchange(5));
  check();
  expect(wireOf(log)).toEqual(['10 req-1', '15 res-1', '20 req-2', '25 res-2', '30 req-3', '35 res-3', '40 req-4', '50 req-5']);
  log.splice(1); // a log that is not the one the kept entries came from is read afresh
  check();
});
