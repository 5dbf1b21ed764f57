/**
 * The token exchange grant (RFC 8693) as workload identity federation: a CI job's ID token, signed by a trusted
 * workload issuer for this server, is exchanged for a short-lived access token and no refresh token. Both sides:
 * the knob off (or the issuer, key, audience or expiry wrong) refuses it with the RFC's error codes. The
 * conformance checklist has no RFC 8693 rows, so the tests are named after the RFC sections.
 */
import { SignJWT, decodeJwt, generateKeyPair, type CryptoKey } from 'jose';
import { beforeAll, describe, expect, test } from 'vitest';
import { TOKEN_EXCHANGE_GRANT_TYPE, TOKEN_TYPE_URN } from '../../protocol/constants.ts';
import { VirtualClock } from '../clock.ts';
import { SIM_ISSUER, createSimIdp } from '../idp.ts';
import type { ServerKnobs } from '../knobs.ts';

const CI_ISSUER = 'https://ci.example.test';
const WORKLOAD = 'repo:acme/deploy:environment:production';
let ciKey: { privateKey: CryptoKey; publicKey: CryptoKey };
let otherKey: { privateKey: CryptoKey; publicKey: CryptoKey };

beforeAll(async () => {
  ciKey = await generateKeyPair('ES256');
  otherKey = await generateKeyPair('ES256');
});

