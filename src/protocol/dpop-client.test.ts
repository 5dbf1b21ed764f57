/**
 * DPoP proof creation (RFC 9449 §4.2), checked with jose and with the server-side verifier in dpop.ts.
 */
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose';
import { describe, expect, test } from 'vitest';
import { createDpopProof, generateDpopKeyPair } from './dpop-client.ts';
import { accessTokenHash, checkDpopProof } from './dpop.ts';

const NOW = Date.UTC(2026, 0, 5, 9, 0, 0);

describe('createDpopProof', () => {
  test('RFC9449-4.2-header: typ dpop+jwt, alg ES256, jwk is the public key only, and the signature verifies with it', async () => {
    const key = await generateDpopKeyPair();
    const proof = await createDpopProof({ key, method: 'POST', url: 'https://as.test/token', nowMs: NOW });
    const header = decodeProtectedHeader(proof);
    expect(header).toEqual({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk });
    expect(Object.keys(header.jwk as JWK).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    const { payload } = await jwtVerify(proof, await importJWK(header.jwk as JWK, 'ES256'), { typ: 'dpop+jwt', currentDate: new Date(NOW) });
    expect(payload.htm).toBe('POST');
  });

  test('RFC9449-4.2-claims: jti of 128 random bits, htm upper-cased, htu without query or fragment, iat from the given now', async () => {
    const key = await generateDpopKeyPair();
    const proofs = await Promise.all(
      Array.from({ length: 20 }, () => createDpopProof({ key, method: 'get', url: 'https://API.test/api/projects?page=2#x', nowMs: NOW + 1_999 })),
    );
    const claims = proofs.map((p) => decodeJwt(p));
    expect(new Set(claims.map((c) => c.jti)).size).toBe(20);
    for (const c of claims) {
      expect(c.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(c).toEqual({ jti: c.jti, htm: 'GET', htu: 'https://api.test/api/projects', iat: NOW / 1000 + 1 });
    }
  });

  test('RFC9449-4.2-ath: with an access token the proof carries ath = base64url(SHA-256(token))', async () => {
    const key = await generateDpopKeyPair();
    const proof = await createDpopProof({ key, method: 'GET', url: 'https://api.test/api/me', nowMs: NOW, accessToken: 'at-123' });
    expect(decodeJwt(proof).ath).toBe(await accessTokenHash('at-123'));
    expect(decodeJwt(proof).ath).toBe(createHash('sha256').update('at-123').digest('base64url'));
  });

  test('RFC9449-4.2-nonce: the server nonce is included when given, and only then', async () => {
    const key = await generateDpopKeyPair();
    const withNonce = await createDpopProof({ key, method: 'POST', url: 'https://as.test/token', nowMs: NOW, nonce: 'n-1' });
    const without = await createDpopProof({ key, method: 'POST', url: 'https://as.test/token', nowMs: NOW });
    expect(decodeJwt(withNonce).nonce).toBe('n-1');
    expect('nonce' in decodeJwt(without)).toBe(false);
  });

  test('proofs pass the server-side checks (RFC 9449 §4.3), including ath and the key binding', async () => {
    const key = await generateDpopKeyPair();
    const jkt = await calculateJwkThumbprint(key.publicJwk);
    const proof = await createDpopProof({ key, method: 'GET', url: 'https://api.test/api/me', nowMs: NOW, accessToken: 'at', nonce: 'n' });
    const result = await checkDpopProof({
      header: proof, method: 'GET', url: 'https://api.test/api/me', nowMs: NOW, windowS: 60, accessToken: 'at', expectedJkt: jkt, expectedNonce: 'n',
    });
    expect(result).toEqual({ ok: true, jkt, jti: decodeJwt(proof).jti });
  });

  test('each login gets its own key; the private key is not extractable', async () => {
    const [a, b] = await Promise.all([generateDpopKeyPair(), generateDpopKeyPair()]);
    expect(a.publicJwk.x).not.toBe(b.publicJwk.x);
    expect(a.privateKey.extractable).toBe(false);
  });
});
