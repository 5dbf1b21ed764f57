/**
 * The runner's attacker and browser steps beyond the first labs: phishing, replay without the DPoP key, and
 * "sign out everywhere" in the learner's browser. Each goes through the same door the page uses.
 */
import { describe, expect, test } from 'vitest';
import { runStep } from './runner.ts';
import { validateScenario } from './validateScenario.ts';
import { createWorld } from '../world/index.ts';
import type { LabStep } from './types.ts';

const loggedIn = async (clientKnobs = {}) => {
  const world = await createWorld({ host: { kind: 'laptop' }, clientKnobs, userBehaviour: { kind: 'approve', afterS: 8 } });
  await runStep(world, { do: 'type', line: 'acme login' });
  await runStep(world, { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 });
  return world;
};

describe('runner steps', () => {
  test('phish: the attacker gets the victim\'s tokens when the victim approves anything', async () => {
    const world = await loggedIn();
    try {
      await runStep(world, { do: 'attack', move: 'phish', victim: 'approves-anything' });
      expect(world.attacker.log.at(-1)).toMatchObject({ move: 'phish', succeeded: true });
      expect(world.attacker.loot.access_token).toHaveLength(1);
    } finally {
      world.stop();
    }
  });

  test('sign-out-everywhere: signs the learner\'s browser in and revokes every grant of that person', async () => {
    const world = await loggedIn();
    try {
      await runStep(world, { do: 'attack', move: 'phish', victim: 'approves-anything' });
      await runStep(world, { do: 'sign-out-everywhere' });
      // Signing out everywhere ends the browser's own session too.
      expect(world.browser.user).toBeUndefined();
      expect(world.idp.as.audit.events.filter((e) => e.type === 'grant.revoked' && e.user === 'alice')).toHaveLength(2);
      const issued = world.idp.as.issuedSecrets();
      expect(world.attacker.loot.access_token.every((v) => issued.find((s) => s.value === v)?.usable === false)).toBe(true);
    } finally {
      world.stop();
    }
  });

  test('replay-without-dpop-key: a bearer token works, a DPoP-bound one does not', async () => {
    for (const dpop of [false, true]) {
      const world = await loggedIn({ dpop, storage: 'file-0600' });
      try {
        await runStep(world, { do: 'attack', move: 'read-places', as: 'root' });
        await runStep(world, { do: 'attack', move: 'replay-without-dpop-key' });
        expect(world.attacker.log.at(-1)).toMatchObject({ move: 'replay-without-dpop-key', succeeded: !dpop });
      } finally {
        world.stop();
      }
    }
  });

  test('validateScenario accepts the new steps and names a bad phishing victim', () => {
    const scenario = (step: unknown) => ({
      setup: { world: {}, learnerKnobs: { client: ['dpop'] } }, objectives: [{ id: 'x', text: 'x', holds: () => false }],
      solution: [step as LabStep],
    });
    expect(validateScenario(scenario({ do: 'sign-out-everywhere' }), 'f')).toEqual([]);
    expect(validateScenario(scenario({ do: 'attack', move: 'replay-without-dpop-key' }), 'f')).toEqual([]);
    expect(validateScenario(scenario({ do: 'attack', move: 'phish', victim: 'clicks' }), 'f'))
      .toEqual(['f: solution[0].victim must be one of approves-anything, reads-consent, got "clicks"']);
  });
});
