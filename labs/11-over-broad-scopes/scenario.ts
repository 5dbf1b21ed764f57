/**
 * Lab 11: over-broad scopes and step-up (F14, G5). The CLI asks for every scope at every login, so a token
 * stolen from the laptop can delete projects. The learner switches the CLI to minimal scopes (the stolen token
 * can then only read), performs the one admin action through a separate, explicit step-up login, and drops
 * the elevated session afterwards.
 */
import { defineLab, need, type LabStep } from '../../src/labs/types.ts';
import { SIM_API_BASE } from '../../src/world/addresses.ts';
import type { World } from '../../src/world/index.ts';

const ADMIN = 'projects:admin';

/** The attacker's latest stolen token was valid but refused a DELETE for lack of scope. */
function stolenTokenCannotDelete(world: World): boolean {
  return world.attacker.log.some((o) => o.move === 'replay-access-token' && !o.succeeded && /^DELETE \S+ refused \(403\): insufficient_scope$/.test(o.detail));
}

/** The CLI's own API calls, in order, with their status and error. */
function cliApiCalls(world: World) {
  return world.wire.log
    .filter((ex) => ex.actor === 'cli' && ex.request.url.startsWith(SIM_API_BASE))
    .map((ex) => ({ at: ex.startedAt, method: ex.request.method, status: ex.response?.status, challenge: ex.response?.headers.find(([k]) => k.toLowerCase() === 'www-authenticate')?.[1] ?? '' }));
}

/**
 * Step-up: a CLI DELETE was refused for scope, then a new login granted projects:admin (a grant that carries it,
 * created after the refusal), then the CLI's DELETE succeeded.
 */
function steppedUp(world: World): boolean {
  const calls = cliApiCalls(world);
  const refused = calls.find((c) => c.method === 'DELETE' && c.status === 403 && c.challenge.includes('insufficient_scope'));
  if (!refused) return false;
  const elevated = world.provider.grants().find((g) => g.createdAt >= refused.at && g.scope.includes(ADMIN));
  return elevated !== undefined && calls.some((c) => c.method === 'DELETE' && c.status === 200 && c.at >= elevated.createdAt);
}

/** No token the server still accepts carries the admin scope, and the CLI is signed in (with less). */
function noStandingAdmin(world: World): boolean {
  const usable = world.provider.usableValues();
  return [...world.provider.accessTokens(), ...world.provider.refreshTokens()].every((t) => !usable.has(t.value) || !t.scope.includes(ADMIN))
    && world.state().startsWith('authenticated');
}

const LOGIN: LabStep[] = [{ do: 'type', line: 'acme login' }, { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 }];
const STEAL_AND_DELETE: LabStep = { do: 'attack', move: 'replay-access-token', call: { method: 'DELETE', path: '/api/projects/p2' } };

export default defineLab({
  setup: {
    world: {
      host: { kind: 'laptop' },
      clientKnobs: { storage: 'file-0600', scopes: 'broad' },
      userBehaviour: { kind: 'approve', afterS: 8 },
    },
    showcase: 0,
    learnerKnobs: { client: ['scopes'] },
    // This morning: alice logged in (the CLI asked for everything); a copy of her disk leaked; the thief deleted a project.
    prelude: [
      { do: 'type', line: 'acme login' },
      { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
      { do: 'attack', move: 'read-places', as: 'root' },
      { do: 'attack', move: 'replay-access-token', call: { method: 'GET', path: '/api/projects' } },
      { do: 'attack', move: 'replay-access-token', call: { method: 'DELETE', path: '/api/projects/p1' } },
    ],
  },
  objectives: [
    {
      id: 'stolen-token-cannot-delete',
      text: 'Log in so that a token stolen from your laptop can read but not destroy: the thief\'s `DELETE` must be refused with `insufficient_scope`.',
      holds: (w) => need(stolenTokenCannotDelete(w), 'no `DELETE` by the thief has been refused for lack of scope yet: a token from a login that asked for every scope can delete')
        ?? true,
    },
    {
      id: 'step-up-for-delete',
      text: 'Delete the retired project `p2` yourself: after the CLI is refused for scope, step up with a separate, explicit login that adds just `projects:admin`, then delete.',
      holds: (w) => need(stolenTokenCannotDelete(w), 'first make a stolen token unable to delete: the step-up only makes sense then')
        ?? need(cliApiCalls(w).some((c) => c.method === 'DELETE' && c.status === 403 && c.challenge.includes('insufficient_scope')), 'your CLI has not been refused a `DELETE` for lack of scope yet')
        ?? need(steppedUp(w), 'after the refusal there was no separate login granting `projects:admin` followed by a successful `DELETE`')
        ?? true,
    },
    {
      id: 'drop-elevation',
      text: 'End the elevated session: no token the server still accepts may carry `projects:admin`, and the CLI is signed in again with everyday scopes.',
      holds: (w) => need(stolenTokenCannotDelete(w) && steppedUp(w), 'there has been no elevated session to end yet')
        ?? need(noStandingAdmin(w) || !w.state().startsWith('authenticated'), 'the server still accepts a token that carries `projects:admin`')
        ?? need(noStandingAdmin(w), 'the CLI is not signed in again with everyday scopes')
        ?? true,
    },
  ],
  solution: [
    { do: 'type', line: 'acme logout' },
    { do: 'knobs', client: { scopes: 'minimal' } },
    { do: 'type', line: 'acme login' },
    { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
    { do: 'attack', move: 'read-places', as: 'root' },
    { do: 'attack', move: 'replay-access-token', call: { method: 'DELETE', path: '/api/projects/p2' } },
    { do: 'type', line: 'acme api delete /api/projects/p2' },
    { do: 'type', line: 'acme logout' },
    { do: 'type', line: 'acme login --scope projects:admin' },
    { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
    { do: 'type', line: 'acme api delete /api/projects/p2' },
    { do: 'type', line: 'acme logout' },
    { do: 'type', line: 'acme login' },
    { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
  ],
  nearMisses: [
    {
      name: 'minimal scopes without logging in again: the stolen token still carries every scope',
      objective: 'stolen-token-cannot-delete',
      steps: [{ do: 'knobs', client: { scopes: 'minimal' } }, { do: 'attack', move: 'read-places', as: 'root' }, STEAL_AND_DELETE],
    },
    {
      name: 'logging in again with broad scopes: the new stolen token can still delete',
      objective: 'stolen-token-cannot-delete',
      steps: [{ do: 'type', line: 'acme logout' }, ...LOGIN, { do: 'attack', move: 'read-places', as: 'root' }, STEAL_AND_DELETE],
    },
    {
      name: 'switching back to broad scopes to delete: no refusal, no separate step-up login',
      objective: 'step-up-for-delete',
      after: 6,
      steps: [{ do: 'type', line: 'acme logout' }, { do: 'knobs', client: { scopes: 'broad' } }, ...LOGIN, { do: 'type', line: 'acme api delete /api/projects/p2' }],
      ticks: ['stolen-token-cannot-delete'],
    },
    {
      name: 'stepping up and staying elevated after the delete',
      objective: 'drop-elevation',
      after: 11,
      steps: [],
      ticks: ['stolen-token-cannot-delete', 'step-up-for-delete'],
    },
    {
      name: 'logging in again after the delete without logging the elevated session out: its tokens stay valid',
      objective: 'drop-elevation',
      after: 11,
      steps: [{ do: 'knobs', client: { logout: 'local-only' } }, { do: 'type', line: 'acme logout' }, ...LOGIN],
      ticks: ['stolen-token-cannot-delete', 'step-up-for-delete'],
    },
  ],
});
