/**
 * The sandbox's view of the knobs (architecture seam 4): grouping for display, the scope vocabulary the
 * controls offer, and single-value checks that defer to the knob resolvers (no rules are repeated here).
 */
import { CLIENT_KNOB_SPECS, DEFAULT_CLIENT_KNOBS, SCOPES, resolveClientKnobs, type ClientKnobSpec, type ClientKnobs } from '../../flow/knobs.ts';
import { DEFAULT_SERVER_KNOBS, SERVER_KNOB_SPECS, resolveServerKnobs, type KnobSpec, type ServerKnobs } from '../../sim/knobs.ts';
import { getProfile } from '../../sim/profiles.ts';

export type ServerKnobKey = keyof ServerKnobs;
export type ClientKnobKey = keyof ClientKnobs;
export type ServerGroup = KnobSpec['group'];

/** Every scope a sandbox control offers (the simulated API's scopes). */
export const KNOWN_SCOPES: readonly string[] = [...new Set([...DEFAULT_SERVER_KNOBS.allowedScopes, ...SCOPES.broad])];

export const SERVER_GROUP_LABELS: Readonly<Record<ServerGroup, string>> = {
  profile: 'Identity provider profile',
  codes: 'Device and user codes',
  polling: 'Polling',
  consent: 'Verification and consent',
  tokens: 'Access tokens and scopes',
  refresh: 'Refresh tokens',
  revocation: 'Revocation',
  dpop: 'DPoP (sender-constrained tokens)',
  limits: 'Limits and errors',
};

/** The client specs carry no group; the sandbox groups them by what they teach. */
type ClientGroup = 'polling' | 'output' | 'tokens' | 'transport' | 'other';
export const CLIENT_GROUP_LABELS: Readonly<Record<ClientGroup, string>> = {
  polling: 'Polling',
  output: 'Secrets in terminal and logs',
  tokens: 'Token handling',
  transport: 'Transport',
  other: 'Other',
};
const CLIENT_GROUP_OF: Partial<Record<ClientKnobKey, ClientGroup>> = {
  pollInterval: 'polling', slowDown: 'polling', stopOnDenialOrExpiry: 'polling', unknownPollErrors: 'polling', hardDeadline: 'polling',
  showDeviceCode: 'output', debug: 'output', redaction: 'output',
  storage: 'tokens', tokenDelivery: 'tokens', logout: 'tokens', scopes: 'tokens', dpop: 'tokens', refreshTokens: 'tokens',
  allowInsecureLoopback: 'transport',
};

export interface Group<S> {
  id: string;
  label: string;
  specs: S[];
}

function groupBy<S, G extends string>(specs: readonly S[], groupOf: (s: S) => G, labels: Readonly<Record<G, string>>, prefix: string): Group<S>[] {
  const order = Object.keys(labels) as G[];
  return order
    .map((g) => ({ id: `${prefix}-${g}`, label: labels[g], specs: specs.filter((s) => groupOf(s) === g) }))
    .filter((g) => g.specs.length > 0);
}

/** Client knobs in display groups; a knob added later without a group lands in "Other". */
export const CLIENT_GROUPS: Group<ClientKnobSpec>[] = groupBy(CLIENT_KNOB_SPECS, (s) => CLIENT_GROUP_OF[s.key] ?? 'other', CLIENT_GROUP_LABELS, 'client');
/** Server knobs in their spec groups (the profile is shown on its own as the profile selector). */
export const SERVER_GROUPS: Group<KnobSpec>[] = groupBy(SERVER_KNOB_SPECS.filter((s) => s.key !== 'profile'), (s) => s.group, SERVER_GROUP_LABELS, 'server');

/** Strip the resolver's "Invalid ... knob(s) X:" prefix so a message reads on its own. */
function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/^Invalid (server knobs|client knob \w+):\s*/, '');
}

/** Is `value` acceptable for server knob `key`? Undefined when it is, else what was expected (from the resolver). */
export function checkServerKnob(key: ServerKnobKey, value: unknown): string | undefined {
  try {
    resolveServerKnobs({ [key]: value } as Partial<ServerKnobs>);
  } catch (e) {
    return reason(e);
  }
  if ((key === 'defaultScopes' || key === 'allowedScopes') && Array.isArray(value)) {
    const unknown = value.filter((s) => !KNOWN_SCOPES.includes(s as string));
    if (unknown.length) return `${key} must be a list of ${KNOWN_SCOPES.join(', ')}`;
  }
  return undefined;
}

/** Is `value` acceptable for client knob `key`? Undefined when it is, else what was expected (from the resolver). */
export function checkClientKnob(key: ClientKnobKey, value: unknown): string | undefined {
  try {
    resolveClientKnobs({ [key]: value } as Partial<ClientKnobs>);
    return undefined;
  } catch (e) {
    return reason(e);
  }
}

export function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

/** The entries of `knobs` that differ from the secure defaults, in spec order. */
export function serverDiff(knobs: Partial<ServerKnobs>): Partial<ServerKnobs> {
  const out: Record<string, unknown> = {};
  for (const spec of SERVER_KNOB_SPECS) {
    const v = knobs[spec.key];
    if (v !== undefined && !sameValue(v, DEFAULT_SERVER_KNOBS[spec.key])) out[spec.key] = v;
  }
  return out as Partial<ServerKnobs>;
}

export function clientDiff(knobs: Partial<ClientKnobs>): Partial<ClientKnobs> {
  const out: Record<string, unknown> = {};
  for (const spec of CLIENT_KNOB_SPECS) {
    const v = knobs[spec.key];
    if (v !== undefined && !sameValue(v, DEFAULT_CLIENT_KNOBS[spec.key])) out[spec.key] = v;
  }
  return out as Partial<ClientKnobs>;
}

/** The server knobs a world built from `overrides` runs with (the profile's defaults under the overrides). */
export function effectiveServerKnobs(overrides: Partial<ServerKnobs> | undefined): ServerKnobs {
  try {
    return resolveServerKnobs(getProfile(overrides?.profile ?? DEFAULT_SERVER_KNOBS.profile).knobDefaults, overrides);
  } catch {
    return resolveServerKnobs();
  }
}

export function effectiveClientKnobs(overrides: Partial<ClientKnobs> | undefined): ClientKnobs {
  try {
    return resolveClientKnobs(overrides);
  } catch {
    return resolveClientKnobs();
  }
}

/** How a value is shown next to "(secure default: ...)". */
export function describeValue(value: unknown): string {
  if (value === null) return 'omitted';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (Array.isArray(value)) return value.length ? value.join(' ') : '(none)';
  return String(value);
}
