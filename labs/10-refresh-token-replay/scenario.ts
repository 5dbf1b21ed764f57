/**
 * Lab 10: refresh token replay, rotation and reuse detection (F13, G6). The identity provider never rotates
 * refresh tokens and the CLI keeps sending its first one; a stolen refresh token mints access tokens for the
 * thief day after day. The learner turns on rotation, invalidation of rotated tokens and reuse detection: the
 * next time the thief presents the stolen (now rotated-out) token the whole family is revoked, and the audit
 * log says so. Then the CLI must store each new refresh token, or it trips reuse detection itself.
 */
import { defineLab, need, type LabStep } from '../../src/labs/types.ts';
import { readExchange } from '../../src/world/exchangeView.ts';
import type { World } from '../../src/world/index.ts';

/** Would the server still accept this secret? */
const usable = (world: World, value: string) => world.provider.isUsable(value);

/** The thief presented a rotated-out refresh token, the server noticed and revoked the family: the attacker holds nothing usable. */
function thiefDetected(world: World): boolean {
  const loot = [...world.attacker.loot.access_token, ...world.attacker.loot.refresh_token];
  const lastReplay = world.attacker.log.filter((o) => o.move === 'replay-refresh-token').at(-1);
  const detected = world.provider.audit('refresh_token.reuse_detected');
  return loot.length > 0 && lastReplay?.succeeded === false && detected.some((e) => e.at >= lastReplay.at)
    && world.provider.audit('grant.revoked').some((e) => detected.some((d) => d.grantId === e.grantId))
    && loot.every((v) => !usable(world, v));
}

/** Why the thief has not been caught yet (undefined once `thiefDetected`). */
function thiefReason(world: World): string | undefined {
  if (thiefDetected(world)) return undefined;
  const { knobs } = world.provider;
  if (!knobs.rotateRefreshTokens) return 'the server does not rotate refresh tokens, so the stolen one never goes out of date';
  if (!knobs.invalidateRotatedRefreshTokens) return 'a rotated-out refresh token stays valid here, so the thief\'s old copy still mints tokens';
  if (!knobs.reuseDetection) return 'reuse detection is off: the server refuses a rotated-out token but does not revoke the family';
  const lastReplay = world.attacker.log.filter((o) => o.move === 'replay-refresh-token').at(-1);
  if (lastReplay?.succeeded !== false) return 'the thief has not presented the stolen refresh token since your CLI rotated it';
  return 'the server still accepts a token the thief holds';
}

/** The CLI's own refresh requests (grant_type=refresh_token) since `since`, with the refresh token each presented. */
function cliRefreshes(world: World, since: number): string[] {
  return world.wire.log.filter((ex) => ex.actor === 'cli' && ex.request.url.endsWith('/token') && ex.startedAt >= since
    && readExchange(ex).grantType === 'refresh_token')
    .map((ex) => readExchange(ex).form.get('refresh_token') ?? '');
}

/**
 * A fresh login whose family rotated at least twice (three refresh tokens), was never flagged as reused, is
 * still alive, and the CLI is signed in with it; the CLI presented each refresh token once (it stored every new
 * one), and the server's protections are still on, so it is the CLI that is right, not the server that is lax.
 */
