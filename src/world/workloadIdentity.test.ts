/**
 * Workload identity on a CI runner, end to end in the world: the CI platform mints the job an ID token, the CLI
 * (knob `ciAuth`) exchanges it at the identity provider (RFC 8693, knob `workloadIdentityFederation`), and the job
 * calls the API as the workflow with a short-lived access token, no refresh token, nothing stored. Both sides:
 * without the server's trust the job fails (and no person's login starts); with `ciAuth: device-flow`, or a host
 * that offers no ID token, the CLI falls back to the device flow.
 */
import { describe, expect, test } from 'vitest';
import { createWorld, type WorldConfig } from './index.ts';

const CI: WorldConfig = { host: { kind: 'ci-runner', ciIdToken: true }, clientKnobs: { storage: 'file-0600' }, userBehaviour: { kind: 'approve', afterS: 6 } };

async function login(config: WorldConfig) {
  const w = await createWorld(config);
  await w.send({ type: 'user.login' });
  await w.runUntil(() => w.state().startsWith('authenticated.ready') || w.state() === 'failed', 120_000);
  return w;
}

describe('workload identity on CI', () => {
  test('with federation trusted, login exchanges the job ID token: no device code, no refresh token, nothing stored, the API sees the workflow', async () => {
    const w = await login({ ...CI, serverKnobs: { workloadIdentityFederation: true } });
    expect(w.state()).toBe('authenticated.ready');
    expect(w.ci.minted).toBe(1);
    expect(w.idp.as.audit.ofType('device_code.issued')).toEqual([]);
    expect(w.idp.as.audit.ofType('token.exchanged')).toHaveLength(1);
    expect(w.idp.as.issuedSecrets().filter((s) => s.kind === 'refresh_token')).toEqual([]);
    expect(w.emitted.filter((e) => e.type === 'cli.store' && e.action === 'save')).toEqual([]);
    expect([...w.host.files.keys()].filter((p) => p.startsWith(w.host.paths.configDir))).toEqual([]);
    const token = w.idp.as.issuedSecrets().find((s) => s.kind === 'access_token')!;
    expect(token.sub).toBe(w.ci.subject);
    await w.send({ type: 'user.whoami' });
    expect(w.terminal().at(-1)).toBe(`{"sub":"${w.ci.subject}"}`);
    // Short-lived: after its lifetime the server refuses it, and the CLI has nothing to refresh with.
    await w.advance(16 * 60_000);
    expect(w.idp.as.issuedSecrets().find((s) => s.kind === 'access_token')!.usable).toBe(false);
    await w.send({ type: 'user.whoami' });
    expect(w.state()).toBe('reauthRequired');
  });

  test('the job ID token is a credential: with debug bodies it reaches the CI job log only when redaction is off', async () => {
    for (const redaction of [true, false]) {
      const w = await login({ ...CI, serverKnobs: { workloadIdentityFederation: true }, clientKnobs: { storage: 'file-0600', debug: 'bodies', redaction } });
      expect(w.state()).toBe('authenticated.ready');
      const sent = w.wire.log.find((x) => x.request.body?.includes('subject_token='));
      const idToken = new URLSearchParams(sent!.request.body!).get('subject_token')!;
      expect(idToken.split('.')).toHaveLength(3);
      const ciLog = w.host.ciJobLog.map((l) => l.text).join('\n');
      expect(ciLog.includes(idToken)).toBe(!redaction);
      if (redaction) expect(ciLog).toContain('subject_token=[REDACTED]');
    }
  });

  test('without the server trusting the CI issuer the job fails with the server\'s error, and no person\'s device login starts', async () => {
    const w = await login(CI);
    expect(w.state()).toBe('failed');
    expect(w.terminal().join('\n')).toMatch(/refused this job's workload identity \(.*unsupported_grant_type/);
    expect(w.idp.as.audit.ofType('device_code.issued')).toEqual([]);
    expect(w.idp.as.issuedSecrets().filter((s) => s.kind === 'access_token' || s.kind === 'refresh_token')).toEqual([]);
  });

  test('ciAuth device-flow, or a runner that offers no ID token, logs a person in with the device flow (and a refresh token) as before', async () => {
    for (const config of [
      { ...CI, serverKnobs: { workloadIdentityFederation: true }, clientKnobs: { storage: 'file-0600' as const, ciAuth: 'device-flow' as const } },
      { ...CI, host: { kind: 'ci-runner' as const }, serverKnobs: { workloadIdentityFederation: true } },
    ]) {
      const w = await login(config);
      expect(w.state()).toBe('authenticated.ready');
      expect(w.ci.minted).toBe(0);
      expect(w.idp.as.audit.ofType('device_code.issued')).toHaveLength(1);
      expect(w.idp.as.issuedSecrets().filter((s) => s.kind === 'refresh_token' && s.sub === 'alice')).toHaveLength(1);
    }
  });
});
