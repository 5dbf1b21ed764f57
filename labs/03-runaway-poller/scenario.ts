/**
 * Lab 03: the runaway poller (F4, F5; G3). The CLI keeps polling after `access_denied` and `expired_token`
 * and has no deadline of its own. The learner watches it spin, then makes it stop at the first denial and
 * give up by itself at `expires_in`, without a single poll after the code expired.
 */
import { defineLab } from '../../src/labs/types.ts';
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
      holds: (w) => pollsByLogin(w).some((polls) => polls.filter((p) => FINAL_ERRORS.includes(p.error ?? '')).length >= 2),
    },
    {
      id: 'stop-on-denial',
      text: 'Deny a login in the browser and have the CLI stop at the first `access_denied` and say so.',
      holds: (w) => printedAt(w, '✗ Access denied').some((at) => {
        const polls = loginAt(w, at);
        const denials = polls?.filter((p) => p.error === 'access_denied') ?? [];
        return denials.length === 1 && polls!.at(-1) === denials[0];
      }),
    },
    {
      id: 'stop-at-deadline',
      text: 'Leave a login unapproved and have the CLI give up by itself at `expires_in`: no poll after the code expired, and a message saying why.',
      holds: (w) => printedAt(w, 'without approval').some((at) => {
        const polls = loginAt(w, at);
        return polls !== undefined && polls.every((p) => p.at < at && !p.tokens && p.error !== 'expired_token' && p.error !== 'access_denied');
      }),
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
});
