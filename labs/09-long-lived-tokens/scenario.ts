/**
 * Lab 09: long-lived tokens versus short-lived with refresh (F12, G6). The identity provider issues 30-day
 * access tokens and no refresh tokens; a copy of the laptop's credentials file leaked a week ago and the thief
 * still reads the API with it. The learner revokes it, then sets a short access-token lifetime with refresh
 * tokens, and sees both sides: a token stolen after the change dies on its own within the hour, while the CLI
 * keeps working by refreshing.
 */
import { defineLab } from '../../src/labs/types.ts';
import { SIM_API_BASE, type World } from '../../src/world/index.ts';

const HOUR_MS = 3600 * 1000;

/** Every access token the server would still accept lives at most an hour (and there is at least one token). */
function noLongLivedToken(world: World): boolean {
  const usable = new Set(world.idp.as.issuedSecrets().filter((s) => s.kind === 'access_token' && s.usable).map((s) => s.value));
  const tokens = [...world.idp.as.state.accessTokens.values()];
  return tokens.length > 0 && tokens.every((t) => !usable.has(t.value) || t.expiresAt - t.issuedAt <= HOUR_MS);
}

/**
 * The attacker's latest stolen access token was short-lived, nobody revoked it, and its last replay came after
 * its expiry and was refused: it died on its own.
 */
function stolenCopyExpired(world: World): boolean {
  const rec = world.idp.as.state.accessTokensByValue.get(world.attacker.loot.access_token.at(-1) ?? '');
  const replay = world.attacker.log.filter((o) => o.move === 'replay-access-token').at(-1);
  if (!rec || !replay || replay.succeeded) return false;
  const notRevoked = rec.revokedAt === undefined && world.idp.as.state.grants.get(rec.grantId)?.revokedAt === undefined;
  return rec.expiresAt - rec.issuedAt <= HOUR_MS && notRevoked && replay.at >= rec.expiresAt;
}

/** After a refresh, the CLI's own API call succeeded: nobody had to log in again. */
function cliKeptWorking(world: World): boolean {
  const refreshed = world.idp.as.audit.ofType('token.refreshed').at(-1);
  if (!refreshed) return false;
  return world.wire.log.some((ex) => ex.actor === 'cli' && ex.request.url.startsWith(SIM_API_BASE) && ex.startedAt >= refreshed.at
    && ex.response?.status === 200);
}

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
      holds: noLongLivedToken,
    },
    {
      id: 'stolen-copy-expires',
      text: 'Let the thief steal a fresh token after your change, wait an hour, and watch the replay fail on its own because the token expired.',
      holds: stolenCopyExpired,
    },
    {
      id: 'cli-keeps-working',
      text: 'After the access token expired, `acme api get /api/projects` still works: the CLI refreshes instead of asking you to log in.',
      holds: (w) => stolenCopyExpired(w) && cliKeptWorking(w),
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
});