function healthyRotationReason(world: World): string | undefined {
  const issued = world.provider.audit('token.issued').at(-1);
  const grantId = issued?.grantId;
  const { knobs } = world.provider;
  if (!thiefDetected(world)) return 'first catch the thief: this objective is about the session after that';
  if (!grantId || !world.provider.audit('grant.revoked').some((e) => e.at <= issued!.at)) return 'you have not logged in again since the stolen family was revoked';
  if (!knobs.rotateRefreshTokens || !knobs.invalidateRotatedRefreshTokens || !knobs.reuseDetection) {
    return 'the server\'s refresh-token protections are no longer all on: the session must survive rotation, invalidation and reuse detection';
  }
  const grant = world.provider.grant(grantId);
  if (world.provider.audit('refresh_token.reuse_detected').some((e) => e.grantId === grantId) || grant?.revokedAt !== undefined) {
    return 'your own CLI presented a rotated-out refresh token and tripped reuse detection: it keeps sending the first one';
  }
  const presented = cliRefreshes(world, issued!.at);
  if (world.provider.refreshTokens(grantId).length < 3) return `the new session has refreshed ${presented.length} time${presented.length === 1 ? '' : 's'}; it needs two`;
  if (new Set(presented).size !== presented.length) return 'the CLI presented the same refresh token twice: it must store and use each new one';
  if (!world.state().startsWith('authenticated')) return 'the CLI is not signed in with the new session';
  return undefined;
}

/** The CLI refreshes (its access token has expired), the thief tries the stolen token, the CLI calls again. */
const CATCH: LabStep[] = [
  { do: 'advance', seconds: 600 },
  { do: 'type', line: 'acme api get /api/projects' },
  { do: 'attack', move: 'replay-refresh-token' },
  { do: 'type', line: 'acme api get /api/projects' },
];
/** A new login kept through two refreshes. */
const SESSION: LabStep[] = [
  { do: 'type', line: 'acme login' },
  { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
  { do: 'advance', seconds: 600 },
  { do: 'type', line: 'acme api get /api/projects' },
  { do: 'advance', seconds: 600 },
  { do: 'type', line: 'acme api get /api/projects' },
];

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
      holds: (w) => need(thiefDetected(w), thiefReason(w) ?? '') ?? true,
    },
    {
      id: 'healthy-rotation',
      text: 'Log in again and keep that session through at least two refreshes without tripping reuse detection yourself.',
      holds: (w) => need(healthyRotationReason(w) === undefined, healthyRotationReason(w) ?? '') ?? true,
    },
  ],
  solution: [
    { do: 'knobs', server: { rotateRefreshTokens: true, invalidateRotatedRefreshTokens: true, reuseDetection: true } },
    { do: 'advance', seconds: 600 },
    { do: 'type', line: 'acme api get /api/projects' },
    { do: 'attack', move: 'replay-refresh-token' },
    { do: 'type', line: 'acme api get /api/projects' },
    { do: 'knobs', client: { refreshTokens: 'rotate' } },
    ...SESSION,
  ],
  nearMisses: [
    {
      name: 'rotation alone: the thief\'s rotated-out token still works',
      objective: 'thief-detected',
      steps: [{ do: 'knobs', server: { rotateRefreshTokens: true } }, ...CATCH],
    },
    {
      name: 'rotation and invalidation without reuse detection: the thief is refused, but the family lives on',
      objective: 'thief-detected',
      steps: [{ do: 'knobs', server: { rotateRefreshTokens: true, invalidateRotatedRefreshTokens: true } }, ...CATCH],
    },
    {
      name: 'keeping the CLI on reuse-first and turning invalidation off again so it stops tripping reuse detection',
      objective: 'healthy-rotation',
      after: 5,
      steps: [{ do: 'knobs', server: { invalidateRotatedRefreshTokens: false } }, ...SESSION],
      ticks: ['thief-detected'],
    },
    {
      name: 'keeping the CLI on reuse-first and turning reuse detection off',
      objective: 'healthy-rotation',
      after: 5,
      steps: [{ do: 'knobs', server: { reuseDetection: false } }, ...SESSION],
      ticks: ['thief-detected'],
    },
    {
      name: 'logging in again with the CLI still on reuse-first: it trips reuse detection itself',
      objective: 'healthy-rotation',
      after: 5,
      steps: SESSION,
      ticks: ['thief-detected'],
    },
    {
      name: 'the CLI fixed, but the session refreshed only once',
      objective: 'healthy-rotation',
      after: 10,
      steps: [],
      ticks: ['thief-detected'],
    },
  ],
});
