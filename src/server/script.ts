/**
 * Scripted outcomes for the rehearsal server (`--script`, `--script-file`): what the token endpoint answers to
 * successive polls of each new device code. Parsing only (pure); `scriptedPolls.ts` applies the steps.
 *
 *   pending                      the real handler answers (authorization_pending while nobody decides)
 *   slow_down                    the next answer is slow_down, and the code's interval grows by 5 s
 *   approve[:<user>[:<scope ...>]] the user approves (all requested scopes, or the listed ones)
 *   deny                         the user denies (access_denied)
 *   expire                       the code's lifetime ends now (expired_token)
 *   error:<5xx>                  a 5xx with an RFC 6749 error body; the poll never reaches the handler
 *   hang:<seconds>               the poll is handled now but the answer is held back that long
 *   reset                        the connection is dropped without an answer
 *
 * The last step repeats when the list runs out.
 */
import { parse as parseYaml } from 'yaml';

export type ScriptStep =
  | { kind: 'pending' }
  | { kind: 'slow_down' }
  | { kind: 'approve'; user?: string; scope?: string[] }
  | { kind: 'deny' }
  | { kind: 'expire' }
  | { kind: 'error'; status: number }
  | { kind: 'hang'; seconds: number }
  | { kind: 'reset' };

export type Script = readonly ScriptStep[];

/** Longest `hang:<seconds>`: long enough for any client timeout, short enough not to wedge a CI job. */
export const MAX_HANG_S = 300;

export const STEP_SYNTAX = 'pending, slow_down, approve[:<user>[:<scope ...>]], deny, expire, error:<500-599>, hang:<seconds>, reset';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** One step, e.g. `approve:bob:profile`. `users` are the people who may approve or deny. */
export function parseStep(text: string, users: readonly string[]): Parsed<ScriptStep> {
  const raw = text.trim();
  const [name = '', ...rest] = raw.split(':');
  const bad = (why: string): Parsed<ScriptStep> => ({ ok: false, message: `step "${raw}": ${why}` });
  const noArgument = (kind: 'pending' | 'slow_down' | 'deny' | 'expire' | 'reset'): Parsed<ScriptStep> =>
    rest.length ? bad(`${kind} takes no argument`) : { ok: true, value: { kind } };
  switch (name) {
    case 'pending':
    case 'slow_down':
    case 'deny':
    case 'expire':
    case 'reset':
      return noArgument(name);
    case 'approve': {
      // Scopes may contain colons themselves (projects:read): everything after the user is the scope list.
      const [user, ...scopeParts] = rest;
      const scopeText = scopeParts.length ? scopeParts.join(':') : undefined;
      if (user !== undefined && !users.includes(user)) return bad(`unknown user "${user}" (one of ${users.join(', ')})`);
      const scope = scopeText?.split(/\s+/).filter(Boolean);
      if (scopeText !== undefined && !scope?.length) return bad('the scope list after the user is empty');
      return { ok: true, value: { kind: 'approve', ...(user ? { user } : {}), ...(scope ? { scope } : {}) } };
    }
    case 'error': {
      const status = rest.length === 1 && /^\d{3}$/.test(rest[0]!) ? Number(rest[0]) : NaN;
      if (!(status >= 500 && status <= 599)) return bad('expected error:<http status> with a status from 500 to 599');
      return { ok: true, value: { kind: 'error', status } };
    }
    case 'hang': {
      const seconds = rest.length === 1 && /^\d+(\.\d+)?$/.test(rest[0]!) ? Number(rest[0]) : NaN;
      if (!(seconds > 0 && seconds <= MAX_HANG_S)) return bad(`expected hang:<seconds> with more than 0 and at most ${MAX_HANG_S} seconds`);
      return { ok: true, value: { kind: 'hang', seconds } };
    }
    default:
      return bad(`unknown step (steps: ${STEP_SYNTAX})`);
  }
}

/** A comma-separated list of steps (`--script pending,slow_down,approve`), or a list of step strings. */
export function parseScript(input: string | readonly unknown[], users: readonly string[]): Parsed<Script> {
  const items = typeof input === 'string' ? input.split(',') : input;
  if (items.length === 0 || (typeof input === 'string' && input.trim() === '')) return { ok: false, message: 'the step list is empty' };
  const steps: ScriptStep[] = [];
  for (const item of items) {
    if (typeof item !== 'string') return { ok: false, message: `a step must be a string, got ${JSON.stringify(item)}` };
    const step = parseStep(item, users);
    if (!step.ok) return step;
    steps.push(step.value);
  }
  return { ok: true, value: steps };
}

/**
 * A script file: JSON or YAML (YAML reads JSON too), a step list per client id, each a list of steps or one
 * comma-separated string:
 *
 *   acme-cli: [pending, slow_down, approve]
 *   my-cli: "pending,approve:bob:profile"
 */
export function parseScriptFile(text: string, users: readonly string[]): Parsed<Map<string, Script>> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    return { ok: false, message: `not valid JSON or YAML: ${(e as Error).message.split('\n')[0]}` };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return { ok: false, message: 'expected a mapping from client id to a step list, e.g. {"acme-cli": ["pending", "approve"]}' };
  }
  const scripts = new Map<string, Script>();
  for (const [clientId, steps] of Object.entries(doc)) {
    if (typeof steps !== 'string' && !Array.isArray(steps)) return { ok: false, message: `client "${clientId}": expected a list of steps` };
    const parsed = parseScript(steps as string | unknown[], users);
    if (!parsed.ok) return { ok: false, message: `client "${clientId}": ${parsed.message}` };
    scripts.set(clientId, parsed.value);
  }
  if (scripts.size === 0) return { ok: false, message: 'the file names no client' };
  return { ok: true, value: scripts };
}

/** The step for the n-th poll (0-based): the last step repeats. */
export function stepAt(script: Script, index: number): ScriptStep {
  return script[Math.min(index, script.length - 1)]!;
}

/** How a step reads in logs and evidence, e.g. `approve:bob`. */
export function formatStep(step: ScriptStep): string {
  switch (step.kind) {
    case 'approve':
      return ['approve', step.user ?? (step.scope ? 'alice' : undefined), step.scope?.join(' ')].filter(Boolean).join(':');
    case 'error':
      return `error:${step.status}`;
    case 'hang':
      return `hang:${step.seconds}`;
    default:
      return step.kind;
  }
}
