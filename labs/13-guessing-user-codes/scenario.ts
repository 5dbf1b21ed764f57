/**
 * Lab 13: guessing user codes, entropy and attempt limits (F18; RFC 8628 §5.1 and the attacker-account case).
 * The learner is the identity provider's admin. User codes are 4 digits with no attempt limit, so the attacker
 * guessed alice's live code and approved it with mallory's account: alice's CLI is now signed in as mallory.
 * The learner gets rid of mallory's session, switches to 8-character base-20 codes with an attempt limit,
 * and watches the next guessing run locked out while alice signs in as herself.
 */
import { defineLab, need, type LabStep } from '../../src/labs/types.ts';
import { BRUTE_FORCE_BOUND, USER_CODE_ALPHABETS, bruteForceProbability } from '../../src/protocol/userCode.ts';
import type { World } from '../../src/world/index.ts';

const ATTACKER = 'mallory';

/** RFC 8628 §5.1 under the server's current settings: attempts per code lifetime / code space <= 2^-32. */
function codesUnguessable(world: World, length = world.provider.knobs.userCodeLength): boolean {
  const { userCodeAlphabet, userCodeAttemptLimit } = world.provider.knobs;
  const attempts = userCodeAttemptLimit === 0 ? Infinity : userCodeAttemptLimit;
  return bruteForceProbability(USER_CODE_ALPHABETS[userCodeAlphabet], length, attempts) <= BRUTE_FORCE_BOUND;
}

/** The attacker's session on the CLI is over: every token issued for mallory is refused, by revocation. */
function attackerSessionGone(world: World): boolean {
  const grants = world.provider.grants().filter((g) => g.sub === ATTACKER);
  const usable = world.provider.usableValues();
  return grants.length > 0 && grants.every((g) => g.revokedAt !== undefined)
    && [...world.provider.accessTokens(), ...world.provider.refreshTokens()].every((t) => t.sub !== ATTACKER || !usable.has(t.value));
}

/** The latest guessing run was stopped by the attempt limit, and the codes are strong enough for that limit. */
function guesserLockedOut(world: World): boolean {
  const last = world.attacker.log.filter((o) => o.move === 'brute-force-user-codes').at(-1);
  return last !== undefined && !last.succeeded && /^locked out/.test(last.detail) && codesUnguessable(world);
}

/** After the lockout, alice's own login completed: approved by alice, with a code from an unguessable space. */
function signedInAsYourself(world: World): boolean {
  const lockout = world.attacker.log.filter((o) => o.move === 'brute-force-user-codes' && /^locked out/.test(o.detail)).at(-1);
  const issued = world.provider.audit('token.issued').at(-1);
  if (!lockout || !issued || issued.user !== world.host.user || issued.at < lockout.at) return false;
  const rec = world.provider.deviceGrants().find((r) => r.grantId === issued.grantId);
  return rec !== undefined && rec.approvedBy === world.host.user && codesUnguessable(world, rec.userCode.length)
    && world.state().startsWith('authenticated');
}

