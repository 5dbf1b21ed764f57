/**
 * The runner's attacker and browser steps beyond the first labs: phishing, replay without the DPoP key, and
 * "sign out everywhere" in the learner's browser. Each goes through the same door the page uses.
 */
import { describe, expect, test } from 'vitest';
import { runStep } from './runner.ts';
import { notYet } from './types.ts';
import { validateScenario } from './validateScenario.ts';
import { ADDRESSES, createWorld } from '../world/index.ts';
import { SimBrowser } from '../world/browser.ts';
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

  test('revoke-grant: the account page lists both grants without devices; the step revokes the one the audit log ties to the attacker only', async () => {
    const world = await loggedIn();
    try {
      await runStep(world, { do: 'attack', move: 'phish', victim: 'approves-anything' });
      await world.browser.signIn('alice');
      const listed = (await world.browser.listGrants()).body.grants as Array<Record<string, unknown>>;
      expect(listed).toHaveLength(2);
      expect(listed.map((g) => g.client)).toEqual(['Acme CLI', 'Acme CLI']);
      expect(JSON.stringify(listed)).not.toMatch(/203\.0\.113|192\.0\.2/);
      await runStep(world, { do: 'revoke-grant', issuedTo: 'attacker' });
      const revoked = world.idp.as.audit.ofType('grant.revoked');
      expect(revoked).toHaveLength(1);
      expect(revoked[0]).toMatchObject({ user: 'alice', detail: 'the user revoked this grant at the identity provider' });
      const issued = world.idp.as.issuedSecrets();
      expect(world.attacker.loot.access_token.every((v) => issued.find((s) => s.value === v)?.usable === false)).toBe(true);
      // The CLI's own grant is untouched: its next API call works.
      await runStep(world, { do: 'type', line: 'acme api get /api/projects' });
      expect(world.terminal().at(-1)).toContain('payments-service');
    } finally {
      world.stop();
    }
  });

  test('revoke-grant: another person cannot revoke alice\'s grant (answered like a missing one), nor revoke without signing in', async () => {
    const world = await loggedIn();
    try {
      const grantId = [...world.idp.as.state.grants.keys()][0]!;
      const bob = new SimBrowser(world.wire.fetchFor('attacker', ADDRESSES.attacker), world.browser.verificationUri);
      expect((await bob.revokeGrant(grantId)).status).toBe(401);
      await bob.signIn('mallory');
      const refused = await bob.revokeGrant(grantId);
      expect(refused).toMatchObject({ status: 404, body: { error: 'not_found' } });
      expect((await bob.revokeGrant('no-such-grant')).body).toEqual(refused.body);
      expect(world.idp.as.state.grants.get(grantId)?.revokedAt).toBeUndefined();
      expect((await bob.listGrants()).body.grants).toEqual([]);
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
      setup: { world: {}, learnerKnobs: { client: ['dpop'] } }, objectives: [{ id: 'x', text: 'x', holds: () => notYet('not yet') }],
      solution: [step as LabStep], nearMisses: [{ name: 'n', objective: 'x', after: 1, steps: [] }],
    });
    expect(validateScenario(scenario({ do: 'sign-out-everywhere' }), 'f')).toEqual([]);
    expect(validateScenario(scenario({ do: 'attack', move: 'replay-without-dpop-key' }), 'f')).toEqual([]);
    expect(validateScenario(scenario({ do: 'attack', move: 'phish', victim: 'clicks' }), 'f'))
      .toEqual(['f: solution[0].victim must be one of approves-anything, reads-consent, got "clicks"']);
  });
});
