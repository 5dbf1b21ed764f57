/**
 * Lab 07: tokens in argv and env (F10; G2). The CLI hands the access token to its API sub-process as
 * `--token <value>`: it lands in shell history and in every account's `ps`. bob, on the same build server,
 * has read it from the process list and used it. The learner finds the token where bob did, revokes it, and
 * calls the API again with the token read from the store: nothing in history, `ps` or the environment.
 */
import { defineLab, need, type LabStep } from '../../src/labs/types.ts';
import type { World } from '../../src/world/index.ts';

const TOKEN_KINDS = ['access_token', 'refresh_token'];
/** Places a token handed over on the command line or in the environment ends up in. */
const ARGV_AND_ENV = ['history', 'ps', 'environment', 'environ'];

/** Every token bob took is refused by the server now. */
function stolenCopyDead(world: World): boolean {
  const loot = [...world.attacker.loot.access_token, ...world.attacker.loot.refresh_token];
  if (!loot.length) return false;
  const issued = world.provider.issuedSecrets();
  return loot.every((value) => issued.find((s) => s.value === value)?.usable === false);
}

const LOGIN: LabStep[] = [{ do: 'type', line: 'acme login' }, { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 }];
const API: LabStep = { do: 'type', line: 'acme api get /api/projects' };

export default defineLab({
  setup: {
    world: {
      host: { kind: 'shared-host', otherUsers: ['bob'] },
      clientKnobs: { tokenDelivery: 'argv', storage: 'file-0600' },
      userBehaviour: { kind: 'approve', afterS: 8 },
    },
    showcase: 1,
    learnerKnobs: { client: ['tokenDelivery'] },
    // A minute ago: log in, list the projects. bob ran `ps` at the right moment and used what he saw.
    prelude: [
      { do: 'type', line: 'acme login' },
      { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
      { do: 'type', line: 'acme api get /api/projects' },
      { do: 'advance', seconds: 60 },
      { do: 'attack', move: 'read-places', as: 'other local users' },
      { do: 'attack', move: 'replay-access-token' },
    ],
  },
  objectives: [
    {
      id: 'find-the-token',
      text: 'Find your access token where bob found it: run `ps` or `history` and spot it on a command line.',
      holds: (w) => {
        const tokens = w.provider.issuedSecrets().filter((s) => s.kind === 'access_token').map((s) => s.value);
        // The CLI's own name (a command name holds no regex metacharacter but `-`, literal outside a class).
        const onCommandLine = new RegExp(`(^|\\s)${w.names.cli} api \\w+ \\S+ --token `);
        return need(w.host.scrollback.some((l) => l.style !== 'prompt' && onCommandLine.test(l.text) && tokens.some((t) => l.text.includes(t))),
          'no `ps` or `history` output on your terminal shows an access token on a command line yet')
          ?? true;
      },
    },
    {
      id: 'stolen-copy-dead',
      text: 'Make the token bob copied worthless: the server must refuse it.',
      holds: (w) => need(stolenCopyDead(w), 'the server still accepts the access token bob read from the process list') ?? true,
    },
    {
      id: 'clean-api-call',
      text: 'Log in and call the API again so that no token the server still accepts is in shell history, `ps` or the environment.',
      holds: (w) => {
        const issued = w.provider.audit('token.issued').at(-1)?.at;
        const exposed = w.ledger().filter((e) => TOKEN_KINDS.includes(e.kind) && e.usable)
          .flatMap((e) => e.places.filter((p) => ARGV_AND_ENV.includes(p.placeId)).map((p) => p.placeId));
        return need(stolenCopyDead(w), 'bob\'s copy still works: revoke it before you log in again')
          ?? need(issued !== undefined && w.state().startsWith('authenticated') && issued >= (w.provider.audit('token.revoked', 'grant.revoked')[0]?.at ?? Infinity),
            'you have not logged in again since bob\'s copy was revoked')
          ?? need(w.emitted.some((e) => e.type === 'cli.exec' && e.at >= issued!), 'the new session has not called the API yet')
          ?? need(exposed.length === 0, `a token the server still accepts is in: ${[...new Set(exposed)].join(', ')}`)
          ?? true;
      },
    },
  ],
  solution: [
    { do: 'type', line: 'ps' },
    { do: 'type', line: 'acme logout' },
    { do: 'knobs', client: { tokenDelivery: 'store' } },
    { do: 'type', line: 'acme login' },
    { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
    { do: 'type', line: 'acme api get /api/projects' },
    { do: 'type', line: 'ps' },
  ],
  nearMisses: [
    {
      name: 'reading the credentials file: the token is there, but that is not where bob found it',
      objective: 'find-the-token',
      steps: [{ do: 'type', line: 'cat ~/.config/acme/credentials.json' }, { do: 'type', line: 'env' }],
    },
    {
      name: 'switching delivery to the store without logging out: bob\'s copy is still valid',
      objective: 'stolen-copy-dead',
      steps: [{ do: 'knobs', client: { tokenDelivery: 'store' } }, API],
    },
    {
      name: 'revoking, then handing the token over in an exported environment variable instead',
      objective: 'clean-api-call',
      after: 2,
      steps: [{ do: 'knobs', client: { tokenDelivery: 'env' } }, ...LOGIN, API],
      ticks: ['find-the-token', 'stolen-copy-dead'],
    },
    {
      name: 'revoking and logging in again with the token still passed as `--token`',
      objective: 'clean-api-call',
      after: 2,
      steps: [...LOGIN, API],
      ticks: ['find-the-token', 'stolen-copy-dead'],
    },
  ],
});
