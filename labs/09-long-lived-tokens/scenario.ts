/**
 * Lab 09: long-lived tokens versus short-lived with refresh (F12, G6). The identity provider issues 30-day
 * access tokens and no refresh tokens; a copy of the laptop's credentials file leaked a week ago and the thief
 * still reads the API with it. The learner revokes it, then sets a short access-token lifetime with refresh
 * tokens, and sees both sides: a token stolen after the change dies on its own within the hour, while the CLI
 * keeps working by refreshing.
 */
import { defineLab, need, type LabStep } from '../../src/labs/types.ts';
import { SIM_API_BASE } from '../../src/world/addresses.ts';
import type { World } from '../../src/world/index.ts';

const HOUR_MS = 3600 * 1000;

/** Every access token the server would still accept lives at most an hour (and there is at least one token). */
function noLongLivedToken(world: World): boolean {
  const usable = new Set(world.provider.issuedSecrets().filter((s) => s.kind === 'access_token' && s.usable).map((s) => s.value));
  const tokens = world.provider.accessTokens();
  return tokens.length > 0 && tokens.every((t) => !usable.has(t.value) || t.expiresAt - t.issuedAt <= HOUR_MS);
}

/**
 * The attacker's latest stolen access token was short-lived, nobody revoked it, and its last replay came after
 * its expiry and was refused: it died on its own.
 */
function stolenCopyExpired(world: World): boolean {
  const rec = world.provider.accessToken(world.attacker.loot.access_token.at(-1) ?? '');
  const replay = world.attacker.log.filter((o) => o.move === 'replay-access-token').at(-1);
  if (!rec || !replay || replay.succeeded) return false;
  const notRevoked = rec.revokedAt === undefined && world.provider.grant(rec.grantId)?.revokedAt === undefined;
  return rec.expiresAt - rec.issuedAt <= HOUR_MS && notRevoked && replay.at >= rec.expiresAt;
}

/** Why the thief's latest copy has not visibly died on its own yet (undefined when it has). */
function stolenCopyExpiredReason(world: World): string | undefined {
  if (stolenCopyExpired(world)) return undefined;
  const rec = world.provider.accessToken(world.attacker.loot.access_token.at(-1) ?? '');
  const replay = world.attacker.log.filter((o) => o.move === 'replay-access-token').at(-1);
  if (!rec || rec.expiresAt - rec.issuedAt > HOUR_MS) return 'the thief\'s latest copy is a long-lived token: let them steal one issued after your change';
  if (rec.revokedAt !== undefined || world.provider.grant(rec.grantId)?.revokedAt !== undefined) return 'the thief\'s latest copy was revoked, so it did not die on its own';
  if (!replay || replay.at < rec.expiresAt) return 'the thief has not replayed the short-lived copy after it expired: wait past its lifetime, then replay';
  return 'the thief\'s last replay still worked';
}

/** After a refresh, the CLI's own API call succeeded: nobody had to log in again. */
function cliKeptWorking(world: World): boolean {
  const refreshed = world.provider.audit('token.refreshed').at(-1);
  if (!refreshed) return false;
  return world.wire.log.some((ex) => ex.actor === 'cli' && ex.request.url.startsWith(SIM_API_BASE) && ex.startedAt >= refreshed.at
    && ex.response?.status === 200);
}

const LOGIN: LabStep[] = [{ do: 'type', line: 'acme login' }, { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 }];

