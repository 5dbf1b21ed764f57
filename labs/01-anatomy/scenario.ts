/**
 * Lab 01: the anatomy of a device login. The learner logs in by hand, finds the device code on the wire,
 * learns that the verification page refuses it, and finishes with the device code seen nowhere but the wire.
 */
import { defineLab, need, type LabStep } from '../../src/labs/types.ts';
import { deviceCodePolls } from '../../src/labs/runner.ts';
import { readExchange } from '../../src/world/exchangeView.ts';
import type { World } from '../../src/world/index.ts';

/** Device codes of logins the person approved and the CLI redeemed. */
function redeemedDeviceCodes(world: World): string[] {
  return [...new Set(deviceCodePolls(world).filter((p) => p.tokens).map((p) => p.deviceCode))];
}

/** The browser's code-box submissions: what was typed, and the page's status. */
const codeBoxEntries = (w: World) => w.wire.log.filter((ex) => ex.actor === 'browser' && ex.request.url.endsWith('/enter'))
  .map((ex) => ({ code: readExchange(ex).form.get('user_code') ?? '', status: ex.response?.status ?? 0 }));

const deviceCodesIssued = (w: World) => new Set(w.provider.issuedSecrets().filter((s) => s.kind === 'device_code').map((s) => s.value));

const FINISH: LabStep = { do: 'run-until', states: ['authenticated.ready', 'denied', 'expired', 'failed'], limitSeconds: 60 };

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
      holds: (w) => need(w.provider.audit('grant.approved').some((e) => e.user === w.host.user),
        'nobody has approved a login in the browser yet: the user code the CLI prints goes into the browser\'s code box')
        ?? need(redeemedDeviceCodes(w).length > 0, 'the CLI has not collected tokens for an approved code yet: its next poll does that, so let it run')
        ?? need(w.state().startsWith('authenticated'), `the CLI is not signed in now (its state is ${w.state()})`)
        ?? true,
    },
    {
      id: 'device-code-refused',
      text: 'Find the device code on the wire (the CLI sends it with every poll) and type it into the browser\'s code box: the page refuses it.',
      holds: (w) => {
        const entries = codeBoxEntries(w);
        const deviceCodes = deviceCodesIssued(w);
        return need(entries.length > 0, 'nothing has been typed into the browser\'s code box yet')
          ?? need(entries.some((e) => deviceCodes.has(e.code)),
            'only short user codes went into the code box so far: the device code is the long value in the body of each poll to /token (wire log)')
          ?? need(entries.some((e) => deviceCodes.has(e.code) && e.status >= 400), 'the verification page has not refused a device code')
          ?? true;
      },
    },
    {
      id: 'device-code-stays-on-wire',
      text: 'End logged in with every device code only on the wire: never on the terminal, in shell history or in a file.',
      holds: (w) => {
        const elsewhere = w.ledger().filter((e) => e.kind === 'device_code').flatMap((e) => e.places.filter((p) => p.placeId !== 'wire').map((p) => p.placeId));
        return need(w.state().startsWith('authenticated') && redeemedDeviceCodes(w).length > 0, 'no login has finished yet, so there is no redeemed device code to check')
          ?? need(elsewhere.length === 0, `a device code is outside the wire, in: ${[...new Set(elsewhere)].join(', ')}`)
          ?? true;
      },
    },
  ],
  solution: [
    { do: 'type', line: 'acme login' },
    { do: 'advance', seconds: 12 },
    { do: 'browser', enter: 'device-code-on-wire' },
    { do: 'browser', enter: 'user-code-on-terminal', decide: 'approve' },
    FINISH,
  ],
  nearMisses: [
    {
      name: 'approving the code and pressing Ctrl+C before the CLI polls again: approved, but never redeemed',
      objective: 'complete-login',
      steps: [{ do: 'type', line: 'acme login' }, { do: 'advance', seconds: 6 }, { do: 'browser', enter: 'user-code-on-terminal', decide: 'approve' }, { do: 'interrupt' }],
    },
    {
      name: 'typing the user code into the code box: the page accepts it, it is not the device code',
      objective: 'device-code-refused',
      steps: [{ do: 'type', line: 'acme login' }, { do: 'advance', seconds: 12 }, { do: 'browser', enter: 'user-code-on-terminal' }],
    },
    {
      name: 'showing the device code on the terminal to copy it from there: it is now on the screen, not only on the wire',
      objective: 'device-code-stays-on-wire',
      steps: [
        { do: 'knobs', client: { showDeviceCode: true } },
        { do: 'type', line: 'acme login' }, { do: 'advance', seconds: 12 },
        { do: 'browser', enter: 'device-code-on-wire' }, { do: 'browser', enter: 'user-code-on-terminal', decide: 'approve' }, FINISH,
      ],
      ticks: ['complete-login', 'device-code-refused'],
    },
  ],
});
