/**
 * The `storage` knob as host effects (guidance G1; failure modes F8, F9). Pure mapping plus three small
 * operations over the `StorageHost` port; the machine invokes them as actors.
 */
import type { StorageKind } from './knobs.ts';
import { KeyringUnavailableError, type StorageHost, type StorageTarget, type TokenRecord } from './ports.ts';
import { CLI_NAME } from './types.ts';

/** Where a CLI called `cliName` writes its plaintext credentials file (the XDG config directory, as most CLIs do). */
export const credentialsPath = (cliName: string): string => `~/.config/${cliName}/credentials.json`;
/** The keychain service a CLI called `cliName` files its item under. */
export const keychainService = (cliName: string): string => `${cliName}-cli`;
/** The default CLI's credentials file. */
export const CREDENTIALS_PATH = credentialsPath(CLI_NAME);
/** The default CLI's keychain service name. */
export const KEYCHAIN_SERVICE = keychainService(CLI_NAME);

export interface StoragePlan {
  /** Try this first. */
  primary: StorageTarget;
  /** Use this, quietly, when the keyring is missing (only for `keychain-or-plaintext`: F9). */
  fallback?: StorageTarget;
}

/**
 * Map the knob to targets. The account is the issuer, so sessions with different servers do not mix; the
 * locations are named after the CLI (`cliName`), so a branded CLI keeps its own files.
 */
export function storagePlan(kind: StorageKind, issuer: string, cliName: string = CLI_NAME): StoragePlan {
  const keychain: StorageTarget = { kind: 'keychain', service: keychainService(cliName), account: issuer };
  const file = credentialsPath(cliName);
  switch (kind) {
    case 'keychain':
      return { primary: keychain };
    case 'memory':
      return { primary: { kind: 'memory' } };
    case 'file-0600':
      return { primary: { kind: 'file', path: file, mode: 0o600 } };
    case 'file-0644':
      return { primary: { kind: 'file', path: file, mode: 0o644 } };
    case 'keychain-or-plaintext':
      return { primary: keychain, fallback: { kind: 'file', path: file, mode: 0o600 } };
  }
}

export interface SaveResult {
  target: StorageTarget;
  /** True when the keyring was missing and the plaintext fallback was used. */
  fellBack: boolean;
}

/**
 * Save to the primary target; with a fallback, a missing keyring silently switches to it (the F9 habit).
 * Without one, a missing keyring is an error: the caller says so loudly and keeps the session in memory.
 */
export async function saveRecord(host: StorageHost, plan: StoragePlan, record: TokenRecord): Promise<SaveResult> {
  try {
    await host.open(plan.primary).save(record);
    return { target: plan.primary, fellBack: false };
  } catch (err) {
    if (!(err instanceof KeyringUnavailableError) || !plan.fallback) throw err;
    await host.open(plan.fallback).save(record);
    return { target: plan.fallback, fellBack: true };
  }
}

/** Load from the first target that has a record (a missing keyring counts as empty). */
export async function loadRecord(host: StorageHost, plan: StoragePlan): Promise<TokenRecord | undefined> {
  for (const target of targets(plan)) {
    try {
      const record = await host.open(target).load();
      if (record) return record;
    } catch (err) {
      if (!(err instanceof KeyringUnavailableError)) throw err;
    }
  }
  return undefined;
}

/** Clear every target the plan may have written; returns the targets cleared. */
export async function clearRecord(host: StorageHost, plan: StoragePlan): Promise<StorageTarget[]> {
  const cleared: StorageTarget[] = [];
  for (const target of targets(plan)) {
    try {
      await host.open(target).clear();
      cleared.push(target);
    } catch (err) {
      if (!(err instanceof KeyringUnavailableError)) throw err;
    }
  }
  return cleared;
}

function targets(plan: StoragePlan): StorageTarget[] {
  return plan.fallback ? [plan.primary, plan.fallback] : [plan.primary];
}

/** A short human description of a target, for terminal lines. */
export function describeTarget(target: StorageTarget): string {
  switch (target.kind) {
    case 'memory':
      return 'memory (this process only)';
    case 'keychain':
      return `the OS keychain (${target.service})`;
    case 'file':
      return `${target.path} (mode ${target.mode.toString(8).padStart(4, '0')})`;
  }
}
