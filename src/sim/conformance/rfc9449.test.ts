/**
 * RFC 9449 (DPoP): server and API rows of section F of the conformance checklist. For the client-actor rows
 * whose proposed test names a server or API check (4.2-header, 4.2-ath, 5-token-request) only that check is
 * tested here; the client half belongs to the client-machine tests.
 */
import { SignJWT, calculateJwkThumbprint, exportJWK } from 'jose';
import { describe, expect, test } from 'vitest';
import { accessTokenHash, DPOP_SIGNING_ALGS } from '../../protocol/dpop.ts';
import { randomSecret } from '../../protocol/random.ts';
import { DEFAULT_SERVER_KNOBS, assessServerKnobs } from '../knobs.ts';
import { API, CLI, ISSUER, createDpopKey, createTestIdp, type DpopKey, type TestIdp, type TokenResponse } from '../testing/idpFixture.ts';
import { bearer, call, challenge, claimsOf, dpopCall, json, unsignedJwt, type Json } from './kit.ts';

const TOKEN = `${ISSUER}/token`;
const ME = `${API}/me`;
const ALGS = DPOP_SIGNING_ALGS.join(' ');

/** A world with DPoP required, the CLI's key and a DPoP-bound login. */
async function dpopWorld(knobs: Parameters<typeof createTestIdp>[0] = {}): Promise<{ t: TestIdp; key: DpopKey; tok: TokenResponse }> {
  const t = await createTestIdp({ dpopRequired: true, ...knobs });
  const key = await createDpopKey(t.clock);
  const tok = await t.login({ dpop: key });
  return { t, key, tok };
}

/** An approved device code whose interval has passed: the next poll with a good proof gets tokens. */
async function readyDeviceCode(t: TestIdp): Promise<string> {
  const da = await t.deviceAuthorize();
  await t.approve(da.user_code);
  t.clock.advance((da.interval ?? 5) * 1000);
  return da.device_code;
}

/** POST /token (device_code poll) with the given DPoP header values (zero, one or several). */
function pollWith(t: TestIdp, deviceCode: string, proofs: string[]): Promise<Response> {
  const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded' });
  for (const p of proofs) headers.append('dpop', p);
  const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: deviceCode, client_id: CLI });
  return call(t, TOKEN, headers, 'POST', body.toString());
}

/** GET /me with `Authorization: DPoP <at>` and the given DPoP header values. */
function meWith(t: TestIdp, at: string, proofs: string[], scheme = 'DPoP'): Promise<Response> {
  const headers = new Headers({ authorization: `${scheme} ${at}` });
  for (const p of proofs) headers.append('dpop', p);
  return call(t, ME, headers);
}

function baseClaims(k: DpopKey, htm: string, htu: string): Json {
  return { jti: randomSecret(16), htm, htu, iat: Math.floor(k.clock.now() / 1000) };
}

interface ProofCase {
  name: string;
  /** The error_description the server must give (proves which check fired). */
  reason: RegExp;
  make(k: DpopKey, htm: string, htu: string, at?: string): Promise<string[]>;
}

const withAth = async (claims: Json, at?: string): Promise<Json> => (at ? { ...claims, ath: await accessTokenHash(at) } : claims);
const one = async (p: Promise<string>) => [await p];

