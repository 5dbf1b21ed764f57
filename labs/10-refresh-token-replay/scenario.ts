/**
 * Lab 10: refresh token replay, rotation and reuse detection (F13, G6). The identity provider never rotates
 * refresh tokens and the CLI keeps sending its first one; a stolen refresh token mints access tokens for the
 * thief day after day. The learner turns on rotation, invalidation of rotated tokens and reuse detection: the
 * next time the thief presents the stolen (now rotated-out) token the whole family is revoked, and the audit
 * log says so. Then the CLI must store each new refresh token, or it trips reuse detection itself.
 */
import { defineLab } from '../../src/labs/types.ts';
import type { World } from '../../src/world/index.ts';

/** Would the server still accept this secret? */
const usable = (world: World, value: string) => world.idp.as.issuedSecrets().find((s) => s.value === value)?.usable === true;

/** The thief presented a rotated-out refresh token, the server noticed and revoked the family: the attacker holds nothing usable. */
function thiefDetected(world: World): boolean {
  const loot = [...world.attacker.loot.access_token, ...world.attacker.loot.refresh_token];
  const lastReplay = world.attacker.log.filter((o) => o.move === 'replay-refresh-token').at(-1);
  const detected = world.idp.as.audit.ofType('refresh_token.reuse_detected');
  return loot.length > 0 && lastReplay?.succeeded === false && detected.some((e) => e.at >= lastReplay.at)
    && world.idp.as.audit.ofType('grant.revoked').some((e) => detected.some((d) => d.grantId === e.grantId))
    && loot.every((v) => !usable(world, v));
}

/**
 * A fresh login whose family rotated at least twice (three refresh tokens), was never flagged as reused, is
 * still alive, and the CLI is signed in with it.
 */
function healthyRotation(world: World): boolean {
  const grantId = world.idp.as.audit.ofType('token.issued').at(-1)?.grantId;
  if (!grantId || !thiefDetected(world)) return false;
  const grant = world.idp.as.state.grants.get(grantId);
  return grant?.revokedAt === undefined
    && world.idp.as.state.refreshTokensOf(grantId).length >= 3
    && !world.idp.as.audit.ofType('refresh_token.reuse_detected').some((e) => e.grantId === grantId)
    && world.state().startsWith('authenticated');
}

export default defineLab({
  setup: {
    world: {
      host: { kind: 'laptop' },
      clientKnobs: { storage: 'file-0600', refreshTokens: 'reuse-first' },
      serverKnobs: { accessTokenLifetimeS: 300, rotateRefreshTokens: false, invalidateRotatedRefreshTokens: false, reuseDetection: false },
      userBehaviour: { kind: 'approve', afterS: 8 },
    },
    showcase: 0,
    learnerKnobs: { server: ['rotateRefreshTokens', 'invalidateRotatedRefreshTokens', 'reuseDetection'], client: ['refreshTokens'] },
    // Yesterday: alice logged in; a copy of her disk leaked; the thief has been refreshing ever since.
    prelude: [
      { do: 'type', line: 'acme login' },
      { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
      { do: 'attack', move: 'read-places', as: 'root' },
      { do: 'advance', seconds: 6 * 3600 },
      { do: 'attack', move: 'replay-refresh-token' },
      { do: 'advance', seconds: 18 * 3600 },
      { do: 'attack', move: 'replay-refresh-token' },
      { do: 'attack', move: 'replay-access-token' },
    ],
  },
  objectives: [
    {
      id: 'thief-detected',
      text: 'Make the stolen refresh token give itself away: when the thief next uses it, the server detects the reuse, revokes the whole token family and writes `refresh_token.reuse_detected` in the audit log.',
      holds: thiefDetected,
    },
    {
      id: 'healthy-rotation',
      text: 'Log in again and keep that session through at least two refreshes without tripping reuse detection yourself.',
      holds: healthyRotation,
    },
  ],
  solution: [
    { do: 'knobs', server: { rotateRefreshTokens: true, invalidateRotatedRefreshTokens: true, reuseDetection: true } },
    { do: 'advance', seconds: 600 },
    { do: 'type', line: 'acme api get /api/projects' },
    { do: 'attack', move: 'replay-refresh-token' },
    { do: 'type', line: 'acme api get /api/projects' },
    { do: 'knobs', client: { refreshTokens: 'rotate' } },
    { do: 'type', line: 'acme login' },
    { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
    { do: 'advance', seconds: 600 },
    { do: 'type', line: 'acme api get /api/projects' },
    { do: 'advance', seconds: 600 },
    { do: 'type', line: 'acme api get /api/projects' },
  ],
});
