/**
 * Lab 20: QR-code device-code phishing (F15; G12, G13). A mail tells alice "scan to open the shared file in the
 * Acme web console". The QR code leads to the attacker's page, which starts a device flow only when she scans it,
 * as the web console (the identity provider lets every public client use the device grant), and sends her to the
 * real verification page with the fresh code. She did start this herself, just now, and the consent page names the
 * app she expected, so she approves. The learner, the identity provider's admin, first sees that a short code
 * lifetime does not help (the code is seconds old), then closes the device grant to clients that are not
 * registered for it: the lure has to borrow the CLI's client, the consent page names it, and alice refuses. The
 * CLI, registered for the device grant, still signs in.
 *
 * Only the fix ticks: the lifetime objective needs a phished code whose lifetime was a minute or less; the refusal
 * must be the identity provider's unauthorized_client to the web console's client at the device authorization
 * endpoint; alice's refusal must be of the borrowed CLI client's request after that; the CLI's login must come after.
 */
import { cliClientId } from '../../src/sim/registry.ts';
import { defineLab, need, type LabStep } from '../../src/labs/types.ts';
import { ADDRESSES } from '../../src/world/addresses.ts';
import { readExchange } from '../../src/world/exchangeView.ts';
import type { World } from '../../src/world/index.ts';

const SHORT_S = 60;
const FINISH: LabStep = { do: 'run-until', states: ['authenticated.ready', 'denied', 'expired', 'failed'], limitSeconds: 60 };
const LURE: LabStep = { do: 'attack', move: 'qr-phish', victim: 'reads-consent' };
const webClient = (w: World) => `${w.names.cli}-web`;

/** Device flows the attacker's machine started, as the server recorded them. */
const attackerFlows = (w: World) => w.provider.deviceGrants().filter((r) => r.device.ip === ADDRESSES.attacker);

/** The attacker's device authorization requests on the wire: which client, and what the server answered. */
function attackerStarts(w: World): Array<{ at: number; index: number; clientId: string; error: string | undefined }> {
  return w.wire.log.flatMap((ex, index) => {
    if (ex.actor !== 'attacker' || !ex.request.url.endsWith('/device_authorization')) return [];
    const view = readExchange(ex);
    return [{ at: ex.startedAt, index, clientId: view.form.get('client_id') ?? '', error: view.jsonError }];
  });
}

/** The first time the server refused to start a device flow as the web console. */
const firstRefusal = (w: World) => attackerStarts(w).find((s) => s.clientId === webClient(w) && s.error === 'unauthorized_client');