/** One broken proof per RFC 9449 §4.3 check (shared by the token endpoint and the API). */
const PROOF_CASES: ProofCase[] = [
  { name: 'no DPoP header', reason: /proof is required/, make: async () => [] },
  { name: 'two DPoP headers', reason: /exactly one DPoP header/, make: async (k, m, u, at) => [await k.proof(m, u, { accessToken: at }), await k.proof(m, u, { accessToken: at })] },
  { name: 'not a JWT', reason: /not a compact JWT/, make: async () => ['not-a-jwt'] },
  { name: 'typ JWT', reason: /typ must be dpop\+jwt/, make: (k, m, u, at) => one(k.proof(m, u, { accessToken: at, header: { typ: 'JWT' } })) },
  { name: 'typ missing', reason: /typ must be dpop\+jwt/, make: (k, m, u, at) => one(k.proof(m, u, { accessToken: at, header: { typ: undefined } })) },
  { name: 'alg none', reason: /alg none is not an allowed/, make: async (k, m, u, at) => [unsignedJwt({ typ: 'dpop+jwt', alg: 'none', jwk: k.publicJwk }, await withAth(baseClaims(k, m, u), at))] },
  {
    name: 'alg HS256 (a MAC)', reason: /alg HS256 is not an allowed/,
    make: async (k, m, u, at) => {
      const secret = crypto.getRandomValues(new Uint8Array(32));
      const jwk = { kty: 'oct', k: Buffer.from(secret).toString('base64url') };
      return [await new SignJWT(await withAth(baseClaims(k, m, u), at)).setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk } as never).sign(secret)];
    },
  },
  { name: 'no jwk', reason: /must carry the public key as jwk/, make: (k, m, u, at) => one(k.proof(m, u, { accessToken: at, header: { jwk: undefined } })) },
  {
    name: 'private key in jwk', reason: /must not contain a private key/,
    make: async (k, m, u, at) => {
      const priv = await exportJWK(k.privateKey);
      expect(priv.d).toBeTypeOf('string');
      return [await k.proof(m, u, { accessToken: at, header: { jwk: priv } })];
    },
  },
  {
    name: 'signature by another key', reason: /signature does not verify/,
    make: async (k, m, u, at) => [await (await createDpopKey(k.clock)).proof(m, u, { accessToken: at, header: { jwk: k.publicJwk } })],
  },
  { name: 'jti missing', reason: /jti must be/, make: (k, m, u, at) => one(k.proof(m, u, { accessToken: at, claims: { jti: undefined } })) },
  { name: 'jti too short', reason: /jti must be/, make: (k, m, u, at) => one(k.proof(m, u, { accessToken: at, jti: 'abc' })) },
  { name: 'htm missing', reason: /htm, htu and iat are required/, make: (k, m, u, at) => one(k.proof(m, u, { accessToken: at, claims: { htm: undefined } })) },
  { name: 'htu missing', reason: /htm, htu and iat are required/, make: (k, m, u, at) => one(k.proof(m, u, { accessToken: at, claims: { htu: undefined } })) },
  { name: 'iat missing', reason: /htm, htu and iat are required/, make: (k, m, u, at) => one(k.proof(m, u, { accessToken: at, claims: { iat: undefined } })) },
  { name: 'wrong htm', reason: /htm \w+ does not match/, make: (k, m, u, at) => one(k.proof(m === 'GET' ? 'POST' : 'GET', u, { accessToken: at })) },
  { name: 'wrong htu path', reason: /htu does not match/, make: (k, m, u, at) => one(k.proof(m, `${u}x`, { accessToken: at })) },
  { name: 'wrong htu host', reason: /htu does not match/, make: (k, m, u, at) => one(k.proof(m, u.replace('.acme.test', '.evil.test'), { accessToken: at })) },
  { name: 'htu http instead of https', reason: /htu does not match/, make: (k, m, u, at) => one(k.proof(m, u.replace('https:', 'http:'), { accessToken: at })) },
  { name: 'iat too old', reason: /iat is outside/, make: (k, m, u, at) => one(k.proof(m, u, { accessToken: at, iatOffsetS: -61 })) },
  { name: 'iat in the future', reason: /iat is outside/, make: (k, m, u, at) => one(k.proof(m, u, { accessToken: at, iatOffsetS: 61 })) },
];

