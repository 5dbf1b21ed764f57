/**
 * The CLI machine's contract with the world: its input, the events it accepts (dot-namespaced by sender) and
 * the events it emits (everything the world must see: terminal lines, debug lines, sub-process launches and
 * storage writes).
 */
import type { WorldClock } from '../sim/clock.ts';
import type {
  AuthorizationServerMetadata,
  DeviceAuthorizationResponse,
  DevicePollOutcome,
  ResourceOutcome,
  RevocationResult,
  TokenEndpointResult,
  TokenTypeHint,
} from '../protocol/client.ts';
import type { DpopKeyPair } from '../protocol/dpop-client.ts';
import type { FetchFn } from './http.ts';
import type { ClientKnobs } from './knobs.ts';
import type { StorageHost, StorageTarget, TokenRecord } from './ports.ts';

/** The CLI's default executable name, for terminal hints and `cli.exec` argv (a world may brand it: `CliInput.cliName`). */
export const CLI_NAME = 'acme';
/** The public client the default CLI is registered as (a branded world passes `<cli>-cli` as `CliInput.clientId`). */
export const DEFAULT_CLIENT_ID = `${CLI_NAME}-cli`;

/**
 * Environment variable for `tokenDelivery: 'env'`, named after the CLI as real tools do (`GH_TOKEN`): the name
 * uppercased, dashes as underscores, so it stays a valid shell variable name.
 */
export function tokenEnvVar(cliName: string): string {
  return `${cliName.toUpperCase().replace(/-/g, '_')}_TOKEN`;
}

/** A request that gets no answer within this long counts as a network timeout (world clock). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Network-timeout backoff doubles the interval up to this cap, seconds (RFC 8628 §3.5). */
export const DEFAULT_BACKOFF_CAP_S = 60;
/** Revocation retries on 503 or network failure before logout gives up and keeps the tokens (RFC 7009 §2.2.1). */
export const MAX_REVOCATION_ATTEMPTS = 3;
/** Wait before a revocation retry when the server sends no `Retry-After`, seconds. */
export const DEFAULT_REVOCATION_RETRY_S = 5;
/**
 * Early refresh: an API command refreshes first once the access token expires within this many seconds, so the
 * call does not meet a 401 it could have avoided. The client counts expiry from when the token response
 * arrived (`expires_in`), the server from when it issued the token, and the API may be on a slightly different
 * clock: the last seconds of a token's life are not safe to spend. 30 s covers a slow response plus ordinary
 * clock skew and is small next to real lifetimes (5 min to 1 h for access tokens; GitHub 8 h). A constant,
 * not a knob: no setting of it is insecure, it only saves a round trip (the 401 → refresh → retry path stays).
 */
export const EARLY_REFRESH_MARGIN_S = 30;
/**
 * The margin never exceeds this fraction of the token's lifetime (a 60 s token refreshes 6 s early, not 30 s),
 * so a short-lived token is not refreshed on every call.
 */
export const EARLY_REFRESH_MAX_FRACTION = 0.1;

/**
 * When an API command should refresh first: `EARLY_REFRESH_MARGIN_S` before `expiresAt`, but never more than
 * `EARLY_REFRESH_MAX_FRACTION` of the token's lifetime. Without `expiresAt` there is no such time (the CLI
 * refreshes on a 401, RFC 6750 §3.1); without `receivedAt` the lifetime is unknown and the margin is 0.
 */
export function refreshDueAt(record: Pick<TokenRecord, 'expiresAt' | 'receivedAt'>): number | undefined {
  if (record.expiresAt === undefined) return undefined;
  const lifetimeMs = record.receivedAt === undefined ? 0 : Math.max(0, record.expiresAt - record.receivedAt);
  return record.expiresAt - Math.min(EARLY_REFRESH_MARGIN_S * 1000, Math.floor(lifetimeMs * EARLY_REFRESH_MAX_FRACTION));
}

