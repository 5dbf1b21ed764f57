/**
 * Lab 04: the leaky debug log and the CI job log (F6; G2, G11). On a CI runner, a person's device-flow login
 * ran with full debug output and no redaction: the token response and the Authorization header are in the job
 * log, and a CI log reader has replayed the token. The learner revokes the stolen session, keeps the debug
 * trace the team asked for but redacted, and ends the job with nothing of the person's left alive.
 */
import { defineLab, need, type LabStep } from '../../src/labs/types.ts';
import type { World } from '../../src/world/index.ts';

const TOKEN_KINDS = ['access_token', 'refresh_token'];

/** The access and refresh tokens the log reader took that the server still accepts. */
function stolenAlive(world: World): string[] {
  const issued = world.provider.issuedSecrets();
  return [...world.attacker.loot.access_token, ...world.attacker.loot.refresh_token]
    .filter((value) => issued.find((s) => s.value === value)?.usable !== false)
    .map((value) => issued.find((s) => s.value === value)?.kind.replace('_', ' ') ?? 'token');
}

/** Every access and refresh token the log reader took is refused by the server now. */
function stolenCopyDead(world: World): boolean {
  const loot = [...world.attacker.loot.access_token, ...world.attacker.loot.refresh_token];
  return loot.length > 0 && stolenAlive(world).length === 0;
}

const stolenReason = (w: World) => `the server still accepts the log reader's copy of the ${[...new Set(stolenAlive(w))].join(' and ')}`;

/** Tokens issued after the stolen ones were revoked: the job's next run. */
function laterTokens(world: World) {
  const revokedAt = world.provider.audit('token.revoked')[0]?.at;
  if (revokedAt === undefined) return [];
  return world.ledger().filter((e) => TOKEN_KINDS.includes(e.kind) && e.issuedAt > revokedAt);
}

/** A debug line of the job log that shows the API request's Authorization header, with the value withheld. */
const redactedAuthorization = (world: World) =>
  world.host.ciJobLog.some((l) => /^> authorization: Bearer \[REDACTED\]$/i.test(l.text));

/** One run of the job: log in on the runner and call the API. */
const RUN: LabStep[] = [
  { do: 'type', line: 'acme login --no-browser' },
  { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
  { do: 'type', line: 'acme api get /api/projects' },
];

export default defineLab({
  setup: {
    world: {
      host: { kind: 'ci-runner' },
      clientKnobs: { debug: 'bodies', redaction: false },
      // The person approves from their laptop a few seconds after the job prints the code.
      userBehaviour: { kind: 'approve', afterS: 8 },
    },
    showcase: 0,
    learnerKnobs: { client: ['debug', 'redaction', 'logout'] },
    // Last night's job: alice logged in on the runner with debug on, the job called the API, and someone who
    // can read the job log copied the tokens out of it and used them.
    prelude: [
      { do: 'type', line: 'acme login --no-browser' },
      { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
      { do: 'type', line: 'acme api get /api/projects' },
      { do: 'advance', seconds: 300 },
      { do: 'attack', move: 'read-places', as: 'CI log readers' },
      { do: 'attack', move: 'replay-access-token' },
    ],
  },
  objectives: [
    {
      id: 'stolen-copy-dead',
      text: 'Make the tokens the log reader copied worthless: the server must refuse every one of them.',
      holds: (w) => need(stolenCopyDead(w), stolenReason(w)) ?? true,
    },
    {
      id: 'redacted-trace',
      text: 'Run the job again with the debug trace still on: the job log shows the API request with `authorization: Bearer [REDACTED]`, and no token of this run appears in it.',
      holds: (w) => {
        const later = laterTokens(w);
        return need(stolenCopyDead(w), `first the stolen tokens must die: ${stolenReason(w)}`)
          ?? need(later.some((e) => e.kind === 'access_token'), 'the job has not logged in again since the stolen tokens were revoked')
          ?? need(w.emitted.some((e) => e.type === 'cli.exec' && e.at >= later[0]!.issuedAt), 'this run has not called the API yet, so its trace is not in the job log')
          ?? need(later.every((e) => !e.places.some((p) => p.placeId === 'ci-log')), 'a token of this run is in the job log in the clear: the debug trace is not redacted')
          ?? need(redactedAuthorization(w), 'the job log has no API request line showing `authorization: Bearer [REDACTED]`: keep the debug trace on')
          ?? true;
      },
    },
    {
      id: 'nothing-outlives-the-job',
      text: 'End the job logged out, with revocation: no token issued to the person on this runner is still accepted.',
      holds: (w) => {
        const alive = w.ledger().filter((e) => TOKEN_KINDS.includes(e.kind) && e.usable).map((e) => e.kind.replace('_', ' '));
        return need(laterTokens(w).length > 0, 'the job has not run again since the stolen tokens were revoked')
          ?? need(w.state() === 'loggedOut', 'the CLI on the runner is still logged in')
          ?? need(alive.length === 0, `the server still accepts a ${[...new Set(alive)].join(' and ')} issued on this runner`)
          ?? true;
      },
    },
  ],
  solution: [
    { do: 'type', line: 'acme logout' },
    { do: 'knobs', client: { redaction: true } },
    { do: 'type', line: 'acme login --no-browser' },
    { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
    { do: 'type', line: 'acme api get /api/projects' },
    { do: 'type', line: 'acme logout' },
  ],
  nearMisses: [
    {
      name: 'turning redaction on without logging out: the copies already taken keep working',
      objective: 'stolen-copy-dead',
      steps: [{ do: 'knobs', client: { redaction: true } }, ...RUN],
    },
    {
      name: 'logging out with a local-only logout: the file is gone, the copies are not',
      objective: 'stolen-copy-dead',
      steps: [{ do: 'knobs', client: { logout: 'local-only' } }, { do: 'type', line: 'acme logout' }],
    },
    {
      name: 'revoking, then running the job again with the same unredacted debug trace',
      objective: 'redacted-trace',
      steps: [{ do: 'type', line: 'acme logout' }, ...RUN],
      ticks: ['stolen-copy-dead'],
    },
    {
      name: 'revoking, then turning the debug trace off instead of redacting it',
      objective: 'redacted-trace',
      steps: [{ do: 'type', line: 'acme logout' }, { do: 'knobs', client: { debug: 'off' } }, ...RUN],
      ticks: ['stolen-copy-dead'],
    },
    {
      name: 'ending the job without logging out: the run\'s tokens outlive it',
      objective: 'nothing-outlives-the-job',
      after: 5,
      steps: [{ do: 'advance', seconds: 60 }],
      ticks: ['stolen-copy-dead', 'redacted-trace'],
    },
    {
      name: 'ending the job with a local-only logout: the run\'s tokens are still accepted',
      objective: 'nothing-outlives-the-job',
      after: 5,
      steps: [{ do: 'knobs', client: { logout: 'local-only' } }, { do: 'type', line: 'acme logout' }],
      ticks: ['stolen-copy-dead', 'redacted-trace'],
    },
  ],
});
