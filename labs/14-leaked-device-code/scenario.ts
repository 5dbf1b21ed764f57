/**
 * Lab 14: the leaked device code race (F7, G4). A deploy job on a CI runner logs in with the device flow and
 * prints the device code next to the user code; the job log is readable by everyone in the organisation. A log
 * reader polls the token endpoint with the code and redeems it before the CLI does. The learner watches the
 * race, then logs in with the device code kept off the terminal: the same reader finds nothing to poll with.
 */
import { defineLab, need, type LabStep } from '../../src/labs/types.ts';
import { deviceCodePolls } from '../../src/labs/runner.ts';
import type { World } from '../../src/world/index.ts';

/** Device codes the CLI itself redeemed (its poll was answered with tokens). */
function redeemedByCli(world: World): string[] {
  return [...new Set(deviceCodePolls(world).filter((p) => p.tokens).map((p) => p.deviceCode))];
}

const FINISH: LabStep = { do: 'run-until', states: ['authenticated.ready', 'denied', 'expired', 'failed'], limitSeconds: 60 };

export default defineLab({
  setup: {
    world: {
      host: { kind: 'ci-runner' },
      // A runner has no keyring; the job keeps its tokens in memory. This provider, like many, does not
      // throttle each device code separately, so whoever polls right after the approval wins.
      clientKnobs: { showDeviceCode: true, storage: 'memory' },
      serverKnobs: { slowDownEnforcement: false },
      userBehaviour: { kind: 'never' },
    },
    showcase: 6,
    learnerKnobs: { client: ['showDeviceCode'] },
  },
  objectives: [
    {
      id: 'lose-the-race',
      text: 'Run `acme login`, approve the code in the browser, and let a reader of the CI job log poll with the device code it found there: the attacker redeems your login before your CLI does.',
      holds: (w) => need(w.attacker.loot.device_code.length > 0, 'the CI log reader has not found a device code yet: start a login and let them read the job log')
        ?? need(w.attacker.log.some((o) => o.move === 'poll-device-code'), 'the reader holds a device code but has not polled with it')
        ?? need(w.attacker.log.some((o) => o.move === 'poll-device-code' && o.succeeded), 'the reader polled before you approved, or after your CLI had redeemed the code: approve first, then let them poll')
        ?? true,
    },
    {
      id: 'nothing-to-poll-with',
      text: 'Log in again so that the device code never reaches the job log: your CLI redeems it, and a CI log reader who looks during that login finds no device code to poll with.',
      holds: (w) => {
        const codes = w.ledger().filter((e) => e.kind === 'device_code');
        const clean = redeemedByCli(w).map((code) => codes.find((e) => e.value === code))
          .filter((entry) => entry !== undefined && !w.attacker.loot.device_code.includes(entry.value) && entry.places.every((p) => p.placeId === 'wire'));
        return need(clean.length > 0, redeemedByCli(w).length === 0
          ? 'your CLI has not redeemed a device code of its own yet'
          : 'every login your CLI redeemed put its device code where the CI log reader could see it')
          ?? need(clean.some((entry) => w.attacker.log.some((o) => o.move === 'read-places' && o.at >= entry!.issuedAt && o.detail.startsWith('as CI log readers'))),
            'no CI log reader looked at the job log during the clean login, so nothing shows it was safe')
          ?? need(w.state().startsWith('authenticated'), 'the CLI is not signed in now')
          ?? true;
      },
    },
  ],
  solution: [
    { do: 'type', line: 'acme login' },
    { do: 'advance', seconds: 6 },
    { do: 'browser', enter: 'user-code-on-terminal', decide: 'approve' },
    { do: 'attack', move: 'read-places', as: 'CI log readers' },
    { do: 'attack', move: 'poll-device-code' },
    { do: 'run-until', states: ['authenticated.ready', 'denied', 'expired', 'failed'], limitSeconds: 60 },
    { do: 'knobs', client: { showDeviceCode: false } },
    { do: 'type', line: 'acme login' },
    { do: 'advance', seconds: 6 },
    { do: 'attack', move: 'read-places', as: 'CI log readers' },
    { do: 'browser', enter: 'user-code-on-terminal', decide: 'approve' },
    { do: 'run-until', states: ['authenticated.ready', 'denied', 'expired', 'failed'], limitSeconds: 60 },
  ],
  nearMisses: [
    {
      name: 'the reader polls before the code is approved: they only hear `authorization_pending`',
      objective: 'lose-the-race',
      steps: [{ do: 'type', line: 'acme login' }, { do: 'advance', seconds: 6 }, { do: 'attack', move: 'read-places', as: 'CI log readers' },
        { do: 'attack', move: 'poll-device-code' }, { do: 'browser', enter: 'user-code-on-terminal', decide: 'approve' }, FINISH],
    },
    {
      name: 'logging in again with the device code still printed, and the reader looking too late to poll',
      objective: 'nothing-to-poll-with',
      after: 6,
      steps: [{ do: 'type', line: 'acme login' }, { do: 'advance', seconds: 6 }, { do: 'browser', enter: 'user-code-on-terminal', decide: 'approve' }, FINISH,
        { do: 'attack', move: 'read-places', as: 'CI log readers' }],
      ticks: ['lose-the-race'],
    },
    {
      name: 'hiding the device code but nobody checking the log during the login',
      objective: 'nothing-to-poll-with',
      after: 6,
      steps: [{ do: 'knobs', client: { showDeviceCode: false } }, { do: 'type', line: 'acme login' }, { do: 'advance', seconds: 6 },
        { do: 'browser', enter: 'user-code-on-terminal', decide: 'approve' }, FINISH],
      ticks: ['lose-the-race'],
    },
  ],
});
