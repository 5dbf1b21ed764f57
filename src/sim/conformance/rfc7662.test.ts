/**
 * RFC 7662 (token introspection): server-side rows of section D of the conformance checklist.
 */
import { describe, expect, test } from 'vitest';
import { API, CI_CLIENT, CI_SECRET, CLI, ISSUER, RS_CLIENT, basic, createTestIdp, type TestIdp } from '../testing/idpFixture.ts';
import { claimsOf, forgeJwt, json } from './kit.ts';

const introspection = async (t: TestIdp, token: string) => json(await t.introspect(token));

describe('RFC 7662 token introspection', () => {
  test('RFC7662-2.1-authz: only an authenticated resource server may introspect; others get 401 and learn nothing', async () => {
    const t = await createTestIdp();
    const { access_token: at } = await t.login();
    const attempts: Array<[string, Promise<Response>]> = [
      ['no credentials', t.introspect(at, 'none')],
      ['public client_id only', t.introspect(at, 'cli')],
      ['confidential client that is not a resource server', t.post('/introspect', { token: at }, { authorization: basic(CI_CLIENT, CI_SECRET) })],
      ['resource server with a wrong secret', t.post('/introspect', { token: at }, { authorization: basic(RS_CLIENT, 'wrong') })],
      ['bearer token instead of client auth', t.post('/introspect', { token: at }, { authorization: `Bearer ${at}` })],
    ];
    for (const [label, pending] of attempts) {
      const res = await pending;
      expect(res.status, label).toBe(401);
      expect(res.headers.get('www-authenticate'), label).toMatch(/^Basic realm=/);
      const body = await json(res);
      expect(body.error, label).toBe('invalid_client');
      expect(body, label).not.toHaveProperty('active');
    }
    const ok = await t.introspect(at, 'rs');
    expect(ok.status).toBe(200);
    expect(await json(ok)).toMatchObject({ active: true });
  });

  test('RFC7662-2.2-active: every answer has a boolean active; an active access token is described in full', async () => {
    const t = await createTestIdp();
    const { access_token: at, refresh_token: rt } = await t.login({ user: 'bob' });
    const claims = claimsOf(at);
    const atView = await introspection(t, at);
    expect(atView).toEqual({
      active: true, scope: 'profile projects:read', client_id: CLI, sub: 'bob', aud: API, iss: ISSUER,
      iat: claims.iat, exp: claims.exp, jti: claims.jti, token_type: 'Bearer',
    });
    const rtView = await introspection(t, rt!);
    expect(rtView).toMatchObject({ active: true, client_id: CLI, sub: 'bob', scope: 'profile projects:read' });
    for (const view of [atView, rtView, await introspection(t, 'not-a-token')]) expect(typeof view.active).toBe('boolean');
  });

  test('RFC7662-2.2-inactive: expired, revoked, rotated-out and unknown tokens answer exactly {"active":false}', async () => {
    const t = await createTestIdp();
    const expiring = await t.login();
    const revoked = await t.login();
    const rotated = await t.login();
    const da = await t.deviceAuthorize();
    expect((await t.revoke(revoked.refresh_token!)).status).toBe(200);
    expect((await t.refresh(rotated.refresh_token!)).status).toBe(200);
    t.clock.advance(900_000); // the first login's access token (900 s) has expired

    const inactive = [expiring.access_token, revoked.refresh_token!, revoked.access_token, rotated.refresh_token!, 'garbage', da.device_code];
    for (const token of inactive) {
      const res = await t.introspect(token);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('{"active":false}');
    }
  });

  test('RFC7662-4-state-checks: expiry (to the second), cascade revocation, sign-out, tampering and idle expiry all make a token inactive', async () => {
    const t = await createTestIdp({ refreshTokenIdleS: 3600 });
    const a = await t.login();
    t.clock.advance(899_000);
    expect(await introspection(t, a.access_token)).toMatchObject({ active: true });
    t.clock.advance(1_000);
    expect(await introspection(t, a.access_token)).toEqual({ active: false });

    // Revoking the refresh token revokes the grant's access token (cascade).
    const b = await t.login();
    expect(await introspection(t, b.access_token)).toMatchObject({ active: true });
    await t.revoke(b.refresh_token!);
    expect(await introspection(t, b.access_token)).toEqual({ active: false });

    // A grant revoked by "sign out everywhere".
    const c = await t.login({ user: 'bob' });
    const session = await t.signIn('bob');
    expect((await t.post('/device/signout-everywhere', {}, { 'x-session': session })).status).toBe(200);
    expect(await introspection(t, c.access_token)).toEqual({ active: false });
    expect(await introspection(t, c.refresh_token!)).toEqual({ active: false });

    // Signature: a token with a changed signature, or one forged with the server's own key but never issued.
    const d = await t.login();
    const flipped = d.access_token.slice(0, -2) + (d.access_token.endsWith('AA') ? 'BB' : 'AA');
    expect(await introspection(t, flipped)).toEqual({ active: false });
    const forged = await forgeJwt(t, { ...claimsOf(d.access_token), jti: 'never-issued-0123456789' });
    expect(await introspection(t, forged)).toEqual({ active: false });
    expect(await introspection(t, d.access_token)).toMatchObject({ active: true });

    // Refresh token idle expiry.
    expect(await introspection(t, d.refresh_token!)).toMatchObject({ active: true });
    t.clock.advance(3_600_000);
    expect(await introspection(t, d.refresh_token!)).toEqual({ active: false });
  });
});
