/**
 * Command-line arguments of `npm run idp`. Named flags for the knobs a rehearsal needs most, and `--set
 * key=value` for any server knob. Bad input gets a message that names the flag and what it expects.
 */
import { parseArgs } from 'node:util';
import { IDP_PROFILES, SERVER_KNOB_SPECS, resolveServerKnobs, type ServerKnobs } from '../sim/knobs.ts';

export const DEFAULT_IDP_PORT = 8628;

export interface IdpArgs {
  port: number;
  knobs: Partial<ServerKnobs>;
  quiet: boolean;
  help: boolean;
}

export const USAGE = `Usage: npm run idp -- [options]

Serves the simulated identity provider on http://127.0.0.1:<port> (loopback only).

Options:
  --port <n>                     port to listen on (default ${DEFAULT_IDP_PORT}; 0 picks a free one)
  --profile <${IDP_PROFILES.join('|')}>  imitate a provider's documented quirks (default rfc)
  --interval <s|none>            polling interval sent to clients; none omits it (default 5)
  --code-lifetime <s>            device code and user code lifetime (default 600)
  --access-token-lifetime <s>    access token lifetime (default 900)
  --refresh-token-lifetime <s>   refresh token lifetime (default 14 days)
  --no-rotation                  do not rotate refresh tokens
  --no-slow-down                 do not enforce the polling interval
  --dpop                         require DPoP proofs from acme-cli and bind its tokens
  --set <knob>=<value>           set any server knob (repeatable), e.g. --set userCodeAttemptLimit=0
  --quiet                        do not log requests
  --help                         show this help

Knobs for --set: ${SERVER_KNOB_SPECS.map((s) => s.key).join(', ')}`;

export type ParseResult = { ok: true; args: IdpArgs } | { ok: false; message: string };

export function parseIdpArgs(argv: string[]): ParseResult {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        profile: { type: 'string' },
        interval: { type: 'string' },
        'code-lifetime': { type: 'string' },
        'access-token-lifetime': { type: 'string' },
        'refresh-token-lifetime': { type: 'string' },
        'no-rotation': { type: 'boolean' },
        'no-slow-down': { type: 'boolean' },
        dpop: { type: 'boolean' },
        set: { type: 'string', multiple: true },
        quiet: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    });
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
  const v = parsed.values;
  const knobs: Partial<ServerKnobs> = {};
  const int = (flag: string, raw: string | undefined, min: number, max: number): number | string | undefined => {
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw)) return `--${flag} expects a whole number, got "${raw}"`;
    const n = Number(raw);
    return n < min || n > max ? `--${flag} must be between ${min} and ${max}, got ${n}` : n;
  };
  const port = int('port', v.port, 0, 65535) ?? DEFAULT_IDP_PORT;
  if (typeof port === 'string') return { ok: false, message: port };
  if (v.profile !== undefined) {
    if (!(IDP_PROFILES as readonly string[]).includes(v.profile)) return { ok: false, message: `--profile must be one of ${IDP_PROFILES.join(', ')}, got "${v.profile}"` };
    knobs.profile = v.profile as ServerKnobs['profile'];
  }
  if (v.interval === 'none') knobs.intervalS = null;
  else {
    const interval = int('interval', v.interval, 1, 60);
    if (typeof interval === 'string') return { ok: false, message: interval };
    if (interval !== undefined) knobs.intervalS = interval;
  }
  for (const [flag, key, min, max] of [
    ['code-lifetime', 'codeLifetimeS', 1, 3600],
    ['access-token-lifetime', 'accessTokenLifetimeS', 1, 90 * 86400],
    ['refresh-token-lifetime', 'refreshTokenLifetimeS', 60, 365 * 86400],
  ] as const) {
    const n = int(flag, v[flag], min, max);
    if (typeof n === 'string') return { ok: false, message: n };
    if (n !== undefined) knobs[key] = n;
  }
  if (v['no-rotation']) knobs.rotateRefreshTokens = false;
  if (v['no-slow-down']) knobs.slowDownEnforcement = false;
  if (v.dpop) knobs.dpopRequired = true;
  for (const assignment of v.set ?? []) {
    const result = applySet(knobs, assignment);
    if (result) return { ok: false, message: result };
  }
  try {
    resolveServerKnobs(knobs);
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
  return { ok: true, args: { port, knobs, quiet: v.quiet === true, help: v.help === true } };
}

/** Apply `key=value` to knobs; returns an error message or undefined. */
function applySet(knobs: Partial<ServerKnobs>, assignment: string): string | undefined {
  const i = assignment.indexOf('=');
  if (i < 1) return `--set expects knob=value, got "${assignment}"`;
  const key = assignment.slice(0, i);
  const raw = assignment.slice(i + 1);
  const spec = SERVER_KNOB_SPECS.find((s) => s.key === key);
  if (!spec) return `--set: unknown knob "${key}"`;
  const target = knobs as Record<string, unknown>;
  switch (spec.kind) {
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') return `--set ${key} expects true or false, got "${raw}"`;
      target[key] = raw === 'true';
      return undefined;
    case 'integer':
      if (spec.nullable && raw === 'none') target[key] = null;
      else if (/^\d+$/.test(raw)) target[key] = Number(raw);
      else return `--set ${key} expects a whole number, got "${raw}"`;
      return undefined;
    case 'choice':
      target[key] = raw;
      return undefined;
    case 'scopes':
      target[key] = raw.split(/[\s,]+/).filter(Boolean);
      return undefined;
  }
}