async function setup(knobs: Partial<ServerKnobs> = { workloadIdentityFederation: true }) {
  const clock = new VirtualClock();
  const idp = await createSimIdp({ clock, knobs, workloadIssuers: [{ issuer: CI_ISSUER, audience: SIM_ISSUER, alg: 'ES256', publicKey: ciKey.publicKey }] });
  const idToken = (o: { iss?: string; aud?: string; lifetimeS?: number; key?: CryptoKey; sub?: string } = {}) => {
    const iat = Math.floor(clock.now() / 1000);
    return new SignJWT({}).setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).setIssuer(o.iss ?? CI_ISSUER).setSubject(o.sub ?? WORKLOAD)
      .setAudience(o.aud ?? SIM_ISSUER).setIssuedAt(iat).setExpirationTime(iat + (o.lifetimeS ?? 300)).sign(o.key ?? ciKey.privateKey);
  };
  const exchange = (params: Record<string, string | undefined>) => {
    const body = new URLSearchParams();
    const all = { grant_type: TOKEN_EXCHANGE_GRANT_TYPE, subject_token_type: TOKEN_TYPE_URN.idToken, client_id: 'acme-cli', ...params };
    for (const [k, v] of Object.entries(all)) if (v !== undefined) body.append(k, v);
    return idp.handle(new Request(`${SIM_ISSUER}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: body.toString() }));
  };
  return { clock, idp, idToken, exchange };
}

const errorOf = async (res: Response) => ({ status: res.status, error: ((await res.json()) as { error: string }).error });

describe('token exchange for workload identity (RFC 8693)', () => {
  test('RFC 8693 §2.2.1: a trusted CI ID token gets a short-lived access token for the workload, issued_token_type, and no refresh token', async () => {
    const { idp, idToken, exchange } = await setup();
    const res = await exchange({ subject_token: await idToken(), requested_token_type: TOKEN_TYPE_URN.accessToken });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toMatch(/no-store/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ issued_token_type: TOKEN_TYPE_URN.accessToken, token_type: 'Bearer', expires_in: 900 });
    expect(body.refresh_token).toBeUndefined();
    expect(decodeJwt(body.access_token as string)).toMatchObject({ sub: WORKLOAD, iss: SIM_ISSUER, client_id: 'acme-cli' });
    expect(idp.as.issuedSecrets().filter((s) => s.kind === 'refresh_token')).toEqual([]);
    expect(idp.as.audit.ofType('token.exchanged')).toHaveLength(1);
    expect(idp.as.audit.ofType('token.exchanged')[0]).toMatchObject({ user: WORKLOAD, clientId: 'acme-cli' });
    // The API accepts it, as the workload.
    const me = await idp.handle(new Request('https://api.acme.test/api/me', { headers: { authorization: `Bearer ${body.access_token as string}` } }));
    expect(await me.json()).toEqual({ sub: WORKLOAD });
  });

  test('RFC 6749 §5.2: with the knob off the grant is unsupported_grant_type and not advertised in grant_types_supported (RFC 8414 §2)', async () => {
    const off = await setup({});
    expect(await errorOf(await off.exchange({ subject_token: await off.idToken() }))).toEqual({ status: 400, error: 'unsupported_grant_type' });
    expect(off.idp.as.metadata().grant_types_supported).not.toContain(TOKEN_EXCHANGE_GRANT_TYPE);
    expect(off.idp.as.issuedSecrets().filter((s) => s.kind === 'access_token')).toEqual([]);
    const on = await setup();
    expect(on.idp.as.metadata().grant_types_supported).toContain(TOKEN_EXCHANGE_GRANT_TYPE);
  });

  test('RFC 8693 §2.2.2: a subject token from an untrusted issuer, another key, another audience or past its exp is invalid_grant (and audited)', async () => {
    const { clock, idp, idToken, exchange } = await setup();
    const bad = [
      await idToken({ iss: 'https://evil.example' }),
      await idToken({ key: otherKey.privateKey }),
      await idToken({ aud: 'https://someone-else.example' }),
      await idToken({ lifetimeS: 60 }),
      'not-a-jwt',
    ];
    clock.advance(120_000); // the 60 s token is now past exp (+30 s leeway); the others are still within theirs
    for (const subject_token of bad) expect(await errorOf(await exchange({ subject_token }))).toEqual({ status: 400, error: 'invalid_grant' });
    expect(idp.as.audit.ofType('token.exchange_rejected')).toHaveLength(bad.length);
    expect(idp.as.issuedSecrets().filter((s) => s.kind === 'access_token')).toEqual([]);
  });

  test('RFC 8693 §2.2.2: missing or unsupported parameters are invalid_request; scope outside the allowed set is invalid_scope', async () => {
    const { idToken, exchange } = await setup();
    const good = await idToken();
    expect(await errorOf(await exchange({}))).toEqual({ status: 400, error: 'invalid_request' });
    expect(await errorOf(await exchange({ subject_token: good, subject_token_type: undefined }))).toEqual({ status: 400, error: 'invalid_request' });
    expect(await errorOf(await exchange({ subject_token: good, subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' }))).toEqual({ status: 400, error: 'invalid_request' });
    expect(await errorOf(await exchange({ subject_token: good, actor_token: good, actor_token_type: TOKEN_TYPE_URN.jwt }))).toEqual({ status: 400, error: 'invalid_request' });
    expect(await errorOf(await exchange({ subject_token: good, requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }))).toEqual({ status: 400, error: 'invalid_request' });
    expect(await errorOf(await exchange({ subject_token: good, scope: 'everything' }))).toEqual({ status: 400, error: 'invalid_scope' });
    expect(await errorOf(await exchange({ subject_token: good, client_id: 'nobody' }))).toEqual({ status: 400, error: 'invalid_client' });
  });

  test('the exchanged access token lives accessTokenLifetimeS and then the API refuses it; a jwt subject_token_type is accepted too', async () => {
    const { clock, idp, idToken, exchange } = await setup({ workloadIdentityFederation: true, accessTokenLifetimeS: 300 });
    const res = await exchange({ subject_token: await idToken(), subject_token_type: TOKEN_TYPE_URN.jwt });
    const body = (await res.json()) as { access_token: string; expires_in: number };
    expect(body.expires_in).toBe(300);
    expect(idp.as.isAccessTokenActive(body.access_token)).toBe(true);
    clock.advance(300_000);
    expect(idp.as.isAccessTokenActive(body.access_token)).toBe(false);
  });
});
