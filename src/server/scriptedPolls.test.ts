/**
 * The scripted-outcome layer on the virtual clock, in memory: which polls advance a script, that each step goes
 * through the authorization server's own operations, and the edge cases the HTTP tests cannot time exactly.
 */
import { describe, expect, test } from 'vitest';
import { DEVICE_CODE_GRANT_TYPE } from '../protocol/constants.ts';
import { VirtualClock } from '../sim/clock.ts';
import { createSimIdp } from '../sim/idp.ts';
import { parseScript, type Script } from './script.ts';
import { ScriptedPolls } from './scriptedPolls.ts';

const ISSUER = 'http://127.0.0.1:8628';
const steps = (text: string): Script => {
  const r = parseScript(text, ['alice', 'bob', 'mallory', 'carol']);
  if (!r.ok) throw new Error(r.message);
  return r.value;
};

async function setup(opts: { script?: string; autoApproveS?: number } = {}) {
  const clock = new VirtualClock();
  const idp = await createSimIdp({ issuer: ISSUER, clock, enableControl: true, knobs: { intervalS: 1 } });
  const notices: string[] = [];
  const scripted = new ScriptedPolls({ as: idp.as, ...(opts.script ? { script: steps(opts.script) } : {}), ...(opts.autoApproveS !== undefined ? { autoApproveS: opts.autoApproveS } : {}), onNotice: (t) => notices.push(t) });
  const form = (path: string, params: Record<string, string>) =>
    new Request(`${ISSUER}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params) });
  const codes = async (scope?: string) => {
    const r = await idp.handle(form('/device_authorization', { client_id: 'acme-cli', ...(scope ? { scope } : {}) }));
    const body = (await r.json()) as { device_code: string; user_code: string };
    scripted.codeIssued(body.device_code);
    return body;
  };
  /** One poll as server.ts runs it: the script's step, the real handler, then settle. */
  const poll = async (deviceCode: string, clientId = 'acme-cli') => {
    const params = new URLSearchParams({ grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode, client_id: clientId });
    const applied = scripted.beforePoll(params, undefined);
    const response = await idp.handle(form('/token', Object.fromEntries(params)));
    applied?.settle();
    return { transport: applied?.transport, status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return { clock, idp, scripted, notices, codes, poll };
}

describe('scripted polls', () => {
  test('a slow_down step on a poll that came too soon anyway does not spill over onto the next poll', async () => {
    const { clock, idp, codes, poll } = await setup({ script: 'pending,slow_down,pending' });
    const { device_code } = await codes();
    clock.advance(1_000);
    expect((await poll(device_code)).body.error).toBe('authorization_pending');
    clock.advance(100); // too soon: the handler's own rate check answers slow_down (interval 1 → 6 s)
    expect((await poll(device_code)).body.error).toBe('slow_down');
    const rec = idp.as.state.deviceGrants.get(device_code)!;
    expect([rec.intervalS, rec.forcedSlowDowns]).toEqual([6, 0]);
    clock.advance(6_000);
    expect((await poll(device_code)).body.error).toBe('authorization_pending');
  });

  test('only polls of a live, undecided code by its own client advance the script', async () => {
    const { clock, codes, poll, notices } = await setup({ script: 'pending,deny' });
    const { device_code } = await codes();
    clock.advance(1_000);
    // Another client's poll of this code: invalid_grant from the handler, and the script does not move.
    expect((await poll(device_code, 'acme-ci')).status).not.toBe(200);
    expect(notices).toEqual([]);
    expect((await poll(device_code)).body.error).toBe('authorization_pending');
    clock.advance(1_000);
    expect((await poll(device_code)).body.error).toBe('access_denied');
    clock.advance(1_000);
    // Decided: the handler answers from the code's state; the script is not consulted again.
    expect((await poll(device_code)).body.error).toBe('access_denied');
    expect(notices).toHaveLength(2);
    expect(await poll('no-such-code')).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  test('approve with scopes that were not asked for approves only the asked-for ones, and says so', async () => {
    const { clock, idp, codes, poll, notices } = await setup({ script: 'approve:mallory:profile projects:admin' });
    const { device_code } = await codes('profile projects:read');
    clock.advance(1_000);
    const tokens = await poll(device_code);
    expect(tokens.body.scope).toBe('profile');
    expect(notices).toContain('script: acme-cli did not ask for projects:admin; a person can only approve what was asked for');
    expect(idp.as.audit.ofType('grant.approved')).toMatchObject([{ user: 'mallory' }]);
  });

  test('a scripted approval obeys the organisation\'s device-flow policy, like every other way of approving', async () => {
    const { clock, idp, codes, poll, notices } = await setup({ script: 'approve:carol' });
    idp.as.setKnobs({ deviceFlowUsers: 'engineering' });
    const { device_code } = await codes();
    clock.advance(1_000);
    expect((await poll(device_code)).body.error).toBe('authorization_pending');
    expect(idp.as.audit.ofType('device_flow.blocked')).toMatchObject([{ user: 'carol', clientId: 'acme-cli' }]);
    expect(notices.at(-1)).toMatch(/^script: acme-cli code \S+ not approved: blocked by the organisation's device-flow policy: carol/);
  });

  test('error, hang and reset are transport plans for the HTTP layer; the code is left as it was', async () => {
    const { clock, idp, codes, poll } = await setup({ script: 'error:502,hang:2.5,reset' });
    const { device_code } = await codes();
    clock.advance(1_000);
    expect((await poll(device_code)).transport).toEqual({ kind: 'error', status: 502 });
    clock.advance(1_000);
    expect((await poll(device_code)).transport).toEqual({ kind: 'hang', ms: 2_500 });
    clock.advance(1_000);
    expect((await poll(device_code)).transport).toEqual({ kind: 'reset' });
    expect(idp.as.state.deviceGrants.get(device_code)!.status).toBe('pending');
  });

  test('--auto-approve approves as alice after that long, unless the code was decided first; close() cancels the rest', async () => {
    const { clock, idp, codes, poll, scripted } = await setup({ autoApproveS: 3 });
    const a = await codes();
    const b = await codes();
    await idp.handle(new Request(`${ISSUER}/control/deny`, { method: 'POST', body: new URLSearchParams({ user_code: b.user_code }) }));
    clock.advance(2_900);
    expect((await poll(a.device_code)).body.error).toBe('authorization_pending');
    clock.advance(1_000);
    expect((await poll(a.device_code)).status).toBe(200);
    expect(idp.as.audit.ofType('grant.approved')).toMatchObject([{ user: 'alice', from: { userAgent: 'device-flow-lab-idp (scripted outcome)' } }]);
    expect(idp.as.audit.ofType('grant.denied')).toHaveLength(1);
    // close() cancels approvals still to come.
    const c = await codes();
    scripted.close();
    clock.advance(5_000);
    expect(idp.as.state.deviceGrants.get(c.device_code)!.status).toBe('pending');
  });
});
