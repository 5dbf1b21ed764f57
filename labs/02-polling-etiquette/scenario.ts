/**
 * Lab 02: polling etiquette (F1-F3). The CLI polls every 2 s and answers slow_down with +1 s; the server
 * wants 5 s and adds 5 s per slow_down. The learner first fixes the back-off (and watches the gaps grow by
 * 5 s), then the interval, and finishes with a login that never hears slow_down.
 */
import { defineLab, need, type LabStep } from '../../src/labs/types.ts';
import { pollsByLogin, type DevicePoll } from '../../src/labs/runner.ts';
import type { World } from '../../src/world/index.ts';

const LEEWAY_MS = 250;
const gaps = (polls: DevicePoll[]) => polls.slice(1).map((p, i) => p.at - polls[i]!.at);

/** After every slow_down, the next gap grew by at least 5 s and no later gap shrank below it. */
function backsOffBy5(polls: DevicePoll[]): boolean {
  const g = gaps(polls);
  let checked = false;
  for (let i = 1; i < polls.length - 1; i++) {
    if (polls[i]!.error !== 'slow_down') continue;
    const before = g[i - 1]!;
    const after = g[i]!;
    if (after < before + 5000 - LEEWAY_MS) return false;
    if (g.slice(i).some((x) => x < after - LEEWAY_MS)) return false;
    checked = true;
  }
  return checked;
}

/** Why the latest login that heard slow_down does not back off by 5 s, in words (undefined if it does). */
function backOffProblem(logins: DevicePoll[][]): string | undefined {
  const polls = logins.filter((p) => p.some((x) => x.error === 'slow_down')).at(-1);
  if (!polls) return undefined;
  const g = gaps(polls);
  for (let i = 1; i < polls.length - 1; i++) {
    if (polls[i]!.error !== 'slow_down') continue;
    const grew = (g[i]! - g[i - 1]!) / 1000;
    if (grew < 5 - LEEWAY_MS / 1000) return `after a \`slow_down\` the CLI's next wait grew by ${grew.toFixed(1)} s, not 5 s`;
    if (g.slice(i).some((x) => x < g[i]! - LEEWAY_MS)) return 'after a `slow_down` a later wait shrank back below the longer one';
  }
  return 'the latest login heard `slow_down` only on its last poll, so no wait after it could be measured';
}

const FINISH: LabStep = { do: 'run-until', states: ['authenticated.ready', 'denied', 'expired', 'failed'], limitSeconds: 300 };

function serverIntervalMs(world: World): number {
  return (world.provider.knobs.intervalS ?? 5) * 1000;
}

export default defineLab({
  setup: {
    world: {
      host: { kind: 'laptop' },
      clientKnobs: { pollInterval: 2, slowDown: 'add-1' },
      // The person approves 40 s after the code appears, so a polite CLI is told "pending" a few times first.
      userBehaviour: { kind: 'approve', afterS: 40 },
    },
    showcase: 2,
    learnerKnobs: { client: ['pollInterval', 'slowDown'] },
  },
  objectives: [
    {
      id: 'hear-slow-down',
      text: 'Run `acme login` and watch the server answer a poll with `slow_down`.',
      holds: (w) => need(pollsByLogin(w).length > 0, 'the CLI has not polled the token endpoint yet: start a login')
        ?? need(pollsByLogin(w).some((polls) => polls.some((p) => p.error === 'slow_down')), 'no poll has been answered with `slow_down` yet: the server sends it when polls come faster than its interval')
        ?? true,
    },
    {
      id: 'back-off-by-five',
      text: 'Fix the back-off: in one login, every `slow_down` makes the next wait 5 s longer, for that poll and all later ones.',
      holds: (w) => need(pollsByLogin(w).some((polls) => polls.some((p) => p.error === 'slow_down')), 'no login has heard `slow_down` yet, so there is no back-off to measure')
        ?? need(pollsByLogin(w).some(backsOffBy5), backOffProblem(pollsByLogin(w)) ?? 'no login backed off by 5 s after `slow_down`')
        ?? true,
    },
    {
      id: 'polite-login',
      text: 'Fix the interval: complete a login in which every poll waits the server\'s `interval` and no `slow_down` is ever sent.',
      holds: (w) => {
        const finished = pollsByLogin(w).filter((polls) => polls.some((p) => p.tokens));
        const quiet = finished.filter((polls) => polls.every((p) => p.error !== 'slow_down'));
        return need(finished.length > 0, 'no login has finished with tokens yet')
          ?? need(quiet.length > 0, 'every finished login heard `slow_down` at least once: the CLI polled faster than the server\'s `interval`')
          ?? need(quiet.some((polls) => gaps(polls).every((g) => g >= serverIntervalMs(w) - LEEWAY_MS)), 'a finished login waited less than the server\'s `interval` between two polls')
          ?? true;
      },
    },
  ],
  solution: [
    { do: 'type', line: 'acme login' },
    { do: 'advance', seconds: 20 },
    { do: 'interrupt' },
    { do: 'knobs', client: { slowDown: 'add-5' } },
    { do: 'type', line: 'acme login' },
    { do: 'run-until', states: ['authenticated.ready', 'denied', 'expired', 'failed'], limitSeconds: 300 },
    { do: 'type', line: 'acme logout' },
    { do: 'knobs', client: { pollInterval: 'server' } },
    { do: 'type', line: 'acme login' },
    { do: 'run-until', states: ['authenticated.ready', 'denied', 'expired', 'failed'], limitSeconds: 300 },
  ],
  nearMisses: [
    {
      name: 'polling at the server\'s interval from the start: a polite CLI never hears `slow_down`',
      objective: 'hear-slow-down',
      steps: [{ do: 'knobs', client: { pollInterval: 'server' } }, { do: 'type', line: 'acme login' }, FINISH],
      ticks: ['polite-login'],
    },
    {
      name: 'keeping the +1 s back-off and letting the login finish: the waits grow, but not by 5 s',
      objective: 'back-off-by-five',
      steps: [{ do: 'type', line: 'acme login' }, FINISH],
      ticks: ['hear-slow-down'],
    },
    {
      name: 'ignoring `slow_down` altogether',
      objective: 'back-off-by-five',
      steps: [{ do: 'knobs', client: { slowDown: 'ignore' } }, { do: 'type', line: 'acme login' }, FINISH],
      ticks: ['hear-slow-down'],
    },
    {
      name: 'a correct 5 s back-off with a 4 s interval: the login completes, but after a `slow_down`',
      objective: 'polite-login',
      steps: [{ do: 'knobs', client: { slowDown: 'add-5', pollInterval: 4 } }, { do: 'type', line: 'acme login' }, FINISH],
    },
    {
      name: 'the server\'s interval, but the login interrupted before it finished',
      objective: 'polite-login',
      steps: [{ do: 'knobs', client: { pollInterval: 'server' } }, { do: 'type', line: 'acme login' }, { do: 'advance', seconds: 20 }, { do: 'interrupt' }],
    },
  ],
});
