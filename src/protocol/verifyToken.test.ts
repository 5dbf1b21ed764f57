import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { decodeToken, verifyToken } from './verifyToken.ts';

const ISS = 'https://idp.acme.test';
const NOW = Date.UTC(2026, 0, 5, 9, 0, 0);

async function setup() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
  const token = await new SignJWT({ scope: 'read', jti: 'j1', sub: 'alice' })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
    .setIssuer(ISS).setIssuedAt(NOW / 1000).setExpirationTime(NOW / 1000 + 600).sign(privateKey);
  return { jwk, token };
}

describe('token inspector verification', () => {
  it('decodes header and claims', async () => {
    const { token } = await setup();
    expect(decodeToken(token)).toMatchObject({ header: { typ: 'at+jwt', kid: 'k1' }, claims: { jti: 'j1', scope: 'read' } });
    expect(decodeToken('opaque-token')).toBeUndefined();
  });

  it('verifies at the world clock, not the wall clock', async () => {
    const { jwk, token } = await setup();
    expect(await verifyToken(token, { jwks: [jwk], issuer: ISS, nowMs: NOW + 60_000 })).toMatchObject({ signature: 'valid', claims: 'valid' });
    expect(await verifyToken(token, { jwks: [jwk], issuer: ISS, nowMs: NOW + 601_000 })).toMatchObject({ signature: 'valid', claims: 'invalid' });
  });

  it('refuses a wrong issuer and a tampered token', async () => {
    const { jwk, token } = await setup();
    expect(await verifyToken(token, { jwks: [jwk], issuer: 'https://evil.test', nowMs: NOW })).toMatchObject({ signature: 'valid', claims: 'invalid' });
    const [h, p, s] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...decodeToken(token)!.claims, scope: 'admin' })).toString('base64url')}.${s}`;
    expect(p).not.toBe(forged.split('.')[1]);
    expect(await verifyToken(forged, { jwks: [jwk], issuer: ISS, nowMs: NOW })).toMatchObject({ signature: 'invalid' });
  });

  it('says so when no key matches', async () => {
    const { token } = await setup();
    const other = { ...(await exportJWK((await generateKeyPair('ES256')).publicKey)), kid: 'k2' };
    expect(await verifyToken(token, { jwks: [other, { ...other, kid: 'k3' }], issuer: ISS, nowMs: NOW })).toMatchObject({ signature: 'invalid', claims: 'unknown' });
  });
});
