/**
 * Lab 16: shared hosts and CI runners (F21, F22, G10, G11). A persistent self-hosted runner that every team's
 * jobs share. Last week alice debugged the deploy job by running `acme login` in it and approving the code from
 * her laptop; the token file stayed in the runner's home directory, so every job since runs as alice. The CLI
 * on the runner logs out locally only. The learner finds out who the job is, gets alice's grant revoked at
 * the identity provider, and leaves the runner with nothing to inherit.
 */
import { defineLab } from '../../src/labs/types.ts';
import type { World } from '../../src/world/index.ts';

/** Access and refresh tokens the identity provider issued to this person. */
const personTokens = (w: World) => w.idp.as.issuedSecrets()
  .filter((s) => (s.kind === 'access_token' || s.kind === 'refresh_token') && s.sub === w.host.user);

/** Places on the runner itself (not the wire, not the servers' own logs). */
const HOST_PLACES = ['terminal', 'history', 'environment', 'ps', 'environ', 'keychain', 'clipboard', 'ci-log', 'support'];

export default defineLab({
  setup: {
    world: {
      host: { kind: 'ci-runner' },
      // No keyring on a runner; this CLI version's logout only deletes the local file.
      clientKnobs: { storage: 'file-0600', logout: 'local-only' },
      userBehaviour: { kind: 'approve', afterS: 8 },
    },
    showcase: 1,
    learnerKnobs: { client: ['logout', 'storage'] },
    // Last week: alice's debugging session in the deploy job, then two days of deploys using her token.
    prelude: [
      { do: 'type', line: 'acme login' },
      { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 },
      { do: 'type', line: 'acme api get /api/projects' },
      { do: 'advance', seconds: 2 * 24 * 3600 },
      { do: 'type', line: 'acme api get /api/projects' },
    ],
  },
  objectives: [
    {
      id: 'job-runs-as-a-person',
      text: 'In this job, ask the CLI who it is: it answers as alice, who is not here.',
      holds: (w) => w.terminal().some((l) => l.includes(`"sub":"${w.host.user}"`)),
    },
    {
      id: 'person-grant-revoked',
      text: 'Get every token alice\'s session left on the runner revoked at the identity provider: the server must refuse all of them.',
      holds: (w) => {
        const tokens = personTokens(w);
        return tokens.length > 0 && tokens.every((s) => !s.usable)
          && w.idp.as.audit.events.some((e) => (e.type === 'token.revoked' || e.type === 'grant.revoked') && e.user === w.host.user);
      },
    },
    {
      id: 'nothing-to-inherit',
      text: 'Leave the runner with nothing the next job could inherit: no credentials file, and no token the server accepts anywhere on the machine.',
      holds: (w) => ![...w.host.files.keys()].some((p) => p.startsWith(`${w.host.paths.configDir}/`))
        && personTokens(w).length > 0
        && !w.ledger().some((e) => e.usable && (e.kind === 'access_token' || e.kind === 'refresh_token')
          && e.places.some((p) => HOST_PLACES.includes(p.placeId) || p.placeId.startsWith('file:'))),
    },
  ],
  solution: [
    { do: 'type', line: 'acme whoami' },
    { do: 'type', line: 'ls -la ~/.config/acme' },
    { do: 'knobs', client: { logout: 'revoke' } },
    { do: 'type', line: 'acme logout' },
    { do: 'type', line: 'ls -la ~/.config/acme' },
  ],
});
