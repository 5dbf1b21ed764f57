/**
 * `device-flow-lab`: the lab's CLI machine (src/flow) as a real tool, with the real clock and the real fetch,
 * against any identity provider. Sub-commands: `login`, `refresh`, `logout` and `grade-idp`.
 *
 * Everything the login does is the machine's: discovery (RFC 8414, then OpenID discovery), the device
 * authorization request, polling by its rules (interval, slow_down, back-off, the code's deadline), token
 * validation, storage and revocation. This file only parses arguments, builds the machine's input, prints what
 * it emits, and maps where it comes to rest to an exit status: 0 done, 1 the login or command did not succeed,
 * 2 bad input (with one line saying why), 130 cancelled with Ctrl+C.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { decodeJwt } from 'jose';
import { renderUnicodeCompact } from 'uqr';
import { runCli, type CliRunner } from '../flow/run.ts';
import type { FetchFn } from '../flow/http.ts';
import { storagePlan, loadRecord } from '../flow/storage.ts';
import { neutralizeControls } from '../flow/redact.ts';
import { formatDuration } from '../flow/messages.ts';
import type { CliEmitted, CliInput } from '../flow/types.ts';
import type { TokenRecord } from '../flow/ports.ts';
import type { ClientKnobs } from '../flow/knobs.ts';
import { deviceCodeGrantRequest, isLoopbackHttp, type AuthorizationServerMetadata } from '../protocol/client.ts';
import { DEVICE_CODE_GRANT_TYPE } from '../protocol/constants.ts';
import type { WorldClock } from '../sim/clock.ts';
import { explainExchange } from '../world/explain.ts';
import { formatReport, gradeExchanges, type GradeReport } from './grade.ts';
import { Recorder, asWireExchange, type Recorded } from './recorder.ts';
import { NodeStorageHost, type KeychainBackend } from './store.ts';

export const CLI_NAME = 'device-flow-lab';
/** Read when `--client-secret` is not given: a secret on the command line is visible in `ps` and shell history. */
export const CLIENT_SECRET_ENV = 'DEVICE_FLOW_LAB_CLIENT_SECRET';

export interface CliIo {
  stdout: { write(text: string): void; isTTY?: boolean };
  stderr: { write(text: string): void };
  env: Readonly<Record<string, string | undefined>>;
  fetch: FetchFn;
  clock: WorldClock;
  homeDir: string;
  /** The OS keychain, or undefined when this host has none (then a 0600 file, with a warning). */
  keychain: KeychainBackend | undefined;
  /** Register a Ctrl+C handler; returns a function that removes it. */
  onInterrupt(handler: () => void): () => void;
}

export const USAGE = `Usage: ${CLI_NAME} <command> [options]

A device login (RFC 8628) against any identity provider, run by the Device Flow Lab's CLI machine.

Commands:
  login       log in: show the code, wait for approval, keep the session
  refresh     trade the stored refresh token for new tokens (RFC 6749 §6)
  logout      revoke the stored tokens (RFC 7009) when the provider can, then delete them
  grade-idp   log in, refresh and log out, recording every exchange, then grade the provider

Options:
  --issuer <url>              the identity provider (its RFC 8414 or OpenID metadata is read)
  --client-id <id>            the client registered for the device flow (refresh/logout: the stored one)
  --client-secret <s>         for a confidential client (or ${CLIENT_SECRET_ENV}; argv is visible in ps)
  --scope "<a b c>"           scopes to ask for (space-separated; none by default)
  --dpop                      bind the tokens to a key of this process (RFC 9449); nothing is stored
  --device-endpoint <url>     with --token-endpoint: for a provider that publishes no metadata (GitHub)
  --token-endpoint <url>
  --revocation-endpoint <url> optional, with the two above
  --explain                   print the simulator's explanation card for each step as it happens
  --show-token                also print the access token (it is never shown otherwise)
  --no-store                  keep nothing on disk or in the keychain
  --insecure                  allow http:// to a host that is not loopback (RFC 8628 §3.1 requires TLS)
  --probe-slow-down           grade-idp: send one poll early on purpose, to see whether slow_down comes
  --json                      grade-idp: print the report as JSON
  --debug                     print every request and response line (secrets redacted)
  -h, --help                  this help

Sessions are kept in the OS keychain (macOS security, Linux secret-tool) when there is one, otherwise in
~/.config/${CLI_NAME}/credentials.json with mode 0600 (with a warning).
Exit status: 0 done; 1 not logged in, denied, expired or failed; 2 bad input; 130 cancelled (Ctrl+C).
`;

