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

export interface LedgerEntry {
  kind: IssuedSecret['kind'];
  /** A short label safe to show anywhere. */
  fingerprint: string;
  value: string;
  clientId?: string;
  sub?: string;
  issuedAt: number;
  usable: boolean;
  status: string;
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
    { id: 'wire', label: 'network (TLS-protected)', readers: [],
      entries: wire.flatMap((e) => [
        { at: e.startedAt, text: `${e.request.url}\n${e.request.headers.map(([k, v]) => `${k}: ${v}`).join('\n')}\n${e.request.body}` },
        ...(e.response ? [{ at: e.response.at, text: `${e.response.headers.map(([k, v]) => `${k}: ${v}`).join('\n')}\n${e.response.body}` }] : []),
      ]) },
  ];
  for (const f of host.files.values()) {
    places.push({ id: `file:${f.path}`, label: `${f.path} (${modeString(f.mode)})`, readers: host.fileReaders(f), entries: f.chunks });
  }
  return [...places, ...extra];
}

/** The spellings under which a secret can appear (user codes are shown with dashes). */
function spellings(s: IssuedSecret): string[] {
  if (s.kind !== 'user_code') return [s.value];
  const groups = (n: number) => s.value.match(new RegExp(`.{1,${n}}`, 'g'))?.join('-') ?? s.value;
  return [...new Set([s.value, groups(4), groups(3)])];
}

export function computeLedger(secrets: readonly IssuedSecret[], places: readonly Place[]): LedgerEntry[] {
  return secrets
    .filter((s) => s.kind !== 'session')
    .map((s) => {
      const forms = spellings(s);
      const sightings: Sighting[] = [];
      for (const place of places) {
        const hit = place.entries.find((e) => forms.some((f) => e.text.includes(f)));
        if (hit) sightings.push({ placeId: place.id, label: place.label, readers: place.readers, since: hit.at });
      }
      const exposedTo = [...new Set(sightings.flatMap((p) => p.readers))].filter((r) => r !== 'you');
      return {
        kind: s.kind, fingerprint: fingerprint(s.value), value: s.value, issuedAt: s.issuedAt, usable: s.usable, status: s.status,
        ...(s.clientId ? { clientId: s.clientId } : {}), ...(s.sub ? { sub: s.sub } : {}),
        places: sightings, exposedTo, atRisk: s.usable && exposedTo.some((r) => RISKY_READERS.includes(r)),
      };
    });
}

/** `-rw-r--r--` for 0o644. */
export function modeString(mode: number): string {
  const bits = 'rwxrwxrwx';
  let out = '-';
  for (let i = 0; i < 9; i++) out += mode & (1 << (8 - i)) ? bits[i] : '-';
  return out;
}
