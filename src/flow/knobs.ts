/**
 * Client-side knobs (architecture seam 4: misconfiguration as data). Each knob is a typed field with a secure
 * default, a description and the risk it teaches (failure modes F1-F25 and guidance G1-G13 in
 * design/failure-modes.md). With every knob at its default the CLI machine satisfies every C row of
 * spec/conformance.md. Labs and the sandbox set these; the machine has no lab-specific code path.
 */
import { knobRequirement, type KnobKind, type KnobSpecOf } from '../sim/knobSpec.ts';

export const SLOW_DOWN_HANDLING = ['add-5', 'add-1', 'fatal', 'ignore'] as const;
export const DEBUG_LEVELS = ['off', 'requests', 'bodies'] as const;
export const STORAGE_KINDS = ['keychain', 'memory', 'file-0600', 'file-0644', 'keychain-or-plaintext'] as const;
export const TOKEN_DELIVERY = ['store', 'argv', 'env'] as const;
export const LOGOUT_MODES = ['revoke', 'local-only'] as const;
export const SCOPE_SETS = ['minimal', 'broad'] as const;
export const REFRESH_MODES = ['rotate', 'reuse-first', 'off'] as const;
export const UNKNOWN_POLL_ERRORS = ['stop', 'keep-polling'] as const;
export const CI_AUTH_MODES = ['workload-identity', 'device-flow'] as const;

export type SlowDownHandling = (typeof SLOW_DOWN_HANDLING)[number];
export type DebugLevel = (typeof DEBUG_LEVELS)[number];
export type StorageKind = (typeof STORAGE_KINDS)[number];
export type TokenDelivery = (typeof TOKEN_DELIVERY)[number];
export type LogoutMode = (typeof LOGOUT_MODES)[number];
export type ScopeSet = (typeof SCOPE_SETS)[number];
export type RefreshMode = (typeof REFRESH_MODES)[number];
export type UnknownPollErrors = (typeof UNKNOWN_POLL_ERRORS)[number];
export type CiAuthMode = (typeof CI_AUTH_MODES)[number];

export interface ClientKnobs {
  /** `'server'`: use the server's `interval` (5 s when absent); a number: poll every N seconds regardless. */
  pollInterval: 'server' | number;
  /** What `slow_down` does to the interval. */
  slowDown: SlowDownHandling;
  /** Stop polling on `access_denied` / `expired_token` (false keeps polling). */
  stopOnDenialOrExpiry: boolean;
  /**
   * A poll error that is not one of RFC 8628 §3.5's four names (a provider's own, e.g. Entra's
   * `authorization_declined`): `stop` ends the login (RFC 8628 §3.5: only pending and slow_down continue);
   * `keep-polling` treats it as "not yet", as a client that only knows the RFC's words does.
   */
  unknownPollErrors: UnknownPollErrors;
  /** Arm a local deadline of `expires_in` and stop polling when it fires. */
  hardDeadline: boolean;
  /** Print the device code on the terminal next to the user code. */
  showDeviceCode: boolean;
  /** Debug log: off, request lines and headers, or full bodies. */
  debug: DebugLevel;
  /** Replace tokens, codes and secrets in debug lines with [REDACTED]. */
  redaction: boolean;
  /** Where tokens are kept between commands. */
  storage: StorageKind;
  /** How a sub-command that calls the API gets the token. */
  tokenDelivery: TokenDelivery;
  /** Logout revokes at the server (RFC 7009) or only deletes the local copy. */
  logout: LogoutMode;
  /** Scopes requested at login. */
  scopes: ScopeSet;
  /** Send DPoP proofs and require DPoP-bound tokens (RFC 9449). */
  dpop: boolean;
  /** Use refresh tokens with rotation, keep reusing the first one, or not at all. */
  refreshTokens: RefreshMode;
  /** Allow plain http to 127.0.0.1, localhost and [::1] only (a local IdP). */
  allowInsecureLoopback: boolean;
  /**
   * How `login` authenticates in a CI job whose platform offers an OIDC ID token: `workload-identity` exchanges
   * that token for a short-lived access token (RFC 8693) and stores nothing; `device-flow` starts a person's
   * device login anyway. Without a CI ID token on the host, login always uses the device flow.
   */
  ciAuth: CiAuthMode;
}

/** Secure defaults. DPoP is off by default only because not every server supports it (see the brief). */
export const DEFAULT_CLIENT_KNOBS: Readonly<ClientKnobs> = Object.freeze({
  pollInterval: 'server',
  slowDown: 'add-5',
  stopOnDenialOrExpiry: true,
  unknownPollErrors: 'stop',
  hardDeadline: true,
  showDeviceCode: false,
  debug: 'off',
  redaction: true,
  storage: 'keychain',
  tokenDelivery: 'store',
  logout: 'revoke',
  scopes: 'minimal',
  dpop: false,
  refreshTokens: 'rotate',
  allowInsecureLoopback: false,
  ciAuth: 'workload-identity',
}) as Readonly<ClientKnobs>;

/** The scope sets (the simulated API's scopes; minimal is what everyday commands need). */
export const SCOPES: Readonly<Record<ScopeSet, readonly string[]>> = {
  minimal: ['profile', 'projects:read'],
  broad: ['profile', 'projects:read', 'projects:write', 'projects:admin'],
};

/** A client knob: a checkbox, a choice or the poll interval. */
export type ClientKnobSpec<K extends keyof ClientKnobs = keyof ClientKnobs> = KnobSpecOf<
  ClientKnobs,
  K,
  Extract<KnobKind, { kind: 'boolean' | 'choice' | 'interval' }>
>;