describe('RFC 9449 §4 DPoP proofs', () => {
  test('RFC9449-4.3-checks: the token endpoint rejects each malformed proof with 400 invalid_dpop_proof, then accepts a good one', async () => {
    const t = await createTestIdp({ dpopRequired: true });
    const key = await createDpopKey(t.clock);
    const dc = await readyDeviceCode(t);
    for (const c of PROOF_CASES) {
      const res = await pollWith(t, dc, await c.make(key, 'POST', TOKEN));
      expect(res.status, c.name).toBe(400);
      const body = await json(res);
      expect(body.error, c.name).toBe('invalid_dpop_proof');
      expect(body.error_description, c.name).toMatch(c.reason);
    }
    // Query and fragment are ignored when comparing htu; the device code was never touched by the bad proofs.
    const good = await pollWith(t, dc, [await key.proof('POST', `${TOKEN}?a=1#frag`)]);
    expect(good.status).toBe(200);
    expect(await json(good)).toMatchObject({ token_type: 'DPoP' });
  });

  test('RFC9449-4.3-checks: the API rejects each malformed proof with 401 and a DPoP invalid_dpop_proof challenge', async () => {
    const { t, key, tok } = await dpopWorld();
    const at = tok.access_token;
    const extra: ProofCase[] = [
      { name: 'ath missing', reason: /ath does not match/, make: (k, m, u) => one(k.proof(m, u)) },
      { name: 'ath of another token', reason: /ath does not match/, make: (k, m, u) => one(k.proof(m, u, { accessToken: `${at}x` })) },
    ];
    for (const c of [...PROOF_CASES, ...extra]) {
      const res = await meWith(t, at, await c.make(key, 'GET', ME, at));
      expect(res.status, c.name).toBe(401);
      const ch = challenge(res, 'DPoP');
      expect(ch, c.name).toMatchObject({ error: 'invalid_dpop_proof', algs: ALGS });
      expect(ch!.error_description, c.name).toMatch(c.reason);
    }
    const ok = await meWith(t, at, [await key.proof('GET', `${ME}?q=1`, { accessToken: at })]);
    expect(ok.status).toBe(200);
    expect(await json(ok)).toEqual({ sub: 'alice' });
  });

  test('RFC9449-4.2-header: server side: proofs signed with none or HS256, or carrying a private key, are rejected at the token endpoint and the API', async () => {
    const { t, key, tok } = await dpopWorld();
    const dc = await readyDeviceCode(t);
    const header = PROOF_CASES.filter((c) => /alg none|HS256|private key/.test(c.name));
    expect(header).toHaveLength(3);
    for (const c of header) {
      const s = await pollWith(t, dc, await c.make(key, 'POST', TOKEN));
      expect(s.status, c.name).toBe(400);
      expect(await json(s), c.name).toMatchObject({ error: 'invalid_dpop_proof' });
      const rs = await meWith(t, tok.access_token, await c.make(key, 'GET', ME, tok.access_token));
      expect(rs.status, c.name).toBe(401);
    }
  });

  test('RFC9449-4.2-ath: server side: a proof whose ath belongs to another token is refused by the API', async () => {
    const { t, key, tok } = await dpopWorld();
    const other = await t.login({ dpop: key }); // same key, different token
    const res = await dpopCall(t, key, tok.access_token, '/me', { proof: { accessToken: other.access_token } });
    expect(res.status).toBe(401);
    expect(challenge(res, 'DPoP')).toMatchObject({ error: 'invalid_dpop_proof' });
    expect((await dpopCall(t, key, tok.access_token)).status).toBe(200);
  });

  test('RFC9449-4.3-htu-normalize: scheme and host case and the default port are normalized before htu is compared; the path is not', async () => {
    const { t, key, tok } = await dpopWorld();
    const at = tok.access_token;
    for (const htu of ['HTTPS://API.ACME.TEST/api/me', 'https://api.acme.test:443/api/me', 'https://Api.Acme.Test/api/me']) {
      expect((await dpopCall(t, key, at, '/me', { htu })).status, htu).toBe(200);
    }
    expect((await dpopCall(t, key, at, '/me', { htu: 'https://api.acme.test/API/me' })).status).toBe(401);
    expect((await dpopCall(t, key, at, '/me', { htu: 'https://api.acme.test:8443/api/me' })).status).toBe(401);
    // The token endpoint normalizes too.
    const dc = await readyDeviceCode(t);
    expect((await pollWith(t, dc, [await key.proof('POST', 'HTTPS://IDP.ACME.TEST:443/token')])).status).toBe(200);
  });
});

