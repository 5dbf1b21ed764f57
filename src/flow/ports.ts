/**
 * Ports through which the CLI machine touches the host, implemented by the world (src/sim) and by tests
 * (src/flow/testing). HTTP is not here: it is the single injected `fetch` (architecture seam 1).
 *
 * Storage: the machine maps its `storage` knob to one or two `StorageTarget`s (see storage.ts) and asks the
 * host to `open` each. A target says exactly what the host must do (a keychain item, a file with an owner-only
 * or world-readable mode, or nothing outside the process), so every storage knob is a visible host effect.
 */
import type { TokenResponse } from '../protocol/client.ts';

/** What the CLI keeps between commands. Never contains the device code. */
export interface TokenRecord {
  issuer: string;
  clientId: string;
  accessToken: string;
  tokenType: TokenResponse['token_type'];
  refreshToken?: string;
  /** The scope the server granted (RFC 6749 §5.1), space-delimited; the requested one if it said nothing. */
  scope: string;
  /** World-clock milliseconds when the access token expires, from `expires_in` (never the JWT `exp`). */
  expiresAt?: number;
  /**
   * World-clock milliseconds when the token response arrived: with `expiresAt` it gives the lifetime, which
   * bounds the early-refresh margin (see `refreshDueAt`). Absent in records written before it existed.
   */
  receivedAt?: number;
}

/** Where a store keeps its record. */
export type StorageTarget =
  /** Only in the CLI process: gone when it exits. */
  | { kind: 'memory' }
  /** The OS keychain (macOS Keychain, libsecret, Windows Credential Manager). */
  | { kind: 'keychain'; service: string; account: string }
  /** A plaintext file owned by the user, with this permission mode. */
  | { kind: 'file'; path: string; mode: 0o600 | 0o644 };

export interface TokenStore {
  readonly target: StorageTarget;
  save(record: TokenRecord): Promise<void>;
  load(): Promise<TokenRecord | undefined>;
  clear(): Promise<void>;
}

/** Thrown by a keychain store when the host has no usable keyring (headless Linux, containers, CI). */
export class KeyringUnavailableError extends Error {
  override readonly name = 'KeyringUnavailableError';
  constructor(message = 'no OS keyring is available on this host') {
    super(message);
  }
}

/** The host side of storage: hands out a store for a target. */
export interface StorageHost {
  open(target: StorageTarget): TokenStore;
}
