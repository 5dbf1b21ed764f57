/** The brute-force move never repeats a guess: a code space within its budget is walked exhaustively. */
import { describe, expect, test } from 'vitest';
import { DIGITS_ALPHABET } from '../protocol/userCode.ts';
import { shuffledCodeSpace } from './attacker.ts';
import { createWorld } from './index.ts';

describe('brute-forcing user codes', () => {
  test('shuffledCodeSpace lists every code exactly once', () => {
    const codes = shuffledCodeSpace('AB', 3);
    expect(codes).toHaveLength(8);
    expect(new Set(codes).size).toBe(8);
    expect([...codes].sort()).toEqual(['AAA', 'AAB', 'ABA', 'ABB', 'BAA', 'BAB', 'BBA', 'BBB']);
    expect(shuffledCodeSpace(DIGITS_ALPHABET, 4)).toHaveLength(10_000);
  });

  test('with a budget covering the whole space and no attempt limit, a live 4-digit code is always found and approved as the attacker', async () => {
    const world = await createWorld({ serverKnobs: { userCodeAlphabet: 'digits', userCodeLength: 4, userCodeAttemptLimit: 0 } });
    try {
      await world.send({ type: 'user.login' });
      const out = await world.attack((a) => a.bruteForceUserCodes(10_000));
      expect(out.succeeded).toBe(true);
      expect(out.detail).toMatch(/approved it as mallory/);
      const live = [...world.idp.as.state.deviceGrants.values()][0]!;
      expect(live.status).toBe('approved');
      expect(live.approvedBy).toBe('mallory');
    } finally {
      world.stop();
    }
  }, 60_000);

  test('an attempt limit locks the guesser out after exactly that many wrong codes', async () => {
    const world = await createWorld({ serverKnobs: { userCodeAlphabet: 'digits', userCodeLength: 4, userCodeAttemptLimit: 5 } });
    try {
      await world.send({ type: 'user.login' });
      const out = await world.attack((a) => a.bruteForceUserCodes(10_000));
      // 5 wrong codes, unless one of the first five guesses happened to be the live code.
      if (!out.succeeded) expect(out.detail).toBe('locked out after 5 wrong codes (attempt limit)');
    } finally {
      world.stop();
    }
  });
});
