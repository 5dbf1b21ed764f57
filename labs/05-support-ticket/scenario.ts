/**
 * Lab 05: `acme token` and the support ticket (G2; F6). The learner printed the token to "check it" and then
 * pasted the terminal, full of unredacted debug output, into a support ticket; support staff can now call the
 * API as them. The learner revokes the leaked session, then sends support a trace they can use with every
 * credential shown as [REDACTED], and keeps the new token off the screen altogether.
 */
import { defineLab, need, type LabStep } from '../../src/labs/types.ts';
import type { World } from '../../src/world/index.ts';

const TOKEN_KINDS = ['access_token', 'refresh_token'];

/** Every token the support staff could read is refused by the server now. */
function leakedTokensDead(world: World): boolean {
  const loot = [...world.attacker.loot.access_token, ...world.attacker.loot.refresh_token];
  if (!loot.length) return false;
  const issued = world.provider.issuedSecrets();
  return loot.every((value) => issued.find((s) => s.value === value)?.usable === false);
}

/** When the leaked session was revoked (undefined while it was not). */
function revokedAt(world: World): number | undefined {
  return leakedTokensDead(world) ? world.provider.audit('token.revoked')[0]?.at : undefined;
}

/** Tokens of the login after the revocation. */
function newTokens(world: World) {
  const since = revokedAt(world);
  return since === undefined ? [] : world.ledger().filter((e) => TOKEN_KINDS.includes(e.kind) && e.issuedAt > since);
}

const LOGIN: LabStep[] = [{ do: 'type', line: 'acme login' }, { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 }];

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
      holds: (w) => need(leakedTokensDead(w), 'the server still accepts tokens that are in the support ticket') ?? true,
    },
    {
      id: 'redacted-ticket',
      text: 'Log in again and send support a new paste with the debug trace of an API call, credentials shown as `[REDACTED]`: support can read no token the server still accepts.',
      holds: (w) => {
        const since = revokedAt(w);
        const pasted = w.host.supportTicket.filter((l) => l.at > (since ?? Infinity));
        return need(since !== undefined, 'the leaked session is still alive, so a new paste would sit next to working tokens')
          ?? need(newTokens(w).some((e) => e.kind === 'access_token'), 'you have not logged in again since the leaked session was revoked')
          ?? need(pasted.length > 0, 'nothing new has been pasted into the support ticket since the revocation')
          ?? need(!w.ledger().some((e) => e.usable && e.places.some((p) => p.placeId === 'support')), 'support can read a token the server still accepts in the new paste')
          ?? need(pasted.some((l) => /^> authorization: Bearer \[REDACTED\]$/i.test(l.text)), 'the new paste has no debug trace of an API call with `authorization: Bearer [REDACTED]`')
          ?? true;
      },
    },
    {
      id: 'token-never-on-screen',
      text: 'Keep the new session\'s tokens off your screen: neither `acme token` nor a debug line ever prints them.',
      holds: (w) => {
        const fresh = newTokens(w);
        return need(fresh.some((e) => e.kind === 'access_token'), 'there is no new session yet: revoke the leaked one and log in again')
          ?? need(fresh.every((e) => !e.places.some((p) => p.placeId === 'terminal')), 'a token of the new session has been printed on your terminal')
          ?? need(w.host.supportTicket.some((l) => l.at > revokedAt(w)!), 'the new session has not been through a support paste yet, so its tokens have not been tested on screen')
          ?? true;
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
  nearMisses: [
    {
      name: 'turning redaction on and pasting again without revoking: the tokens from the first paste still work',
      objective: 'leaked-session-dead',
      steps: [{ do: 'knobs', client: { redaction: true } }, { do: 'type', line: 'acme api delete /api/projects/p1' }, { do: 'type', line: 'support-ticket' }],
    },
    {
      name: 'revoking, logging in again and pasting the same unredacted trace',
      objective: 'redacted-ticket',
      steps: [{ do: 'type', line: 'acme logout' }, ...LOGIN, { do: 'type', line: 'acme api delete /api/projects/p1' }, { do: 'type', line: 'support-ticket' }],
      ticks: ['leaked-session-dead'],
    },
    {
      name: 'revoking and pasting with the debug trace off: nothing leaks, but support gets no trace to work with',
      objective: 'redacted-ticket',
      steps: [{ do: 'type', line: 'acme logout' }, { do: 'knobs', client: { debug: 'off' } }, ...LOGIN,
        { do: 'type', line: 'acme api delete /api/projects/p1' }, { do: 'type', line: 'support-ticket' }],
      ticks: ['leaked-session-dead'],
    },
    {
      name: 'a redacted paste, but `acme token` run again "to check it"',
      objective: 'token-never-on-screen',
      after: 4,
      steps: [{ do: 'type', line: 'acme token' }, { do: 'type', line: 'acme api delete /api/projects/p1' }, { do: 'type', line: 'support-ticket' }],
      ticks: ['leaked-session-dead'],
    },
  ],
});
