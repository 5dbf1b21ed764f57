/**
 * Lab 15: bearer replay versus DPoP (F20, G9). A backup of the build server's home directories copied the
 * CLI's credentials file (mode 0600 protects it from other users, not from root or from backups). The stolen
 * bearer token works from the attacker's host. The learner revokes it, turns on DPoP, logs in again, and lets
 * the attacker copy the new token too: without the private key the copy is refused.
 */
import { defineLab } from '../../src/labs/types.ts';
import { ADDRESSES, type World } from '../../src/world/index.ts';

/** The `cnf.jkt` of a JWT access token, if it is DPoP-bound (RFC 9449 §6.1). */
function boundKey(token: string): string | undefined {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { cnf?: { jkt?: unknown } };
    return typeof json.cnf?.jkt === 'string' ? json.cnf.jkt : undefined;
  } catch {
    return undefined;
  }
}

/** The loot issued before the CLI's first DPoP-bound token: the bearer tokens the backup held. */
function bearerLoot(w: World): string[] {
  const firstBound = w.idp.as.audit.events.find((e) => e.type === 'token.issued' && e.detail.includes('DPoP-bound'))?.at ?? Infinity;
  const issued = w.idp.as.issuedSecrets();
  return [...w.attacker.loot.access_token, ...w.attacker.loot.refresh_token]
    .filter((v) => (issued.find((s) => s.value === v)?.issuedAt ?? Infinity) < firstBound);
}

const usable = (w: World, value: string) => w.idp.as.issuedSecrets().find((s) => s.value === value)?.usable === true;

export default defineLab({
  setup: {
    world: {
      host: { kind: 'shared-host', otherUsers: ['bob'] },
      clientKnobs: { storage: 'file-0600' },
      userBehaviour: { kind: 'approve', afterS: 8 },
    },
    showcase: 0,
    learnerKnobs: { client: ['dpop', 'logout'], server: ['dpopRequired'] },
    // Last night: alice logged in; the nightly backup (readable by the machine's admins) copied her
    // credentials file, and someone with the backup used the token from another network.
    prelude: [
      { do: 'type', line: 'acme login' },
      { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
      { do: 'advance', seconds: 60 },
      { do: 'attack', move: 'read-places', as: 'root' },
      { do: 'attack', move: 'replay-without-dpop-key' },
    ],
  },
  objectives: [
    {
      id: 'stolen-bearer-dead',
      text: 'Make the bearer tokens taken from the backup worthless: the server must refuse every one of them.',
      holds: (w) => {
        const bearer = bearerLoot(w);
        return bearer.length > 0 && bearer.every((v) => !usable(w, v))
          && w.idp.as.audit.events.some((e) => e.type === 'token.revoked' || e.type === 'grant.revoked');
      },
    },
    {
      id: 'bound-session',
      text: 'Log in with DPoP and call the API: your tokens are bound to a key only your CLI holds, and the API accepts them with a proof.',
      holds: (w) => w.state().startsWith('authenticated')
        && w.idp.as.audit.events.some((e) => e.type === 'token.issued' && e.from?.ip === ADDRESSES.cli && e.detail.includes('DPoP-bound'))
        && w.idp.apis.some((api) => api.log.some((l) => l.status === 200 && l.authorization.startsWith('DPoP ') && l.sub === w.host.user)),
    },
    {
      id: 'copy-without-key-refused',
      text: 'Let the attacker copy your new access token from the backup again and replay it from its own host: the API refuses it although the token itself is still valid.',
      holds: (w) => w.attacker.loot.access_token.some((token) => {
        if (!boundKey(token) || !usable(w, token)) return false;
        const issuedAt = w.idp.as.issuedSecrets().find((s) => s.value === token)?.issuedAt ?? Infinity;
        return w.attacker.log.some((o) => o.move === 'replay-without-dpop-key' && !o.succeeded && o.at >= issuedAt);
      }),
    },
  ],
  solution: [
    { do: 'type', line: 'acme logout' },
    { do: 'knobs', client: { dpop: true } },
    { do: 'type', line: 'acme login' },
    { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
    { do: 'type', line: 'acme api get /api/projects' },
    { do: 'attack', move: 'read-places', as: 'root' },
    { do: 'attack', move: 'replay-without-dpop-key' },
  ],
});
