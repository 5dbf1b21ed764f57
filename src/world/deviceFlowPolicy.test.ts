/**
 * The two device-flow policies an identity provider can enforce against device-code phishing, proven both ways in
 * a real world (server knobs in src/sim/knobs.ts, enforced in src/sim/authServer/policy.ts):
 * - `deviceGrantClients`: with `any-public-client`, a QR-code lure starts its flow as the web console, the app it
 *   names, and even a careful victim approves; `registered` (the default) refuses that client, at the device
 *   authorization and the token endpoint, and the lure has to borrow the CLI's client, which the consent page names.
 * - `deviceFlowUsers`: with `everyone`, a person who never uses the CLI (carol, finance) is phished like anyone;
 *   `engineering` (the default) blocks her at the verification page, in the audit trail, while alice is unaffected.
 * And the QR-code lure's point: its code is minted when the victim scans, so a short code lifetime does not stop it.
 */
import { describe, expect, test, vi } from 'vitest';
import { DEVICE_CODE_GRANT_TYPE } from '../protocol/constants.ts';
import { DEFAULT_SERVER_KNOBS, assessServerKnobs, resolveServerKnobs } from '../sim/knobs.ts';
import { createTestIdp } from '../sim/testing/idpFixture.ts';
import { ADDRESSES, createWorld, type World } from './index.ts';

vi.setConfig({ testTimeout: 60_000 });

const deviceAuthorizations = (w: World) => w.wire.log.filter((e) => e.actor === 'attacker' && e.request.url.endsWith('/device_authorization'))
  .map((e) => ({ clientId: new URLSearchParams(e.request.body).get('client_id'), status: e.response?.status, error: (JSON.parse(e.response?.body ?? '{}') as { error?: string }).error }));

