/**
 * Lab 03: the runaway poller (F4, F5; G3). The CLI keeps polling after `access_denied` and `expired_token`
 * and has no deadline of its own. The learner watches it spin, then makes it stop at the first denial and
 * give up by itself at `expires_in`, without a single poll after the code expired.
 */
import { defineLab, need, type LabStep } from '../../src/labs/types.ts';
import { pollsByLogin, type DevicePoll } from '../../src/labs/runner.ts';
import type { World } from '../../src/world/index.ts';

const FINAL_ERRORS = ['access_denied', 'expired_token'];

/** When the CLI printed a line containing `text`. */
function printedAt(world: World, text: string): number[] {
  return world.emitted.filter((e) => e.type === 'cli.output' && e.text.includes(text)).map((e) => e.at);
}

/** The login whose polls had started by `at` (the latest one). */
function loginAt(world: World, at: number): DevicePoll[] | undefined {
  return pollsByLogin(world).filter((polls) => polls[0]!.at <= at).at(-1);
}

const FINISH: LabStep = { do: 'run-until', states: ['denied', 'expired', 'failed'], limitSeconds: 300 };

export default defineLab({
  setup: {
    world: {
      host: { kind: 'laptop' },
      clientKnobs: { stopOnDenialOrExpiry: false, hardDeadline: false },
      // Codes live two minutes here, so waiting out an expiry takes one click on the clock.
      serverKnobs: { codeLifetimeS: 120 },
      userBehaviour: { kind: 'never' },
    },
    showcase: 4,
    learnerKnobs: { client: ['stopOnDenialOrExpiry', 'hardDeadline'] },
  },
  objectives: [
    {
      id: 'see-the-runaway',
      text: 'Watch the CLI ignore a final answer: in one login, the server says `access_denied` or `expired_token` twice or more and the CLI keeps asking.',
      holds: (w) => {
        const finals = Math.max(0, ...pollsByLogin(w).map((polls) => polls.filter((p) => FINAL_ERRORS.includes(p.error ?? '')).length));
        return need(pollsByLogin(w).length > 0, 'the CLI has not polled yet: start a login')
          ?? need(finals > 0, 'no poll has been answered `access_denied` or `expired_token` yet: deny the code in the browser, or let it expire')
          ?? need(finals >= 2, 'the server gave its final answer only once in a login: let the CLI poll again after it')
          ?? true;
      },
    },
    {
      id: 'stop-on-denial',
      text: 'Deny a login in the browser and have the CLI stop at the first `access_denied` and say so.',
      holds: (w) => {
        const denied = pollsByLogin(w).filter((polls) => polls.some((p) => p.error === 'access_denied'));
        const stopped = printedAt(w, '✗ Access denied').some((at) => {
          const polls = loginAt(w, at);
          const denials = polls?.filter((p) => p.error === 'access_denied') ?? [];
          return denials.length === 1 && polls!.at(-1) === denials[0];
        });
        return need(denied.length > 0, 'no login has been denied in the browser yet')
          ?? need(stopped, 'after `access_denied` the CLI polled again (or never said the login was denied): it must stop at the first one')
          ?? true;
      },
    },
    {
      id: 'stop-at-deadline',
      text: 'Leave a login unapproved and have the CLI give up by itself at `expires_in`: no poll after the code expired, and a message saying why.',
      holds: (w) => {
        const gaveUp = printedAt(w, 'without approval');
        const expiredPolled = pollsByLogin(w).some((polls) => polls.some((p) => p.error === 'expired_token'));
        return need(gaveUp.length > 0 || expiredPolled, 'no login has been left to run out yet: start one and do not approve it')
          ?? need(gaveUp.length > 0, 'the CLI did not notice the code\'s lifetime ending by itself: it kept polling until the server said `expired_token`')
          ?? need(gaveUp.some((at) => {
            const polls = loginAt(w, at);
            return polls !== undefined && polls.every((p) => p.at < at && !p.tokens && p.error !== 'expired_token' && p.error !== 'access_denied');
          }), 'the CLI gave up, but only after a poll the server had to answer `expired_token`')
          ?? true;
      },
    },
  ],
  solution: [
    // See it: deny, and the CLI keeps polling a dead request.
    { do: 'type', line: 'acme login' },
    { do: 'advance', seconds: 6 },
    { do: 'browser', enter: 'user-code-on-terminal', decide: 'deny' },
    { do: 'advance', seconds: 20 },
    { do: 'interrupt' },
    // Stop on access_denied (and expired_token).
    { do: 'knobs', client: { stopOnDenialOrExpiry: true } },
    { do: 'type', line: 'acme login' },
    { do: 'advance', seconds: 6 },
    { do: 'browser', enter: 'user-code-on-terminal', decide: 'deny' },
    { do: 'run-until', states: ['denied', 'expired', 'failed'], limitSeconds: 60 },
    // Keep a deadline of your own: stop at expires_in, before the next poll.
    { do: 'knobs', client: { hardDeadline: true } },
    { do: 'type', line: 'acme login' },
    { do: 'run-until', states: ['denied', 'expired', 'failed'], limitSeconds: 300 },
  ],
  nearMisses: [
    {
      name: 'denying and pressing Ctrl+C at once: the CLI never gets to ignore a final answer',
      objective: 'see-the-runaway',
      steps: [{ do: 'type', line: 'acme login' }, { do: 'advance', seconds: 6 }, { do: 'browser', enter: 'user-code-on-terminal', decide: 'deny' }, { do: 'interrupt' }],
    },
    {
      name: 'pressing Ctrl+C after the denial instead of fixing the CLI',
      objective: 'stop-on-denial',
      after: 5,
      steps: [{ do: 'type', line: 'acme login' }, { do: 'advance', seconds: 6 }, { do: 'browser', enter: 'user-code-on-terminal', decide: 'deny' },
        { do: 'advance', seconds: 10 }, { do: 'interrupt' }],
      ticks: ['see-the-runaway'],
    },
    {
      name: 'a local deadline alone: the CLI gives up at `expires_in`, but still polls on after a denial',
      objective: 'stop-on-denial',
      after: 5,
      steps: [{ do: 'knobs', client: { hardDeadline: true } }, { do: 'type', line: 'acme login' }, { do: 'advance', seconds: 6 },
        { do: 'browser', enter: 'user-code-on-terminal', decide: 'deny' }, FINISH],
      ticks: ['see-the-runaway'],
    },
    {
      name: 'stopping on `expired_token` without a deadline of its own: the CLI asks once after the code is dead',
      objective: 'stop-at-deadline',
      after: 10,
      steps: [{ do: 'type', line: 'acme login' }, FINISH],
      ticks: ['see-the-runaway', 'stop-on-denial'],
    },
  ],
});
