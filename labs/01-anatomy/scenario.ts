/**
 * Lab 01: the anatomy of a device login. The learner logs in by hand, finds the device code on the wire,
 * learns that the verification page refuses it, and finishes with the device code seen nowhere but the wire.
 */
import { defineLab } from '../../src/labs/types.ts';
import { deviceCodePolls } from '../../src/labs/runner.ts';
import type { World } from '../../src/world/index.ts';

/** Device codes of logins the person approved and the CLI redeemed. */
function redeemedDeviceCodes(world: World): string[] {
  return [...new Set(deviceCodePolls(world).filter((p) => p.tokens).map((p) => p.deviceCode))];
}

export default defineLab({
  setup: {
    // A laptop, secure defaults, and nobody at the browser but the learner.
    world: { host: { kind: 'laptop' }, userBehaviour: { kind: 'never' } },
    showcase: 2,
    learnerKnobs: { client: ['showDeviceCode'] },
  },
  objectives: [
    {
      id: 'complete-login',
      text: 'Log in: run `acme login`, approve the user code in the browser, and let the CLI finish.',
      holds: (w) => w.state().startsWith('authenticated') && redeemedDeviceCodes(w).length > 0
        && w.idp.as.audit.events.some((e) => e.type === 'grant.approved' && e.user === w.host.user),
    },
    {
      id: 'device-code-refused',
      text: 'Find the device code on the wire (the CLI sends it with every poll) and type it into the browser\'s code box: the page refuses it.',
      holds: (w) => {
        const deviceCodes = new Set(w.idp.as.issuedSecrets().filter((s) => s.kind === 'device_code').map((s) => s.value));
        return w.wire.log.some((ex) => ex.actor === 'browser' && ex.request.url.endsWith('/enter')
          && deviceCodes.has(new URLSearchParams(ex.request.body).get('user_code') ?? '') && (ex.response?.status ?? 0) >= 400);
      },
    },
    {
      id: 'device-code-stays-on-wire',
      text: 'End logged in with every device code only on the wire: never on the terminal, in shell history or in a file.',
      holds: (w) => {
        if (!w.state().startsWith('authenticated') || redeemedDeviceCodes(w).length === 0) return false;
        return w.ledger().filter((e) => e.kind === 'device_code').every((e) => e.places.every((p) => p.placeId === 'wire'));
      },
    },
  ],
  solution: [
    { do: 'type', line: 'acme login' },
    { do: 'advance', seconds: 12 },
    { do: 'browser', enter: 'device-code-on-wire' },
    { do: 'browser', enter: 'user-code-on-terminal', decide: 'approve' },
    { do: 'run-until', states: ['authenticated.ready', 'denied', 'expired', 'failed'], limitSeconds: 60 },
  ],
});
