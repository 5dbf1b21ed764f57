/**
 * A `CliIo` for tests: the real fetch and the real clock (these are interop tests, against real servers on
 * loopback), captured stdout and stderr, a temporary home directory, no OS keychain unless one is given, and
 * a Ctrl+C the test can press.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realClock } from '../../sim/clock.ts';
import { runMain, type CliIo } from '../app.ts';
import type { KeychainBackend } from '../store.ts';

export interface TestTerminal {
  io: CliIo;
  /** Everything written to stdout and stderr, interleaved in order. */
  text(): string;
  stdout(): string;
  stderr(): string;
  /** Press Ctrl+C. */
  interrupt(): void;
  /** Resolves with the first match of `pattern` in the output (polls every 20 ms). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

export interface TerminalOptions {
  homeDir: string;
  keychain?: KeychainBackend;
  isTTY?: boolean;
  env?: Record<string, string>;
  /** Overrides of the io (a recording fetch, say). */
  io?: Partial<CliIo>;
}

export function testTerminal(opts: TerminalOptions): TestTerminal {
  const chunks: Array<{ to: 'out' | 'err'; text: string }> = [];
  const handlers = new Set<() => void>();
  const io: CliIo = {
    stdout: { write: (text) => void chunks.push({ to: 'out', text }), isTTY: opts.isTTY ?? false },
    stderr: { write: (text) => void chunks.push({ to: 'err', text }) },
    env: opts.env ?? {},
    fetch: (request) => globalThis.fetch(request),
    clock: realClock,
    homeDir: opts.homeDir,
    keychain: opts.keychain,
    onInterrupt(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    ...opts.io,
  };
  const text = () => chunks.map((c) => c.text).join('');
  return {
    io,
    text,
    stdout: () => chunks.filter((c) => c.to === 'out').map((c) => c.text).join(''),
    stderr: () => chunks.filter((c) => c.to === 'err').map((c) => c.text).join(''),
    interrupt: () => {
      for (const h of handlers) h();
    },
    async waitFor(pattern, timeoutMs = 10_000) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const m = pattern.exec(text());
        if (m) return m;
        if (performance.now() > deadline) throw new Error(`timed out waiting for ${pattern} in output:\n${text()}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

/** Run one command in a fresh terminal; `whileRunning` acts on it (approve the code, press Ctrl+C). */
export async function runCommand(
  argv: string[],
  opts: TerminalOptions,
  whileRunning?: (t: TestTerminal) => Promise<void>,
): Promise<{ code: number; terminal: TestTerminal }> {
  const terminal = testTerminal(opts);
  const running = runMain(argv, terminal.io);
  const acting = whileRunning?.(terminal);
  const [code] = await Promise.all([running, acting]);
  return { code, terminal };
}

export async function tempHome(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'device-flow-lab-cli-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The user code as the machine prints it ("! First copy your one-time code: WDJB-MJHT"). */
export const USER_CODE_LINE = /one-time code: (\S+)/;
