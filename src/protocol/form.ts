/**
 * application/x-www-form-urlencoded bodies as OAuth uses them (RFC 6749 §3.1, §3.2, Appendix B;
 * RFC 8628 §3.1): UTF-8, every parameter at most once, and a parameter sent without a value treated as
 * omitted.
 */

/** A parsed form: present, non-empty parameters only. */
export type FormParams = ReadonlyMap<string, string>;

export type FormParseResult =
  | { ok: true; params: FormParams }
  | { ok: false; repeated: string };

/**
 * Parse a form body strictly. Parameters sent without a value are dropped (RFC 8628 §3.1: "treated as if
 * they were omitted"); a parameter that appears more than once (with a value or without) is reported in
 * `repeated` (RFC 8628 §3.1, RFC 6749 §3.2: "MUST NOT be included more than once").
 */
export function parseForm(body: string): FormParseResult {
  const seen = new Set<string>();
  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(body)) {
    if (seen.has(name)) return { ok: false, repeated: name };
    seen.add(name);
    if (value !== '') params.set(name, value);
  }
  return { ok: true, params };
}

/**
 * Encode parameters as a form body. `undefined` values are left out, so a request builder can never send an
 * empty or repeated key.
 */
export function encodeForm(params: Readonly<Record<string, string | undefined>>): string {
  const out = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) out.set(name, value);
  return out.toString();
}
