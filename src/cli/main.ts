#!/usr/bin/env node
/**
 * The `device-flow-lab` bin: `runMain` (app.ts) with the real terminal, the real fetch, the real clock, the
 * OS keychain when there is one, and Ctrl+C. Plain node at run time (bundled by the Node build of the bins).
 */
import { homedir } from 'node:os';
import { realClock } from '../sim/clock.ts';
import { CLI_NAME, runMain, type CliIo } from './app.ts';
import { detectKeychain } from './store.ts';

/** Sent on every request that has none, so a provider's logs (and the rehearsal server's report card) can tell this CLI apart. */
const USER_AGENT = `${CLI_NAME} (node ${process.versions.node}; ${process.platform})`;

async function main(): Promise<number> {
  const io: CliIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    // Node's fetch says only "fetch failed"; its cause says why (ECONNREFUSED, ENOTFOUND, a certificate error).
    fetch: (request) => {
      if (!request.headers.has('user-agent')) request.headers.set('user-agent', USER_AGENT);
      return globalThis.fetch(request).catch((err: unknown) => {
        const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
        const code = cause && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
        throw new Error(cause ? `${code && !cause.message.includes(code) ? `${code}: ` : ''}${cause.message}` : err instanceof Error ? err.message : String(err), { cause: err });
      });
    },
    clock: realClock,
    homeDir: homedir(),
    keychain: process.env.DEVICE_FLOW_LAB_KEYCHAIN === 'none' ? undefined : await detectKeychain(process.platform, process.env.PATH),
    onInterrupt(handler) {
      let count = 0;
      const listener = () => {
        // A second Ctrl+C while the first is being handled leaves at once.
        if (++count > 1) process.exit(130);
        handler();
      };
      process.on('SIGINT', listener);
      return () => process.off('SIGINT', listener);
    },
  };
  return runMain(process.argv.slice(2), io);
}

const code = await main().catch((err: unknown) => {
  process.stderr.write(`${CLI_NAME}: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
});
// Leave now rather than when idle keep-alive connections time out; stdout is flushed first.
process.stdout.write('', () => process.exit(code));
