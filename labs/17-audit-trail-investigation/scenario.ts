/**
 * Lab 17: the audit trail investigation (F23, G8). Alice's own CLI session is fine; an hour later she approved
 * a code from a phishing mail, and the attacker's machine has been using her tokens since. The learner reads
 * the identity provider's audit log to tell the two grants apart, revokes through the identity provider (the
 * CLI cannot revoke a grant it never held), and logs the CLI back in. The objectives check the outcome and
 * that the audit trail ties the revocation to the person and the device.
 */
import { defineLab } from '../../src/labs/types.ts';
import { ADDRESSES, type World } from '../../src/world/index.ts';

/** Grants whose tokens were issued to a device other than the learner's CLI (the attacker's machine). */
function foreignGrants(w: World): string[] {
  return [...new Set(w.idp.as.audit.events
    .filter((e) => e.type === 'token.issued' && e.device?.ip !== ADDRESSES.cli && e.grantId)
    .map((e) => e.grantId!))];
}

/** The audit event that revoked a grant (or the first of its tokens), if any. */
function revocationOf(w: World, grantId: string) {
  return w.idp.as.audit.events.find((e) => (e.type === 'grant.revoked' || e.type === 'token.revoked') && e.grantId === grantId);
}

function attackerCopyDead(w: World): boolean {
  const loot = [...w.attacker.loot.access_token, ...w.attacker.loot.refresh_token];
  const issued = w.idp.as.issuedSecrets();
  const grants = foreignGrants(w);
  return loot.length > 0 && grants.length > 0
    && loot.every((v) => issued.find((s) => s.value === v)?.usable === false)
    && grants.every((g) => {
      const approvedBy = w.idp.as.audit.events.find((e) => e.type === 'token.issued' && e.grantId === g)?.user;
      const revoked = revocationOf(w, g);
      return !!revoked && revoked.user === approvedBy;
    });
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
      text: 'Find the grant the attacker\'s machine holds and have the identity provider revoke it: every token the attacker took is refused, and the audit log records the revocation for the person who approved that grant.',
      holds: attackerCopyDead,
    },
    {
      id: 'back-to-work',
      text: 'Get your own CLI working again afterwards: a new grant, issued to your laptop after the revocation, and an API call that succeeds with it.',
      holds: (w) => {
        if (!attackerCopyDead(w) || !w.state().startsWith('authenticated')) return false;
        const after = Math.max(...foreignGrants(w).map((g) => revocationOf(w, g)?.seq ?? Infinity));
        const fresh = w.idp.as.audit.events.find((e) => e.type === 'token.issued' && e.seq > after && e.device?.ip === ADDRESSES.cli);
        const freshAt = fresh?.at ?? Infinity;
        return !!fresh && w.idp.apis.some((api) => api.log.some((l) => l.at >= freshAt && l.status === 200 && l.sub === w.host.user));
      },
    },
  ],
  solution: [
    { do: 'sign-out-everywhere' },
    { do: 'type', line: 'acme api get /api/projects' },
    { do: 'type', line: 'acme login' },
    { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
    { do: 'type', line: 'acme api get /api/projects' },
  ],
});