export interface CliInput {
  /** The only way to talk to servers. */
  fetch: FetchFn;
  /** The world clock; the actor must also be created with `createActor(machine, { clock, input })`. */
  clock: WorldClock;
  /** Authorization server issuer; endpoints are discovered from its RFC 8414 metadata. Must be https. */
  issuer: string;
  clientId?: string;
  /** A confidential client's secret (RFC 6749 §2.3.1), sent as `client_secret`; absent for a public client. */
  clientSecret?: string;
  /**
   * Endpoints known without discovery (a provider that publishes no metadata, as GitHub): the machine then never
   * asks for RFC 8414 or OpenID metadata. Every endpoint must be https (RFC 8628 §3.1), checked by the caller.
   */
  metadata?: AuthorizationServerMetadata;
  /**
   * The scopes to ask for at login, instead of the `scopes` knob's set (which names the simulated API's scopes):
   * a real identity provider has its own. Empty: no `scope` parameter (RFC 8628 §3.1: OPTIONAL).
   */
  loginScopes?: readonly string[];
  /**
   * Allow plain http to any host, not only loopback: the real CLI's `--insecure`, never a lab knob (RFC 8628
   * §3.1 requires TLS; codes and tokens then cross the network readable).
   */
  allowInsecureHttp?: boolean;
  /** The executable name the CLI prints in hints and launches sub-processes as (default `CLI_NAME`). */
  cliName?: string;
  /** Base URL of the protected API, e.g. https://api.acme.test. */
  apiBaseUrl: string;
  knobs?: Partial<ClientKnobs>;
  storage: StorageHost;
  /**
   * On a CI runner whose platform offers one: get this job's OIDC ID token for `audience` (GitHub Actions'
   * ACTIONS_ID_TOKEN_REQUEST_URL). With the `ciAuth: workload-identity` knob, login exchanges it (RFC 8693).
   */
  ciIdToken?: (audience: string) => Promise<string>;
  requestTimeoutMs?: number;
  backoffCapS?: number;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type CliEvent =
  /** `acme login [--scope ...]`: extra scopes are added to the knob's set (re-login after insufficient_scope). */
  | { type: 'user.login'; scopes?: string[] }
  /** Ctrl+C. */
  | { type: 'user.cancel' }
  /** `acme api <method> <path>`: runs in a sub-process that gets the token per `tokenDelivery`. */
  | { type: 'user.api'; method: HttpMethod; path: string }
  /** `acme whoami`: GET /api/me. */
  | { type: 'user.whoami' }
  /** `acme auth token`: prints the access token (the risky habit, only on explicit request). */
  | { type: 'user.token' }
  | { type: 'user.logout' }
  /** `acme auth refresh`: trade the refresh token for new tokens now (RFC 6749 §6). */
  | { type: 'user.refresh' }
  /** Internal: a debug line from the fetch wrapper of an invoked actor. */
  | { type: 'http.debug'; line: string };

export type OutputStyle = 'info' | 'error' | 'success' | 'prompt';

export type CliEmitted =
  /** One terminal line. */
  | { type: 'cli.output'; style: OutputStyle; text: string }
  /** One debug log line (per the `debug` and `redaction` knobs). */
  | { type: 'cli.debug'; text: string }
  /** A sub-process the CLI launched, with the argv and environment it saw (ps, shell history, /proc/<pid>/environ). */
  | { type: 'cli.exec'; argv: string[]; env: Record<string, string> }
  /** Credentials written or deleted. `fellBack`: the keyring was missing and plaintext was used instead. */
  | { type: 'cli.store'; action: 'save' | 'clear'; target: StorageTarget; fellBack?: boolean }
  /** A link for non-textual display (QR code, "open browser"), only when `verification_uri_complete` exists (RFC 8628 §3.3.1). */
  | { type: 'cli.qr'; uri: string };

/** An API call the user asked for, held while a refresh runs. */
export interface PendingCall {
  method: HttpMethod;
  path: string;
  /** Already refreshed once for this call after a 401 (RFC 6750 §3.1: refresh once, then re-login). */
  retried: boolean;
}

export interface CliContext {
  fetch: FetchFn;
  clock: WorldClock;
  storage: StorageHost;
  issuer: string;
  clientId: string;
  clientSecret?: string;
  loginScopes?: readonly string[];
  allowInsecureHttp?: boolean;
  /** The executable name (branding): hints, sub-process argv, token variable, storage locations. */
  cliName: string;
  apiBaseUrl: string;
  knobs: ClientKnobs;
  /** This job's CI ID token source (`CliInput.ciIdToken`), when the host offers one. */
  ciIdToken?: (audience: string) => Promise<string>;
  requestTimeoutMs: number;
  backoffCapS: number;
  /** Cached RFC 8414 metadata (fetched before the first code request). */
  metadata?: AuthorizationServerMetadata;
  /** Scopes asked for at this login. */
  requestedScopes: string[];
  device?: DeviceAuthorizationResponse;
  /** Current polling interval, seconds. Only ever grows within one login. */
  intervalS: number;
  lastPoll?: DevicePollOutcome;
  /** Why the last step failed, for the terminal. */
  failure?: string;
  session?: TokenRecord;
  dpop?: { key: DpopKeyPair; asNonce?: string; rsNonce?: string };
  pendingCall?: PendingCall;
  lastApi?: ResourceOutcome;
  lastRefresh?: TokenEndpointResult;
  lastRevocation?: RevocationResult;
  /** Tokens still to revoke at logout, refresh token first (RFC 7009). */
  revocations: Array<{ token: string; hint: TokenTypeHint }>;
  /**
   * Logout gave up on these revocations (the server never confirmed them) and deleted the local copy anyway:
   * what the person must be told, and why. No token values, only their kind and the access token's expiry.
   */
  unconfirmedRevocations?: { hints: TokenTypeHint[]; why: string; accessTokenExpiresAt?: number };
  revocationAttempts: number;
  revocationRetryS: number;
  /** Refresh retries after "try again later" (HTTP 429/503/5xx) in this refresh, and the wait before the next (interval.ts). */
  refreshRetries: number;
  refreshRetryMs: number;
}
