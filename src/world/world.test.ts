/**
 * The world, end to end and headless: a scripted person approves, denies or never acts and the CLI ends
 * authenticated, denied or expired on the virtual clock; the audit log tells who did what from where; the wire
 * log shows each actor's requests. Nothing here waits in real time.
 */
import { describe, expect, test, vi } from 'vitest';
import { DEVICE_CODE_GRANT_TYPE } from '../protocol/constants.ts';
import type { AuditEvent } from '../sim/audit.ts';
import { fingerprint } from '../sim/audit.ts';
import { ADDRESSES, createWorld, type World, type WorldConfig } from './index.ts';

// Worlds sign real ES256 tokens on the platform's crypto thread pool: give slow machines room (the projects in
// vitest.config.ts do not inherit the root testTimeout).
vi.setConfig({ testTimeout: 60_000 });

const DONE = ['authenticated.ready', 'denied', 'expired', 'failed', 'cancelled', 'reauthRequired', 'loggedOut'];

async function loginWorld(config: WorldConfig): Promise<{ w: World; t0: number }> {
  const w = await createWorld(config);
  const t0 = w.clock.now();
  await w.send({ type: 'user.login' });
  await w.runUntil(() => DONE.includes(w.state()));
  return { w, t0 };
}

const devicePolls = (w: World) =>
  w.wire.log.filter((e) => e.actor === 'cli' && e.request.url.endsWith('/token') && e.request.body.includes(encodeURIComponent(DEVICE_CODE_GRANT_TYPE)));
const answer = (body: string | undefined) => (body ? ((JSON.parse(body) as { error?: string }).error ?? 'tokens') : 'none');
const issued = (w: World, kind: 'access_token' | 'refresh_token' | 'device_code') =>
  w.idp.as.issuedSecrets().filter((s) => s.kind === kind).map((s) => s.value);
const route = (e: World['wire']['log'][number]) => `${e.request.method} ${new URL(e.request.url).pathname}`;
const only = (events: readonly AuditEvent[], type: AuditEvent['type']) => {
  const hits = events.filter((e) => e.type === type);
  expect(hits, `exactly one ${type}`).toHaveLength(1);
  return hits[0]!;
};

