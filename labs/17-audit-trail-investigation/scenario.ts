/**
 * Lab 17: the audit trail investigation (F23, G8). Alice's own CLI session is fine; an hour later she approved
 * a code from a phishing mail, and the attacker's machine has been using her tokens since. The learner reads
 * the identity provider's audit log to tell the two grants apart (the account page lists both as "Acme CLI",
 * without devices), revokes only the attacker's grant at the identity provider (the CLI cannot revoke a grant
 * it never held), and alice keeps working with her own session. "Sign out everywhere" stops the attacker too,
 * but ends alice's session with it, which is exactly what reading the log avoids.
 */
import { defineLab, need } from '../../src/labs/types.ts';
import { ADDRESSES, SIM_API_BASE } from '../../src/world/addresses.ts';
import type { World } from '../../src/world/index.ts';

/** Grants whose tokens were issued to a device other than the learner's CLI (the attacker's machine). */
function foreignGrants(w: World): string[] {
  return [...new Set(w.provider.audit()
    .filter((e) => e.type === 'token.issued' && e.device?.ip !== ADDRESSES.cli && e.grantId)
    .map((e) => e.grantId!))];
}

/** The audit event that revoked a grant (or the first of its tokens), if any. */
function revocationOf(w: World, grantId: string) {
  return w.provider.audit('grant.revoked', 'token.revoked').find((e) => e.grantId === grantId);
}

function attackerCopyDead(w: World): boolean {
  const loot = [...w.attacker.loot.access_token, ...w.attacker.loot.refresh_token];
  const issued = w.provider.issuedSecrets();
  const grants = foreignGrants(w);
  return loot.length > 0 && grants.length > 0
    && loot.every((v) => issued.find((s) => s.value === v)?.usable === false)
    && grants.every((g) => {
      const approvedBy = w.provider.audit('token.issued').find((e) => e.grantId === g)?.user;
      const revoked = revocationOf(w, g);
      return !!revoked && revoked.user === approvedBy;
    });
}

/** The token of an `Authorization: Bearer|DPoP <token>` request header. */
const bearerOf = (headers: ReadonlyArray<readonly [string, string]>) =>
  headers.find(([k]) => k.toLowerCase() === 'authorization')?.[1].replace(/^(Bearer|DPoP) /i, '') ?? '';

/** The CLI's own grant: the first one whose tokens were issued to the learner's laptop. */
const ownGrant = (w: World) => w.provider.audit('token.issued').find((e) => e.from?.ip === ADDRESSES.cli && e.grantId)?.grantId;

/** Why the attacker's copy is not dead yet, in words (undefined once `attackerCopyDead`). */
function attackerReason(w: World): string | undefined {
  if (attackerCopyDead(w)) return undefined;
  const issued = w.provider.issuedSecrets();
  const alive = [...w.attacker.loot.access_token, ...w.attacker.loot.refresh_token].some((v) => issued.find((s) => s.value === v)?.usable !== false);
  if (alive) return 'the identity provider still accepts the tokens it issued to a device that is not alice\'s laptop: the audit log says which grant they belong to';
  return 'the attacker\'s tokens no longer work, but the audit log does not record their grant\'s revocation for alice';
}

export default defineLab({
  setup: {
    world: { host: { kind: 'laptop' }, userBehaviour: { kind: 'approve', afterS: 8 } },
    showcase: 0,
    learnerKnobs: { client: ['logout'] },
    prelude: [
      // 09:00 alice logs her CLI in on her laptop and works.
      { do: 'type', line: 'acme login' },
      { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
      { do: 'type', line: 'acme api get /api/projects' },
      // 10:00 a mail says "confirm your Acme CLI session"; the link leads to the real identity provider, and
      // she approves a code the attacker's machine asked for. The attacker uses the tokens at once.
      { do: 'advance', seconds: 3600 },
      { do: 'attack', move: 'phish', victim: 'approves-anything' },
      { do: 'attack', move: 'replay-access-token' },
      // 10:30 alice keeps working; her CLI refreshes its own token.
      { do: 'advance', seconds: 1800 },
      { do: 'type', line: 'acme api get /api/projects' },
    ],
  },
  objectives: [
    {
      id: 'attacker-copy-dead',
      text: 'Find in the audit log the grant whose tokens went to a machine that is not alice\'s laptop, and have the identity provider revoke it: every token the attacker took is refused, and the audit log records the revocation for the person who approved that grant.',
      holds: (w) => need(attackerCopyDead(w), attackerReason(w) ?? '') ?? true,
    },
    {
      id: 'own-session-untouched',
      text: 'Stop the attacker without stopping alice: her CLI\'s own grant is never revoked, and her next `acme api get /api/projects` after the attacker\'s grant is gone still works, with no new login.',
      holds: (w) => {
        const own = ownGrant(w);
        const grant = own === undefined ? undefined : w.provider.grant(own);
        const after = Math.max(...foreignGrants(w).map((g) => revocationOf(w, g)?.at ?? Infinity));
        // Calls at the same clock time are ordered by the wire: after the browser exchange that revoked the grant.
        const cut = Math.max(-1, ...w.wire.log.filter((ex) => ex.actor === 'browser' && ex.startedAt <= after && ex.response?.status === 200
          && /\/(revoke-grant|signout-everywhere)$/.test(ex.request.url)).map((ex) => ex.id));
        return need(grant?.revokedAt === undefined, 'alice\'s own CLI grant was revoked too (sign out everywhere ends every grant): the audit log tells the two apart; reset the lab and revoke only the attacker\'s')
          ?? need(attackerCopyDead(w), 'the attacker\'s grant is still alive, so alice is not safe to keep working yet')
          ?? need(w.wire.log.some((ex) => ex.actor === 'cli' && ex.request.url.startsWith(SIM_API_BASE) && ex.startedAt >= after && ex.id > cut && ex.response?.status === 200
            && w.provider.accessToken(bearerOf(ex.request.headers))?.grantId === own),
          'alice\'s CLI has not called the API with its own session since the attacker\'s grant was revoked')
          ?? true;
      },
    },
  ],
  solution: [
    // The audit log: the 10:00 grant's tokens were issued to 203.0.113.66, not to the laptop. Revoke that one.
    { do: 'revoke-grant', issuedTo: 'attacker' },
    { do: 'type', line: 'acme api get /api/projects' },
  ],
  nearMisses: [
    {
      name: 'signing out everywhere, as the old hint said: the attacker is out, and so is alice',
      objective: 'own-session-untouched',
      steps: [{ do: 'sign-out-everywhere' }, { do: 'type', line: 'acme api get /api/projects' }, { do: 'type', line: 'acme login' },
        { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 }, { do: 'type', line: 'acme api get /api/projects' }],
      ticks: ['attacker-copy-dead'],
    },
    {
      name: 'revoking the wrong row: alice\'s own CLI grant instead of the attacker\'s',
      objective: 'attacker-copy-dead',
      steps: [{ do: 'revoke-grant', issuedTo: 'cli' }, { do: 'type', line: 'acme api get /api/projects' }],
    },
    {
      name: 'logging out of alice\'s CLI: it revokes only the tokens the CLI holds',
      objective: 'attacker-copy-dead',
      steps: [{ do: 'type', line: 'acme logout' }],
    },
    {
      name: 'revoking the attacker\'s grant but never checking that alice still works',
      objective: 'own-session-untouched',
      after: 1,
      steps: [],
      ticks: ['attacker-copy-dead'],
    },
  ],
});
