/**
 * Lab 08: logout that does not revoke (F11; G7). A backup copied the CLI's credentials file and someone is
 * using the tokens. This CLI's `acme logout` only deletes the local file: the learner watches the stolen copy
 * keep working after logout, kills the orphaned session where it lives (the identity provider's "sign out
 * everywhere"), and fixes logout so that the next session dies at the server when they log out.
 */
import { defineLab } from '../../src/labs/types.ts';
import type { World } from '../../src/world/index.ts';

const TOKEN_KINDS = ['access_token', 'refresh_token'];
const REPLAYS = ['replay-access-token', 'replay-refresh-token'];

/** When the CLI said it had logged out. */
const logoutTimes = (world: World) =>
  world.emitted.filter((e) => e.type === 'cli.output' && e.text === '✓ Logged out.').map((e) => e.at);

/** Every token the attacker holds is refused by the server now. */
function stolenCopyDead(world: World): boolean {
  const loot = [...world.attacker.loot.access_token, ...world.attacker.loot.refresh_token];
  if (!loot.length) return false;
  const issued = world.idp.as.issuedSecrets();
  return loot.every((value) => issued.find((s) => s.value === value)?.usable === false);
}

/** The CLI's own revocation requests (RFC 7009) that the server accepted. */
const cliRevocations = (world: World) =>
  world.wire.log.filter((ex) => ex.actor === 'cli' && ex.request.method === 'POST' && ex.request.url.endsWith('/revoke')
    && ex.response?.status === 200);

export default defineLab({
  setup: {
    world: {
      host: { kind: 'laptop' },
      clientKnobs: { storage: 'file-0600', logout: 'local-only' },
      userBehaviour: { kind: 'approve', afterS: 6 },
    },
    showcase: 3,
    learnerKnobs: { client: ['logout'] },
    // Yesterday: log in. Overnight the backup agent (it runs as root) copied ~/.config/acme into a bucket that
    // turned out to be public; someone found the credentials file and is using it.
    prelude: [
      { do: 'type', line: 'acme login' },
      { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
      { do: 'advance', seconds: 300 },
      { do: 'attack', move: 'read-places', as: 'root' },
      { do: 'attack', move: 'replay-access-token' },
    ],
  },
  objectives: [
    {
      id: 'see-logout-fail',
      text: 'Run `acme logout` as the CLI is, then replay the stolen token from the attacker console: it still works.',
      holds: (w) => {
        const first = logoutTimes(w)[0];
        return first !== undefined && w.attacker.log.some((o) => REPLAYS.includes(o.move) && o.succeeded && o.at >= first);
      },
    },
    {
      id: 'stolen-session-dead',
      text: 'Kill the session the attacker holds: the server must refuse every token they copied.',
      holds: stolenCopyDead,
    },
    {
      id: 'logout-revokes',
      text: 'Fix logout: log in again and run `acme logout` so that the server revokes the new session (refresh token first).',
      holds: (w) => {
        const issuedAt = w.idp.as.audit.events.filter((e) => e.type === 'token.issued').at(-1)?.at;
        if (issuedAt === undefined || issuedAt <= (logoutTimes(w)[0] ?? Infinity) || w.state() !== 'loggedOut') return false;
        const revokes = cliRevocations(w).filter((ex) => ex.startedAt >= issuedAt);
        const fresh = w.ledger().filter((e) => TOKEN_KINDS.includes(e.kind) && e.issuedAt >= issuedAt);
        return new URLSearchParams(revokes[0]?.request.body ?? '').get('token_type_hint') === 'refresh_token'
          && fresh.length > 0 && fresh.every((e) => e.status === 'revoked');
      },
    },
  ],
  solution: [
    { do: 'type', line: 'acme logout' },
    { do: 'type', line: 'ls -la ~/.config/acme' },
    { do: 'attack', move: 'replay-access-token' },
    { do: 'sign-out-everywhere' },
    { do: 'attack', move: 'replay-refresh-token' },
    { do: 'knobs', client: { logout: 'revoke' } },
    { do: 'type', line: 'acme login' },
    { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
    { do: 'type', line: 'acme logout' },
  ],
});
