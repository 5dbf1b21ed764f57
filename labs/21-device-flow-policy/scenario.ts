/**
 * Lab 21: a tenant policy for the device flow (F15; G12, G13). Carol works in finance and has never used the acme
 * CLI, but the identity provider lets every account approve a device code. A message "enter this code to see the
 * invoice" did it: the attacker's terminal holds her tokens. The learner, the identity provider's admin, allows the
 * device flow only for the engineering group (the people who use the CLI), watches the next phish of carol blocked
 * at the verification page and recorded in the audit log, checks that alice (engineering) still signs in with the
 * CLI, and ends the session phished this morning, which no policy change touches.
 *
 * Only the fix ticks: the block must be the policy's audit record for carol on a request from the attacker's
 * machine; alice's login must come after it; carol's phished grant must be revoked at the identity provider.
 */
import { defineLab, need, type LabStep } from '../../src/labs/types.ts';
import { ADDRESSES } from '../../src/world/addresses.ts';
import type { World } from '../../src/world/index.ts';

const VICTIM = 'carol';
const PHISH_CAROL: LabStep = { do: 'attack', move: 'phish', victim: 'approves-anything', target: VICTIM };
const FINISH: LabStep = { do: 'run-until', states: ['authenticated.ready', 'denied', 'expired', 'failed'], limitSeconds: 60 };

/** The policy's blocks of carol on a device flow the attacker's machine started. */
const carolBlocked = (w: World) => w.provider.audit('device_flow.blocked').filter((e) => e.user === VICTIM && e.device?.ip === ADDRESSES.attacker);

/** Carol's grants (approved device codes): the one phished this morning and any later. */
const carolGrants = (w: World) => w.provider.grants().filter((g) => g.sub === VICTIM);

export default defineLab({
  setup: {
    world: {
      host: { kind: 'laptop' },
      // The tenant has no device-flow policy: every account may approve a device code.
      serverKnobs: { deviceFlowUsers: 'everyone' },
    },
    showcase: 0,
    learnerKnobs: { server: ['deviceFlowUsers'] },
    // This morning: "enter this code to see the invoice" reached carol in finance; the attacker now reads as her.
    prelude: [PHISH_CAROL, { do: 'attack', move: 'replay-access-token' }],
  },
  objectives: [
    {
      id: 'policy-blocks-carol',
      text: 'Allow the device flow only for the people who use the CLI, then let the attacker phish carol again (attacker console, colleague Carol Diaz): the identity provider must block her, and the audit log must show it.',
      holds: (w) => need(carolBlocked(w).length > 0, w.provider.knobs.deviceFlowUsers === 'everyone'
        ? 'every account may still approve a device code, carol\'s included, though she never uses the CLI'
        : 'the attacker has not tried carol since the policy changed: the audit log shows no block yet')
        ?? true,
    },
    {
      id: 'engineers-still-work',
      text: 'Check that the policy does not get in the way: after the change, `acme login` as alice (engineering) still signs in.',
      holds: (w) => {
        const block = carolBlocked(w)[0];
        const logins = w.provider.audit('token.issued').filter((e) => e.user === w.host.user && e.from?.ip === ADDRESSES.cli
          && block !== undefined && e.seq > block.seq);
        return need(block !== undefined, 'the policy has not blocked anyone yet, so there is nothing to check it against')
          ?? need(logins.length > 0, 'alice has not signed in with the CLI since the policy blocked carol: run `acme login` and approve it as alice')
          ?? true;
      },
    },
    {
      id: 'carol-session-dead',
      text: 'A policy stops new logins, not old ones: make the tokens phished from carol this morning worthless.',
      holds: (w) => {
        const grants = carolGrants(w);
        return need(grants.length > 0 && grants.every((g) => g.revokedAt !== undefined),
          'the grant the attacker phished from carol is still active at the identity provider: a policy change does not end it')
          ?? true;
      },
    },
  ],
  solution: [
    { do: 'knobs', server: { deviceFlowUsers: 'engineering' } },
    PHISH_CAROL,
    { do: 'sign-out-everywhere', user: VICTIM },
    { do: 'attack', move: 'replay-access-token' },
    { do: 'type', line: 'acme login' },
    { do: 'browser', enter: 'user-code-on-terminal', decide: 'approve' },
    FINISH,
  ],
  nearMisses: [
    {
      name: 'phishing carol again without a policy: she is phished a second time',
      objective: 'policy-blocks-carol',
      steps: [PHISH_CAROL],
    },
    {
      name: 'a one-minute code lifetime: the phish opens at once and carol approves in time',
      objective: 'policy-blocks-carol',
      steps: [{ do: 'knobs', server: { codeLifetimeS: 60 } }, PHISH_CAROL],
    },
    {
      name: 'keeping the device grant to registered clients: the attacker uses the CLI\'s own client, which is registered',
      objective: 'policy-blocks-carol',
      steps: [{ do: 'knobs', server: { deviceGrantClients: 'registered' } }, PHISH_CAROL],
    },
    {
      name: 'logging in before the policy change proves nothing about it',
      objective: 'engineers-still-work',
      steps: [{ do: 'type', line: 'acme login' }, { do: 'browser', enter: 'user-code-on-terminal', decide: 'approve' }, FINISH,
        { do: 'knobs', server: { deviceFlowUsers: 'engineering' } }, PHISH_CAROL],
      ticks: ['policy-blocks-carol'],
    },
    {
      name: 'turning the policy on leaves this morning\'s phished session working: the attacker\'s replay still succeeds',
      objective: 'carol-session-dead',
      steps: [{ do: 'knobs', server: { deviceFlowUsers: 'engineering' } }, PHISH_CAROL, { do: 'attack', move: 'replay-access-token' }],
      ticks: ['policy-blocks-carol'],
    },
    {
      name: 'signing out everywhere as alice ends alice\'s sessions, not carol\'s',
      objective: 'carol-session-dead',
      steps: [{ do: 'sign-out-everywhere' }],
    },
  ],
});
