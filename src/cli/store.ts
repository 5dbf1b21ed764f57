/**
 * Where `device-flow-lab` keeps a session between commands: the OS keychain when this host has one (macOS
 * `security`, or libsecret's `secret-tool` on Linux, shelled out to: no new dependency), otherwise a file with
 * mode 0600 under ~/.config/device-flow-lab/, which the machine announces with a warning (storage knob
 * `keychain-or-plaintext`: the fallback is printed, never silent). `--no-store` keeps nothing (knob `memory`).
 *
 * The secret never goes on a command line (argv is visible in `ps`, failure mode F10): `secret-tool store`
 * reads it from stdin, and `security` is driven in its interactive mode (`security -i`) with the command on stdin.
 */
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { KeyringUnavailableError, type StorageHost, type StorageTarget, type TokenRecord, type TokenStore } from '../flow/ports.ts';

/** One keychain item: a secret string under (service, account). */
export interface KeychainBackend {
  readonly name: string;
  get(service: string, account: string): Promise<string | undefined>;
  set(service: string, account: string, secret: string): Promise<void>;
  delete(service: string, account: string): Promise<void>;
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], stdin: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    // A tool that fails before reading its stdin closes the pipe: that is its exit status's story, not an error here.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
  });
}

/** libsecret (GNOME Keyring, KWallet via the Secret Service API). */
export const secretToolBackend = (command = 'secret-tool'): KeychainBackend => ({
  name: 'the Secret Service keyring (secret-tool)',
  async get(service, account) {
    const r = await run(command, ['lookup', 'service', service, 'account', account], '');
    if (r.code === 0) return r.stdout.replace(/\n$/, '');
    // Exit 1 with no output: no such item. Anything on stderr: no usable keyring (no D-Bus session, locked).
    if (r.stderr.trim() === '') return undefined;
    throw new KeyringUnavailableError(`secret-tool: ${r.stderr.trim().split('\n')[0]}`);
  },
  async set(service, account, secret) {
    const r = await run(command, ['store', `--label=${service} (${account})`, 'service', service, 'account', account], secret);
    if (r.code !== 0) throw new KeyringUnavailableError(`secret-tool: ${r.stderr.trim().split('\n')[0] || `exit ${r.code}`}`);
  },
  async delete(service, account) {
    const r = await run(command, ['clear', 'service', service, 'account', account], '');
    if (r.code !== 0 && r.stderr.trim() !== '') throw new KeyringUnavailableError(`secret-tool: ${r.stderr.trim().split('\n')[0]}`);
  },
});

/** A `security -i` argument: the tool splits on spaces and honours double quotes. */
const quote = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** macOS Keychain. The secret is base64 so no quoting can break it; it travels on stdin only. */
export const macSecurityBackend = (command = 'security'): KeychainBackend => ({
  name: 'the macOS Keychain',
  async get(service, account) {
    const r = await run(command, ['find-generic-password', '-s', service, '-a', account, '-w'], '');
    if (r.code === 44 || /could not be found/i.test(r.stderr)) return undefined;
    if (r.code !== 0) throw new KeyringUnavailableError(`security: ${r.stderr.trim().split('\n')[0] || `exit ${r.code}`}`);
    return Buffer.from(r.stdout.trim(), 'base64').toString('utf8');
  },
  async set(service, account, secret) {
    const encoded = Buffer.from(secret, 'utf8').toString('base64');
    const r = await run(command, ['-i'], `add-generic-password -U -s ${quote(service)} -a ${quote(account)} -w ${encoded}\n`);
    if (r.code !== 0 || /error/i.test(r.stderr)) throw new KeyringUnavailableError(`security: ${r.stderr.trim().split('\n')[0] || `exit ${r.code}`}`);
  },
  async delete(service, account) {
    const r = await run(command, ['delete-generic-password', '-s', service, '-a', account], '');
    if (r.code !== 0 && r.code !== 44 && !/could not be found/i.test(r.stderr)) {
      throw new KeyringUnavailableError(`security: ${r.stderr.trim().split('\n')[0] || `exit ${r.code}`}`);
    }
  },
});

