/**
 * Every scripted outcome (`--script`, `--script-file`, `--auto-approve`) against a real HTTP client on
 * loopback: real node:http, real fetch, real time (interval 1 s, hangs of a second). Each step is real protocol:
 * the server's own state and audit log change as they would if a person had acted.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseScript, type Script } from './script.ts';
import type { AddressInfo } from 'node:net';
import { startIdpServer } from './server.ts';
import { deviceAuthorization, poll, post, sleep, startRehearsal, type Rehearsal } from './testing/rehearsal.ts';
import { spawnIdp } from './testing/spawnIdp.ts';

const USERS = ['alice', 'bob', 'mallory'];
const steps = (text: string): Script => {
  const r = parseScript(text, USERS);
  if (!r.ok) throw new Error(r.message);
  return r.value;
};

/** One client per script, so every step gets its own client on one server. */
const SCRIPTS: Record<string, string> = {
  'c-pending': 'pending',
  'c-slow': 'slow_down,pending',
  'c-approve': 'approve:bob:profile',
  'c-deny': 'pending,deny',
  'c-expire': 'expire',
  'c-error': 'error:503,error:500,approve',
  'c-hang': 'hang:1,hang:1,approve',
  'c-reset': 'reset,approve',
};

describe('scripted outcomes over real HTTP', () => {
  let idp: Rehearsal;
  let auto: Rehearsal;

  beforeAll(async () => {
    [idp, auto] = await Promise.all([
      startRehearsal({
        clients: [...Object.keys(SCRIPTS).map((clientId) => ({ clientId })), { clientId: 'c-secret', clientSecret: 's3cret' }, { clientId: 'c-person' }],
        scripts: new Map(Object.entries(SCRIPTS).map(([id, text]) => [id, steps(text)])),
        script: steps('approve'),
        scopes: ['repo', 'read:org'],
      }),
      startRehearsal({ autoApproveS: 0.5, scripts: new Map([['acme-ci', steps('deny')]]) }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([idp?.close(), auto?.close()]);
  });
  const audit = (type: string, clientId: string) => idp.idp.as.audit.events.filter((e) => e.type === type && e.clientId === clientId);

  test.concurrent('pending: the real handler answers authorization_pending, and the last step repeats', async () => {
    const codes = await deviceAuthorization(idp.issuer, 'c-pending');
    expect((await poll(idp.issuer, 'c-pending', codes)).body.error).toBe('authorization_pending');
    await sleep(1_000);
    expect((await poll(idp.issuer, 'c-pending', codes)).body.error).toBe('authorization_pending');
    expect(idp.idp.as.state.deviceGrants.get(codes.device_code)!.polls).toBe(2);
  });

  test.concurrent('slow_down: the answer is slow_down and the interval the server enforces grows by 5 s', async () => {
    const codes = await deviceAuthorization(idp.issuer, 'c-slow');
    expect(codes.interval).toBe(1);
    const first = await poll(idp.issuer, 'c-slow', codes);
    expect([first.status, first.body.error]).toEqual([400, 'slow_down']);
    expect(idp.idp.as.state.deviceGrants.get(codes.device_code)!.intervalS).toBe(6);
    // The script now says pending, but 1.1 s is less than the new 6 s: the server itself answers slow_down.
    await sleep(1_100);
    expect((await poll(idp.issuer, 'c-slow', codes)).body.error).toBe('slow_down');
    expect(idp.idp.as.state.deviceGrants.get(codes.device_code)!.intervalS).toBe(11);
  });

  test.concurrent('approve:<user>:<scope>: real tokens for that person and scope, accepted by the API, in the audit log', async () => {
    const codes = await deviceAuthorization(idp.issuer, 'c-approve', { scope: 'profile projects:read' });
    const tokens = await poll(idp.issuer, 'c-approve', codes);
    expect(tokens.status).toBe(200);
    expect(tokens.body).toMatchObject({ token_type: 'Bearer', scope: 'profile', refresh_token: expect.any(String) });
    const me = await fetch(`${idp.issuer}/api/me`, { headers: { authorization: `Bearer ${tokens.body.access_token as string}` } });
    expect(await me.json()).toEqual({ sub: 'bob' });
    expect(audit('grant.approved', 'c-approve')).toMatchObject([{ user: 'bob', detail: 'approved "profile" (narrowed from "profile projects:read")',
      from: { userAgent: 'device-flow-lab-idp (scripted outcome)' } }]);
    expect(audit('token.issued', 'c-approve')).toHaveLength(1);
    expect(idp.notices).toContainEqual(expect.stringMatching(/^script: c-approve code [A-Z]{4}-[A-Z]{4} poll 1: approve:bob:profile$/));
  });

  test.concurrent('deny: access_denied after a pending poll, recorded as the person denying', async () => {
    const codes = await deviceAuthorization(idp.issuer, 'c-deny');
    expect((await poll(idp.issuer, 'c-deny', codes)).body.error).toBe('authorization_pending');
    await sleep(1_000);
    const denied = await poll(idp.issuer, 'c-deny', codes);
    expect([denied.status, denied.body.error]).toEqual([400, 'access_denied']);
    expect(audit('grant.denied', 'c-deny')).toMatchObject([{ user: 'alice', from: { userAgent: 'device-flow-lab-idp (scripted outcome)' } }]);
  });

  test.concurrent('expire: the code is expired at the server: expired_token, the user code no longer works, audited once', async () => {
    const codes = await deviceAuthorization(idp.issuer, 'c-expire');
    const expired = await poll(idp.issuer, 'c-expire', codes);
    expect([expired.status, expired.body.error]).toEqual([400, 'expired_token']);
    expect((await post(`${idp.issuer}/control/approve`, { user_code: codes.user_code })).body.error).toBe('expired_user_code');
    expect(audit('device_code.expired', 'c-expire')).toMatchObject([{ detail: 'the device code was expired early by the rehearsal control' }]);
  });

  test.concurrent('error:<5xx>: an RFC 6749 error body with that status, the code untouched, then the next step', async () => {
    const codes = await deviceAuthorization(idp.issuer, 'c-error');
    const a = await poll(idp.issuer, 'c-error', codes);
    expect([a.status, a.body.error]).toEqual([503, 'temporarily_unavailable']);
    expect(a.headers.get('content-type')).toMatch(/^application\/json/);
    const b = await poll(idp.issuer, 'c-error', codes);
    expect([b.status, b.body.error]).toEqual([500, 'server_error']);
    expect(idp.idp.as.state.deviceGrants.get(codes.device_code)!.polls).toBe(0);
    expect((await poll(idp.issuer, 'c-error', codes)).status).toBe(200);
  });

  test.concurrent('hang:<seconds>: the answer comes that late; a client that gives up first gets none, and the server sees it hung up', async () => {
    const codes = await deviceAuthorization(idp.issuer, 'c-hang');
    const t0 = Date.now();
    await expect(poll(idp.issuer, 'c-hang', codes, AbortSignal.timeout(300))).rejects.toThrow(/aborted|timeout/i);
    await sleep(1_000);
    const t1 = Date.now();
    const waited = await poll(idp.issuer, 'c-hang', codes);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(950);
    // Handled when it arrived (so its time counts for the interval), answered a second later.
    expect(waited.body.error).toBe('authorization_pending');
    const flow = idp.observer.flows.find((f) => f.clientId === 'c-hang')!;
    expect(flow.requests.filter((r) => r.kind === 'poll').map((r) => r.transport)).toEqual(['hang-abandoned', 'hang']);
    expect(flow.requests[1]!.answeredAt! - t0).toBeLessThan(900);
    expect((await poll(idp.issuer, 'c-hang', codes)).status).toBe(200);
  });

  test.concurrent('reset: the connection is dropped without an answer; the next poll goes on with the script', async () => {
    const codes = await deviceAuthorization(idp.issuer, 'c-reset');
    const error = await poll(idp.issuer, 'c-reset', codes).then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).toMatch(/fetch failed/);
    expect(String((error?.cause as { code?: string } | undefined)?.code ?? error?.cause)).toMatch(/ECONNRESET|UND_ERR_SOCKET|other side closed/i);
    expect((await poll(idp.issuer, 'c-reset', codes)).status).toBe(200);
  });

  test.concurrent('--script covers every client without its own steps; --scopes adds the team\'s scopes as the default', async () => {
    const codes = await deviceAuthorization(idp.issuer, 'c-person');
    const tokens = await poll(idp.issuer, 'c-person', codes);
    expect(tokens.body.scope).toBe('repo read:org');
    const explicit = await deviceAuthorization(idp.issuer, 'c-person', { scope: 'repo profile' });
    expect(explicit.device_code).toEqual(expect.any(String));
    expect((await post(`${idp.issuer}/device_authorization`, { client_id: 'c-person', scope: 'admin:everything' })).body.error).toBe('invalid_scope');
  });

  test.concurrent('--client <id>:<secret>: client_secret_basic and client_secret_post both work, a wrong secret does not', async () => {
    const basic = { authorization: `Basic ${Buffer.from('c-secret:s3cret').toString('base64')}` };
    const viaBasic = await post(`${idp.issuer}/device_authorization`, {}, { headers: basic });
    expect(viaBasic.status).toBe(200);
    const viaPost = await post(`${idp.issuer}/device_authorization`, { client_id: 'c-secret', client_secret: 's3cret' });
    expect(viaPost.status).toBe(200);
    const tokens = await post(`${idp.issuer}/token`, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: viaBasic.body.device_code as string }, { headers: basic });
    expect(tokens.status).toBe(200);
    expect((await post(`${idp.issuer}/device_authorization`, { client_id: 'c-secret', client_secret: 'nope' })).body.error).toBe('invalid_client');
    expect((await post(`${idp.issuer}/device_authorization`, { client_id: 'c-secret' })).body.error).toBe('invalid_client');
  });

  test.concurrent('an unknown client still gets invalid_client, and the console hint names the flag', async () => {
    const a = await post(`${idp.issuer}/device_authorization`, { client_id: 'team-cli' });
    expect([a.status, a.body.error]).toEqual([400, 'invalid_client']);
    expect(idp.notices).toContain('hint: client "team-cli" is not registered here, so it gets invalid_client. ' +
      'Start the server with --client team-cli (public) or --client team-cli:<secret> (confidential).');
  });

  test.concurrent('--auto-approve: each code is approved as alice after that long; --script-file clients keep their own script', async () => {
    const codes = await deviceAuthorization(auto.issuer, 'acme-cli');
    expect((await poll(auto.issuer, 'acme-cli', codes)).body.error).toBe('authorization_pending');
    await sleep(1_000);
    const tokens = await poll(auto.issuer, 'acme-cli', codes);
    expect(tokens.status).toBe(200);
    const me = await fetch(`${auto.issuer}/api/me`, { headers: { authorization: `Bearer ${tokens.body.access_token as string}` } });
    expect(await me.json()).toEqual({ sub: 'alice' });
    expect(auto.notices).toContainEqual(expect.stringMatching(/^auto-approve: acme-cli code \S+ approved as alice after 0.5 s$/));
    const basic = { authorization: `Basic ${Buffer.from('acme-ci:ci-runner-secret-not-for-devices').toString('base64')}` };
    const ci = await post(`${auto.issuer}/device_authorization`, {}, { headers: basic });
    await sleep(700);
    const denied = await post(`${auto.issuer}/token`, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: ci.body.device_code as string }, { headers: basic });
    expect(denied.body.error).toBe('access_denied');
  });

  test.concurrent('--issuer: behind a proxy the metadata and the endpoints name the issuer clients see, not the listen address', async () => {
    const behind = await startIdpServer({ port: 0, host: '127.0.0.1', issuer: 'https://idp.test.internal/sso' });
    try {
      const port = (behind.server.address() as AddressInfo).port;
      // RFC 8414 §3: for an issuer with a path, the well-known segment goes before the path.
      const metadata = (await (await fetch(`http://127.0.0.1:${port}/.well-known/oauth-authorization-server/sso`)).json()) as Record<string, string>;
      expect(metadata).toMatchObject({ issuer: 'https://idp.test.internal/sso', token_endpoint: 'https://idp.test.internal/sso/token' });
      // The proxy forwards the path as it is; the server answers under the issuer's path.
      const codes = await post(`http://127.0.0.1:${port}/sso/device_authorization`, { client_id: 'acme-cli' });
      expect(codes.body.verification_uri).toBe('https://idp.test.internal/sso/device');
    } finally {
      await behind.close();
    }
  });

  test.concurrent('--host: anything but loopback prints a warning that this is a rehearsal server with simulated people', async () => {
    const open = await spawnIdp(['--host', '0.0.0.0', '--quiet']);
    try {
      expect(open.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(open.lines.join('\n')).toMatch(/^WARNING: listening on 0\.0\.0\.0, not only on loopback\. This is a rehearsal server: its people \(alice, bob, mallory/m);
      expect((await fetch(`${open.issuer}/.well-known/oauth-authorization-server`)).status).toBe(200);
    } finally {
      await open.stop();
    }
    const local = await spawnIdp(['--quiet']);
    try {
      expect(local.lines.join('\n')).not.toContain('WARNING');
    } finally {
      await local.stop();
    }
  });
});
