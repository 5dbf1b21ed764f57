/**
 * Lab 19: session spying (F19; RFC 8628 §5.5). Alice demos the acme CLI on a team call with her terminal window
 * shared, and `acme login` puts her user code on everyone's screen. Mallory, watching, types the code into the
 * verification page with his own account and approves it while alice is still reading the consent page: her
 * CLI is signed in to mallory's account, and her own Approve says the code was already used. The learner sees
 * the spy win, finds out from the CLI whose account it got and logs out (revoking that session), then, as the
 * identity provider's admin, binds every code to the first browser session that enters it; the next time the
 * spy types the code after alice entered it, the server refuses him and alice's CLI is signed in as alice.
 *
 * Only doing the thing solves it: the spy's refusal must come from the binding (an audit record of a code
 * refused because another session holds it, before alice's approval of that same code), not from being slower
 * than alice's Approve; logging out must revoke the spy's tokens from the CLI; and `whoami` must have shown it.
 */
import { fingerprint } from '../../src/sim/audit.ts';
import { defineLab, need, type LabStep } from '../../src/labs/types.ts';
import { ADDRESSES } from '../../src/world/addresses.ts';
import type { World } from '../../src/world/index.ts';

const SPY = 'mallory';
const WATCHERS = 'people watching your screen';

/** Tokens issued to the CLI (polled from its own address), for `user`. */
const issuedToCli = (w: World, user: string) =>
  w.provider.audit('token.issued').filter((e) => e.user === user && e.from?.ip === ADDRESSES.cli);

/** Something the CLI printed shows the API answering for `user` (`acme whoami`, `acme api get /api/me`). */
const cliShowedAccount = (w: World, user: string, since = 0) =>
  w.emitted.some((e) => e.type === 'cli.output' && e.at >= since && e.text.includes(`"sub":"${user}"`));

/** The spy approved a code he had seen, and alice's CLI received tokens for the spy's account. */
function spyWon(w: World): boolean {
  return w.attacker.log.some((o) => o.move === 'enter-user-code' && o.succeeded) && issuedToCli(w, SPY).length > 0;
}

/** Alice saw whose account her CLI had, and her CLI's logout revoked that session at the identity provider. */
function spySessionEnded(w: World): boolean {
  const grants = issuedToCli(w, SPY).map((e) => w.provider.grant(e.grantId ?? ''));
  return spyWon(w) && cliShowedAccount(w, SPY)
    && grants.length > 0 && grants.every((g) => g?.revokedAt !== undefined)
    // RFC 7009 revocation sent by the CLI itself (its logout), not some other way of ending the grant.
    && w.provider.audit('token.revoked').some((e) => e.user === SPY && e.from?.ip === ADDRESSES.cli);
}

/**
 * The spy entered a code while alice was deciding on it and the server refused him because her session held it;
 * alice then approved that same code, her CLI redeemed it, and the CLI showed her own account afterwards.
 */
function spyRefusedByBinding(w: World): boolean {
  const refusals = w.provider.audit('user_code.rejected').filter((e) => e.user === SPY && e.refs?.length && /bound to the browser session/.test(e.detail));
  return refusals.some((refusal) => {
    const rec = w.provider.deviceGrants().find((r) => fingerprint(r.deviceCode) === refusal.refs![0]);
    if (!rec || rec.approvedBy !== w.host.user || rec.grantId === undefined) return false;
    const approval = w.provider.audit('grant.approved').find((e) => e.refs?.[0] === refusal.refs![0]);
    const issued = issuedToCli(w, w.host.user).find((e) => e.grantId === rec.grantId);
    return approval !== undefined && approval.seq > refusal.seq && issued !== undefined && cliShowedAccount(w, w.host.user, issued.at);
  });
}

const FINISH: LabStep = { do: 'run-until', states: ['authenticated.ready', 'denied', 'expired', 'failed'], limitSeconds: 60 };
const WATCH: LabStep = { do: 'attack', move: 'read-places', as: WATCHERS };
const SPY_ENTERS: LabStep = { do: 'attack', move: 'enter-user-code' };
const ENTER: LabStep = { do: 'browser', enter: 'user-code-on-terminal' };
const APPROVE: LabStep = { do: 'browser', enter: 'user-code-on-terminal', decide: 'approve' };