/** Log in while the attacker guesses, and finish. */
const GUESS_RUN: LabStep[] = [
  { do: 'type', line: 'acme login' },
  { do: 'attack', move: 'brute-force-user-codes', attempts: 10_000 },
  { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
  { do: 'type', line: 'acme whoami' },
];

export default defineLab({
  setup: {
    world: {
      host: { kind: 'laptop' },
      serverKnobs: { userCodeAlphabet: 'digits', userCodeLength: 4, userCodeAttemptLimit: 0 },
      // Alice takes half a minute to find the browser tab; the guesser is faster.
      userBehaviour: { kind: 'approve', afterS: 30 },
    },
    showcase: 1,
    learnerKnobs: { server: ['userCodeAlphabet', 'userCodeLength', 'userCodeAttemptLimit'] },
    // Ten minutes ago: alice ran `acme login`; the attacker guessed her 4-digit code and approved it as mallory.
    prelude: [
      { do: 'type', line: 'acme login' },
      { do: 'attack', move: 'brute-force-user-codes', attempts: 10_000 },
      { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
      { do: 'advance', seconds: 600 },
    ],
  },
  objectives: [
    {
      id: 'attacker-session-gone',
      text: 'Find out whose session your CLI really holds (`acme whoami`), and make every token of that session worthless.',
      holds: (w) => need(attackerSessionGone(w), 'your CLI holds mallory\'s session, and the server still accepts its tokens') ?? true,
    },
    {
      id: 'guesser-locked-out',
      text: 'Make guessing hopeless: the next guessing run must be locked out after a handful of wrong codes, with codes so large that a handful of guesses per code lifetime has at most a 2^-32 chance (RFC 8628 §5.1).',
      holds: (w) => {
        const last = w.attacker.log.filter((o) => o.move === 'brute-force-user-codes').at(-1);
        const { userCodeAttemptLimit } = w.provider.knobs;
        return need(userCodeAttemptLimit > 0, 'there is no limit on wrong codes: a guesser may try every code in the space')
          ?? need(codesUnguessable(w), 'with these codes and this limit the odds of a hit per code lifetime are above 2^-32: make the codes longer or drawn from more characters')
          ?? need(last !== undefined && guesserLockedOut(w), 'the latest guessing run was not stopped by the attempt limit: log in again and let the attacker guess under your settings')
          ?? true;
      },
    },
    {
      id: 'signed-in-as-yourself',
      text: 'Log in while the attacker guesses, and end up signed in as yourself, approved by you.',
      holds: (w) => need(attackerSessionGone(w), 'mallory\'s session is still alive, so your CLI is not yet yours again')
        ?? need(signedInAsYourself(w), w.attacker.log.some((o) => o.move === 'brute-force-user-codes' && /^locked out/.test(o.detail))
          ? 'since the lockout you have not finished a login approved by you with an unguessable code'
          : 'no login of yours has been made while a guesser was locked out yet')
        ?? true,
    },
  ],
  solution: [
    { do: 'type', line: 'acme whoami' },
    { do: 'type', line: 'acme logout' },
    { do: 'knobs', server: { userCodeAlphabet: 'base20', userCodeLength: 8, userCodeAttemptLimit: 5 } },
    { do: 'type', line: 'acme login' },
    { do: 'attack', move: 'brute-force-user-codes', attempts: 10_000 },
    { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
    { do: 'type', line: 'acme whoami' },
  ],
  nearMisses: [
    {
      name: 'logging out with a local-only logout: mallory\'s tokens stay valid',
      objective: 'attacker-session-gone',
      steps: [{ do: 'type', line: 'acme whoami' }, { do: 'knobs', client: { logout: 'local-only' } }, { do: 'type', line: 'acme logout' }],
    },
    {
      name: 'an attempt limit with 4-digit codes: locked out, but a handful of guesses still has far better odds than 2^-32',
      objective: 'guesser-locked-out',
      after: 2,
      steps: [{ do: 'knobs', server: { userCodeAttemptLimit: 5 } }, ...GUESS_RUN],
      ticks: ['attacker-session-gone'],
    },
    {
      name: 'long base-20 codes without an attempt limit: nobody is locked out',
      objective: 'guesser-locked-out',
      after: 2,
      steps: [{ do: 'knobs', server: { userCodeAlphabet: 'base20', userCodeLength: 8 } }, ...GUESS_RUN],
      ticks: ['attacker-session-gone'],
    },
    {
      name: 'strong codes and a limit, but a local-only logout: mallory\'s session is still alive',
      objective: 'signed-in-as-yourself',
      steps: [{ do: 'knobs', server: { userCodeAlphabet: 'base20', userCodeLength: 8, userCodeAttemptLimit: 5 } }, { do: 'knobs', client: { logout: 'local-only' } },
        { do: 'type', line: 'acme logout' }, ...GUESS_RUN],
      ticks: ['guesser-locked-out'],
    },
  ],
});
