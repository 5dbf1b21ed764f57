/**
 * The CLI's host: the machine the learner's terminal runs on. Files with owner and mode, the OS keychain,
 * shell history, exported environment, the process list with argv, the debug log, terminal scrollback, the
 * clipboard, a crash report and, on a CI runner, the job log. The CLI's knobs write into it (through the
 * storage port and the machine's emitted events); the exposure ledger reads it (architecture seam 3).
 */
import { KeyringUnavailableError, type StorageHost, type StorageTarget, type TokenRecord, type TokenStore } from '../flow/ports.ts';
import { credentialsPath } from '../flow/storage.ts';
import { CLI_NAME, type CliEmitted } from '../flow/types.ts';
import type { WorldClock } from '../sim/clock.ts';

/** Who can read a place. */
export type Reader =
  /** The person whose terminal this is. */
  | 'you'
  /** Another account on the same machine. */
  | 'other local users'
  /** Administrators of the machine (root can read everything on it). */
  | 'root'
  /** Anyone who can read the CI job's log. */
  | 'CI log readers'
  /** Whoever receives the support ticket. */
  | 'support staff'
  /** Any process of yours, and any app that reads the clipboard. */
  | 'apps you run'
  /** Everyone in the call (or watching its recording) while the terminal is on a screen share. */
  | 'people watching your screen';

export type HostKind = 'laptop' | 'shared-host' | 'ci-runner';

export interface HostFile {
  path: string;
  owner: string;
  mode: number;
  content: string;
  /** The content as written, piece by piece, with the time of each write (for "since when"). */
  chunks: TimedLine[];
  createdAt: number;
  updatedAt: number;
}

export interface HostProcess {
  pid: number;
  user: string;
  argv: string[];
  env: Record<string, string>;
  startedAt: number;
}

/** A line with the time it was written. */
export interface TimedLine {
  at: number;
  text: string;
}

export interface HostOptions {
  kind?: HostKind;
  /** The account the CLI runs as. */
  user?: string;
  /** Other accounts on the machine. */
  otherUsers?: string[];
  keyringAvailable?: boolean;
  /** The CLI's executable name (branding; the world sets it from its names). */
  cliName?: string;
  /** The terminal is on a screen share (a team call, a recorded demo): everything on it is seen by the people watching. */
  screenShared?: boolean;
  /**
   * On a CI runner: the job may ask its CI platform for an OIDC ID token (GitHub Actions' `permissions:
   * id-token: write`), which a CLI can exchange for a short-lived access token (workload identity). Default off.
   */
  ciIdToken?: boolean;
}

/** Where a CLI called `cli` leaves things on its host. Lab objectives read these instead of spelling out paths. */
export interface HostPaths {
  /** `~/.config/<cli>`: its configuration, and the credentials file with the file storage knobs. */
  configDir: string;
  credentials: string;
  /** `~/.cache/<cli>`: its debug log. */
  cacheDir: string;
  debugLog: string;
  /** The crash reporter's file for it. */
  crash: string;
}

export function hostPaths(cli: string): HostPaths {
  return {
    configDir: `~/.config/${cli}`,
    // The flow names the file it writes; the host only reports where that is.
    credentials: credentialsPath(cli),
    cacheDir: `~/.cache/${cli}`,
    debugLog: `~/.cache/${cli}/debug.log`,
    crash: `/var/crash/${cli}.crash`,
  };
}

/** The host's default umask is 022: files a program creates without choosing a mode are world-readable. */
export const DEFAULT_FILE_MODE = 0o644;

export class Host implements StorageHost {
  readonly kind: HostKind;
  readonly user: string;
  readonly otherUsers: string[];
  keyringAvailable: boolean;
  /** The terminal window is shared with an audience (see `HostOptions.screenShared`). */
  readonly screenShared: boolean;
  /** The CI job can get an ID token from its platform (see `HostOptions.ciIdToken`; only on a CI runner). */
  readonly offersCiIdToken: boolean;
  readonly cliName: string;
  /** Where the CLI leaves things here (named after `cliName`). */
  readonly paths: HostPaths;
  readonly files = new Map<string, HostFile>();
  readonly keychain = new Map<string, { content: string; createdAt: number }>();
  readonly shellHistory: TimedLine[] = [];
  readonly environment: Record<string, string> = {};
  readonly processes: HostProcess[] = [];
  readonly scrollback: Array<TimedLine & { style: string }> = [];
  readonly ciJobLog: TimedLine[] = [];
  readonly supportTicket: TimedLine[] = [];
  clipboard: TimedLine | undefined;
  #nextPid = 4100;
  #listeners = new Set<() => void>();

  constructor(private readonly clock: WorldClock, opts: HostOptions = {}) {
    this.kind = opts.kind ?? 'laptop';
    this.user = opts.user ?? 'alice';
    this.otherUsers = opts.otherUsers ?? (this.kind === 'laptop' ? [] : ['bob', 'eve']);
    this.keyringAvailable = opts.keyringAvailable ?? this.kind === 'laptop';
    this.screenShared = opts.screenShared ?? false;
    this.offersCiIdToken = this.kind === 'ci-runner' && opts.ciIdToken === true;
    this.cliName = opts.cliName ?? CLI_NAME;
    this.paths = hostPaths(this.cliName);
  }

  // --- the storage port (src/flow/ports.ts) ---