export const CLIENT_KNOB_SPECS: readonly ClientKnobSpec[] = [
  { key: 'pollInterval', kind: 'interval', min: 1, max: 120, unit: 's', label: 'CLI poll interval',
    description: "Honour the server's interval (5 s when it sends none), or poll every N seconds.",
    risk: 'Polling faster than the interval earns slow_down and loads the server (F1, G3).' },
  { key: 'slowDown', kind: 'choice', choices: SLOW_DOWN_HANDLING, label: 'slow_down handling',
    description: "add-5: +5 s for this and every later poll (or the server's new interval if larger); add-1, fatal or ignore are wrong.",
    risk: 'Treating slow_down as fatal aborts an approved login (F2); +1 s or ignoring it keeps the server saying slow_down (F3).' },
  { key: 'stopOnDenialOrExpiry', kind: 'boolean', label: 'Stop on denial and expiry',
    description: 'Stop polling on access_denied and expired_token.',
    risk: 'The terminal keeps spinning after Deny or expiry and hammers the server (F5, G3).' },
  { key: 'unknownPollErrors', kind: 'choice', choices: UNKNOWN_POLL_ERRORS, label: 'Unknown poll errors',
    description: "stop: any poll error other than authorization_pending and slow_down ends the login, providers' own names included; keep-polling: only the RFC's access_denied and expired_token do.",
    risk: "A client that knows only the RFC's words keeps polling after an Entra user said no (authorization_declined), until the code expires (F25)." },
  { key: 'hardDeadline', kind: 'boolean', label: 'Local deadline',
    description: 'Stop polling when expires_in has passed, even if the server never says expired_token.',
    risk: 'Without it the CLI polls forever after the code expired (F4).' },
  { key: 'showDeviceCode', kind: 'boolean', label: 'Show device code',
    description: 'Print the device_code next to the user code.',
    risk: 'Anyone who sees the device code can poll with it and race the CLI for the tokens (F7, G4).' },
  { key: 'debug', kind: 'choice', choices: DEBUG_LEVELS, label: 'Debug logging',
    description: 'off; requests (method, URL, status, headers); bodies (everything, tokens included unless redacted).',
    risk: 'Verbose auth logs end up in CI logs and support tickets with live tokens in them (F6, G2).' },
  { key: 'redaction', kind: 'boolean', label: 'Redact secrets in logs',
    description: 'Replace tokens, device and user codes and Authorization/DPoP header values in debug lines with [REDACTED].',
    risk: 'Without it, any debug line can carry a usable token or code (F6, F7, G2).' },
  { key: 'storage', kind: 'choice', choices: STORAGE_KINDS, label: 'Token storage',
    description: 'OS keychain, process memory, a file with mode 0600 or 0644, or the keychain with a silent plaintext fallback.',
    risk: 'A 0644 file is readable by every local user (F8); a silent fallback puts tokens on disk with one warning (F9, G1).' },
  { key: 'tokenDelivery', kind: 'choice', choices: TOKEN_DELIVERY, label: 'Token delivery to sub-commands',
    description: 'Sub-commands read the token from the store, get it as --token, or from an exported environment variable.',
    risk: 'A token in argv lands in shell history and ps output; an exported variable leaks to every child process (F10, G2).' },
  { key: 'logout', kind: 'choice', choices: LOGOUT_MODES, label: 'Logout',
    description: 'Revoke the refresh token and then the access token at the server (RFC 7009), then clear the store; or only delete locally.',
    risk: 'A local delete leaves every copy an attacker took valid until it expires (F11, G7).' },
  { key: 'scopes', kind: 'choice', choices: SCOPE_SETS, label: 'Requested scopes',
    description: "minimal: 'profile projects:read'; broad adds projects:write and projects:admin.",
    risk: 'A broad token turns a stolen read-only session into a destructive one (F14, G5).' },
  { key: 'dpop', kind: 'boolean', label: 'DPoP',
    description: 'Prove possession of a per-login key on every token and API request; require DPoP-bound tokens.',
    risk: 'Bearer tokens work for whoever steals them, from any host (F20, G9).' },
  { key: 'refreshTokens', kind: 'choice', choices: REFRESH_MODES, label: 'Refresh token use',
    description: 'rotate: use and replace the refresh token; reuse-first: keep sending the first one; off: log in again on expiry.',
    risk: 'Ignoring rotation trips reuse detection and looks exactly like theft (F13, G6).' },
  { key: 'allowInsecureLoopback', kind: 'boolean', label: 'Allow http on loopback',
    description: 'Accept an http issuer or endpoint on 127.0.0.1, localhost or [::1] only (a local IdP).',
    risk: 'Plain HTTP exposes codes and tokens on the wire; only loopback is ever allowed (RFC 8628 §3.1).' },
  { key: 'ciAuth', kind: 'choice', choices: CI_AUTH_MODES, label: 'CI authentication',
    description: "In a CI job that can get an OIDC ID token: workload-identity exchanges it for a short-lived access token for the job (RFC 8693) and stores nothing; device-flow makes a person log in.",
    risk: "A person's device-flow login on a CI runner leaves a long-lived refresh token that every later job uses as that person (F22, G10)." },
];

/** Merge overrides over the secure defaults and check every value; throws with the knob named. */
export function resolveClientKnobs(overrides: Partial<ClientKnobs> = {}): ClientKnobs {
  const knobs = { ...DEFAULT_CLIENT_KNOBS, ...overrides } as ClientKnobs;
  for (const spec of CLIENT_KNOB_SPECS) {
    const value: unknown = knobs[spec.key];
    const needed = knobRequirement(spec, value);
    if (needed) throw new TypeError(`Invalid client knob ${spec.key}: expected ${needed}`);
  }
  return knobs;
}