describe('createWorld: headless flows on the virtual clock', () => {
  test('runs in Node without a DOM and starts idle with nothing on the wire', async () => {
    expect((globalThis as { document?: unknown }).document).toBeUndefined();
    const w = await createWorld();
    expect(w.state()).toBe('idle');
    expect(w.wire.log).toEqual([]);
    expect(w.terminal()).toEqual([]);
    expect(w.clock.nextDue()).toBeUndefined();
  });

  test('scripted user approves after 12 s: the CLI is authenticated at the 15 s poll, polls exactly three times', async () => {
    const started = Date.now();
    const { w, t0 } = await loginWorld({ userBehaviour: { kind: 'approve', afterS: 12 } });
    expect(w.state()).toBe('authenticated.ready');
    expect(w.clock.now() - t0).toBe(15_000);
    expect(devicePolls(w).map((e) => [e.startedAt - t0, answer(e.response?.body)])).toEqual([
      [5_000, 'authorization_pending'], [10_000, 'authorization_pending'], [15_000, 'tokens'],
    ]);
    expect(w.scriptedUser.actions).toEqual([
      expect.objectContaining({ at: t0 + 12_000, action: 'approve', ok: true }),
    ]);
    const term = w.terminal();
    expect(term[0]).toMatch(/^! First copy your one-time code: [B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4}$/);
    expect(term.slice(-2)).toEqual([
      '✓ Logged in to https://idp.acme.test (scope: profile projects:read).',
      'Credentials saved to the OS keychain (acme-cli).',
    ]);
    await w.send({ type: 'user.whoami' });
    expect(w.terminal().at(-1)).toBe('{"sub":"alice"}');
    // Ten minutes of virtual time cost no real time.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('scripted user denies after 7 s: the CLI ends denied at the 10 s poll and stops polling', async () => {
    const { w, t0 } = await loginWorld({ userBehaviour: { kind: 'deny', afterS: 7 } });
    expect(w.state()).toBe('denied');
    expect(w.clock.now() - t0).toBe(10_000);
    expect(devicePolls(w).map((e) => answer(e.response?.body))).toEqual(['authorization_pending', 'access_denied']);
    expect(w.terminal().at(-1)).toBe('✗ Access denied (access_denied: the user denied the request). Run `acme login` to start again.');
    await w.advance(3_600_000);
    expect(devicePolls(w)).toHaveLength(2);
    expect(w.clock.nextDue()).toBeUndefined();
  });

  test('scripted user never acts: the CLI expires at expires_in (600 s) by its own deadline and stops', async () => {
    const { w, t0 } = await loginWorld({ userBehaviour: { kind: 'never' } });
    expect(w.state()).toBe('expired');
    expect(w.clock.now() - t0).toBe(600_000);
    const polls = devicePolls(w);
    expect(polls).toHaveLength(119);
    expect(polls.at(-1)!.startedAt - t0).toBe(595_000);
    expect(new Set(polls.map((e) => answer(e.response?.body)))).toEqual(new Set(['authorization_pending']));
    expect(w.terminal().at(-1)).toBe('✗ The code expired after 600 s without approval. Run `acme login` to start again.');
    expect(w.scriptedUser.actions).toEqual([]);
    await w.advance(3_600_000);
    expect(devicePolls(w)).toHaveLength(119);
  });

  test('a new login after a terminal outcome needs a user event, and then works', async () => {
    const { w } = await loginWorld({ userBehaviour: { kind: 'deny', afterS: 1 } });
    expect(w.state()).toBe('denied');
    w.scriptedUser.behaviour = { kind: 'approve', afterS: 1 };
    await w.send({ type: 'user.login' });
    await w.runUntil(() => w.state() === 'authenticated.ready');
    expect(w.state()).toBe('authenticated.ready');
    expect(w.idp.as.audit.events.filter((e) => e.type === 'device_code.issued')).toHaveLength(2);
  });
});

