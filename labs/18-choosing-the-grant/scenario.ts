/**
 * Lab 18: is device flow the right grant, and real providers' quirks (F24, F25, G13). The grant choice is
 * taught in prose (the simulator has no browser-redirect client to compare with); the hands-on part logs the
 * same CLI in against the GitHub-like and the Entra-like profiles and reads what their token endpoints really
 * send: errors with HTTP 200, and `authorization_declined` instead of `access_denied`.
 */
import { defineLab } from '../../src/labs/types.ts';
import { pollsByLogin } from '../../src/labs/runner.ts';

export default defineLab({
  setup: {
    world: { host: { kind: 'laptop' }, userBehaviour: { kind: 'never' } },
    showcase: 5,
    learnerKnobs: { server: ['profile'] },
  },
  objectives: [
    {
      id: 'errors-with-200',
      text: 'Log in against the GitHub-like provider and find, in the wire log, a poll answered `200 OK` whose body is an error; the CLI keeps polling and ends logged in.',
      holds: (w) => pollsByLogin(w).some((polls) => polls.some((p) => p.status === 200 && p.error === 'authorization_pending')
        && polls.some((p) => p.tokens)),
    },
    {
      id: 'declined-stops',
      text: 'Against the Entra-like provider, deny the request in the browser: the server says `authorization_declined`, and the CLI stops polling at once and reports the denial.',
      holds: (w) => w.state().startsWith('denied')
        && pollsByLogin(w).some((polls) => polls.at(-1)?.error === 'authorization_declined'
          && polls.filter((p) => p.error === 'authorization_declined').length === 1),
    },
  ],
  solution: [
    { do: 'knobs', server: { profile: 'github' } },
    { do: 'type', line: 'acme login' },
    { do: 'advance', seconds: 11 },
    { do: 'browser', enter: 'user-code-on-terminal', decide: 'approve' },
    { do: 'run-until', states: ['authenticated.ready', 'denied', 'expired', 'failed'], limitSeconds: 60 },
    { do: 'type', line: 'acme logout' },
    { do: 'knobs', server: { profile: 'entra' } },
    { do: 'type', line: 'acme login' },
    { do: 'advance', seconds: 11 },
    { do: 'browser', enter: 'user-code-on-terminal', decide: 'deny' },
    { do: 'run-until', states: ['authenticated.ready', 'denied', 'expired', 'failed'], limitSeconds: 60 },
    { do: 'advance', seconds: 30 },
  ],
});
