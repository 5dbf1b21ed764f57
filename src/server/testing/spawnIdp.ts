/**
 * Start `npm run idp`'s entry point as a real child process on a free loopback port, for interop tests.
 * Resolves once the server has printed its issuer; collects every log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

export interface SpawnedIdp {
  issuer: string;
  lines: string[];
  /** Resolves with the first log line (already printed or still to come) that matches. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit status once the process has exited by itself (or been stopped). */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export async function spawnIdp(args: string[]): Promise<SpawnedIdp> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waiters = new Set<() => void>();
  let buffered = '';
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);

  const waitForLine = (pattern: RegExp, timeoutMs = 15_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const hit = lines.find((l) => pattern.test(l));
        if (hit !== undefined) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`idp did not print ${pattern} within ${timeoutMs} ms; output so far:\n${lines.join('\n')}`));
      }, timeoutMs);
      waiters.add(check);
      child.once('exit', () => check());
      check();
    });

  const issuerLine = await waitForLine(/^issuer:\s+http/);
  const issuer = issuerLine.replace(/^issuer:\s+/, '').trim();
  return {
    issuer,
    lines,
    waitForLine,
    exited,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** POST a form to the running server. */
export async function postForm(url: string, params: Record<string, string>): Promise<Response> {
  return fetch(url, { method: 'POST', body: new URLSearchParams(params) });
}