describe('RFC 9449 §5 token requests', () => {
  test('RFC9449-4.3-checks: htu is compared with the URI the request was sent to, so a profile alias of the token endpoint works and the canonical path is refused there', async () => {
    const t = await createTestIdp({ profile: 'github', dpopRequired: true });
    const key = await createDpopKey(t.clock);
    const alias = `${ISSUER}/login/oauth/access_token`;
    const da = await t.deviceAuthorize();
    await t.approve(da.user_code);
    t.clock.advance(5000);
    const withProof = async (htu: string) => {
      const proof = await key.proof('POST', htu);
      return t.post(alias, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: da.device_code, client_id: CLI }, { accept: 'application/json', dpop: proof });
    };
    const wrong = await json(await withProof(TOKEN));
    expect(wrong).toMatchObject({ error: 'invalid_dpop_proof', error_description: 'htu does not match the request URI' });
    const right = await json(await withProof(alias));
    expect(right.token_type).toBe('DPoP');
  });

  test('RFC9449-5-token-request: server side: a device_code poll or a refresh with a bad proof gets 400 invalid_dpop_proof', async () => {
    const { t, key, tok } = await dpopWorld();
    const dc = await readyDeviceCode(t);
    const badPoll = await pollWith(t, dc, [await key.proof('POST', TOKEN, { iatOffsetS: -3600 })]);
    expect(badPoll.status).toBe(400);
    expect(await json(badPoll)).toMatchObject({ error: 'invalid_dpop_proof' });
    const badRefresh = await t.refresh(tok.refresh_token!, {}, { dpop: await key.proof('GET', TOKEN) });
    expect(badRefresh.status).toBe(400);
    expect(await json(badRefresh)).toMatchObject({ error: 'invalid_dpop_proof' });
    // Nothing was consumed: good proofs still work for both.
    expect((await pollWith(t, dc, [await key.proof('POST', TOKEN)])).status).toBe(200);
    expect((await t.refresh(tok.refresh_token!, {}, { dpop: await key.proof('POST', TOKEN) })).status).toBe(200);
  });

  test('RFC9449-5-token_type: a DPoP-bound token response says token_type DPoP, a plain one Bearer', async () => {
    const { t, key, tok } = await dpopWorld();
    expect(tok.token_type).toBe('DPoP');
    const refreshed = await json(await t.refresh(tok.refresh_token!, {}, { dpop: await key.proof('POST', TOKEN) }));
    expect(refreshed.token_type).toBe('DPoP');
    const plain = await createTestIdp();
    const p = await plain.login();
    expect(p.token_type).toBe('Bearer');
    expect(claimsOf(p.access_token)).not.toHaveProperty('cnf');
  });

  test('RFC9449-5-rt-binding: the refresh token is bound to the key: another key gives invalid_grant, the same key works every time', async () => {
    // With DPoP required, and with DPoP used voluntarily on a default server.
    for (const knobs of [{ dpopRequired: true }, {}]) {
      const t = await createTestIdp(knobs);
      const key = await createDpopKey(t.clock);
      const thief = await createDpopKey(t.clock);
      const tok = await t.login({ dpop: key });
      const jkt = await calculateJwkThumbprint(key.publicJwk, 'sha256');

      const stolen = await t.refresh(tok.refresh_token!, {}, { dpop: await thief.proof('POST', TOKEN) });
      expect(stolen.status).toBe(400);
      const body = await json(stolen);
      expect(body.error).toBe('invalid_grant');
      expect(body.error_description).toMatch(/jkt/);
      const noProof = await t.refresh(tok.refresh_token!);
      expect(noProof.status).toBe(400);
      expect(await json(noProof)).toMatchObject({ error: 'invalid_dpop_proof' });

      let rt = tok.refresh_token!;
      for (let i = 0; i < 2; i++) {
        const ok = await t.refresh(rt, {}, { dpop: await key.proof('POST', TOKEN) });
        expect(ok.status).toBe(200);
        const r = await json(ok);
        expect(claimsOf(r.access_token as string).cnf).toEqual({ jkt });
        rt = r.refresh_token as string;
        expect(await json(await t.introspect(rt))).toMatchObject({ active: true, cnf: { jkt } });
      }
      // The rotated refresh token is still bound.
      expect(await json(await t.refresh(rt, {}, { dpop: await thief.proof('POST', TOKEN) }))).toMatchObject({ error: 'invalid_grant' });
    }
  });

  test('RFC9449-5.2-required: when DPoP is required (knob or dpop_bound_access_tokens metadata) a poll without a proof is rejected', async () => {
    const t = await createTestIdp({ dpopRequired: true });
    const dc = await readyDeviceCode(t);
    const res = await t.poll(dc);
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ error: 'invalid_dpop_proof', error_description: expect.stringMatching(/required/) });

    const meta = await createTestIdp();
    meta.idp.as.registry.clients.find((c) => c.clientId === CLI)!.dpopBoundAccessTokens = true;
    const mdc = await readyDeviceCode(meta);
    expect(await json(await meta.poll(mdc))).toMatchObject({ error: 'invalid_dpop_proof' });

    // Without the requirement the same poll gets a Bearer token.
    const plain = await createTestIdp();
    const pdc = await readyDeviceCode(plain);
    const ok = await plain.poll(pdc);
    expect(ok.status).toBe(200);
    expect(await json(ok)).toMatchObject({ token_type: 'Bearer' });
  });
});