const OPTIONS = {
  issuer: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  scope: { type: 'string' },
  dpop: { type: 'boolean' },
  'device-endpoint': { type: 'string' },
  'token-endpoint': { type: 'string' },
  'revocation-endpoint': { type: 'string' },
  explain: { type: 'boolean' },
  'show-token': { type: 'boolean' },
  'no-store': { type: 'boolean' },
  insecure: { type: 'boolean' },
  'probe-slow-down': { type: 'boolean' },
  json: { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const COMMANDS = ['login', 'refresh', 'logout', 'grade-idp'] as const;
type Command = (typeof COMMANDS)[number];

/** Bad input: one line, exit status 2. */
class UsageError extends Error {}

interface Settings {
  command: Command;
  issuer: string;
  clientId: string | undefined;
  clientSecret: string | undefined;
  scopes: string[] | undefined;
  dpop: boolean;
  metadata: AuthorizationServerMetadata | undefined;
  explain: boolean;
  showToken: boolean;
  noStore: boolean;
  insecure: boolean;
  probeSlowDown: boolean;
  json: boolean;
  debug: boolean;
}

/**
 * RFC 8628 §3.1: every request from the device uses TLS. Plain http is allowed to loopback (a local identity
 * provider, as `npm run idp`), and elsewhere only with `--insecure`.
 */
function checkUrl(flag: string, value: string, insecure: boolean): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--${flag}: ${JSON.stringify(value)} is not an absolute URL`);
  }
  if (url.protocol === 'https:' || isLoopbackHttp(url) || (url.protocol === 'http:' && insecure)) return url;
  if (url.protocol === 'http:') {
    throw new UsageError(`--${flag}: refusing ${value}: RFC 8628 §3.1 requires TLS for every request from the device, and over http the device code and tokens cross the network readable by anyone on the path (use https, or --insecure to proceed anyway)`);
  }
  throw new UsageError(`--${flag}: ${JSON.stringify(value)} must be an https URL`);
}

export function parseCommandLine(argv: readonly string[], env: CliIo['env']): Settings | 'help' | 'usage' {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/\. To specify a positional.*$/, ''));
  }
  const { values: v, positionals } = parsed;
  if (v.help) return 'help';
  if (positionals.length === 0) return 'usage';
  const command = positionals[0]!;
  if (!(COMMANDS as readonly string[]).includes(command)) throw new UsageError(`unknown command ${JSON.stringify(command)} (one of ${COMMANDS.join(', ')})`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
  const insecure = v.insecure === true;
  const device = v['device-endpoint'];
  const token = v['token-endpoint'];
  if ((device === undefined) !== (token === undefined)) throw new UsageError('--device-endpoint and --token-endpoint go together');
  if (v['revocation-endpoint'] !== undefined && device === undefined) throw new UsageError('--revocation-endpoint needs --device-endpoint and --token-endpoint');
  let issuerValue = v.issuer;
  if (issuerValue === undefined && device !== undefined) issuerValue = new URL(checkUrl('device-endpoint', device, insecure).origin).href.replace(/\/$/, '');
  if (issuerValue === undefined) throw new UsageError('--issuer <url> is required (or --device-endpoint and --token-endpoint)');
  checkUrl('issuer', issuerValue, insecure);
  let metadata: AuthorizationServerMetadata | undefined;
  if (device !== undefined && token !== undefined) {
    metadata = {
      issuer: issuerValue,
      device_authorization_endpoint: checkUrl('device-endpoint', device, insecure).href,
      token_endpoint: checkUrl('token-endpoint', token, insecure).href,
    };
    const revocation = v['revocation-endpoint'];
    if (revocation !== undefined) metadata.revocation_endpoint = checkUrl('revocation-endpoint', revocation, insecure).href;
  }
  const clientId = v['client-id'];
  if (clientId === '') throw new UsageError('--client-id must not be empty');
  if ((command === 'login' || command === 'grade-idp') && clientId === undefined) throw new UsageError(`--client-id <id> is required for ${command}`);
  if (v['probe-slow-down'] && command !== 'grade-idp') throw new UsageError('--probe-slow-down is for grade-idp');
  if (v.json && command !== 'grade-idp') throw new UsageError('--json is for grade-idp');
  const scopes = v.scope === undefined ? undefined : v.scope.split(/[\s,]+/).filter(Boolean);
  return {
    command: command as Command,
    issuer: issuerValue,
    clientId,
    clientSecret: v['client-secret'] ?? (env[CLIENT_SECRET_ENV] || undefined),
    scopes,
    dpop: v.dpop === true,
    metadata,
    explain: v.explain === true,
    showToken: v['show-token'] === true,
    noStore: v['no-store'] === true,
    insecure,
    probeSlowDown: v['probe-slow-down'] === true,
    json: v.json === true,
    debug: v.debug === true,
  };
}

/** Run one command; resolves with the exit status. Never throws. */
export async function runMain(argv: readonly string[], io: CliIo): Promise<number> {
  const fail = (message: string) => {
    io.stderr.write(`${CLI_NAME}: ${neutralizeControls(message)}\n`);
    return 2;
  };
  let settings: Settings | 'help' | 'usage';
  try {
    settings = parseCommandLine(argv, io.env);
  } catch (err) {
    if (err instanceof UsageError) return fail(`${err.message}\nRun \`${CLI_NAME} --help\` for the options.`);
    return fail(err instanceof Error ? err.message : String(err));
  }
  if (settings === 'help') {
    io.stdout.write(USAGE);
    return 0;
  }
  if (settings === 'usage') {
    io.stderr.write(USAGE);
    return 2;
  }
  try {
    return await execute(settings, io);
  } catch (err) {
    io.stderr.write(`${CLI_NAME}: ${neutralizeControls(err instanceof Error ? err.message : String(err))}\n`);
    return 1;
  }
}

