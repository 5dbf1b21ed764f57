/**
 * The knob spec kit, one for both sides: the server's knobs (src/sim/knobs.ts) and the CLI's
 * (src/flow/knobs.ts) are misconfiguration as data, one spec per knob (the sandbox draws its control from the
 * spec's kind) and one check of a value against its spec.
 */

/** The kinds of knob and what each accepts. */
export type KnobKind =
  | { kind: 'boolean' }
  | { kind: 'choice'; choices: readonly string[] }
  /** A whole number from `min` to `max`; `null` too when `nullable` (the knob is then omitted). */
  | { kind: 'integer'; min: number; max: number; nullable?: boolean; unit?: string }
  /** `'server'` (honour the server's interval) or a whole number of seconds from `min` to `max`. */
  | { kind: 'interval'; min: number; max: number; unit: 's' }
  /** A list of scope tokens (RFC 6749 §3.3). */
  | { kind: 'scopes' };

/** One knob of `Knobs`: its key, its text in the sandbox, and the kind of value it takes (`Kind`). */
export type KnobSpecOf<Knobs, K extends keyof Knobs, Kind extends KnobKind, Extra = unknown> = {
  key: K;
  label: string;
  description: string;
  /** What goes wrong when it is set insecurely, with the failure mode (F) / guidance (G) it teaches. */
  risk: string;
} & Extra &
  Kind;

/** What a value must be to fit its spec (`true or false`, `one of a, b`, ...), or undefined when it fits. */
export function knobRequirement(spec: KnobKind, value: unknown): string | undefined {
  switch (spec.kind) {
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'true or false';
    case 'choice':
      return typeof value === 'string' && spec.choices.includes(value) ? undefined : `one of ${spec.choices.join(', ')}`;
    case 'integer':
      if (value === null && spec.nullable) return undefined;
      if (typeof value !== 'number' || !Number.isInteger(value)) return 'a whole number';
      return value < spec.min || value > spec.max ? `between ${spec.min} and ${spec.max}` : undefined;
    case 'interval':
      if (value === 'server') return undefined;
      return typeof value === 'number' && Number.isInteger(value) && value >= spec.min && value <= spec.max
        ? undefined
        : `'server' or a whole number of seconds from ${spec.min} to ${spec.max}`;
    case 'scopes':
      return Array.isArray(value) && value.every((s) => typeof s === 'string' && /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s))
        ? undefined
        : 'a list of scope tokens (RFC 6749 §3.3)';
  }
}
