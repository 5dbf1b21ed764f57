/**
 * The exposure ledger (architecture seam 3), derived and never hand-maintained: for every secret the server
 * issued, scan every place in the host, the wire and the servers' own logs for its value, and report where it
 * is, since when, who can read each place, and whether the server would still accept it. If code anywhere
 * writes a token somewhere, this finds it.
 */
import { fingerprint } from '../sim/audit.ts';
import type { IssuedSecret } from '../sim/authServer/state.ts';
import type { Host, Reader, TimedLine } from './host.ts';
import type { WireExchange } from './wire.ts';

export interface Place {
  id: string;
  label: string;
  /** Who besides the servers can read it; an empty list means only the two ends of a TLS connection. */
  readers: Reader[];
  entries: TimedLine[];
}

export interface Sighting {
  placeId: string;
  label: string;
  readers: Reader[];
  /** When the value first appeared there. */
  since: number;
}

/** A secret the server issued (the server's own record, `IssuedSecret`) and every place it has been seen. */
export interface LedgerEntry extends IssuedSecret {
  /** A short label safe to show anywhere. */
  fingerprint: string;
  places: Sighting[];
  /** Everyone other than you who can read at least one of those places. */
  exposedTo: Reader[];
  /** Usable now and readable by someone it was never meant for. */
  atRisk: boolean;
}

/** Readers whose access makes a usable secret a live risk (root is the machine's owner; see the shared-host lab). */
const RISKY_READERS: readonly Reader[] = ['other local users', 'CI log readers', 'support staff', 'apps you run', 'root', 'people watching your screen'];

export interface LedgerSources {
  host: Host;
  wire: readonly WireExchange[];
  /** Extra places (the API's request log, the audit log), already flattened. */
  extra?: Place[];
}

/** Every place a secret could sit, with its readers. */
export function placesOf({ host, wire, extra = [] }: LedgerSources): Place[] {
  const places: Place[] = [
    { id: 'terminal', label: 'terminal scrollback', readers: ['you'], entries: host.scrollback },
    { id: 'history', label: 'shell history (~/.bash_history)', readers: ['you', 'root'], entries: host.shellHistory },
    { id: 'environment', label: 'exported shell environment', readers: ['you', 'root'],
      entries: Object.entries(host.environment).map(([k, v]) => ({ at: 0, text: `${k}=${v}` })) },
    { id: 'ps', label: 'process list (ps: argv of every process)', readers: ['you', 'other local users', 'root'],
      entries: host.processes.map((p) => ({ at: p.startedAt, text: p.argv.join(' ') })) },
    { id: 'environ', label: 'process environments (/proc/<pid>/environ)', readers: ['you', 'root'],
      entries: host.processes.map((p) => ({ at: p.startedAt, text: Object.entries(p.env).map(([k, v]) => `${k}=${v}`).join('\n') })) },
    { id: 'keychain', label: 'OS keychain', readers: ['you'],
      entries: [...host.keychain.values()].map((i) => ({ at: i.createdAt, text: i.content })) },
    { id: 'clipboard', label: 'clipboard', readers: ['you', 'apps you run'], entries: host.clipboard ? [host.clipboard] : [] },
    { id: 'ci-log', label: 'CI job log', readers: ['CI log readers'], entries: host.ciJobLog },
    { id: 'support', label: 'support ticket', readers: ['support staff'], entries: host.supportTicket },
    // A shared terminal shows the people watching everything it shows you (RFC 8628 §5.5).
    ...(host.screenShared ? [{ id: 'screen-share', label: 'screen share (the terminal window)', readers: ['people watching your screen' as const], entries: host.scrollback }] : []),
    { id: 'wire', label: 'network (TLS-protected)', readers: [], entries: wireLogEntries(wire) },
  ];
  for (const f of host.files.values()) {
    places.push({ id: `file:${f.path}`, label: `${f.path} (${modeString(f.mode)})`, readers: host.fileReaders(f), entries: f.chunks });
  }
  return [...places, ...extra];
}