async function onPath(command: string, pathEnv: string | undefined): Promise<boolean> {
  for (const dir of (pathEnv ?? '').split(delimiter).filter(Boolean)) {
    try {
      await access(join(dir, command), fsConstants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** The keychain this host offers, or undefined (then the 0600 file, with a warning). */
export async function detectKeychain(platform: NodeJS.Platform, pathEnv: string | undefined): Promise<KeychainBackend | undefined> {
  if (platform === 'darwin' && (await onPath('security', pathEnv))) return macSecurityBackend();
  if (platform !== 'win32' && (await onPath('secret-tool', pathEnv))) return secretToolBackend();
  return undefined;
}

interface FileDocument {
  /** One session per issuer. */
  sessions: Record<string, TokenRecord>;
}

/**
 * The real host behind the machine's storage port. `~` in a file target is `homeDir`. A file holds one session
 * per issuer (the machine asks for the session of the issuer it was started with), written atomically with
 * mode 0600 (or the mode the target names).
 */
export class NodeStorageHost implements StorageHost {
  constructor(
    readonly issuer: string,
    readonly homeDir: string,
    readonly keychain: KeychainBackend | undefined,
  ) {}

  resolvePath(path: string): string {
    return path.startsWith('~/') ? join(this.homeDir, path.slice(2)) : path;
  }

  open(target: StorageTarget): TokenStore {
    switch (target.kind) {
      case 'memory': {
        let held: TokenRecord | undefined;
        return { target, save: async (r) => void (held = structuredClone(r)), load: async () => held && structuredClone(held), clear: async () => void (held = undefined) };
      }
      case 'keychain': {
        const keychain = this.keychain;
        const need = () => {
          if (!keychain) throw new KeyringUnavailableError();
          return keychain;
        };
        return {
          target,
          save: async (record) => need().set(target.service, target.account, JSON.stringify(record)),
          load: async () => {
            const text = await need().get(target.service, target.account);
            return text === undefined ? undefined : parseRecord(text);
          },
          clear: async () => need().delete(target.service, target.account),
        };
      }
      case 'file': {
        const path = this.resolvePath(target.path);
        const read = async (): Promise<FileDocument> => {
          let text: string;
          try {
            text = await readFile(path, 'utf8');
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { sessions: {} };
            throw err;
          }
          try {
            const doc = JSON.parse(text) as Partial<FileDocument>;
            return { sessions: typeof doc.sessions === 'object' && doc.sessions !== null ? doc.sessions : {} };
          } catch {
            throw new Error(`${path} is not valid JSON; move it away to start fresh`);
          }
        };
        const write = async (doc: FileDocument) => {
          if (Object.keys(doc.sessions).length === 0) {
            await rm(path, { force: true });
            return;
          }
          await mkdir(dirname(path), { recursive: true, mode: 0o700 });
          const tmp = `${path}.${process.pid}.tmp`;
          await writeFile(tmp, `${JSON.stringify(doc, null, 2)}\n`, { mode: target.mode });
          await chmod(tmp, target.mode);
          await rename(tmp, path);
        };
        return {
          target,
          save: async (record) => {
            const doc = await read();
            doc.sessions[this.issuer] = record;
            await write(doc);
          },
          load: async () => {
            const record = (await read()).sessions[this.issuer];
            return record && parseRecord(JSON.stringify(record));
          },
          clear: async () => {
            const doc = await read();
            if (!(this.issuer in doc.sessions)) return;
            delete doc.sessions[this.issuer];
            await write(doc);
          },
        };
      }
    }
  }
}

function parseRecord(text: string): TokenRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<TokenRecord>;
    return typeof r.accessToken === 'string' && typeof r.issuer === 'string' && typeof r.clientId === 'string' ? (r as TokenRecord) : undefined;
  } catch {
    return undefined;
  }
}
