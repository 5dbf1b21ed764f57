/**
 * Lab 06: the credentials file (F8, F9). On a shared host the CLI wrote its tokens to a 0644 file; bob, another
 * local user, copied them and used them. The learner kills the stolen copy with a real logout (revocation at
 * the server) and logs in again with storage no other user can read.
 */
import { defineLab } from '../../src/labs/types.ts';
import type { World } from '../../src/world/index.ts';

/** Every token the attacker took is refused by the server now. */
function stolenCopyDead(world: World): boolean {
  const loot = [...world.attacker.loot.access_token, ...world.attacker.loot.refresh_token];
  if (!loot.length) return false;
  const issued = world.idp.as.issuedSecrets();
  return loot.every((value) => issued.find((s) => s.value === value)?.usable === false)
    && world.idp.as.audit.events.some((e) => e.type === 'token.revoked');
}

export default defineLab({
  setup: {
    world: {
      host: { kind: 'shared-host', otherUsers: ['bob'] },
      clientKnobs: { storage: 'file-0644' },
      userBehaviour: { kind: 'approve', afterS: 8 },
    },
    showcase: 1,
    learnerKnobs: { client: ['storage', 'logout'] },
    // Yesterday: alice logged in; bob read her world-readable credentials file and used the token.
    prelude: [
      { do: 'type', line: 'acme login' },
      { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
      { do: 'advance', seconds: 60 },
      { do: 'attack', move: 'read-places', as: 'other local users' },
      { do: 'attack', move: 'replay-access-token' },
    ],
  },
  objectives: [
    {
      id: 'stolen-copy-dead',
      text: 'Make the tokens bob copied worthless: the server must refuse every one of them.',
      holds: stolenCopyDead,
    },
    {
      id: 'private-credentials',
      text: 'Log in again so that no token the server still accepts is readable by another local user.',
      holds: (w) => stolenCopyDead(w) && w.state().startsWith('authenticated')
        && w.idp.as.audit.events.filter((e) => e.type === 'token.issued').length >= 2
        && !w.ledger().some((e) => e.usable && e.exposedTo.includes('other local users')),
    },
  ],
  solution: [
    { do: 'type', line: 'ls -la ~/.config/acme' },
    { do: 'type', line: 'acme logout' },
    { do: 'knobs', client: { storage: 'file-0600' } },
    { do: 'type', line: 'acme login' },
    { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
    { do: 'type', line: 'ls -la ~/.config/acme' },
  ],
});
