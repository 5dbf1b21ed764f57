/**
 * The read-only view of the identity provider (src/world/providerView.ts) that labs and the page read: derived
 * from the authorization server on every read, so it follows a login, a revocation and a knob change with no
 * copy to keep in sync; and the learner's `inState`, the machine's own state matching that `run-until` uses.
 */
import { describe, expect, test } from 'vitest';
import { createWorld } from './index.ts';
import { cliStateValue, learnerOf } from './learner.ts';

describe('world.provider', () => {
  test('follows a login and a revocation on read: audit events by type, issued secrets and whether each still works, grants and tokens', async () => {
    const w = await createWorld({ userBehaviour: { kind: 'approve', afterS: 5 } });
    const learner = learnerOf(w);
    const seen: string[] = [];
    const unsubscribe = w.provider.onAudit((e) => seen.push(e.type));
    expect(w.provider.audit('token.issued')).toEqual([]);
    expect(learner.inState('idle', 'authenticated')).toBe(true);

    await learner.type('acme login');
    expect(learner.inState('signingIn')).toBe(true);
    expect(learner.inState('signingIn.awaitingApproval', 'failed')).toBe(true);
    expect(learner.inState('authenticated')).toBe(false);
    const [device] = w.provider.deviceGrants();
    expect(device && w.provider.deviceGrantOfUserCode(device.userCode)).toBe(device);
    await w.runUntil(() => learner.inState('authenticated.ready', 'failed'), 120_000);
    expect(learner.inState('authenticated.ready')).toBe(true);
    expect(learner.inState('authenticated')).toBe(true);

    const [issued] = w.provider.audit('token.issued');
    expect(issued?.user).toBe('alice');
    expect(w.provider.audit('token.issued', 'grant.approved').map((e) => e.type).sort()).toEqual(['grant.approved', 'token.issued']);
    expect(w.provider.audit().length).toBe(seen.length);
    const grant = w.provider.grant(issued!.grantId!);
    expect(grant?.sub).toBe('alice');
    expect(w.provider.grants()).toEqual([grant]);
    const [access] = w.provider.accessTokens();
    expect(w.provider.accessToken(access!.value)).toBe(access);
    expect(w.provider.refreshTokens(grant!.id).length).toBe(w.provider.refreshTokens().length);
    expect(w.provider.isUsable(access!.value)).toBe(true);
    expect(w.provider.usableValues().has(access!.value)).toBe(true);
    expect(w.provider.isUsable('never-issued')).toBe(false);

    await learner.type('acme logout');
    await w.runUntil(() => learner.inState('loggedOut', 'failed'), 120_000);
    expect(w.provider.audit('token.revoked', 'grant.revoked').length).toBeGreaterThan(0);
    expect(w.provider.isUsable(access!.value)).toBe(false);
    expect(w.provider.issuedSecrets().find((s) => s.value === access!.value)?.status).toBe('revoked');
    unsubscribe();
    w.stop();
  });

  test('shows the knobs in force, after a reconfigure too', async () => {
    const w = await createWorld({ serverKnobs: { codeLifetimeS: 300 } });
    expect(w.provider.knobs.codeLifetimeS).toBe(300);
    await w.reconfigure({ serverKnobs: { codeLifetimeS: 120 } });
    expect(w.provider.knobs.codeLifetimeS).toBe(120);
    expect(w.provider.users.map((u) => u.id)).toContain('alice');
    expect(w.provider.issuer).toBe(w.idp.as.issuer);
    w.stop();
  });

  test('a dotted CLI state name is the state value the machine matches', () => {
    expect(cliStateValue('failed')).toBe('failed');
    expect(cliStateValue('authenticated.ready')).toEqual({ authenticated: 'ready' });
    expect(cliStateValue('signingIn.awaitingApproval.polling')).toEqual({ signingIn: { awaitingApproval: 'polling' } });
  });
});
