/**
 * Lab 08: logout that does not revoke (F11; G7). A backup copied the CLI's credentials file and someone is
 * using the tokens. This CLI's `acme logout` only deletes the local file: the learner watches the stolen copy
 * keep working after logout, kills the orphaned session where it lives (the identity provider's "sign out
 * everywhere"), and fixes logout so that the next session dies at the server when they log out.
 */
import { defineLab, need, type LabStep } from '../../src/labs/types.ts';
import { readExchange } from '../../src/world/exchangeView.ts';
import type { World } from '../../src/world/index.ts';

const TOKEN_KINDS = ['access_token', 'refresh_token'];
const REPLAYS = ['replay-access-token', 'replay-refresh-token'];

/** When the CLI said it had logged out (clock time and world event order). */
const logouts = (world: World) => world.emitted.filter((e) => e.type === 'cli.output' && e.text === '✓ Logged out.');
const logoutTimes = (world: World) => logouts(world).map((e) => e.at);

/** Every token the attacker holds is refused by the server now. */
function stolenCopyDead(world: World): boolean {
  const loot = [...world.attacker.loot.access_token, ...world.attacker.loot.refresh_token];
  if (!loot.length) return false;
  const issued = world.provider.issuedSecrets();
  return loot.every((value) => issued.find((s) => s.value === value)?.usable === false);
}

/** The CLI's own revocation requests (RFC 7009) that the server accepted. */
const cliRevocations = (world: World) =>
  world.wire.log.filter((ex) => ex.actor === 'cli' && ex.request.method === 'POST' && ex.request.url.endsWith('/revoke')
    && ex.response?.status === 200);

const LOGIN: LabStep[] = [{ do: 'type', line: 'acme login' }, { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 }];

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
        const first = logouts(w)[0]?.seq;
        return need(first !== undefined, 'you have not run `acme logout` yet')
          ?? need(w.attacker.log.some((o) => REPLAYS.includes(o.move) && o.seq > first!), 'the attacker has not tried the stolen token since you logged out: replay it from the attacker console')
          ?? need(w.attacker.log.some((o) => REPLAYS.includes(o.move) && o.succeeded && o.seq > first!), 'every replay since your logout was refused, so this logout never showed what it fails to do')
          ?? true;
      },
    },
    {
      id: 'stolen-session-dead',
      text: 'Kill the session the attacker holds: the server must refuse every token they copied.',
      holds: (w) => need(stolenCopyDead(w), 'the server still honours the tokens the attacker copied from the backup') ?? true,
    },
    {
      id: 'logout-revokes',
      text: 'Fix logout: log in again and run `acme logout` so that the server revokes the new session (refresh token first).',
      holds: (w) => {
        const issuedAt = w.provider.audit('token.issued').at(-1)?.at;
        const fresh = w.ledger().filter((e) => TOKEN_KINDS.includes(e.kind) && e.issuedAt >= (issuedAt ?? Infinity));
        const revokes = cliRevocations(w).filter((ex) => ex.startedAt >= (issuedAt ?? Infinity));
        return need(issuedAt !== undefined && issuedAt > (logoutTimes(w)[0] ?? Infinity), 'you have not logged in again since the first logout')
          ?? need(w.state() === 'loggedOut', 'the new session is still logged in: run `acme logout`')
          ?? need(revokes.length > 0, 'the last logout sent no revocation request to the server: it only deleted the local file')
          ?? need((revokes[0] ? readExchange(revokes[0]).form.get('token_type_hint') : null) === 'refresh_token', 'the logout did not revoke the refresh token first')
          ?? need(fresh.length > 0 && fresh.every((e) => e.status === 'revoked'), 'a token of the new session is still valid at the server after logout')
          ?? true;
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
  nearMisses: [
    {
      name: 'replaying the token before logging out: it works, but that says nothing about logout',
      objective: 'see-logout-fail',
      steps: [{ do: 'attack', move: 'replay-access-token' }, { do: 'type', line: 'acme logout' }],
    },
    {
      name: 'fixing logout first, then logging out: the CLI has forgotten nothing, so it revokes and the replay fails',
      objective: 'see-logout-fail',
      steps: [{ do: 'knobs', client: { logout: 'revoke' } }, { do: 'type', line: 'acme logout' }, { do: 'attack', move: 'replay-access-token' }],
      ticks: ['stolen-session-dead'],
    },
    {
      name: 'a local-only logout, then fixing the knob: the CLI has nothing left to revoke the stolen session with',
      objective: 'stolen-session-dead',
      steps: [{ do: 'type', line: 'acme logout' }, { do: 'knobs', client: { logout: 'revoke' } }, { do: 'type', line: 'acme logout' },
        { do: 'attack', move: 'replay-access-token' }],
    },
    {
      name: 'signing out everywhere and logging in again, but logging out with the old local-only logout',
      objective: 'logout-revokes',
      after: 5,
      steps: [...LOGIN, { do: 'type', line: 'acme logout' }],
      ticks: ['see-logout-fail', 'stolen-session-dead'],
    },
    {
      name: 'fixing logout and logging in again, but not logging out',
      objective: 'logout-revokes',
      after: 8,
      steps: [],
      ticks: ['see-logout-fail', 'stolen-session-dead'],
    },
  ],
});
