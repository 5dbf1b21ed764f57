/**
 * The settle loop's waiting: a ChangeSignal wait ends at the next notification (every waiter's, in one go), or,
 * when nobody reports a change, at its fallback timer, which is counted; and a world's settle() looks after a
 * change instead of every event-loop turn.
 */
import { expect, test } from 'vitest';
import { ChangeSignal, nextTurn } from './eventLoop.ts';
import { createWorld } from './index.ts';

test('a wait ends at the next notification, for every waiter at once, and not before', async () => {
  const signal = new ChangeSignal(60_000);
  const ended: string[] = [];
  const a = signal.changed().then(() => ended.push('a'));
  const b = signal.changed().then(() => ended.push('b'));
  await nextTurn();
  expect(ended).toEqual([]);
  signal.notify();
  await Promise.all([a, b]);
  expect(ended.sort()).toEqual(['a', 'b']);
  expect(signal.count).toBe(1);
  expect(signal.fallbacks).toBe(0);
});

test('a wait nobody reports a change for ends by the fallback timer, and says so', async () => {
  const signal = new ChangeSignal(1);
  await signal.changed();
  expect(signal.fallbacks).toBe(1);
  expect(signal.count).toBe(0);
  // A later wait gets its own fallback (the timer is not left armed for the first one).
  await signal.changed();
  expect(signal.fallbacks).toBe(2);
});

test('settle() waits out an API call whose token check runs on a slow thread pool in a few event-loop turns, not one per turn of waiting', async () => {
  const w = await createWorld({ userBehaviour: { kind: 'approve', afterS: 1 } });
  try {
    await w.send({ type: 'user.login' });
    await w.runUntil(() => w.state().startsWith('authenticated'), 120_000);
    expect(w.state()).toMatch(/^authenticated/);
    const original = globalThis.setImmediate;
    let turns = 0;
    globalThis.setImmediate = ((fn: (...args: unknown[]) => void, ...args: unknown[]) => {
      turns++;
      return original(fn, ...args);
    }) as typeof setImmediate;
    // The API verifies the access token's ES256 signature (WebCrypto, off the main thread) before it answers;
    // here the thread pool is made slow (30 ms, as on a busy machine), which a turn-by-turn loop pays in turns.
    const subtle = globalThis.crypto.subtle;
    const verify = subtle.verify.bind(subtle);
    const slow: typeof subtle.verify = (...args) => new Promise((resolve, reject) => void globalThis.setTimeout(() => verify(...args).then(resolve, reject), 30));
    Object.defineProperty(subtle, 'verify', { value: slow, configurable: true, writable: true });
    try {
      await w.send({ type: 'user.whoami' });
    } finally {
      globalThis.setImmediate = original;
      delete (subtle as { verify?: unknown }).verify;
    }
    expect(globalThis.crypto.subtle.verify).toBe(SubtleCrypto.prototype.verify);
    expect(w.wire.log.at(-1)?.response?.status).toBe(200);
    expect(turns).toBeLessThan(10);
  } finally {
    w.stop();
  }
});