describe('device-flow policies', () => {
  test('the secure defaults: device flow for registered clients only, and for the engineering group only', () => {
    expect(DEFAULT_SERVER_KNOBS.deviceGrantClients).toBe('registered');
    expect(DEFAULT_SERVER_KNOBS.deviceFlowUsers).toBe('engineering');
  });

  test('server knob deviceGrantClients: any-public-client lets a QR-code lure sign in as the web console, and the careful victim approves', async () => {
    const w = await createWorld({ serverKnobs: { deviceGrantClients: 'any-public-client' } });
    try {
      const out = await w.attack((a) => a.qrPhish('reads-consent'));
      expect(out).toMatchObject({ move: 'qr-phish', succeeded: true });
      expect(out.detail).toContain('started a device flow as Acme web console that second');
      expect(deviceAuthorizations(w)).toEqual([{ clientId: 'acme-web', status: 200, error: undefined }]);
      expect(w.idp.as.audit.ofType('token.issued')[0]).toMatchObject({ user: 'alice', clientId: 'acme-web', from: { ip: ADDRESSES.attacker } });
      expect(await w.attack((a) => a.replayAccessToken(undefined, { method: 'GET', path: '/api/me' }))).toMatchObject({ succeeded: true });
    } finally {
      w.stop();
    }
  });

  test('server knob deviceGrantClients: registered refuses the web console (unauthorized_client); the lure falls back to the CLI, and the consent page gives it away', async () => {
    const w = await createWorld();
    try {
      const out = await w.attack((a) => a.qrPhish('reads-consent'));
      expect(out).toMatchObject({ move: 'qr-phish', succeeded: false });
      expect(out.detail).toContain('refused a device flow as Acme web console (unauthorized_client)');
      expect(out.detail).toContain('the consent page named Acme CLI, not the Acme web console the lure promised, and the victim denied it');
      expect(deviceAuthorizations(w)).toEqual([
        { clientId: 'acme-web', status: 400, error: 'unauthorized_client' },
        { clientId: 'acme-cli', status: 200, error: undefined },
      ]);
      expect(w.idp.as.audit.ofType('grant.denied')[0]).toMatchObject({ user: 'alice', clientId: 'acme-cli', device: { ip: ADDRESSES.attacker } });
      // A victim who approves anything is still phished through the CLI's client: the policy narrows, it does not end, phishing.
      expect(await w.attack((a) => a.qrPhish('approves-anything'))).toMatchObject({ succeeded: true });
    } finally {
      w.stop();
    }
  });

  test('server knob deviceGrantClients: the token endpoint refuses a device code grant for a client not allowed it, too', async () => {
    const w = await createWorld({ serverKnobs: { deviceGrantClients: 'any-public-client' } });
    try {
      const da = (await (await w.idp.handle(new Request(`${w.idp.as.issuer}/device_authorization`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'client_id=acme-web',
      }))).json()) as { device_code: string };
      await w.reconfigure({ serverKnobs: { deviceGrantClients: 'registered' } });
      const poll = await w.idp.handle(new Request(`${w.idp.as.issuer}/token`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: 'acme-web', grant_type: DEVICE_CODE_GRANT_TYPE, device_code: da.device_code }).toString(),
      }));
      expect(poll.status).toBe(400);
      expect(await poll.json()).toMatchObject({ error: 'unauthorized_client' });
    } finally {
      w.stop();
    }
  });

  test('a QR-code lure mints its code when the victim scans: a one-minute (or one-second) code lifetime does not stop it', async () => {
    for (const codeLifetimeS of [60, 1]) {
      const w = await createWorld({ serverKnobs: { deviceGrantClients: 'any-public-client', codeLifetimeS } });
      try {
        w.clock.advance(3_600_000);
        const out = await w.attack((a) => a.qrPhish('reads-consent'));
        expect(out.succeeded, `lifetime ${codeLifetimeS} s`).toBe(true);
        expect(out.detail).toContain(`its ${codeLifetimeS} s lifetime had only just begun`);
      } finally {
        w.stop();
      }
    }
  });

  test('server knob deviceFlowUsers: everyone lets a phishing mail sign the attacker in as carol, who never uses the CLI', async () => {
    const w = await createWorld({ serverKnobs: { deviceFlowUsers: 'everyone' } });
    try {
      const out = await w.attack((a) => a.phish('approves-anything', 'carol'));
      expect(out).toMatchObject({ move: 'phish', succeeded: true });
      expect(w.idp.as.audit.ofType('token.issued')[0]).toMatchObject({ user: 'carol', from: { ip: ADDRESSES.attacker } });
      expect(w.idp.as.audit.ofType('device_flow.blocked')).toEqual([]);
    } finally {
      w.stop();
    }
  });

  test('server knob deviceFlowUsers: engineering blocks carol at the verification page and the audit trail shows it; alice is still phishable and still signs in', async () => {
    const w = await createWorld({ userBehaviour: { kind: 'approve', afterS: 6 } });
    try {
      const out = await w.attack((a) => a.phish('approves-anything', 'carol'));
      expect(out).toMatchObject({ succeeded: false });
      expect(out.detail).toMatch(/^the victim could not use the code: Your organisation does not let this account sign in devices/);
      expect(w.idp.as.audit.ofType('device_flow.blocked')).toEqual([expect.objectContaining({
        user: 'carol', clientId: 'acme-cli', device: expect.objectContaining({ ip: ADDRESSES.attacker }),
        detail: expect.stringContaining('carol is not in the engineering group'),
      })]);
      expect(w.idp.as.audit.ofType('grant.approved')).toEqual([]);
      expect(w.idp.as.audit.ofType('token.issued')).toEqual([]);
      // The policy is about people, not phishing: alice (engineering) can still be phished, and still signs in.
      expect((await w.attack((a) => a.phish('approves-anything'))).succeeded).toBe(true);
      await w.send({ type: 'user.login' });
      await w.runUntil(() => w.state().startsWith('authenticated') || w.state() === 'failed', 600_000);
      expect(w.state()).toMatch(/^authenticated/);
    } finally {
      w.stop();
    }
  });

  test('server knob deviceFlowUsers: the block also holds on the one-click link and when the policy changes after the code was entered', async () => {
    const oneClick = await createWorld({ serverKnobs: { verificationCompleteMode: 'one-click' } });
    try {
      expect((await oneClick.attack((a) => a.phish('approves-anything', 'carol'))).succeeded).toBe(false);
      expect(oneClick.idp.as.audit.ofType('device_flow.blocked').length).toBeGreaterThan(0);
      expect(oneClick.idp.as.audit.ofType('grant.approved')).toEqual([]);
    } finally {
      oneClick.stop();
    }
    const w = await createWorld({ serverKnobs: { deviceFlowUsers: 'everyone' } });
    try {
      const da = (await (await w.idp.handle(new Request(`${w.idp.as.issuer}/device_authorization`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'client_id=acme-cli',
      }))).json()) as { user_code: string };
      const carol = w.browser;
      await carol.signIn('carol');
      expect((await carol.enterCode(da.user_code)).status).toBe(200);
      await w.reconfigure({ serverKnobs: { deviceFlowUsers: 'engineering' } });
      expect(await carol.decide(da.user_code, 'approve')).toMatchObject({ status: 403, body: { error: 'blocked_by_policy' } });
      expect(w.idp.as.audit.ofType('grant.approved')).toEqual([]);
    } finally {
      w.stop();
    }
  });
});

describe('device-flow policy findings', () => {
  test('the insecure values are flagged as risks; the defaults are not', () => {
    const risky = assessServerKnobs(resolveServerKnobs({ deviceGrantClients: 'any-public-client', deviceFlowUsers: 'everyone' })).map((f) => f.knob);
    expect(risky).toEqual(expect.arrayContaining(['deviceGrantClients', 'deviceFlowUsers']));
    const secure = assessServerKnobs(DEFAULT_SERVER_KNOBS).map((f) => f.knob);
    expect(secure).not.toContain('deviceGrantClients');
    expect(secure).not.toContain('deviceFlowUsers');
  });
});

describe('device-flow policy on the control surface (npm run idp)', () => {
  test('server knob deviceFlowUsers: /control/approve as carol is refused and audited under the default, allowed with everyone', async () => {
    for (const [deviceFlowUsers, status] of [['engineering', 403], ['everyone', 200]] as const) {
      const t = await createTestIdp({ deviceFlowUsers }, { enableControl: true });
      const d = await t.deviceAuthorize();
      const res = await t.post('/control/approve', { user_code: d.user_code, user: 'carol' });
      expect(res.status, deviceFlowUsers).toBe(status);
      expect(t.idp.as.audit.ofType('device_flow.blocked').length, deviceFlowUsers).toBe(status === 403 ? 1 : 0);
      expect(t.idp.as.audit.ofType('grant.approved').length, deviceFlowUsers).toBe(status === 403 ? 0 : 1);
    }
  });
});
