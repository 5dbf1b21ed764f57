/**
 * The real storage host: the OS keychain through `secret-tool` / `security` with the secret on stdin only
 * (never in argv, F10), and the 0600 file fallback, one session per issuer.
 */
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadRecord, saveRecord, clearRecord, storagePlan } from '../flow/storage.ts';
import type { TokenRecord } from '../flow/ports.ts';
import { NodeStorageHost, detectKeychain, macSecurityBackend, secretToolBackend, type KeychainBackend } from './store.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dfl-store-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const record = (issuer: string, accessToken = 'at-secret-value-1234567890'): TokenRecord => ({
  issuer, clientId: 'cli', accessToken, tokenType: 'Bearer', refreshToken: 'rt-secret-value-1234567890', scope: 'openid', expiresAt: 2, receivedAt: 1,
});

/** A stand-in for a keychain tool: logs its argv and stdin, keeps one secret in a file. */
async function fakeTool(name: string, script: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\nLOG=${JSON.stringify(dir)}\n${script}\n`);
  await chmod(path, 0o755);
  return path;
}

describe('the file fallback', () => {
  test('a 0600 file under ~/.config/device-flow-lab, one session per issuer, removed with the last one', async () => {
    const home = join(dir, 'home');
    const a = new NodeStorageHost('https://a.example', home, undefined);
    const b = new NodeStorageHost('https://b.example', home, undefined);
    // No keychain: keychain-or-plaintext falls back to the file (the machine prints the warning).
    const saved = await saveRecord(a, storagePlan('keychain-or-plaintext', 'https://a.example', 'device-flow-lab'), record('https://a.example'));
    expect(saved).toEqual({ target: { kind: 'file', path: '~/.config/device-flow-lab/credentials.json', mode: 0o600 }, fellBack: true });
    await saveRecord(b, storagePlan('keychain-or-plaintext', 'https://b.example', 'device-flow-lab'), record('https://b.example', 'at-of-b-0123456789'));
    const file = join(home, '.config', 'device-flow-lab', 'credentials.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, '.config', 'device-flow-lab'))).mode & 0o777).toBe(0o700);
    expect(await loadRecord(a, storagePlan('keychain-or-plaintext', 'https://a.example', 'device-flow-lab'))).toEqual(record('https://a.example'));
    expect((await loadRecord(b, storagePlan('keychain-or-plaintext', 'https://b.example', 'device-flow-lab')))?.accessToken).toBe('at-of-b-0123456789');
    await clearRecord(a, storagePlan('keychain-or-plaintext', 'https://a.example', 'device-flow-lab'));
    expect(Object.keys((JSON.parse(await readFile(file, 'utf8')) as { sessions: object }).sessions)).toEqual(['https://b.example']);
    await clearRecord(b, storagePlan('keychain-or-plaintext', 'https://b.example', 'device-flow-lab'));
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
  });

  test('with a keychain, nothing is written to disk', async () => {
    const items = new Map<string, string>();
    const keychain: KeychainBackend = {
      name: 'test keychain',
      get: async (s, a) => items.get(`${s}/${a}`),
      set: async (s, a, v) => void items.set(`${s}/${a}`, v),
      delete: async (s, a) => void items.delete(`${s}/${a}`),
    };
    const home = join(dir, 'home-keychain');
    const host = new NodeStorageHost('https://a.example', home, keychain);
    const plan = storagePlan('keychain-or-plaintext', 'https://a.example', 'device-flow-lab');
    expect(await saveRecord(host, plan, record('https://a.example'))).toMatchObject({ target: { kind: 'keychain', service: 'device-flow-lab-cli', account: 'https://a.example' }, fellBack: false });
    expect([...items.keys()]).toEqual(['device-flow-lab-cli/https://a.example']);
    await expect(stat(home)).rejects.toThrow(/ENOENT/);
    expect(await loadRecord(host, plan)).toEqual(record('https://a.example'));
  });
});

describe('keychain tools, driven with the secret on stdin', () => {
  test('secret-tool: store reads the secret from stdin; lookup and clear', async () => {
    const tool = await fakeTool('secret-tool', [
      'echo "$@" >> "$LOG/secret-tool.argv"',
      'case "$1" in',
      '  store) cat > "$LOG/secret-tool.item" ;;',
      '  lookup) [ -f "$LOG/secret-tool.item" ] && cat "$LOG/secret-tool.item" || exit 1 ;;',
      '  clear) rm -f "$LOG/secret-tool.item" ;;',
      'esac',
    ].join('\n'));
    const backend = secretToolBackend(tool);
    const secret = JSON.stringify(record('https://a.example'));
    await backend.set('device-flow-lab-cli', 'https://a.example', secret);
    expect(await backend.get('device-flow-lab-cli', 'https://a.example')).toBe(secret);
    await backend.delete('device-flow-lab-cli', 'https://a.example');
    expect(await backend.get('device-flow-lab-cli', 'https://a.example')).toBeUndefined();
    const argv = await readFile(join(dir, 'secret-tool.argv'), 'utf8');
    expect(argv).toContain('store --label=device-flow-lab-cli (https://a.example) service device-flow-lab-cli account https://a.example');
    expect(argv).not.toContain('at-secret-value');
  });

  test('secret-tool without a Secret Service: the keyring is unavailable (so the 0600 file is used, with the warning)', async () => {
    const tool = await fakeTool('secret-tool-broken', 'echo "Cannot autolaunch D-Bus without X11 \\$DISPLAY" >&2; exit 1');
    const host = new NodeStorageHost('https://a.example', join(dir, 'home-broken'), secretToolBackend(tool));
    const saved = await saveRecord(host, storagePlan('keychain-or-plaintext', 'https://a.example', 'device-flow-lab'), record('https://a.example'));
    expect(saved.fellBack).toBe(true);
  });

  test('security (macOS): add-generic-password goes through `security -i` on stdin, base64, never in argv', async () => {
    const tool = await fakeTool('security', [
      'echo "$@" >> "$LOG/security.argv"',
      'case "$1" in',
      '  -i) cat > "$LOG/security.stdin" ;;',
      '  find-generic-password) sed -n "s/.* -w \\([A-Za-z0-9+\\/=]*\\)$/\\1/p" "$LOG/security.stdin" ;;',
      'esac',
    ].join('\n'));
    const backend = macSecurityBackend(tool);
    const secret = JSON.stringify(record('https://a.example'));
    await backend.set('device-flow-lab-cli', 'https://a.example', secret);
    const stdin = await readFile(join(dir, 'security.stdin'), 'utf8');
    expect(stdin).toBe(`add-generic-password -U -s "device-flow-lab-cli" -a "https://a.example" -w ${Buffer.from(secret).toString('base64')}\n`);
    expect(await readFile(join(dir, 'security.argv'), 'utf8')).toBe('-i\n');
    expect(await backend.get('device-flow-lab-cli', 'https://a.example')).toBe(secret);
  });

  test('detection: the tool on PATH for the platform, or none', async () => {
    expect((await detectKeychain('linux', dir))?.name).toBe('the Secret Service keyring (secret-tool)');
    expect((await detectKeychain('darwin', dir))?.name).toBe('the macOS Keychain');
    expect(await detectKeychain('linux', join(dir, 'empty'))).toBeUndefined();
    expect(await detectKeychain('win32', dir)).toBeUndefined();
  });
});
