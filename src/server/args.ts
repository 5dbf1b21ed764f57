/**
 * Command-line arguments of `device-flow-lab-idp` (`npm run idp` from a clone). Named flags for what a
 * rehearsal needs most, and `--set key=value` for any server knob. Bad input gets a message that names the flag
 * and what it expects (the entry point exits 2 with it).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { IDP_PROFILES, SERVER_KNOB_SPECS, resolveServerKnobs, type ServerKnobs } from '../sim/knobs.ts';
import { defaultRegistry } from '../sim/registry.ts';
import { STEP_SYNTAX, parseScript, parseScriptFile, type Script } from './script.ts';

export const DEFAULT_IDP_PORT = 8628;
export const DEFAULT_IDP_HOST = '127.0.0.1';
/** After the last of `--exit-after` flows has ended, wait this long with no request before exiting (logout). */
export const DEFAULT_EXIT_GRACE_S = 2;
export const BIN_NAME = 'device-flow-lab-idp';

/** A client registered with `--client`: public without a secret, confidential with one. */
export interface ExtraClient {
  clientId: string;
  clientSecret?: string;
}

export interface IdpArgs {
  port: number;
  host: string;
  /** The issuer clients see, when it is not http://<host>:<port> (behind a proxy, in a container). */
  issuer?: string;
  knobs: Partial<ServerKnobs>;
  clients: ExtraClient[];
  /** Scopes the team's API uses (added to the API and made the default scope). */
  scopes?: string[];
  /** `--script`: the steps for every client without its own in `scripts`. */
  script?: Script;
  /** `--script-file`: steps per client id. */
  scripts: Map<string, Script>;
  autoApproveS?: number;
  exitAfter?: number;
  exitGraceS: number;
  quiet: boolean;
  help: boolean;
}

const USERS = defaultRegistry().users.map((u) => u.id);

export const USAGE = `Usage: ${BIN_NAME} [options]      (from a clone of the repository: npm run idp -- [options])

A rehearsal identity provider for device-flow CLIs (RFC 8628): the Device Flow Lab's simulated
authorization server and API over HTTP, with scripted outcomes and a report card of what the client did.
Simulated people only (${USERS.join(', ')}); not a real identity provider.

Server:
  --port <n>                 port to listen on (default ${DEFAULT_IDP_PORT}; 0 picks a free one)
                               e.g. --port 9000
  --host <address>           address to listen on (default ${DEFAULT_IDP_HOST}); anything but loopback warns
                               e.g. --host 0.0.0.0 --issuer http://idp:8628   (in a container)
  --issuer <url>             the issuer clients see, when not http://<host>:<port> (a proxy, a container)
                               e.g. --issuer https://idp.test.internal
  --quiet                    do not log requests
  --help                     show this help

Clients and scopes:
  --client <id>              register a public client (repeatable; acme-cli is always there)
                               e.g. --client my-cli
  --client <id>:<secret>     register a confidential client (client_secret_basic or client_secret_post)
                               e.g. --client my-ci:s3cret
  --scopes "<scope ...>"     the scopes your API uses (space-separated); they become the default scope
                               e.g. --scopes "repo read:org"

Outcomes (without these a person decides each code, in a browser or with /control/*):
  --script <steps>           what successive polls of each new code get, comma-separated; the last repeats
                               steps: ${STEP_SYNTAX}
                               e.g. --script pending,slow_down,approve:bob
  --script-file <path>       the same as JSON or YAML, a step list per client id
                               e.g. --script-file outcomes.yaml   (my-cli: [pending, deny])
  --auto-approve <seconds>   approve each code as alice that long after it was issued
                               e.g. --auto-approve 2

Report card:
  --exit-after <n>           after n device logins have ended (and ${DEFAULT_EXIT_GRACE_S} s without requests, for logout;
                               at most 30 s), print the report cards and exit: 1 if a MUST-level check failed, else 0
                               e.g. --exit-after 1
  --exit-grace <seconds>     the quiet time --exit-after waits for (default ${DEFAULT_EXIT_GRACE_S})
                               e.g. --exit-grace 5
                             GET /control/report (JSON) or /control/report?format=text shows the cards any time.

Server knobs:
  --profile <${IDP_PROFILES.join('|')}>  imitate a provider's documented quirks (default rfc)
                               e.g. --profile github
  --interval <s|none>        polling interval sent to clients; none omits it (default 5)
                               e.g. --interval 1
  --code-lifetime <s>        device code and user code lifetime (default 600)
                               e.g. --code-lifetime 30
  --access-token-lifetime <s>   access token lifetime (default 900)
                               e.g. --access-token-lifetime 60
  --refresh-token-lifetime <s>  refresh token lifetime (default 14 days)
                               e.g. --refresh-token-lifetime 3600
  --no-rotation              do not rotate refresh tokens
  --no-slow-down             do not enforce the polling interval
  --dpop                     require DPoP proofs from public clients and bind their tokens
  --set <knob>=<value>       set any server knob (repeatable)
                               e.g. --set pollLeewayMs=100 --set userCodeAttemptLimit=0

Knobs for --set: ${SERVER_KNOB_SPECS.map((s) => s.key).join(', ')}

Exit status: 0, or 1 when --exit-after finds a MUST-level failure; 2 for a bad flag or value.`;