describe('the audit log: who approved what, from where, and what happened to the tokens', () => {
  test('code issued, user code entered by alice, approved with the CLI host as device, token issued, refreshed, reuse detected, family revoked', async () => {
    const { w, t0 } = await loginWorld({ userBehaviour: { kind: 'approve', afterS: 12 } });
    const [at0] = issued(w, 'access_token');
    const [rt0] = issued(w, 'refresh_token');
    const [deviceCode] = issued(w, 'device_code');
    // The access token (900 s) expires; the next command refreshes and rotates.
    await w.advance(901_000);
    await w.send({ type: 'user.whoami' });
    expect(w.terminal().at(-1)).toBe('{"sub":"alice"}');
    // The attacker replays the first refresh token: rotated out, so the whole family is revoked.
    const replay = await w.attack((a) => a.replayRefreshToken(rt0));
    expect(replay.succeeded).toBe(false);

    const ev = w.idp.as.audit.events;
    expect(ev.map((e) => e.type)).toEqual([
      'device_code.issued', 'user.signed_in', 'user_code.entered', 'grant.approved', 'token.issued',
      'token.refreshed', 'refresh_token.reuse_detected', 'grant.revoked',
    ]);
    const cli = ADDRESSES.cli;
    expect(cli).toBe('192.0.2.10');

    const codeIssued = only(ev, 'device_code.issued');
    expect(codeIssued).toMatchObject({ at: t0, clientId: 'acme-cli', from: { ip: cli }, device: { ip: cli, at: t0 }, refs: [fingerprint(deviceCode!)] });

    const entered = only(ev, 'user_code.entered');
    expect(entered).toMatchObject({ at: t0 + 12_000, user: 'alice', clientId: 'acme-cli', from: { ip: ADDRESSES.browser }, device: { ip: cli } });

    const approved = only(ev, 'grant.approved');
    expect(approved).toMatchObject({
      at: t0 + 12_000, user: 'alice', clientId: 'acme-cli', from: { ip: ADDRESSES.browser }, device: { ip: cli },
      detail: 'approved "profile projects:read"', refs: [fingerprint(deviceCode!)],
    });

    const tokenIssued = only(ev, 'token.issued');
    expect(tokenIssued).toMatchObject({
      at: t0 + 15_000, user: 'alice', clientId: 'acme-cli', from: { ip: cli }, device: { ip: cli },
      detail: 'tokens issued for "profile projects:read" with a refresh token', refs: [fingerprint(at0!), fingerprint(rt0!)],
    });
    const grantId = tokenIssued.grantId;
    expect(grantId).toEqual(expect.any(String));

    const refreshed = only(ev, 'token.refreshed');
    expect(refreshed).toMatchObject({
      at: t0 + 15_000 + 901_000, user: 'alice', grantId, from: { ip: cli }, detail: 'access token refreshed; refresh token rotated',
    });
    expect(refreshed.refs?.[0]).toBe(fingerprint(rt0!));

    const reuse = only(ev, 'refresh_token.reuse_detected');
    expect(reuse).toMatchObject({ user: 'alice', grantId, from: { ip: ADDRESSES.attacker }, refs: [fingerprint(rt0!)] });
    const revoked = only(ev, 'grant.revoked');
    expect(revoked).toMatchObject({ user: 'alice', grantId, detail: 'refresh token reuse detected', from: { ip: ADDRESSES.attacker } });
    // Every live token of the family is named: both refresh tokens (rotated-out and current) and both access tokens.
    expect(new Set(revoked.refs)).toEqual(new Set([...issued(w, 'refresh_token'), ...issued(w, 'access_token')].map(fingerprint)));

    // The audit log names secrets by fingerprint only: no token or device code value is in it.
    const auditText = JSON.stringify(ev);
    for (const value of [...issued(w, 'access_token'), ...issued(w, 'refresh_token'), deviceCode!]) expect(auditText).not.toContain(value);
    // And the CLI's session is dead: its next call needs a new login.
    await w.advance(901_000);
    await w.send({ type: 'user.whoami' });
    expect(w.state()).toBe('reauthRequired');
  });

  test('denial is recorded with the person who denied and the CLI host that asked', async () => {
    const { w, t0 } = await loginWorld({ userBehaviour: { kind: 'deny', afterS: 7 } });
    const ev = w.idp.as.audit.events;
    expect(ev.map((e) => e.type)).toEqual(['device_code.issued', 'user.signed_in', 'user_code.entered', 'grant.denied']);
    expect(only(ev, 'grant.denied')).toMatchObject({
      at: t0 + 7_000, user: 'alice', clientId: 'acme-cli', from: { ip: ADDRESSES.browser }, device: { ip: '192.0.2.10' },
      detail: 'the user denied the request',
    });
  });

  test('logout with revocation records the refresh token revoked and the grant revoked by cascade, from the CLI host', async () => {
    const { w, t0 } = await loginWorld({ userBehaviour: { kind: 'approve', afterS: 3 } });
    const [rt] = issued(w, 'refresh_token');
    const [at] = issued(w, 'access_token');
    await w.send({ type: 'user.logout' });
    expect(w.state()).toBe('loggedOut');
    const ev = w.idp.as.audit.events;
    expect(ev.map((e) => e.type).slice(-2)).toEqual(['token.revoked', 'grant.revoked']);
    expect(only(ev, 'token.revoked')).toMatchObject({
      at: t0 + 5_000, user: 'alice', from: { ip: '192.0.2.10' }, refs: [fingerprint(rt!)],
      detail: 'refresh token revoked by the client; access tokens of the grant revoked too',
    });
    expect(only(ev, 'grant.revoked')).toMatchObject({ user: 'alice', detail: 'refresh token revoked (cascade)', from: { ip: '192.0.2.10' } });
    expect(only(ev, 'grant.revoked').refs).toEqual([fingerprint(rt!), fingerprint(at!)]);
    // The CLI revoked both tokens at the revocation endpoint, refresh token first (RFC 7009 §2.1).
    const revocations = w.wire.log.filter((e) => e.actor === 'cli' && e.request.url.endsWith('/revoke'));
    expect(revocations.map((e) => new URLSearchParams(e.request.body).get('token_type_hint'))).toEqual(['refresh_token', 'access_token']);
    expect(revocations.map((e) => e.response?.status)).toEqual([200, 200]);
  });

  test('expiry is recorded when the code lapses, whether or not anyone polls afterwards, and only once', async () => {
    for (const hardDeadline of [true, false]) {
      const { w, t0 } = await loginWorld({ userBehaviour: { kind: 'never' }, clientKnobs: { hardDeadline } });
      expect(w.state()).toBe('expired');
      const ev = w.idp.as.audit.events;
      expect(ev.map((e) => e.type)).toEqual(['device_code.issued', 'device_code.expired']);
      expect(only(ev, 'device_code.expired')).toMatchObject({ at: t0 + 600_000, clientId: 'acme-cli', detail: 'the device code expired before it was redeemed' });
      // Neither entry spells out the user code or the device code (only a fingerprint).
      const code = [...w.idp.as.state.deviceGrants.values()][0]!;
      expect(JSON.stringify(ev)).not.toContain(code.deviceCode);
      expect(JSON.stringify(ev)).not.toContain(code.userCode.slice(0, 4));
    }
  });
});

