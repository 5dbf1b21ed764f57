/**
 * Lab 18: is device flow the right grant, and real providers' quirks (F24, F25, G13). The grant choice is
 * taught in prose (the simulator has no browser-redirect client to compare with), over a scene that shows its
 * cost: this morning alice, on the laptop where her browser is, approved a code from a phishing mail. The
 * hands-on part logs the same CLI in against the GitHub-like and the Entra-like profiles and reads what their
 * token endpoints really send: errors with HTTP 200, and `authorization_declined` instead of `access_denied`.
 * This CLI only knows the RFC's words, so it polls on after an Entra user said no; the learner fixes that.
 */
import { defineLab, need, type LabStep } from '../../src/labs/types.ts';
import { pollsByLogin } from '../../src/labs/runner.ts';
import type { World } from '../../src/world/index.ts';

const FINISH: LabStep = { do: 'run-until', states: ['authenticated.ready', 'denied', 'expired', 'failed'], limitSeconds: 60 };

/** The largest number of `authorization_declined` answers in one login. */
const mostDeclines = (w: World) => Math.max(0, ...pollsByLogin(w).map((polls) => polls.filter((p) => p.error === 'authorization_declined').length));

/** A login that ended at its first `authorization_declined`, and the CLI reported the denial. */
const stoppedAtDecline = (w: World) => w.state().startsWith('denied')
  && pollsByLogin(w).some((polls) => polls.at(-1)?.error === 'authorization_declined' && polls.filter((p) => p.error === 'authorization_declined').length === 1);

export default defineLab({
  setup: {
    world: {
      host: { kind: 'laptop' },
      // Written against one provider: any error but the RFC's access_denied and expired_token means "not yet".
      clientKnobs: { unknownPollErrors: 'keep-polling' },
      userBehaviour: { kind: 'never' },
    },
    showcase: 5,
    showcases: [
      {
        failureMode: 'F24',
        step: 0,
        // A same-device tool: the browser is on this laptop, yet a remote attacker's device code got approved.
        shows: (w) => w.host.kind === 'laptop' && w.attacker.log.some((o) => o.move === 'phish' && o.succeeded)
          && w.attacker.loot.access_token.length > 0,
      },
    ],
    learnerKnobs: { server: ['profile'], client: ['unknownPollErrors'] },
    // This morning: a mail "confirm your Acme CLI session" carried a device code the attacker's machine asked for;
    // alice approved it in the browser on her laptop, where her CLI could have signed in without any code.
    prelude: [{ do: 'attack', move: 'phish', victim: 'approves-anything' }],
  },
  objectives: [
    {
      id: 'errors-with-200',
      text: 'Log in against the GitHub-like provider and find, in the wire log, a poll answered `200 OK` whose body is an error; the CLI keeps polling and ends logged in.',
      holds: (w) => need(w.provider.knobs.profile === 'github' || pollsByLogin(w).some((polls) => polls.some((p) => p.status === 200 && p.error !== undefined)),
        'the CLI has not talked to the GitHub-like provider yet: set the server\'s `profile`')
        ?? need(pollsByLogin(w).some((polls) => polls.some((p) => p.status === 200 && p.error === 'authorization_pending')), 'no poll has been answered `200 OK` with `authorization_pending` yet')
        ?? need(pollsByLogin(w).some((polls) => polls.some((p) => p.status === 200 && p.error === 'authorization_pending') && polls.some((p) => p.tokens)),
          'the login with a `200 OK` error in it has not finished with tokens')
        ?? true,
    },
    {
      id: 'declined-ignored',
      text: 'Against the Entra-like provider, deny the request in the browser: the server says `authorization_declined`, and this CLI, which only knows the RFC\'s words, keeps polling.',
      holds: (w) => need(pollsByLogin(w).some((polls) => polls.some((p) => p.error === 'authorization_declined')), 'no poll has been answered `authorization_declined` yet: deny a login on the Entra-like provider')
        ?? need(mostDeclines(w) >= 2, 'the CLI has not asked again after `authorization_declined`: let it poll once more')
        ?? true,
    },
    {
      id: 'declined-stops',
      text: 'Fix the CLI so that a provider\'s own error ends the login: deny again, and the CLI stops at the first `authorization_declined` and reports the denial.',
      holds: (w) => need(mostDeclines(w) >= 2, 'first watch the CLI ignore `authorization_declined`')
        ?? need(w.clientKnobs.unknownPollErrors !== 'keep-polling', 'the CLI still treats errors it does not know as "not yet"')
        ?? need(stoppedAtDecline(w), 'no login has ended at its first `authorization_declined` since the fix: deny one')
        ?? true,
    },
  ],
  solution: [
    { do: 'knobs', server: { profile: 'github' } },
    { do: 'type', line: 'acme login' },
    { do: 'advance', seconds: 11 },
    { do: 'browser', enter: 'user-code-on-terminal', decide: 'approve' },
    FINISH,
    { do: 'type', line: 'acme logout' },
    { do: 'knobs', server: { profile: 'entra' } },
    { do: 'type', line: 'acme login' },
    { do: 'advance', seconds: 11 },
    { do: 'browser', enter: 'user-code-on-terminal', decide: 'deny' },
    { do: 'advance', seconds: 20 },
    { do: 'interrupt' },
    { do: 'knobs', client: { unknownPollErrors: 'stop' } },
    { do: 'type', line: 'acme login' },
    { do: 'advance', seconds: 11 },
    { do: 'browser', enter: 'user-code-on-terminal', decide: 'deny' },
    FINISH,
    { do: 'advance', seconds: 30 },
  ],
  nearMisses: [
    {
      name: 'logging in against the RFC profile: its errors come with 400, as they should',
      objective: 'errors-with-200',
      steps: [{ do: 'type', line: 'acme login' }, { do: 'advance', seconds: 11 }, { do: 'browser', enter: 'user-code-on-terminal', decide: 'approve' }, FINISH],
    },
    {
      name: 'denying on the RFC profile: `access_denied`, which this CLI does know',
      objective: 'declined-ignored',
      steps: [{ do: 'type', line: 'acme login' }, { do: 'advance', seconds: 11 }, { do: 'browser', enter: 'user-code-on-terminal', decide: 'deny' },
        { do: 'advance', seconds: 20 }],
    },
    {
      name: 'pressing Ctrl+C right after the Entra-like denial instead of fixing the CLI',
      objective: 'declined-stops',
      after: 10,
      steps: [{ do: 'advance', seconds: 5 }, { do: 'interrupt' }, { do: 'type', line: 'acme login' }, { do: 'advance', seconds: 11 },
        { do: 'browser', enter: 'user-code-on-terminal', decide: 'deny' }, { do: 'advance', seconds: 5 }, { do: 'interrupt' }],
      ticks: ['errors-with-200'],
    },
    {
      name: 'stopping on denial and expiry is already on: it covers the RFC\'s words only',
      objective: 'declined-stops',
      after: 12,
      steps: [{ do: 'knobs', client: { stopOnDenialOrExpiry: true, hardDeadline: true } }, { do: 'type', line: 'acme login' }, { do: 'advance', seconds: 11 },
        { do: 'browser', enter: 'user-code-on-terminal', decide: 'deny' }, { do: 'advance', seconds: 20 }],
      ticks: ['errors-with-200', 'declined-ignored'],
    },
  ],
});
