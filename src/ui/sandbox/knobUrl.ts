/**
 * The sandbox link: `#/sandbox?s.<serverKnob>=<value>&c.<clientKnob>=<value>`, carrying only the knobs that
 * differ from the secure defaults, so a configuration can be shared.
 *
 * Parsing reads UNTRUSTED input (anyone can send a link). It never throws; every key or value it cannot use
 * becomes a notice naming the key and what was expected, and is ignored. Values are checked by the knob
 * resolvers themselves (src/flow/knobs.ts, src/sim/knobs.ts), not by rules repeated here. Notices never
 * repeat a value from the link, and keys are reduced to plain characters, so no markup is reflected.
 *
 * Encoding: booleans `true`/`false`; whole numbers in decimal; a nullable number `omit` (the server omits
 * `interval`); the client's polling interval `server` or seconds; scope lists comma-separated.
 */
import { CLIENT_KNOB_SPECS, type ClientKnobSpec, type ClientKnobs } from '../../flow/knobs.ts';
import { SERVER_KNOB_SPECS, type KnobSpec, type ServerKnobs } from '../../sim/knobs.ts';
import { checkClientKnob, checkServerKnob, clientDiff, serverDiff } from './knobModel.ts';

export const SANDBOX_ROUTE = '#/sandbox';
/** Longest link fragment read at all. */
export const MAX_HASH_LENGTH = 2000;
/** Longest single value read. */
export const MAX_VALUE_LENGTH = 200;
/** Most parameters read. */
export const MAX_PARAMS = 100;
/** The value of a nullable number that means "omit it". */
export const OMIT = 'omit';

export interface ParsedKnobs {
  serverKnobs: Partial<ServerKnobs>;
  clientKnobs: Partial<ClientKnobs>;
  notices: string[];
}

const SERVER_SPEC = new Map<string, KnobSpec>(SERVER_KNOB_SPECS.map((s) => [s.key, s]));
const CLIENT_SPEC = new Map<string, ClientKnobSpec>(CLIENT_KNOB_SPECS.map((s) => [s.key, s]));

/** A key from the link, as it may appear in a notice: plain characters only, short. */
function shownKey(key: string): string {
  const plain = key.replace(/[^A-Za-z0-9._-]/g, '?');
  return plain.length > 40 ? `${plain.slice(0, 40)}…` : plain;
}

/** Text from the link to a candidate value of the spec's type; the resolver decides whether it is valid. */
function decodeServer(spec: KnobSpec, text: string): unknown {
  switch (spec.kind) {
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'integer':
      if (spec.nullable && text === OMIT) return null;
      return /^-?\d{1,16}$/.test(text) ? Number(text) : text;
    case 'choice':
      return text;
    case 'scopes':
      return text === '' ? [] : text.split(',');
  }
}

function decodeClient(spec: ClientKnobSpec, text: string): unknown {
  switch (spec.kind) {
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'choice':
      return text;
    case 'interval':
      return /^-?\d{1,16}$/.test(text) ? Number(text) : text;
  }
}

function expectedServer(spec: KnobSpec): string {
  switch (spec.kind) {
    case 'integer':
      return ` (a whole number from ${spec.min} to ${spec.max}${spec.unit ? ` ${spec.unit}` : ''}${spec.nullable ? `, or ${OMIT}` : ''})`;
    case 'boolean':
      return ' (true or false)';
    default:
      return '';
  }
}

export function parseKnobsFromHash(hash: string): ParsedKnobs {
  const serverKnobs: Record<string, unknown> = {};
  const clientKnobs: Record<string, unknown> = {};
  const notices: string[] = [];
  try {
    if (typeof hash !== 'string') return { serverKnobs: {}, clientKnobs: {}, notices: ['The link could not be read.'] };
    if (hash.length > MAX_HASH_LENGTH) {
      notices.push(`The link is longer than ${MAX_HASH_LENGTH} characters; none of its knobs were used.`);
      return { serverKnobs: {}, clientKnobs: {}, notices };
    }
    const q = hash.indexOf('?');
    if (q < 0) return { serverKnobs: {}, clientKnobs: {}, notices };
    const params = [...new URLSearchParams(hash.slice(q + 1))];
    if (params.length > MAX_PARAMS) notices.push(`The link has more than ${MAX_PARAMS} parameters; only the first ${MAX_PARAMS} were read.`);
    const seen = new Set<string>();
    for (const [rawKey, value] of params.slice(0, MAX_PARAMS)) {
      const key = shownKey(rawKey);
      if (seen.has(rawKey)) notices.push(`Knob "${key}" appears more than once; the last valid value is used.`);
      seen.add(rawKey);
      const dot = rawKey.indexOf('.');
      const side = rawKey.slice(0, dot);
      const name = rawKey.slice(dot + 1);
      const serverSpec = side === 's' ? SERVER_SPEC.get(name) : undefined;
      const clientSpec = side === 'c' ? CLIENT_SPEC.get(name) : undefined;
      if (!serverSpec && !clientSpec) {
        notices.push(`Ignored unknown knob "${key}": expected s.knobName for a server knob or c.knobName for a client knob.`);
        continue;
      }
      if (value.length > MAX_VALUE_LENGTH) {
        notices.push(`Ignored "${key}": the value is longer than ${MAX_VALUE_LENGTH} characters.`);
        continue;
      }
      if (serverSpec) {
        const candidate = decodeServer(serverSpec, value);
        const problem = checkServerKnob(serverSpec.key, candidate);
        if (problem) notices.push(`Ignored "${key}": ${problem}${expectedServer(serverSpec)}.`);
        else serverKnobs[serverSpec.key] = candidate;
      } else if (clientSpec) {
        const candidate = decodeClient(clientSpec, value);
        const problem = checkClientKnob(clientSpec.key, candidate);
        if (problem) notices.push(`Ignored "${key}": ${problem}.`);
        else clientKnobs[clientSpec.key] = candidate;
      }
    }
  } catch {
    notices.push('The link could not be read; the secure defaults are used.');
    return { serverKnobs: {}, clientKnobs: {}, notices };
  }
  return { serverKnobs: serverKnobs as Partial<ServerKnobs>, clientKnobs: clientKnobs as Partial<ClientKnobs>, notices };
}

function encodeValue(value: unknown): string {
  const text = value === null ? OMIT : Array.isArray(value) ? value.join(',') : String(value);
  return encodeURIComponent(text).replace(/%2C/gi, ',').replace(/%3A/gi, ':');
}

/** The sandbox link for these knobs: only what differs from the secure defaults, in spec order. */
export function knobsToHash(serverKnobs: Partial<ServerKnobs>, clientKnobs: Partial<ClientKnobs>): string {
  const parts = [
    ...Object.entries(serverDiff(serverKnobs)).map(([k, v]) => `s.${k}=${encodeValue(v)}`),
    ...Object.entries(clientDiff(clientKnobs)).map(([k, v]) => `c.${k}=${encodeValue(v)}`),
  ];
  return parts.length ? `${SANDBOX_ROUTE}?${parts.join('&')}` : SANDBOX_ROUTE;
}