async function execute(s: Settings, io: CliIo): Promise<number> {
  const out = (text: string) => io.stdout.write(`${text}\n`);
  const err = (text: string) => io.stderr.write(`${text}\n`);
  const grading = s.command === 'grade-idp';
  if (s.insecure && !isLoopbackHttp(new URL(s.issuer)) && new URL(s.issuer).protocol === 'http:') {
    err('warning: --insecure: plain http to a remote host; the device code and tokens cross the network readable (RFC 8628 §3.1).');
  }

  // Storage: the keychain, else a 0600 file with the machine's printed warning; nothing with --no-store, --dpop
  // (a DPoP-bound session is useless without this process's key) or grade-idp (a throwaway session, revoked).
  const storage = new NodeStorageHost(s.issuer, io.homeDir, io.keychain);
  const storageKind: ClientKnobs['storage'] = s.noStore || s.dpop || grading ? 'memory' : 'keychain-or-plaintext';
  let clientId = s.clientId;
  if (clientId === undefined) {
    const stored = await loadRecord(storage, storagePlan(storageKind, s.issuer, CLI_NAME)).catch(() => undefined);
    if (!stored) {
      err(`Not logged in to ${s.issuer}. Run \`${CLI_NAME} login --issuer ${s.issuer} --client-id <id>\` first.`);
      return 1;
    }
    clientId = stored.clientId;
  }

  if (s.dpop && s.command === 'login') {
    out('DPoP (RFC 9449): the tokens are bound to a key that lives only in this process, so nothing is kept after it ends.');
  }

  // Every exchange is recorded: grade-idp grades them, --explain prints their cards.
  let probe: Promise<unknown> | undefined;
  const recorder: Recorder = new Recorder(io.fetch, () => io.clock.now(), (x) => {
    if (s.explain) printCard(x, out);
    if (grading && s.probeSlowDown && !probe && isPendingPoll(x)) probe = sendEarlyPoll(recorder, x, clientId!, s.clientSecret).catch(() => undefined);
  });
  if (s.metadata) recorder.endpoints = { ...s.metadata };

  const knobs: Partial<ClientKnobs> = { allowInsecureLoopback: true, storage: storageKind, dpop: s.dpop, debug: s.debug ? 'requests' : 'off', redaction: true };
  const input: CliInput = {
    fetch: recorder.fetch,
    clock: io.clock,
    issuer: s.issuer,
    clientId,
    cliName: CLI_NAME,
    apiBaseUrl: s.issuer,
    storage,
    knobs,
    loginScopes: s.scopes ?? [],
    ...(s.clientSecret ? { clientSecret: s.clientSecret } : {}),
    ...(s.metadata ? { metadata: s.metadata } : {}),
    ...(s.insecure ? { allowInsecureHttp: true } : {}),
  };

  let errors = 0;
  const cli = runCli({ input, onEmit: (e) => show(e) });
  function show(e: CliEmitted): void {
    if (e.type === 'cli.output') {
      if (e.style === 'error') {
        errors++;
        err(e.text);
      } else out(e.text);
    } else if (e.type === 'cli.qr' && io.stdout.isTTY) {
      out(renderUnicodeCompact(e.uri, { border: 1 }));
      out(`Or open ${neutralizeControls(e.uri)} (the code is filled in).`);
    } else if (e.type === 'cli.debug' && s.debug) {
      err(`debug: ${e.text}`);
    }
  }

  // Ctrl+C: the machine's own cancel while signing in; otherwise stop where it is.
  let interrupted = false;
  const stopInterrupt = io.onInterrupt(() => {
    interrupted = true;
    if (cli.state().startsWith('signingIn')) cli.send({ type: 'user.cancel' });
    else cli.stop();
  });

  try {
    await cli.whenAtRest();
    switch (s.command) {
      case 'login':
        return await login(cli, s, out, () => interrupted);
      case 'refresh':
        return await refresh(cli, s, out, () => interrupted);
      case 'logout': {
        cli.send({ type: 'user.logout' });
        const state = await cli.whenAtRest();
        if (interrupted) return 130;
        return state === 'loggedOut' && errors === 0 ? 0 : 1;
      }
      case 'grade-idp':
        return await grade(cli, s, recorder, out, () => interrupted, () => probe);
    }
  } catch (e) {
    if (interrupted) return 130;
    throw e;
  } finally {
    stopInterrupt();
    cli.stop();
  }
}

