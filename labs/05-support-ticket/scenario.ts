/**
 * Lab 05: `acme token` and the support ticket (G2; F6). The learner printed the token to "check it" and then
 * pasted the terminal, full of unredacted debug output, into a support ticket; support staff can now call the
 * API as them. The learner revokes the leaked session, then sends support a trace they can use with every
 * credential shown as [REDACTED], and keeps the new token off the screen altogether.
 */
import { defineLab } from '../../src/labs/types.ts';
import type { World } from '../../src/world/index.ts';

const TOKEN_KINDS = ['access_token', 'refresh_token'];

/** Every token the support staff could read is refused by the server now. */
function leakedTokensDead(world: World): boolean {
  const loot = [...world.attacker.loot.access_token, ...world.attacker.loot.refresh_token];
  if (!loot.length) return false;
  const issued = world.idp.as.issuedSecrets();
  return loot.every((value) => issued.find((s) => s.value === value)?.usable === false);
}

/** When the leaked session was revoked (undefined while it was not). */
function revokedAt(world: World): number | undefined {
  return leakedTokensDead(world) ? world.idp.as.audit.events.find((e) => e.type === 'token.revoked')?.at : undefined;
}

/** Tokens of the login after the revocation. */
function newTokens(world: World) {
  const since = revokedAt(world);
  return since === undefined ? [] : world.ledger().filter((e) => TOKEN_KINDS.includes(e.kind) && e.issuedAt > since);
}

export default defineLab({
  setup: {
    world: {
      host: { kind: 'laptop' },
      clientKnobs: { debug: 'bodies', redaction: false },
      userBehaviour: { kind: 'approve', afterS: 6 },
    },
    showcase: 0,
    learnerKnobs: { client: ['redaction', 'debug'] },
    // This morning: log in, print the token "to check it", a delete fails, and the whole terminal goes into a
    // support ticket. Someone on the support side used the token from it.
    prelude: [
      { do: 'type', line: 'acme login' },
      { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
      { do: 'type', line: 'acme token' },
      { do: 'type', line: 'acme api delete /api/projects/p1' },
      { do: 'type', line: 'support-ticket' },
      { do: 'advance', seconds: 600 },
      { do: 'attack', move: 'read-places', as: 'support staff' },
      { do: 'attack', move: 'replay-access-token' },
    ],
  },
  objectives: [
    {
      id: 'leaked-session-dead',
      text: 'Make the tokens in the support ticket worthless: the server must refuse every one of them.',
      holds: leakedTokensDead,
    },
    {
      id: 'redacted-ticket',
      text: 'Log in again and send support a new paste with the debug trace of an API call, credentials shown as `[REDACTED]`: support can read no token the server still accepts.',
      holds: (w) => {
        const since = revokedAt(w);
        if (since === undefined || !newTokens(w).some((e) => e.kind === 'access_token')) return false;
        const pasted = w.host.supportTicket.filter((l) => l.at > since);
        return pasted.some((l) => /^> authorization: Bearer \[REDACTED\]$/i.test(l.text))
          && !w.ledger().some((e) => e.usable && e.places.some((p) => p.placeId === 'support'));
      },
    },
    {
      id: 'token-never-on-screen',
      text: 'Keep the new session\'s tokens off your screen: neither `acme token` nor a debug line ever prints them.',
      holds: (w) => {
        const fresh = newTokens(w);
        return fresh.some((e) => e.kind === 'access_token') && w.host.supportTicket.some((l) => l.at > revokedAt(w)!)
          && fresh.every((e) => !e.places.some((p) => p.placeId === 'terminal'));
      },
    },
  ],
  solution: [
    { do: 'type', line: 'acme logout' },
    { do: 'knobs', client: { redaction: true } },
    { do: 'type', line: 'acme login' },
    { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
    { do: 'type', line: 'acme api delete /api/projects/p1' },
    { do: 'type', line: 'support-ticket' },
  ],
});
