/**
 * Lab 02: polling etiquette (F1-F3). The CLI polls every 2 s and answers slow_down with +1 s; the server
 * wants 5 s and adds 5 s per slow_down. The learner first fixes the back-off (and watches the gaps grow by
 * 5 s), then the interval, and finishes with a login that never hears slow_down.
 */
import { defineLab } from '../../src/labs/types.ts';
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

function serverIntervalMs(world: World): number {
  return (world.idp.as.knobs.intervalS ?? 5) * 1000;
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
      holds: (w) => pollsByLogin(w).some((polls) => polls.some((p) => p.error === 'slow_down')),
    },
    {
      id: 'back-off-by-five',
      text: 'Fix the back-off: in one login, every `slow_down` makes the next wait 5 s longer, for that poll and all later ones.',
      holds: (w) => pollsByLogin(w).some(backsOffBy5),
    },
    {
      id: 'polite-login',
      text: 'Fix the interval: complete a login in which every poll waits the server\'s `interval` and no `slow_down` is ever sent.',
      holds: (w) => pollsByLogin(w).some((polls) => polls.some((p) => p.tokens) && polls.every((p) => p.error !== 'slow_down')
        && gaps(polls).every((g) => g >= serverIntervalMs(w) - LEEWAY_MS)),
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
});
