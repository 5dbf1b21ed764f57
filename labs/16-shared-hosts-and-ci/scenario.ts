/**
 * Lab 16: shared hosts and CI runners (F21, F22, G10, G11). A persistent self-hosted runner that every team's
 * jobs share. Last week alice debugged the deploy job by running `acme login` in it and approving the code from
 * her laptop; the token file stayed in the runner's home directory, so every job since runs as alice, refreshing
 * her token as it goes. The CI platform can give each job its own short-lived OIDC ID token, but the job's CLI
 * is set to the device flow and the identity provider does not trust the CI issuer yet. The learner finds out
 * who the job is, gets alice's grant revoked, and moves the job to workload identity (RFC 8693 token exchange):
 * a short-lived access token for the workflow itself, with no refresh token and no person's grant on the runner.
 */
import { defineLab, need } from '../../src/labs/types.ts';
import type { World } from '../../src/world/index.ts';

/** Access and refresh tokens the identity provider issued to this person. */
const personTokens = (w: World) => w.provider.issuedSecrets()
  .filter((s) => (s.kind === 'access_token' || s.kind === 'refresh_token') && s.sub === w.host.user);

/** Places on the runner itself (not the wire, not the servers' own logs). */
const HOST_PLACES = ['terminal', 'history', 'environment', 'ps', 'environ', 'keychain', 'clipboard', 'ci-log', 'support'];
const onRunner = (placeId: string) => HOST_PLACES.includes(placeId) || placeId.startsWith('file:');

/** The access tokens the identity provider issued to the CI workload (by token exchange), as the server records them. */
const workloadTokens = (w: World) => w.provider.accessTokens().filter((t) => t.sub === w.ci.subject);

/** A CI job's access token should last minutes, not hours. */
const SHORT_LIVED_S = 3600;

