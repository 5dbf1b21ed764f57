/**
 * Lab 04: the leaky debug log and the CI job log (F6; G2, G11). On a CI runner, a person's device-flow login
 * ran with full debug output and no redaction: the token response and the Authorization header are in the job
 * log, and a CI log reader has replayed the token. The learner revokes the stolen session, keeps the debug
 * trace the team asked for but redacted, and ends the job with nothing of the person's left alive.
 */
import { defineLab } from '../../src/labs/types.ts';
import type { World } from '../../src/world/index.ts';

const TOKEN_KINDS = ['access_token', 'refresh_token'];

/** Every access and refresh token the log reader took is refused by the server now. */
function stolenCopyDead(world: World): boolean {
  const loot = [...world.attacker.loot.access_token, ...world.attacker.loot.refresh_token];
  if (!loot.length) return false;
  const issued = world.idp.as.issuedSecrets();
  return loot.every((value) => issued.find((s) => s.value === value)?.usable === false);
}

/** Tokens issued after the stolen ones were revoked: the job's next run. */
function laterTokens(world: World) {
  const revokedAt = world.idp.as.audit.events.find((e) => e.type === 'token.revoked')?.at;
  if (revokedAt === undefined) return [];
  return world.ledger().filter((e) => TOKEN_KINDS.includes(e.kind) && e.issuedAt > revokedAt);
}

/** A debug line of the job log that shows the API request's Authorization header, with the value withheld. */
const redactedAuthorization = (world: World) =>
  world.host.ciJobLog.some((l) => /^> authorization: Bearer \[REDACTED\]$/i.test(l.text));

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
      holds: stolenCopyDead,
    },
    {
      id: 'redacted-trace',
      text: 'Run the job again with the debug trace still on: the job log shows the API request with `authorization: Bearer [REDACTED]`, and no token of this run appears in it.',
      holds: (w) => {
        const later = laterTokens(w);
        return stolenCopyDead(w) && later.some((e) => e.kind === 'access_token') && redactedAuthorization(w)
          && w.emitted.some((e) => e.type === 'cli.exec' && e.at >= later[0]!.issuedAt)
          && later.every((e) => !e.places.some((p) => p.placeId === 'ci-log'));
      },
    },
    {
      id: 'nothing-outlives-the-job',
      text: 'End the job logged out, with revocation: no token issued to the person on this runner is still accepted.',
      holds: (w) => laterTokens(w).length > 0 && w.state() === 'loggedOut'
        && w.ledger().every((e) => !TOKEN_KINDS.includes(e.kind) || !e.usable),
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
});
