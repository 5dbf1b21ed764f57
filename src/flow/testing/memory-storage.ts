/**
 * An in-memory `StorageHost` for tests: one slot per target, a switch for "this host has no keyring", and a
 * log of every write so tests can assert where credentials went.
 */
import { KeyringUnavailableError, type StorageHost, type StorageTarget, type TokenRecord, type TokenStore } from '../ports.ts';

export function targetKey(target: StorageTarget): string {
  switch (target.kind) {
    case 'memory':
      return 'memory';
    case 'keychain':
      return `keychain:${target.service}/${target.account}`;
    case 'file':
      return `file:${target.path}`;
  }
}

export class MemoryStorageHost implements StorageHost {
  /** False simulates a host without an OS keyring (headless Linux, CI). */
  keyring = true;
  readonly slots = new Map<string, { target: StorageTarget; record: TokenRecord }>();
  readonly log: Array<{ action: 'save' | 'clear'; target: StorageTarget; record?: TokenRecord }> = [];

  open(target: StorageTarget): TokenStore {
    const key = targetKey(target);
    const guard = () => {
      if (target.kind === 'keychain' && !this.keyring) throw new KeyringUnavailableError();
    };
    return {
      target,
      save: async (record) => {
        guard();
        this.slots.set(key, { target, record: structuredClone(record) });
        this.log.push({ action: 'save', target, record: structuredClone(record) });
      },
      load: async () => {
        guard();
        const slot = this.slots.get(key);
        return slot && structuredClone(slot.record);
      },
      clear: async () => {
        guard();
        this.slots.delete(key);
        this.log.push({ action: 'clear', target });
      },
    };
  }

  /** The record held for a target, if any. */
  get(target: StorageTarget): TokenRecord | undefined {
    return this.slots.get(targetKey(target))?.record;
  }
}