  open(target: StorageTarget): TokenStore {
    const host = this;
    switch (target.kind) {
      case 'memory': {
        let record: TokenRecord | undefined;
        return { target, save: async (r) => void (record = r), load: async () => record, clear: async () => void (record = undefined) };
      }
      case 'keychain': {
        const key = `${target.service}/${target.account}`;
        const guard = () => {
          if (!host.keyringAvailable) throw new KeyringUnavailableError();
        };
        return {
          target,
          save: async (r) => {
            guard();
            const prev = host.keychain.get(key);
            host.keychain.set(key, { content: JSON.stringify(r), createdAt: prev?.createdAt ?? host.clock.now() });
            host.#changed();
          },
          load: async () => {
            guard();
            const item = host.keychain.get(key);
            return item ? (JSON.parse(item.content) as TokenRecord) : undefined;
          },
          clear: async () => {
            guard();
            host.keychain.delete(key);
            host.#changed();
          },
        };
      }
      case 'file':
        return {
          target,
          save: async (r) => host.writeFile(target.path, JSON.stringify(r, null, 2), target.mode),
          load: async () => {
            const f = host.files.get(target.path);
            return f ? (JSON.parse(f.content) as TokenRecord) : undefined;
          },
          clear: async () => host.removeFile(target.path),
        };
    }
  }

  // --- what the CLI does to the host (its emitted events) ---

  /** Apply one event the CLI machine emitted. */
  apply(event: CliEmitted): void {
    const at = this.clock.now();
    switch (event.type) {
      case 'cli.output':
        this.scrollback.push({ at, text: event.text, style: event.style });
        if (this.kind === 'ci-runner') this.ciJobLog.push({ at, text: event.text });
        break;
      case 'cli.debug':
        // Debug output goes to stderr (the terminal) and to a log file created with the default umask.
        this.scrollback.push({ at, text: event.text, style: 'debug' });
        this.appendFile(this.paths.debugLog, event.text, DEFAULT_FILE_MODE);
        if (this.kind === 'ci-runner') this.ciJobLog.push({ at, text: event.text });
        break;
      case 'cli.exec':
        // An exported variable is inherited by every later process; a `--token` flag was typed, so the whole
        // command line lands in shell history; argv is visible to every account through `ps`.
        Object.assign(this.environment, event.env);
        if (event.argv.includes('--token')) this.shellHistory.push({ at, text: event.argv.join(' ') });
        this.processes.push({ pid: this.#nextPid++, user: this.user, argv: event.argv, env: { ...this.environment }, startedAt: at });
        break;
      case 'cli.store':
      case 'cli.qr':
        break;
    }
    this.#changed();
  }

  /** Print a line on the terminal that is not the CLI's own output (the shell's prompt echo, `ls`, `cat`...). */
  print(text: string, style = 'info'): void {
    const at = this.clock.now();
    this.scrollback.push({ at, text, style });
    if (this.kind === 'ci-runner') this.ciJobLog.push({ at, text });
    this.#changed();
  }

  /** The person typed a command line (it lands in shell history, as typed). */
  typed(line: string): void {
    this.shellHistory.push({ at: this.clock.now(), text: line });
    const exported = /^export\s+([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (exported) this.environment[exported[1]!] = exported[2]!.replace(/^["']|["']$/g, '');
    this.#changed();
  }

  /** Copy text to the clipboard. */
  copy(text: string): void {
    this.clipboard = { at: this.clock.now(), text };
    this.#changed();
  }

  /** Paste the visible terminal into a support ticket (the `<cli> token` lab's habit). */
  pasteScrollbackToSupport(lastLines = 40): void {
    const at = this.clock.now();
    for (const l of this.scrollback.slice(-lastLines)) this.supportTicket.push({ at, text: l.text });
    this.#changed();
  }

  /** The CLI crashed: like most crash reporters it writes its environment and recent output to /var/crash. */
  crash(detail: string): void {
    const tail = this.scrollback.slice(-20).map((l) => l.text).join('\n');
    const env = Object.entries(this.environment).map(([k, v]) => `${k}=${v}`).join('\n');
    this.writeFile(this.paths.crash, `${this.cliName} crashed: ${detail}\n--- environment ---\n${env}\n--- recent output ---\n${tail}\n`, DEFAULT_FILE_MODE);
  }

  writeFile(path: string, content: string, mode: number): void {
    const now = this.clock.now();
    const prev = this.files.get(path);
    this.files.set(path, { path, owner: this.user, mode, content, chunks: [{ at: now, text: content }], createdAt: prev?.createdAt ?? now, updatedAt: now });
    this.#changed();
  }

  appendFile(path: string, line: string, mode: number): void {
    const now = this.clock.now();
    const prev = this.files.get(path);
    const chunk = { at: now, text: `${line}\n` };
    this.files.set(path, prev
      ? { ...prev, content: prev.content + chunk.text, chunks: [...prev.chunks, chunk], updatedAt: now }
      : { path, owner: this.user, mode, content: chunk.text, chunks: [chunk], createdAt: now, updatedAt: now });
    this.#changed();
  }

  removeFile(path: string): void {
    if (this.files.delete(path)) this.#changed();
  }

  /** Who can read a file with this mode and owner (ignoring groups: other users are not in yours). */
  fileReaders(file: HostFile): Reader[] {
    const readers: Reader[] = ['you', 'root'];
    if (file.mode & 0o004) readers.push('other local users');
    return readers;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    for (const l of this.#listeners) l();
  }
}