describe('the wire log: every actor\'s requests, raw', () => {
  test('the CLI, the browser and the attacker each appear with their own requests and addresses', async () => {
    const { w, t0 } = await loginWorld({ userBehaviour: { kind: 'approve', afterS: 6 } });
    await w.send({ type: 'user.api', method: 'GET', path: '/api/projects' });
    await w.attack((a) => a.replayAccessToken(issued(w, 'access_token')[0]));
    const byActor = (actor: string) => w.wire.log.filter((e) => e.actor === actor).map((e) => `${e.startedAt - t0} ${route(e)} ${e.response?.status}`);
    expect(byActor('cli')).toEqual([
      '0 GET /.well-known/oauth-authorization-server 200',
      '0 POST /device_authorization 200',
      '5000 POST /token 400',
      '10000 POST /token 200',
      '10000 GET /api/projects 200',
    ]);
    expect(byActor('browser')).toEqual(['6000 POST /device/signin 200', '6000 POST /device/enter 200', '6000 POST /device/decision 200']);
    expect(byActor('attacker')).toEqual(['10000 GET /api/projects 200']);
    expect(byActor('victim')).toEqual([]);
    // The raw exchange is on the wire (TLS-protected: nobody but the two ends reads it).
    const tokenAnswer = w.wire.log.find((e) => e.actor === 'cli' && e.response?.status === 200 && route(e) === 'POST /token')!;
    expect(JSON.parse(tokenAnswer.response!.body)).toMatchObject({ access_token: issued(w, 'access_token')[0], refresh_token: issued(w, 'refresh_token')[0], token_type: 'Bearer' });
    // Exchange ids are unique and increasing.
    const ids = w.wire.log.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    // The servers saw each actor's address.
    expect(w.idp.as.audit.events.find((e) => e.type === 'user.signed_in')?.from?.ip).toBe(ADDRESSES.browser);
  });

  test('an injected network error is recorded on the exchange and the CLI retries with a doubled interval', async () => {
    const w = await createWorld({ userBehaviour: { kind: 'approve', afterS: 30 } });
    const t0 = w.clock.now();
    w.wire.injectFault({ fault: 'network-error', match: (req, actor) => actor === 'cli' && req.url.endsWith('/token') });
    await w.send({ type: 'user.login' });
    await w.runUntil(() => DONE.includes(w.state()));
    expect(w.state()).toBe('authenticated.ready');
    const polls = devicePolls(w);
    expect(polls.map((e) => [e.startedAt - t0, e.fault ?? answer(e.response?.body)])).toEqual([
      [5_000, 'network-error'], [15_000, 'authorization_pending'], [25_000, 'authorization_pending'], [35_000, 'tokens'],
    ]);
    expect(w.terminal()).toContain('Network problem; trying again in 10 s.');
  });
});