describe('RFC 9449 §6-7 binding and the protected API', () => {
  test('RFC9449-6-cnf-jkt: the access token carries cnf.jkt = the RFC 7638 thumbprint; the API refuses a stolen token with the attacker\'s own key (401 invalid_token)', async () => {
    const { t, key, tok } = await dpopWorld();
    const jkt = await calculateJwkThumbprint(key.publicJwk, 'sha256');
    expect(jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(claimsOf(tok.access_token).cnf).toEqual({ jkt });

    const attacker = await createDpopKey(t.clock);
    const res = await dpopCall(t, attacker, tok.access_token); // a perfectly valid proof, by the wrong key
    expect(res.status).toBe(401);
    expect(challenge(res, 'DPoP')).toMatchObject({ error: 'invalid_token', algs: ALGS });
    expect((await dpopCall(t, key, tok.access_token)).status).toBe(200);
  });

  test('RFC9449-6.2-introspection: a DPoP-bound access token introspects with cnf.jkt and token_type DPoP', async () => {
    const { t, key, tok } = await dpopWorld();
    const jkt = await calculateJwkThumbprint(key.publicJwk, 'sha256');
    const view = await json(await t.introspect(tok.access_token));
    expect(view).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt } });
    const plain = await createTestIdp();
    const pv = await json(await plain.introspect((await plain.login()).access_token));
    expect(pv).toMatchObject({ active: true, token_type: 'Bearer' });
    expect(pv).not.toHaveProperty('cnf');
  });

  test('RFC9449-7-rs: the API grants access only when every check passes (replayed capture, stolen token, missing proof all 401)', async () => {
    const { t, key, tok } = await dpopWorld();
    const at = tok.access_token;
    const captured = { authorization: `DPoP ${at}`, dpop: await key.proof('GET', ME, { accessToken: at }) };
    const first = await call(t, ME, captured);
    expect(first.status).toBe(200);
    expect(await json(first)).toEqual({ sub: 'alice' });

    t.clock.advance(61_000);
    expect((await call(t, ME, captured)).status).toBe(401); // replayed after the window
    const attacker = await createDpopKey(t.clock);
    expect((await dpopCall(t, attacker, at)).status).toBe(401); // stolen AT, fresh attacker proof
    expect((await meWith(t, at, [])).status).toBe(401); // no proof at all
    // A scope check still applies after the DPoP checks pass.
    expect((await dpopCall(t, key, at, '/projects/p1', { method: 'DELETE' })).status).toBe(403);
    expect((await dpopCall(t, key, at)).status).toBe(200);

    // DPoP scheme with a token that is not DPoP-bound.
    const plainWorld = await createTestIdp();
    const plainKey = await createDpopKey(plainWorld.clock);
    const plain = await plainWorld.login();
    const res = await dpopCall(plainWorld, plainKey, plain.access_token);
    expect(res.status).toBe(401);
    expect(challenge(res, 'DPoP')).toMatchObject({ error: 'invalid_token' });
  });

  test('RFC9449-7.1-challenge: 401s carry WWW-Authenticate: DPoP with error when a token was sent, and algs always', async () => {
    const { t, key, tok } = await dpopWorld();
    const none = await call(t, ME);
    expect(none.status).toBe(401);
    const noneCh = challenge(none, 'DPoP');
    expect(noneCh).toEqual({ algs: ALGS });

    const attacker = await createDpopKey(t.clock);
    const cases: Array<[string, () => Promise<Response>, string]> = [
      ['bad proof', () => dpopCall(t, key, tok.access_token, '/me', { proof: { iatOffsetS: -3600 } }), 'invalid_dpop_proof'],
      ['Bearer downgrade', () => t.api('/me', { headers: bearer(tok.access_token) }), 'invalid_token'],
      ['wrong key', () => dpopCall(t, attacker, tok.access_token), 'invalid_token'],
      ['expired token', () => { t.clock.advance(900_000); return dpopCall(t, key, tok.access_token); }, 'invalid_token'],
    ];
    for (const [label, send, error] of cases) {
      const res = await send();
      expect(res.status, label).toBe(401);
      expect(res.headers.get('www-authenticate'), label).toMatch(/^DPoP /);
      expect(challenge(res, 'DPoP'), label).toMatchObject({ error, algs: ALGS });
    }
  });

  test('RFC9449-7.2-no-bearer-downgrade: a DPoP-bound token presented as Bearer is refused, even with a valid proof attached', async () => {
    const { t, key, tok } = await dpopWorld();
    const at = tok.access_token;
    const asBearer = await t.api('/me', { headers: bearer(at) });
    expect(asBearer.status).toBe(401);
    expect(challenge(asBearer, 'DPoP')).toMatchObject({ error: 'invalid_token' });
    const withProof = await meWith(t, at, [await key.proof('GET', ME, { accessToken: at })], 'Bearer');
    expect(withProof.status).toBe(401);
    expect((await dpopCall(t, key, at)).status).toBe(200);
  });
});