type Print = (text: string) => void;

async function login(cli: CliRunner, s: Settings, out: Print, interrupted: () => boolean): Promise<number> {
  const before = cli.state();
  cli.send({ type: 'user.login' });
  const state = await cli.whenAtRest();
  if (interrupted() || state === 'cancelled') return 130;
  if (before === 'authenticated.ready') return 1; // "Already logged in": the machine said so.
  if (state !== 'authenticated.ready') return outcomeStatus(cli, state);
  printSession(cli.actor.getSnapshot().context.session!, s, out, cli.actor.getSnapshot().context.clock.now());
  return 0;
}

async function refresh(cli: CliRunner, s: Settings, out: Print, interrupted: () => boolean): Promise<number> {
  const before = cli.actor.getSnapshot().context.session;
  cli.send({ type: 'user.refresh' });
  const state = await cli.whenAtRest();
  if (interrupted()) return 130;
  const after = cli.actor.getSnapshot().context.session;
  if (state !== 'authenticated.ready' || !before || !after || after.accessToken === before.accessToken) return 1;
  out('✓ Refreshed.');
  printSession(after, s, out, cli.actor.getSnapshot().context.clock.now());
  return 0;
}

async function grade(cli: CliRunner, s: Settings, recorder: Recorder, out: Print, interrupted: () => boolean, probe: () => Promise<unknown> | undefined): Promise<number> {
  cli.send({ type: 'user.login' });
  let state = await cli.whenAtRest();
  if (interrupted() || state === 'cancelled') return 130;
  const loggedIn = state === 'authenticated.ready';
  if (state === 'failed' && !cli.actor.getSnapshot().context.device && !recorder.log.some((x) => x.role === 'device_authorization' && x.response?.status === 200)) {
    return 2;
  }
  if (state === 'authenticated.ready') {
    const session = cli.actor.getSnapshot().context.session!;
    printSession(session, { ...s, showToken: false }, out, cli.actor.getSnapshot().context.clock.now());
    if (session.refreshToken) {
      cli.send({ type: 'user.refresh' });
      state = await cli.whenAtRest();
    }
    if (state === 'authenticated.ready') {
      cli.send({ type: 'user.logout' });
      state = await cli.whenAtRest();
    }
  }
  await probe();
  if (interrupted()) return 130;
  const report: GradeReport = gradeExchanges(recorder.log, {
    issuer: s.issuer,
    clientId: cli.actor.getSnapshot().context.clientId,
    explicitEndpoints: s.metadata !== undefined,
    probedSlowDown: s.probeSlowDown,
    clientSecret: s.clientSecret !== undefined,
    dpop: s.dpop,
  });
  out('');
  out(s.json ? JSON.stringify(sanitiseReport(report), null, 2) : neutralizeLines(formatReport(report)));
  // The report is printed either way; a login that was denied or expired is still not a success.
  return loggedIn ? 0 : 1;
}

