/**
 * Lab 19 can only be solved by doing what it teaches. The lab check (src/labs/labCheck.test.ts) proves the
 * solution works; these prove the near misses do not: a spy refused only because alice was quicker, a spy
 * who is faster than the binding, a logout that does not revoke, and a logout without looking.
 */
import { describe, expect, test, vi } from 'vitest';
import { labs } from 'virtual:labs';
import { objectiveStatus, replaySteps, startLab } from '../../src/labs/runner.ts';
import type { LabStep } from '../../src/labs/types.ts';
import type { World } from '../../src/world/index.ts';

vi.setConfig({ testTimeout: 60_000 });

const lab = labs.find((l) => l.id === '19-session-spying')!;
const FINISH: LabStep = { do: 'run-until', states: ['authenticated.ready', 'denied', 'expired', 'failed'], limitSeconds: 60 };
const WATCH: LabStep = { do: 'attack', move: 'read-places', as: 'people watching your screen' };
const SPY: LabStep = { do: 'attack', move: 'enter-user-code' };
const ENTER: LabStep = { do: 'browser', enter: 'user-code-on-terminal' };
const APPROVE: LabStep = { do: 'browser', enter: 'user-code-on-terminal', decide: 'approve' };
/** The spy wins the first login, alice looks and logs out. */
const FIRST_ROUND: LabStep[] = [
  { do: 'type', line: 'acme login' }, ENTER, WATCH, SPY, APPROVE, FINISH, { do: 'type', line: 'acme whoami' }, { do: 'type', line: 'acme logout' },
];

async function play(steps: LabStep[]): Promise<{ world: World; done: string[] }> {
  const world = await startLab(lab);
  await replaySteps(world, steps);
  return { world, done: objectiveStatus(lab, world).filter((o) => o.done).map((o) => o.id) };
}

describe('lab 19: session spying', () => {
  test('the shared screen exposes the live user code to the people watching, and the spy wins: alice\'s CLI is mallory\'s', async () => {
    const { world, done } = await play(FIRST_ROUND.slice(0, 7));
    try {
      const code = world.ledger().find((e) => e.kind === 'user_code')!;
      expect(code.places.map((p) => p.placeId)).toContain('screen-share');
      expect(world.attacker.log.at(-1)).toMatchObject({ move: 'enter-user-code', succeeded: true });
      expect(world.browser.user).toBe('alice');
      expect(world.terminal().at(-1)).toBe('{"sub":"mallory"}');
      expect(done).toEqual(['spy-wins']);
    } finally {
      world.stop();
    }
  });

  test('without the binding the second login is hijacked again: the fix stays open, and the live spy session reopens the logout objective', async () => {
    const { world, done } = await play([...FIRST_ROUND, { do: 'type', line: 'acme login' }, ENTER, WATCH, SPY, APPROVE, FINISH, { do: 'type', line: 'acme whoami' }]);
    try {
      expect(world.terminal().at(-1)).toBe('{"sub":"mallory"}');
      expect(done).toEqual(['spy-wins']);
    } finally {
      world.stop();
    }
  });

  test('a spy refused only because alice had already approved does not count', async () => {
    const bind: LabStep = { do: 'knobs', server: { bindCodeToFirstSession: true } };
    const { world, done } = await play([...FIRST_ROUND, bind, { do: 'type', line: 'acme login' }, APPROVE, WATCH, SPY, FINISH, { do: 'type', line: 'acme whoami' }]);
    try {
      expect(world.attacker.log.at(-1)).toMatchObject({ move: 'enter-user-code', succeeded: false });
      expect(world.terminal().at(-1)).toBe('{"sub":"alice"}');
      expect(done).not.toContain('spy-refused');
    } finally {
      world.stop();
    }
  });

  test('binding protects the first session only: a spy who enters the code before alice still wins', async () => {
    const bind: LabStep = { do: 'knobs', server: { bindCodeToFirstSession: true } };
    const { world, done } = await play([...FIRST_ROUND, bind, { do: 'type', line: 'acme login' }, WATCH, SPY, APPROVE, FINISH, { do: 'type', line: 'acme whoami' }]);
    try {
      expect(world.terminal().at(-1)).toBe('{"sub":"mallory"}');
      expect(done).not.toContain('spy-refused');
    } finally {
      world.stop();
    }
  });

  test('logging out without looking, or with a logout that only deletes locally, does not count', async () => {
    const blind = await play([...FIRST_ROUND.slice(0, 6), { do: 'type', line: 'acme logout' }]);
    const local = await play([...FIRST_ROUND.slice(0, 7), { do: 'knobs', client: { logout: 'local-only' } }, { do: 'type', line: 'acme logout' }]);
    try {
      expect(blind.done).toEqual(['spy-wins']);
      expect(local.done).toEqual(['spy-wins']);
    } finally {
      blind.world.stop();
      local.world.stop();
    }
  });
});