describe('RFC 9449 §8 nonces and §11 security', () => {
  test('RFC9449-8-nonce: in nonce mode the first poll gets 400 use_dpop_nonce with an unpredictable DPoP-Nonce; a wrong nonce is rejected', async () => {
    const nonces: string[] = [];
    for (let i = 0; i < 2; i++) {
      const t = await createTestIdp({ dpopRequired: true, dpopNonce: true });
      const key = await createDpopKey(t.clock);
      const dc = await readyDeviceCode(t);
      const first = await pollWith(t, dc, [await key.proof('POST', TOKEN)]);
      expect(first.status).toBe(400);
      expect(await json(first)).toMatchObject({ error: 'use_dpop_nonce' });
      const nonce = first.headers.get('dpop-nonce');
      expect(nonce).toMatch(/^[A-Za-z0-9_-]{22,}$/);
      nonces.push(nonce!);

      const wrong = await pollWith(t, dc, [await key.proof('POST', TOKEN, { nonce: `${nonce}x` })]);
      expect(wrong.status).toBe(400);
      expect(await json(wrong)).toMatchObject({ error: 'use_dpop_nonce' });
      expect(wrong.headers.get('dpop-nonce')).toBe(nonce);

      const ok = await pollWith(t, dc, [await key.proof('POST', TOKEN, { nonce: nonce! })]);
      expect(ok.status).toBe(200);
      expect(await json(ok)).toMatchObject({ token_type: 'DPoP' });
    }
    expect(nonces[0]).not.toBe(nonces[1]);
  });

  test('RFC9449-8-nonce: nonces rotate; a stale one is answered with use_dpop_nonce and the fresh nonce', async () => {
    const t = await createTestIdp({ dpopRequired: true, dpopNonce: true });
    const key = await createDpopKey(t.clock);
    const dc = await readyDeviceCode(t);
    const n1 = (await pollWith(t, dc, [await key.proof('POST', TOKEN)])).headers.get('dpop-nonce')!;
    t.clock.advance(4 * 60_000);
    const stale = await pollWith(t, dc, [await key.proof('POST', TOKEN, { nonce: n1 })]);
    expect(stale.status).toBe(400);
    const n2 = stale.headers.get('dpop-nonce')!;
    expect(n2).toBeTruthy();
    expect(n2).not.toBe(n1);
    expect((await pollWith(t, dc, [await key.proof('POST', TOKEN, { nonce: n2 })])).status).toBe(200);
  });

  test('RFC9449-11.1-replay-window: proofs are accepted only inside the window, and each only once', async () => {
    const { t, key, tok } = await dpopWorld({ dpopProofWindowS: 30 });
    const at = tok.access_token;
    // Inside the window, the same proof twice: the jti cache refuses the second.
    const proof = await key.proof('GET', ME, { accessToken: at });
    expect((await meWith(t, at, [proof])).status).toBe(200);
    const again = await meWith(t, at, [proof]);
    expect(again.status).toBe(401);
    expect(challenge(again, 'DPoP')!.error_description).toMatch(/already used/);

    // A proof made 29 s ago is fine, 31 s ago is not.
    expect((await meWith(t, at, [await key.proof('GET', ME, { accessToken: at, iatOffsetS: -29 })])).status).toBe(200);
    const old = await meWith(t, at, [await key.proof('GET', ME, { accessToken: at, iatOffsetS: -31 })]);
    expect(old.status).toBe(401);
    expect(challenge(old, 'DPoP')!.error_description).toMatch(/iat is outside/);

    // An unused proof replayed after the window.
    const later = await key.proof('GET', ME, { accessToken: at });
    t.clock.advance(31_000);
    expect((await meWith(t, at, [later])).status).toBe(401);

    // The token endpoint keeps a jti cache as well.
    const dc = await readyDeviceCode(t);
    const tokenProof = await key.proof('POST', TOKEN);
    const dc2 = await readyDeviceCode(t);
    expect((await pollWith(t, dc, [tokenProof])).status).toBe(200);
    const replay = await pollWith(t, dc2, [tokenProof]);
    expect(replay.status).toBe(400);
    expect(await json(replay)).toMatchObject({ error: 'invalid_dpop_proof', error_description: expect.stringMatching(/already used/) });
  });

  test('RFC9449-11.2-short-lived: without nonces, DPoP access tokens live at most an hour by default; longer is flagged', async () => {
    const { tok } = await dpopWorld();
    expect(tok.expires_in).toBeLessThanOrEqual(3600);
    const c = claimsOf(tok.access_token);
    expect((c.exp as number) - (c.iat as number)).toBe(tok.expires_in);
    expect(DEFAULT_SERVER_KNOBS.dpopNonce).toBe(false);
    const findings = assessServerKnobs({ ...DEFAULT_SERVER_KNOBS, dpopRequired: true, accessTokenLifetimeS: 7200 });
    expect(findings.some((f) => f.knob === 'accessTokenLifetimeS' && f.severity === 'risk')).toBe(true);
  });

  test('RFC9449-11.3-nonce-downgrade: once a nonce was provided, proofs without it are refused (poll and refresh)', async () => {
    const t = await createTestIdp({ dpopRequired: true, dpopNonce: true });
    const key = await createDpopKey(t.clock);
    const da = await t.deviceAuthorize();
    const nonce = (await pollWith(t, da.device_code, [await key.proof('POST', TOKEN)])).headers.get('dpop-nonce')!;
    const pending = await pollWith(t, da.device_code, [await key.proof('POST', TOKEN, { nonce })]);
    expect(await json(pending)).toMatchObject({ error: 'authorization_pending' });

    await t.approve(da.user_code);
    t.clock.advance(5_000);
    const downgrade = await pollWith(t, da.device_code, [await key.proof('POST', TOKEN)]);
    expect(downgrade.status).toBe(400);
    expect(await json(downgrade)).toMatchObject({ error: 'use_dpop_nonce' });
    const ok = await pollWith(t, da.device_code, [await key.proof('POST', TOKEN, { nonce })]);
    expect(ok.status).toBe(200);
    const rt = (await json(ok)).refresh_token as string;

    const noNonce = await t.refresh(rt, {}, { dpop: await key.proof('POST', TOKEN) });
    expect(noNonce.status).toBe(400);
    expect(await json(noNonce)).toMatchObject({ error: 'use_dpop_nonce' });
    expect((await t.refresh(rt, {}, { dpop: await key.proof('POST', TOKEN, { nonce }) })).status).toBe(200);
  });
});