export default defineLab({
  setup: {
    world: {
      host: { kind: 'laptop' },
      clientKnobs: { storage: 'file-0600' },
      // The vendor's answer to "users hate logging in": no refresh tokens, 30-day access tokens.
      serverKnobs: { accessTokenLifetimeS: 30 * 24 * 3600, issueRefreshTokens: false },
      userBehaviour: { kind: 'approve', afterS: 8 },
    },
    showcase: 0,
    learnerKnobs: { server: ['accessTokenLifetimeS', 'issueRefreshTokens'], client: ['refreshTokens'] },
    // A week ago: alice logged in; a copy of her home directory (a backup) leaked; today the thief uses the token.
    prelude: [
      { do: 'type', line: 'acme login' },
      { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
      { do: 'attack', move: 'read-places', as: 'root' },
      { do: 'advance', seconds: 7 * 24 * 3600 },
      { do: 'attack', move: 'replay-access-token' },
    ],
  },
  objectives: [
    {
      id: 'no-long-lived-token',
      text: 'Make sure no access token the server still accepts lives longer than one hour, including the one stolen last week.',
      holds: (w) => {
        const usable = new Set(w.provider.issuedSecrets().filter((s) => s.kind === 'access_token' && s.usable).map((s) => s.value));
        const long = w.provider.accessTokens().filter((t) => usable.has(t.value) && t.expiresAt - t.issuedAt > HOUR_MS);
        const days = Math.round(Math.max(0, ...long.map((t) => t.expiresAt - t.issuedAt)) / (24 * HOUR_MS));
        return need(long.length === 0, `the server still accepts an access token that lives ${days} days${long.some((t) => w.attacker.loot.access_token.includes(t.value)) ? ', the stolen one among them' : ''}`)
          ?? need(noLongLivedToken(w), 'there is no access token at all to check')
          ?? true;
      },
    },
    {
      id: 'stolen-copy-expires',
      text: 'Let the thief steal a fresh token after your change, wait an hour, and watch the replay fail on its own because the token expired.',
      holds: (w) => need(stolenCopyExpiredReason(w) === undefined, stolenCopyExpiredReason(w) ?? '') ?? true,
    },
    {
      id: 'cli-keeps-working',
      text: 'After the access token expired, `acme api get /api/projects` still works: the CLI refreshes instead of asking you to log in.',
      holds: (w) => need(stolenCopyExpired(w), 'first watch a short-lived stolen token die on its own')
        ?? need(w.provider.audit('token.refreshed').length > 0, 'the CLI has not refreshed its access token yet: call the API after it expired')
        ?? need(cliKeptWorking(w), 'no API call of the CLI has succeeded since its last refresh')
        ?? true,
    },
  ],
  solution: [
    { do: 'type', line: 'acme logout' },
    { do: 'knobs', server: { accessTokenLifetimeS: 900, issueRefreshTokens: true } },
    { do: 'type', line: 'acme login' },
    { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
    { do: 'attack', move: 'read-places', as: 'root' },
    { do: 'attack', move: 'replay-access-token' },
    { do: 'advance', seconds: 3600 },
    { do: 'attack', move: 'replay-access-token' },
    { do: 'type', line: 'acme api get /api/projects' },
  ],
  nearMisses: [
    {
      name: 'shortening the lifetime without logging out: last week\'s 30-day token is still accepted',
      objective: 'no-long-lived-token',
      steps: [{ do: 'knobs', server: { accessTokenLifetimeS: 900, issueRefreshTokens: true } }, ...LOGIN],
    },
    {
      name: 'revoking the old session and stopping there: a revoked token did not die on its own',
      objective: 'stolen-copy-expires',
      steps: [{ do: 'type', line: 'acme logout' }, { do: 'attack', move: 'replay-access-token' }, { do: 'advance', seconds: 3600 }, { do: 'attack', move: 'replay-access-token' }],
    },
    {
      name: 'a short lifetime, but the replay tried before the hour is up',
      objective: 'stolen-copy-expires',
      after: 6,
      steps: [{ do: 'advance', seconds: 600 }, { do: 'attack', move: 'replay-access-token' }],
      ticks: ['no-long-lived-token'],
    },
    {
      name: 'short-lived tokens without refresh tokens: the stolen copy dies, and so does the CLI\'s session',
      objective: 'cli-keeps-working',
      steps: [{ do: 'type', line: 'acme logout' }, { do: 'knobs', server: { accessTokenLifetimeS: 900 } }, ...LOGIN,
        { do: 'attack', move: 'read-places', as: 'root' }, { do: 'advance', seconds: 3600 }, { do: 'attack', move: 'replay-access-token' },
        { do: 'type', line: 'acme api get /api/projects' }],
      ticks: ['no-long-lived-token', 'stolen-copy-expires'],
    },
  ],
});