/** Where a login that did not succeed came to rest, as an exit status: bad set-up is 2 (one line already said why). */
function outcomeStatus(cli: CliRunner, state: string): number {
  if (state === 'failed' && cli.actor.getSnapshot().context.device === undefined && !cli.actor.getSnapshot().context.session) {
    // The login never got a device code: discovery, the issuer or the device authorization request was wrong.
    return 2;
  }
  return 1;
}

function isPendingPoll(x: Recorded): boolean {
  if (x.role !== 'token' || x.probe || !x.response) return false;
  if (new URLSearchParams(x.request.body).get('grant_type') !== DEVICE_CODE_GRANT_TYPE) return false;
  return /"error"\s*:\s*"authorization_pending"|(^|&)error=authorization_pending/.test(x.response.body);
}

/** `--probe-slow-down`: the same poll again at once, sooner than the interval allows (RFC 8628 §3.5). */
async function sendEarlyPoll(recorder: Recorder, poll: Recorded, clientId: string, clientSecret: string | undefined): Promise<void> {
  const deviceCode = new URLSearchParams(poll.request.body).get('device_code');
  if (!deviceCode) return;
  const request = deviceCodeGrantRequest(poll.request.url, clientSecret ? { clientId, clientSecret } : { clientId }, deviceCode);
  const response = await recorder.probe(request);
  await response.arrayBuffer();
}

function printCard(x: Recorded, out: Print): void {
  const card = x.role === 'other' ? explainExchange(asWireExchange(x)) : explainExchange(asWireExchange(x), x.role);
  if (!card) return;
  const rfc = card.rfc ? ` (${card.rfc})` : '';
  out(`  ┃ ${neutralizeControls(card.title)}${rfc}${x.probe ? ' [grade-idp probe]' : ''}`);
  out(`  ┃ ${neutralizeControls(card.what)}`);
  if (card.why) out(`  ┃ Why: ${card.why}`);
}

/** What the person may know about their session: never the token itself unless `--show-token`. */
function printSession(session: TokenRecord, s: Settings, out: Print, now: number): void {
  const t = (v: string) => neutralizeControls(v);
  out(`  token type:    ${session.tokenType}`);
  out(`  scopes:        ${t(session.scope) || '(none stated)'}`);
  if (session.expiresAt !== undefined) {
    const lifetime = Math.round((session.expiresAt - (session.receivedAt ?? now)) / 1000);
    out(`  lifetime:      ${formatDuration(lifetime, 1)} (until ${new Date(session.expiresAt).toISOString()})`);
  } else {
    out('  lifetime:      not stated by the provider');
  }
  out(`  refresh token: ${session.refreshToken ? 'yes' : 'no'}`);
  let claims: Record<string, unknown> | undefined;
  try {
    claims = decodeJwt(session.accessToken) as Record<string, unknown>;
  } catch {
    claims = undefined;
  }
  if (claims) {
    out('  access token:  a JWT; its claims (decoded, not verified):');
    for (const [name, value] of Object.entries(claims)) {
      const shown = typeof value === 'number' && ['exp', 'iat', 'nbf', 'auth_time'].includes(name) ? `${value} (${new Date(value * 1000).toISOString()})` : JSON.stringify(value);
      out(`    ${t(name)}: ${t(shown)}`);
    }
  } else {
    out('  access token:  opaque (not a JWT)');
  }
  if (s.showToken) out(`  access_token:  ${session.accessToken}`);
  else out('  (the token itself is not shown; --show-token prints it)');
}

function neutralizeLines(text: string): string {
  return text.split('\n').map(neutralizeControls).join('\n');
}

function sanitiseReport(report: GradeReport): GradeReport {
  return JSON.parse(JSON.stringify(report), (_k, v: unknown) => (typeof v === 'string' ? neutralizeControls(v) : v)) as GradeReport;
}