/**
 * An exchange's request and (once answered) response as text. A logged message never changes, so its text is
 * made once and kept beside it: the ledger is derived again at every step, over every exchange so far.
 */
function wireEntries(e: WireExchange): TimedLine[] {
  let request = wireTexts.get(e.request);
  if (request === undefined) {
    request = `${e.request.url}\n${e.request.headers.map(([k, v]) => `${k}: ${v}`).join('\n')}\n${e.request.body}`;
    wireTexts.set(e.request, request);
  }
  if (!e.response) return [{ at: e.startedAt, text: request }];
  let response = wireTexts.get(e.response);
  if (response === undefined) {
    response = `${e.response.headers.map(([k, v]) => `${k}: ${v}`).join('\n')}\n${e.response.body}`;
    wireTexts.set(e.response, response);
  }
  return [{ at: e.startedAt, text: request }, { at: e.response.at, text: response }];
}
const wireTexts = new WeakMap<object, string>();

/**
 * The wire place's entries, in exchange order. The wire log only grows and a settled exchange (answered, failed,
 * or given up by its caller) never changes again, so the entries of the settled exchanges at its head are kept
 * per log and only the rest is made again: in a long session (a guessing run's thousands of requests) the ledger
 * is derived at every step without rebuilding every exchange's entries each time.
 */
function wireLogEntries(log: readonly WireExchange[]): TimedLine[] {
  let head = wireHeads.get(log);
  // Kept only while the log still begins with the exchanges it was made from.
  if (!head || log.length < head.exchanges || (head.exchanges > 0 && log[head.exchanges - 1] !== head.last)) {
    head = { exchanges: 0, entries: [], last: undefined };
    wireHeads.set(log, head);
  }
  while (head.exchanges < log.length && settled(log[head.exchanges]!)) {
    const e = log[head.exchanges++]!;
    head.entries.push(...wireEntries(e));
    head.last = e;
  }
  const tail = log.slice(head.exchanges).flatMap(wireEntries);
  return tail.length ? head.entries.concat(tail) : head.entries.slice();
}
const wireHeads = new WeakMap<readonly WireExchange[], { exchanges: number; entries: TimedLine[]; last: WireExchange | undefined }>();

/** No response will come to it any more (or it has come). */
function settled(e: WireExchange): boolean {
  return e.response !== undefined || e.fault === 'network-error' || e.abandonedAt !== undefined;
}

/** The spellings under which a secret can appear (user codes are shown with dashes). */
function spellings(s: IssuedSecret): string[] {
  if (s.kind !== 'user_code') return [s.value];
  const groups = (n: number) => s.value.match(new RegExp(`.{1,${n}}`, 'g'))?.join('-') ?? s.value;
  return [...new Set([s.value, groups(4), groups(3)])];
}

/**
 * For each secret, every place holding one of its spellings, and since when: the first entry (in the place's
 * order) whose text contains it. One pass over each entry's text finds all the secrets in it (`SpellingFinder`),
 * so the cost grows with the text and the number of secrets added together, not multiplied: a world with
 * many logins has many secrets and long logs both.
 */
export function computeLedger(secrets: readonly IssuedSecret[], places: readonly Place[]): LedgerEntry[] {
  const tracked = secrets.filter((s) => s.kind !== 'session');
  const finder = new SpellingFinder(tracked.map(spellings));
  const sightings: Sighting[][] = tracked.map(() => []);
  for (const place of places) {
    const seen = new Set<number>();
    for (const entry of place.entries) {
      if (seen.size === tracked.length) break;
      finder.forEachIn(entry.text, (i) => {
        if (seen.has(i)) return;
        seen.add(i);
        sightings[i]!.push({ placeId: place.id, label: place.label, readers: place.readers, since: entry.at });
      });
    }
  }
  return tracked.map((s, i) => {
    const found = sightings[i]!;
    const exposedTo = [...new Set(found.flatMap((p) => p.readers))].filter((r) => r !== 'you');
    return {
      kind: s.kind, fingerprint: fingerprint(s.value), value: s.value, issuedAt: s.issuedAt, usable: s.usable, status: s.status,
      ...(s.clientId ? { clientId: s.clientId } : {}), ...(s.sub ? { sub: s.sub } : {}),
      places: found, exposedTo, atRisk: s.usable && exposedTo.some((r) => RISKY_READERS.includes(r)),
    };
  });
}