export default defineLab({
  setup: {
    world: {
      // The CI platform can mint each job an OIDC ID token (GitHub Actions' `permissions: id-token: write`).
      host: { kind: 'ci-runner', ciIdToken: true },
      // No keyring on a runner; this CLI version's logout only deletes the local file; the job was set to log a
      // person in with the device flow.
      clientKnobs: { storage: 'file-0600', logout: 'local-only', ciAuth: 'device-flow' },
      userBehaviour: { kind: 'approve', afterS: 8 },
    },
    showcase: 1,
    showcases: [
      {
        failureMode: 'F22',
        step: 1,
        // The job answers as alice, two days after her debugging session, with a token it refreshed by itself.
        shows: (w) => w.terminal().at(-1) === `{"sub":"${w.host.user}"}`
          && w.provider.audit('token.refreshed').some((e) => e.user === w.host.user
            && e.at - (w.provider.audit('grant.approved')[0]?.at ?? Infinity) >= 24 * 3600 * 1000),
      },
    ],
    learnerKnobs: { client: ['ciAuth', 'logout', 'storage'], server: ['workloadIdentityFederation', 'accessTokenLifetimeS'] },
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
      holds: (w) => need(w.terminal().some((l) => l.includes(`"sub":"${w.host.user}"`)), 'nobody has asked the CLI in this job who it is (`acme whoami`)') ?? true,
    },
    {
      id: 'person-grant-revoked',
      text: 'Get every token alice\'s session left on the runner revoked at the identity provider: the server must refuse all of them.',
      holds: (w) => {
        const alive = personTokens(w).filter((s) => s.usable).map((s) => s.kind.replace('_', ' '));
        return need(alive.length === 0, `the identity provider still accepts alice's ${[...new Set(alive)].join(' and ')} from the runner`)
          ?? need(w.provider.audit('token.revoked', 'grant.revoked').some((e) => e.user === w.host.user),
            'alice\'s tokens died without a revocation at the identity provider')
          ?? true;
      },
    },
    {
      id: 'job-has-its-own-identity',
      text: 'Move the deploy job to workload identity: it exchanges its CI ID token for a short-lived access token of its own, and calls the API as the workflow, not as a person.',
      holds: (w) => {
        const issued = workloadTokens(w);
        const longest = Math.max(0, ...issued.map((t) => (t.expiresAt - t.issuedAt) / 1000));
        return need(issued.length > 0 || w.ci.minted > 0, 'the job has never asked the CI platform for its ID token: it still logs a person in (CLI knob `ciAuth`)')
          ?? need(issued.length > 0, 'the job offered its CI ID token, but the identity provider refused to exchange it: it does not trust the CI platform\'s issuer')
          ?? need(longest <= SHORT_LIVED_S, `the job's access token lives ${Math.round(longest / 3600)} hours; a CI job's token should last minutes`)
          ?? need(w.terminal().some((l) => l.includes(`"sub":"${w.ci.subject}"`)), 'the job has not called the API as itself yet (`acme whoami` after `acme login`)')
          ?? true;
      },
    },
    {
      id: 'nothing-to-inherit',
      text: 'Leave nothing long-lived on the runner for the next job: no credentials file, no refresh token and no person\'s token the server accepts anywhere on the machine.',
      holds: (w) => {
        const live = w.ledger().filter((e) => e.usable && (e.kind === 'access_token' || e.kind === 'refresh_token') && e.places.some((p) => onRunner(p.placeId)));
        const personal = new Set(personTokens(w).map((s) => s.value));
        return need(personTokens(w).length > 0, 'there were never any tokens to clean up')
          ?? need(!live.some((e) => e.kind === 'refresh_token'), 'a refresh token the server still accepts is on the runner for the next job to find')
          ?? need(!live.some((e) => personal.has(e.value)), 'a token of alice\'s that the server still accepts is on the runner')
          ?? need(![...w.host.files.keys()].some((p) => p.startsWith(`${w.host.paths.configDir}/`)), 'the CLI\'s credentials file is still on the runner for the next job to find')
          ?? true;
      },
    },
  ],
  solution: [
    { do: 'type', line: 'acme whoami' },
    { do: 'type', line: 'ls -la ~/.config/acme' },
    { do: 'knobs', client: { logout: 'revoke' } },
    { do: 'type', line: 'acme logout' },
    { do: 'knobs', server: { workloadIdentityFederation: true }, client: { ciAuth: 'workload-identity' } },
    { do: 'type', line: 'acme login' },
    { do: 'type', line: 'acme whoami' },
    { do: 'type', line: 'ls -la ~/.config/acme' },
  ],
  nearMisses: [
    {
      name: 'listing the config directory: the file is there, but it does not say whose it is',
      objective: 'job-runs-as-a-person',
      steps: [{ do: 'type', line: 'ls -la ~/.config/acme' }, { do: 'type', line: 'cat ~/.config/acme/credentials.json' }],
    },
    {
      name: 'logging out with the CLI as it is: the file is deleted, alice\'s tokens stay valid',
      objective: 'person-grant-revoked',
      steps: [{ do: 'type', line: 'acme whoami' }, { do: 'type', line: 'acme logout' }],
      ticks: ['job-runs-as-a-person', 'nothing-to-inherit'],
    },
    {
      name: 'a local logout first, then fixing the knob: the runner has nothing left to revoke with',
      objective: 'person-grant-revoked',
      steps: [{ do: 'type', line: 'acme logout' }, { do: 'knobs', client: { logout: 'revoke' } }, { do: 'type', line: 'acme logout' }],
    },
    {
      name: 'switching the job to workload identity over a local logout: the job is itself now, alice\'s grant still lives',
      objective: 'person-grant-revoked',
      steps: [
        { do: 'type', line: 'acme whoami' },
        { do: 'type', line: 'acme logout' },
        { do: 'knobs', server: { workloadIdentityFederation: true }, client: { ciAuth: 'workload-identity' } },
        { do: 'type', line: 'acme login' },
        { do: 'type', line: 'acme whoami' },
      ],
      ticks: ['job-runs-as-a-person', 'job-has-its-own-identity', 'nothing-to-inherit'],
    },
    {
      name: 'only shortening the access token lifetime: the job still runs as alice on her refresh token',
      objective: 'job-has-its-own-identity',
      steps: [{ do: 'knobs', server: { accessTokenLifetimeS: 300 } }, { do: 'type', line: 'acme auth refresh' }, { do: 'type', line: 'acme whoami' }],
      ticks: ['job-runs-as-a-person'],
    },
    {
      name: 'turning on workload identity in the CLI without the identity provider trusting the CI issuer: the job fails',
      objective: 'job-has-its-own-identity',
      after: 4,
      steps: [{ do: 'knobs', client: { ciAuth: 'workload-identity' } }, { do: 'type', line: 'acme login' }, { do: 'type', line: 'acme whoami' }],
      ticks: ['job-runs-as-a-person', 'person-grant-revoked', 'nothing-to-inherit'],
    },
    {
      name: 'workload identity with a 30-day access token: no refresh token, but a stolen token works for a month',
      objective: 'job-has-its-own-identity',
      after: 4,
      steps: [
        { do: 'knobs', server: { workloadIdentityFederation: true, accessTokenLifetimeS: 30 * 24 * 3600 }, client: { ciAuth: 'workload-identity' } },
        { do: 'type', line: 'acme login' },
        { do: 'type', line: 'acme whoami' },
      ],
      ticks: ['job-runs-as-a-person', 'person-grant-revoked', 'nothing-to-inherit'],
    },
    {
      name: 'moving the runner\'s storage to memory: the file stays on disk with alice\'s live tokens',
      objective: 'nothing-to-inherit',
      steps: [{ do: 'knobs', client: { storage: 'memory' } }, { do: 'type', line: 'acme whoami' }],
    },
    {
      name: 'revoking alice\'s grant but keeping the job on the device flow: the next login makes it alice again, with a new refresh token',
      objective: 'job-has-its-own-identity',
      after: 4,
      steps: [{ do: 'type', line: 'acme login' }, { do: 'run-until', states: ['authenticated.ready', 'failed'], limitSeconds: 120 }],
      ticks: ['job-runs-as-a-person'],
    },
  ],
});
