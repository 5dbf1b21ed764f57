/**
 * Attack steps that carry arguments: `replay-access-token` with a `call` (another method and path than
 * `GET /api/projects`) and `brute-force-user-codes` with a bounded number of `attempts`.
 */
import { describe, expect, test } from 'vitest';
import { runStep } from './runner.ts';
import { notYet } from './types.ts';
import { validateScenario } from './validateScenario.ts';
import { createWorld } from '../world/index.ts';
import type { LabStep } from './types.ts';

const scenario = (step: unknown) => ({
  setup: { world: {}, learnerKnobs: { client: ['scopes'] } }, objectives: [{ id: 'x', text: 'x', holds: () => notYet('not yet') }],
  solution: [step as LabStep], nearMisses: [{ name: 'n', objective: 'x', after: 1, steps: [] }],
});

describe('attack steps with arguments', () => {
  test('replay-access-token with a call sends that request; without one it reads projects', async () => {
    const world = await createWorld({ host: { kind: 'laptop' }, clientKnobs: { storage: 'file-0600' }, userBehaviour: { kind: 'approve', afterS: 8 } });
    try {
      await runStep(world, { do: 'type', line: 'acme login' });
      await runStep(world, { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 });
      await runStep(world, { do: 'attack', move: 'read-places', as: 'root' });
      await runStep(world, { do: 'attack', move: 'replay-access-token' });
      await runStep(world, { do: 'attack', move: 'replay-access-token', call: { method: 'DELETE', path: '/api/projects/p1' } });
      expect(world.attacker.log.slice(-2).map((o) => o.detail)).toEqual([
        'GET /api/projects answered 200 for the stolen token',
        'DELETE /api/projects/p1 refused (403): insufficient_scope',
      ]);
    } finally {
      world.stop();
    }
  });

  test('brute-force-user-codes guesses at most `attempts` codes', async () => {
    const world = await createWorld({ serverKnobs: { userCodeAttemptLimit: 0 } });
    try {
      await runStep(world, { do: 'type', line: 'acme login' });
      await runStep(world, { do: 'attack', move: 'brute-force-user-codes', attempts: 7 });
      expect(world.attacker.log.at(-1)).toMatchObject({ move: 'brute-force-user-codes', succeeded: false, detail: 'no live code found in 7 tries' });
      expect(world.idp.as.audit.ofType('user_code.rejected')).toHaveLength(7);
    } finally {
      world.stop();
    }
  });

  test('validateScenario names bad attempts and bad calls', () => {
    expect(validateScenario(scenario({ do: 'attack', move: 'brute-force-user-codes', attempts: 10_000 }), 'f')).toEqual([]);
    expect(validateScenario(scenario({ do: 'attack', move: 'replay-access-token', call: { method: 'DELETE', path: '/api/projects/p1' } }), 'f')).toEqual([]);
    expect(validateScenario(scenario({ do: 'attack', move: 'brute-force-user-codes', attempts: 0 }), 'f')).toEqual([
      'f: solution[0].attempts must be a whole number of guesses between 1 and 10000, got 0',
    ]);
    expect(validateScenario(scenario({ do: 'attack', move: 'brute-force-user-codes' }), 'f')[0]).toMatch(/attempts must be a whole number/);
    expect(validateScenario(scenario({ do: 'attack', move: 'replay-access-token', call: { method: 'TRACE', path: '/api/x' } }), 'f')[0])
      .toMatch(/^f: solution\[0\]\.call must be \{ method: GET\|POST\|PUT\|PATCH\|DELETE, path: '\/api\/\.\.\.' \}/);
    expect(validateScenario(scenario({ do: 'attack', move: 'replay-access-token', call: { method: 'GET', path: 'https://evil.test/' } }), 'f')).toHaveLength(1);
  });
});