/** Spellings at least this long are found through their last ANCHOR characters; shorter ones by `includes`. */
const ANCHOR = 8;
/**
 * Below this many long spellings, `includes` for each is faster than one hashed pass (the engine's string search
 * skips ahead by the pattern's length); the pass wins as the secrets multiply.
 */
export const INDEX_FROM = 16;
const BLOOM_BITS = 1 << 16;

/**
 * Finds which of many strings occur in a text, exactly as `text.includes(s)` would, in one pass: a rolling hash
 * of every ANCHOR-character window, looked up in a bit set of the spellings' last ANCHOR characters (and, on a hit,
 * a map of them); each candidate is then compared in place.
 */
export class SpellingFinder {
  readonly #byAnchor = new Map<number, Array<{ owner: number; spelling: string }>>();
  readonly #bloom = new Uint8Array(BLOOM_BITS / 8);
  readonly #short: Array<{ owner: number; spelling: string }> = [];
  readonly #pow: number;

  /** `spellings[i]` are the forms of owner `i`; `indexFrom`: how many long spellings make the hashed pass worth it. */
  constructor(spellings: ReadonlyArray<readonly string[]>, indexFrom = INDEX_FROM) {
    let pow = 1;
    for (let k = 1; k < ANCHOR; k++) pow = Math.imul(pow, HASH_BASE);
    this.#pow = pow;
    const long = spellings.reduce((n, forms) => n + forms.filter((f) => f.length >= ANCHOR).length, 0);
    spellings.forEach((forms, owner) => {
      for (const spelling of forms) {
        if (spelling.length < ANCHOR || long < indexFrom) {
          this.#short.push({ owner, spelling });
          continue;
        }
        const h = windowHash(spelling, spelling.length - ANCHOR);
        this.#bloom[bloomSlot(h) >>> 3]! |= 1 << (bloomSlot(h) & 7);
        const list = this.#byAnchor.get(h);
        if (list) list.push({ owner, spelling });
        else this.#byAnchor.set(h, [{ owner, spelling }]);
      }
    });
  }

  /** Calls `found(owner)` for each owner with a spelling in `text` (an owner may be reported more than once). */
  forEachIn(text: string, found: (owner: number) => void): void {
    for (const { owner, spelling } of this.#short) if (text.includes(spelling)) found(owner);
    if (this.#byAnchor.size === 0 || text.length < ANCHOR) return;
    let h = windowHash(text, 0);
    for (let end = ANCHOR; ; end++) {
      const slot = bloomSlot(h);
      if (this.#bloom[slot >>> 3]! & (1 << (slot & 7))) {
        for (const { owner, spelling } of this.#byAnchor.get(h) ?? []) {
          const start = end - spelling.length;
          if (start >= 0 && text.startsWith(spelling, start)) found(owner);
        }
      }
      if (end === text.length) return;
      h = (Math.imul(h - Math.imul(text.charCodeAt(end - ANCHOR), this.#pow), HASH_BASE) + text.charCodeAt(end)) | 0;
    }
  }
}

const HASH_BASE = 0x01000193;

/** The hash of `s`'s ANCHOR characters from `from`. */
function windowHash(s: string, from: number): number {
  let h = 0;
  for (let i = from; i < from + ANCHOR; i++) h = (Math.imul(h, HASH_BASE) + s.charCodeAt(i)) | 0;
  return h;
}

function bloomSlot(h: number): number {
  return (h ^ (h >>> 16)) & (BLOOM_BITS - 1);
}

/** `-rw-r--r--` for 0o644. */
export function modeString(mode: number): string {
  const bits = 'rwxrwxrwx';
  let out = '-';
  for (let i = 0; i < 9; i++) out += mode & (1 << (8 - i)) ? bits[i] : '-';
  return out;
}