export default defineLab({
  setup: {
    world: {
      host: { kind: 'laptop' },
      // Every public client may use the device grant, as if each app registration allowed public client flows.
      serverKnobs: { deviceGrantClients: 'any-public-client', codeLifetimeS: 900 },
    },
    showcase: 0,
    learnerKnobs: { server: ['codeLifetimeS', 'deviceGrantClients'] },
    // This morning: alice scanned "open the shared file in the Acme web console"; the attacker now reads her projects.
    prelude: [LURE, { do: 'attack', move: 'replay-access-token' }],
  },
  objectives: [
    {
      id: 'lifetime-no-defence',
      text: 'Shorten the code lifetime to one minute or less and send the QR-code lure again (attacker console): alice is still phished, because the code is minted the moment she scans.',
      holds: (w) => {
        const short = attackerFlows(w).filter((r) => r.expiresAt - r.createdAt <= SHORT_S * 1000);
        return need(short.length > 0, w.provider.knobs.codeLifetimeS > SHORT_S
          ? `the identity provider's codes still live ${w.provider.knobs.codeLifetimeS} s: shorten the code lifetime to ${SHORT_S} s or less`
          : 'no lure has been sent since the code lifetime was shortened')
          ?? need(short.some((r) => r.approvedBy === w.host.user && r.status === 'consumed'),
            'no phishing code with the short lifetime was approved and redeemed: send the lure to alice, the victim who reads the consent page')
          ?? true;
      },
    },
    {
      id: 'lure-client-refused',
      text: 'Keep the device grant to the clients registered for it, then send the lure again: the identity provider must refuse to start a device flow as the web console.',
      holds: (w) => need(firstRefusal(w) !== undefined, w.provider.knobs.deviceGrantClients === 'any-public-client'
        ? 'every public client may still start a device flow, the web console included'
        : 'the lure has not been sent since the change: nothing has asked for a device flow as the web console yet')
        ?? true,
    },
    {
      id: 'victim-refuses',
      text: 'With the web console refused, the lure borrows the CLI\'s client: the consent page names `acme` CLI instead of the web console it promised, and alice, who reads it, denies.',
      holds: (w) => {
        const refusal = firstRefusal(w);
        const denied = w.provider.audit('grant.denied').filter((e) => e.user === w.host.user && e.clientId === cliClientId(w.names.cli)
          && e.device?.ip === ADDRESSES.attacker && refusal !== undefined && e.at >= refusal.at);
        return need(refusal !== undefined, 'the web console can still start device flows, so the lure never has to borrow another app')
          ?? need(denied.length > 0, 'alice has not denied a lure since the web console was refused: send it to the victim who reads the consent page')
          ?? true;
      },
    },
    {
      id: 'cli-still-works',
      text: 'Log in with `acme login` after the change: the CLI, registered for the device grant, still signs in.',
      holds: (w) => {
        const refusal = firstRefusal(w);
        const logins = w.provider.audit('token.issued').filter((e) => e.user === w.host.user && e.from?.ip === ADDRESSES.cli
          && refusal !== undefined && e.at > refusal.at);
        return need(refusal !== undefined, 'the device grant is not yet kept to registered clients (or the lure has not been refused since)')
          ?? need(logins.length > 0, 'the CLI has not signed in since the change: run `acme login` and approve it in the browser')
          ?? true;
      },
    },
  ],
  solution: [
    { do: 'knobs', server: { codeLifetimeS: SHORT_S } },
    LURE,
    { do: 'knobs', server: { deviceGrantClients: 'registered' } },
    LURE,
    { do: 'type', line: 'acme login' },
    { do: 'browser', enter: 'user-code-on-terminal', decide: 'approve' },
    FINISH,
  ],
  nearMisses: [
    {
      name: 'sending the lure again without shortening the code lifetime says nothing about lifetimes',
      objective: 'lifetime-no-defence',
      steps: [LURE],
    },
    {
      name: 'two minutes is still not a short lifetime for this objective, and the lure works all the same',
      objective: 'lifetime-no-defence',
      steps: [{ do: 'knobs', server: { codeLifetimeS: 120 } }, LURE],
    },
    {
      name: 'a one-minute code lifetime: the lure mints a fresh code and the web console still signs in',
      objective: 'lure-client-refused',
      steps: [{ do: 'knobs', server: { codeLifetimeS: SHORT_S } }, LURE],
      ticks: ['lifetime-no-defence'],
    },
    {
      name: 'no verification_uri_complete: the lure shows the code, alice types it, and she is phished anyway',
      objective: 'lure-client-refused',
      steps: [{ do: 'knobs', server: { verificationUriComplete: false } }, LURE],
    },
    {
      name: 'a consent page with only the client name: the web console is still allowed, and named as promised',
      objective: 'victim-refuses',
      steps: [{ do: 'knobs', server: { consentDetail: 'minimal' } }, LURE],
    },
    {
      name: 'a victim who approves anything is still phished through the borrowed CLI client: the policy narrows phishing, it does not end it',
      objective: 'victim-refuses',
      after: 3,
      steps: [{ do: 'attack', move: 'qr-phish', victim: 'approves-anything' }],
      ticks: ['lifetime-no-defence', 'lure-client-refused'],
    },
    {
      name: 'logging in before closing the device grant proves nothing about the change',
      objective: 'cli-still-works',
      steps: [{ do: 'type', line: 'acme login' }, { do: 'browser', enter: 'user-code-on-terminal', decide: 'approve' }, FINISH,
        { do: 'knobs', server: { deviceGrantClients: 'registered' } }],
    },
  ],
});
