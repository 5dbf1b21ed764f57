/**
 * Lab 15: bearer replay versus DPoP (F20, G9). A backup of the build server's home directories copied the
 * CLI's credentials file (mode 0600 protects it from other users, not from root or from backups). The stolen
 * bearer token works from the attacker's host. The learner revokes it, turns on DPoP, logs in again, and lets
 * the attacker copy the new token too: without the private key the copy is refused.
 */
import { defineLab, need, type LabStep } from '../../src/labs/types.ts';
import { ADDRESSES } from '../../src/world/addresses.ts';
import type { World } from '../../src/world/index.ts';

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
  const firstBound = w.provider.audit('token.issued').find((e) => e.detail.includes('DPoP-bound'))?.at ?? Infinity;
  const issued = w.provider.issuedSecrets();
  return [...w.attacker.loot.access_token, ...w.attacker.loot.refresh_token]
    .filter((v) => (issued.find((s) => s.value === v)?.issuedAt ?? Infinity) < firstBound);
}

const usable = (w: World, value: string) => w.provider.isUsable(value);

const LOGIN: LabStep[] = [{ do: 'type', line: 'acme login' }, { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 }];

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
        return need(bearer.length > 0 && bearer.every((v) => !usable(w, v)), 'the server still accepts a bearer token taken from the backup')
          ?? need(w.provider.audit('token.revoked', 'grant.revoked').length > 0, 'the backup\'s tokens died without a revocation: revoke them')
          ?? true;
      },
    },
    {
      id: 'bound-session',
      text: 'Log in with DPoP and call the API: your tokens are bound to a key only your CLI holds, and the API accepts them with a proof.',
      holds: (w) => need(w.provider.audit('token.issued').some((e) => e.from?.ip === ADDRESSES.cli && e.detail.includes('DPoP-bound')),
        'no token has been issued to your CLI bound to a DPoP key: its tokens are plain bearer tokens')
        ?? need(w.state().startsWith('authenticated'), 'the CLI is not signed in with the DPoP-bound session')
        ?? need(w.idp.apis.some((api) => api.log.some((l) => l.status === 200 && l.authorization.startsWith('DPoP ') && l.sub === w.host.user)),
          'the API has not yet accepted a call with a DPoP token and proof from you')
        ?? true,
    },
    {
      id: 'copy-without-key-refused',
      text: 'Let the attacker copy your new access token from the backup again and replay it from its own host: the API refuses it although the token itself is still valid.',
      holds: (w) => {
        const bound = w.attacker.loot.access_token.filter((token) => boundKey(token) !== undefined);
        const refused = bound.filter((token) => usable(w, token)).some((token) => {
          const issuedAt = w.provider.issuedSecrets().find((s) => s.value === token)?.issuedAt ?? Infinity;
          return w.attacker.log.some((o) => o.move === 'replay-without-dpop-key' && !o.succeeded && o.at >= issuedAt);
        });
        return need(bound.length > 0, 'the attacker has not copied a DPoP-bound token yet: every token they hold is a bearer token')
          ?? need(bound.some((token) => usable(w, token)), 'the copied DPoP-bound token is no longer valid, so a refusal would prove nothing')
          ?? need(refused, 'the attacker has not replayed the copied DPoP-bound token without its key yet')
          ?? true;
      },
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
  nearMisses: [
    {
      name: 'turning DPoP on without revoking: the bearer tokens from the backup still work',
      objective: 'stolen-bearer-dead',
      steps: [{ do: 'knobs', client: { dpop: true } }, { do: 'attack', move: 'replay-without-dpop-key' }],
    },
    {
      name: 'a local-only logout: the backup\'s bearer tokens are still valid',
      objective: 'stolen-bearer-dead',
      steps: [{ do: 'knobs', client: { logout: 'local-only' } }, { do: 'type', line: 'acme logout' }],
    },
    {
      name: 'requiring DPoP at the server while the CLI does not send it: no bound session',
      objective: 'bound-session',
      after: 1,
      steps: [{ do: 'knobs', server: { dpopRequired: true } }, ...LOGIN, { do: 'type', line: 'acme api get /api/projects' }],
      ticks: ['stolen-bearer-dead'],
    },
    {
      name: 'logging in again without DPoP: the copy from the next backup works from anywhere',
      objective: 'copy-without-key-refused',
      after: 1,
      steps: [...LOGIN, { do: 'type', line: 'acme api get /api/projects' }, { do: 'attack', move: 'read-places', as: 'root' }, { do: 'attack', move: 'replay-without-dpop-key' }],
    },
    {
      name: 'DPoP on, but the copied token revoked before the replay: its refusal proves nothing about the key',
      objective: 'copy-without-key-refused',
      after: 6,
      steps: [{ do: 'type', line: 'acme logout' }, { do: 'attack', move: 'replay-without-dpop-key' }],
      ticks: ['stolen-bearer-dead'],
    },
  ],
});