export type ParseResult = { ok: true; args: IdpArgs } | { ok: false; message: string };

export interface ParseOptions {
  /** Reads `--script-file` (tests pass their own). */
  readFile?: (path: string) => string;
}

export function parseIdpArgs(argv: string[], opts: ParseOptions = {}): ParseResult {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        issuer: { type: 'string' },
        client: { type: 'string', multiple: true },
        scopes: { type: 'string' },
        script: { type: 'string' },
        'script-file': { type: 'string' },
        'auto-approve': { type: 'string' },
        'exit-after': { type: 'string' },
        'exit-grace': { type: 'string' },
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
  const fail = (message: string): ParseResult => ({ ok: false, message });
  const int = (flag: string, raw: string | undefined, min: number, max: number): number | string | undefined => {
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw)) return `--${flag} expects a whole number, got "${raw}"`;
    const n = Number(raw);
    return n < min || n > max ? `--${flag} must be between ${min} and ${max}, got ${n}` : n;
  };
  const seconds = (flag: string, raw: string | undefined, min: number, max: number): number | string | undefined => {
    if (raw === undefined) return undefined;
    if (!/^\d+(\.\d+)?$/.test(raw)) return `--${flag} expects a number of seconds, got "${raw}"`;
    const n = Number(raw);
    return n < min || n > max ? `--${flag} must be between ${min} and ${max} seconds, got ${n}` : n;
  };
  const port = int('port', v.port, 0, 65535) ?? DEFAULT_IDP_PORT;
  if (typeof port === 'string') return fail(port);

  const host = v.host ?? DEFAULT_IDP_HOST;
  if (!isIP(host) && !/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(host)) {
    return fail(`--host expects an IP address or a host name, got "${host}"`);
  }
  let issuer: string | undefined;
  if (v.issuer !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(v.issuer);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return fail(`--issuer expects an http or https URL, got "${v.issuer}"`);
    if (url.search || url.hash || url.username || url.password) return fail(`--issuer must not have a query, a fragment or credentials, got "${v.issuer}"`);
    issuer = url.href.replace(/\/+$/, '');
  }

  const clients: ExtraClient[] = [];
  for (const spec of v.client ?? []) {
    const i = spec.indexOf(':');
    const clientId = i < 0 ? spec : spec.slice(0, i);
    const clientSecret = i < 0 ? undefined : spec.slice(i + 1);
    if (!/^[\x21-\x7e]{1,128}$/.test(clientId)) return fail(`--client expects <id> or <id>:<secret> (printable, no spaces), got "${spec}"`);
    if (clientSecret !== undefined && !/^[\x20-\x7e]{1,256}$/.test(clientSecret)) return fail(`--client ${clientId}: the secret after ":" must be printable and not empty`);
    if (clients.some((c) => c.clientId === clientId)) return fail(`--client ${clientId} is given twice`);
    clients.push({ clientId, ...(clientSecret !== undefined ? { clientSecret } : {}) });
  }

  let scopes: string[] | undefined;
  if (v.scopes !== undefined) {
    scopes = [...new Set(v.scopes.split(/\s+/).filter(Boolean))];
    // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
    const bad = scopes.find((s) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s));
    if (scopes.length === 0) return fail('--scopes expects a space-separated list of scopes, got an empty one');
    if (bad !== undefined) return fail(`--scopes: "${bad}" is not a valid scope (RFC 6749 §3.3: printable, no quotes or backslashes)`);
  }

  let script: Script | undefined;
  if (v.script !== undefined) {
    const r = parseScript(v.script, USERS);
    if (!r.ok) return fail(`--script: ${r.message}`);
    script = r.value;
  }
  let scripts = new Map<string, Script>();
  if (v['script-file'] !== undefined) {
    const path = v['script-file'];
    let text: string;
    try {
      text = (opts.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(path);
    } catch (e) {
      return fail(`--script-file ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    const r = parseScriptFile(text, USERS);
    if (!r.ok) return fail(`--script-file ${path}: ${r.message}`);
    scripts = r.value;
    const known = new Set([...defaultRegistry().clients.map((c) => c.clientId), ...clients.map((c) => c.clientId)]);
    const unknown = [...scripts.keys()].find((id) => !known.has(id));
    if (unknown !== undefined) return fail(`--script-file ${path}: client "${unknown}" is not registered; add --client ${unknown} (or --client ${unknown}:<secret>)`);
  }
  const autoApproveS = seconds('auto-approve', v['auto-approve'], 0, 3600);
  if (typeof autoApproveS === 'string') return fail(autoApproveS);
  if (autoApproveS !== undefined && script !== undefined) {
    return fail('--auto-approve cannot be combined with --script (the script decides every code; add approve to it)');
  }
  const exitAfter = int('exit-after', v['exit-after'], 1, 1000);
  if (typeof exitAfter === 'string') return fail(exitAfter);
  const exitGraceS = seconds('exit-grace', v['exit-grace'], 0, 600) ?? DEFAULT_EXIT_GRACE_S;
  if (typeof exitGraceS === 'string') return fail(exitGraceS);

  if (v.profile !== undefined) {
    if (!(IDP_PROFILES as readonly string[]).includes(v.profile)) return fail(`--profile must be one of ${IDP_PROFILES.join(', ')}, got "${v.profile}"`);
    knobs.profile = v.profile as ServerKnobs['profile'];
  }
  if (v.interval === 'none') knobs.intervalS = null;
  else {
    const interval = int('interval', v.interval, 1, 60);
    if (typeof interval === 'string') return fail(interval);
    if (interval !== undefined) knobs.intervalS = interval;
  }
  for (const [flag, key, min, max] of [
    ['code-lifetime', 'codeLifetimeS', 1, 3600],
    ['access-token-lifetime', 'accessTokenLifetimeS', 1, 90 * 86400],
    ['refresh-token-lifetime', 'refreshTokenLifetimeS', 60, 365 * 86400],
  ] as const) {
    const n = int(flag, v[flag], min, max);
    if (typeof n === 'string') return fail(n);
    if (n !== undefined) knobs[key] = n;
  }
  if (v['no-rotation']) knobs.rotateRefreshTokens = false;
  if (v['no-slow-down']) knobs.slowDownEnforcement = false;
  if (v.dpop) knobs.dpopRequired = true;
  for (const assignment of v.set ?? []) {
    const result = applySet(knobs, assignment);
    if (result) return fail(result);
  }
  try {
    resolveServerKnobs(knobs);
  } catch (e) {
    return fail((e as Error).message);
  }
  return {
    ok: true,
    args: {
      port, host, ...(issuer ? { issuer } : {}), knobs, clients, ...(scopes ? { scopes } : {}), ...(script ? { script } : {}), scripts,
      ...(autoApproveS !== undefined ? { autoApproveS } : {}), ...(exitAfter !== undefined ? { exitAfter } : {}), exitGraceS,
      quiet: v.quiet === true, help: v.help === true,
    },
  };
}

/** Is this listen address reachable only from this machine? */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
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