export default defineLab({
  setup: {
    world: {
      // Alice shares her terminal window with the whole team call, which is also being recorded.
      host: { kind: 'laptop', screenShared: true },
      serverKnobs: { bindCodeToFirstSession: false },
    },
    showcase: 6,
    learnerKnobs: { server: ['bindCodeToFirstSession'] },
  },
  objectives: [
    {
      id: 'spy-wins',
      text: `Run \`acme login\` with your terminal on the shared screen. While you are on the consent page, let the spy watching the call use your code (attacker console: watch the shared screen, then enter a seen user code): your CLI ends up signed in to ${SPY}'s account.`,
      holds: (w) => need(w.attacker.log.some((o) => o.move === 'enter-user-code' && o.succeeded), w.attacker.loot.user_code.length === 0
        ? 'the spy has not seen a user code of yours yet: log in with your terminal on the shared screen and let them watch'
        : 'the spy has not got your code approved with their account yet: let them enter it while you read the consent page')
        ?? need(spyWon(w), `your CLI has not received tokens for ${SPY}'s account`)
        ?? true,
    },
    {
      id: 'notice-and-log-out',
      text: `Find out from the CLI whose account it got (\`acme whoami\`), then log out so that the ${SPY} session on your machine is revoked at the identity provider.`,
      holds: (w) => {
        const grants = issuedToCli(w, SPY).map((e) => w.provider.grant(e.grantId ?? ''));
        return need(spyWon(w), `there is no ${SPY} session on your machine to end yet`)
          ?? need(cliShowedAccount(w, SPY), 'you have not asked the CLI whose account it has (`acme whoami`)')
          ?? need(grants.every((g) => g?.revokedAt !== undefined), `the identity provider still honours the ${SPY} session your CLI holds`)
          ?? need(spySessionEnded(w), `the ${SPY} session did not end through your CLI's own logout (an RFC 7009 revocation from your machine)`)
          ?? true;
      },
    },
    {
      id: 'spy-refused',
      text: 'As the identity provider\'s admin, make a code belong to the first browser session that enters it. Log in again with the spy watching: enter your code first, let the spy try it while you read the consent page, then approve. The spy must be refused, and `acme whoami` must show you.',
      holds: (w) => need(w.provider.knobs.bindCodeToFirstSession, 'a code still works in any browser session that enters it: the spy can use it after you')
        ?? need(w.provider.audit('user_code.rejected').some((e) => e.user === SPY && /bound to the browser session/.test(e.detail)),
          'the spy has not been refused because your session holds the code: enter it first, then let them try while you read the consent page')
        ?? need(spyRefusedByBinding(w), 'after the spy was refused, you did not approve that same code and see your own account with `acme whoami`')
        ?? true,
    },
  ],
  solution: [
    { do: 'type', line: 'acme login' },
    // Alice signs in at the verification page and enters her code; the consent page is in front of her.
    { do: 'browser', enter: 'user-code-on-terminal' },
    { do: 'attack', move: 'read-places', as: WATCHERS },
    { do: 'attack', move: 'enter-user-code' },
    // Alice clicks Approve: the code has already been used.
    { do: 'browser', enter: 'user-code-on-terminal', decide: 'approve' },
    { do: 'run-until', states: ['authenticated.ready', 'denied', 'expired', 'failed'], limitSeconds: 60 },
    { do: 'type', line: 'acme whoami' },
    { do: 'type', line: 'acme logout' },
    { do: 'knobs', server: { bindCodeToFirstSession: true } },
    { do: 'type', line: 'acme login' },
    { do: 'browser', enter: 'user-code-on-terminal' },
    { do: 'attack', move: 'read-places', as: WATCHERS },
    { do: 'attack', move: 'enter-user-code' },
    { do: 'browser', enter: 'user-code-on-terminal', decide: 'approve' },
    { do: 'run-until', states: ['authenticated.ready', 'denied', 'expired', 'failed'], limitSeconds: 60 },
    { do: 'type', line: 'acme whoami' },
  ],
  nearMisses: [
    {
      name: 'the spy reads the code but alice approves first: he never gets her CLI',
      objective: 'spy-wins',
      steps: [{ do: 'type', line: 'acme login' }, ENTER, WATCH, APPROVE, SPY_ENTERS, FINISH],
    },
    {
      name: 'logging out without looking whose account the CLI had',
      objective: 'notice-and-log-out',
      after: 6,
      steps: [{ do: 'type', line: 'acme logout' }],
      ticks: ['spy-wins'],
    },
    {
      name: 'looking, then a logout that only deletes locally',
      objective: 'notice-and-log-out',
      after: 7,
      steps: [{ do: 'knobs', client: { logout: 'local-only' } }, { do: 'type', line: 'acme logout' }],
      ticks: ['spy-wins'],
    },
    {
      name: 'without the binding, logging in again: hijacked again',
      objective: 'spy-refused',
      after: 8,
      steps: [{ do: 'type', line: 'acme login' }, ENTER, WATCH, SPY_ENTERS, APPROVE, FINISH, { do: 'type', line: 'acme whoami' }],
      ticks: ['spy-wins'],
    },
    {
      name: 'with the binding, approving before the spy tries: he is refused only because alice was quicker',
      objective: 'spy-refused',
      after: 9,
      steps: [{ do: 'type', line: 'acme login' }, APPROVE, WATCH, SPY_ENTERS, FINISH, { do: 'type', line: 'acme whoami' }],
      ticks: ['spy-wins', 'notice-and-log-out'],
    },
    {
      name: 'with the binding, the spy entering the code before alice: binding protects the first session only',
      objective: 'spy-refused',
      after: 9,
      steps: [{ do: 'type', line: 'acme login' }, WATCH, SPY_ENTERS, APPROVE, FINISH, { do: 'type', line: 'acme whoami' }],
      ticks: ['spy-wins'],
    },
  ],
});
