/**
 * DPoP in the CLI machine (RFC 9449): proofs on every token request and API call, nonce retry, token_type
 * checks. Proofs are checked with the server-side verifier (src/protocol/dpop.ts), so client and server agree.
 */
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import { describe, expect, test } from 'vitest';
import { checkDpopProof } from '../protocol/dpop.ts';
import { replies, type Exchange } from './testing/fake-server.ts';
import { startCli } from './testing/harness.ts';

const dpopTokens = () => replies.tokens({ token_type: 'DPoP' });

async function dpopLogin(script = [replies.pending(), dpopTokens()]) {
  const cli = await startCli({ knobs: { dpop: true } });
  cli.server.on('poll', ...script);
  await cli.login();
  return cli;
}

async function verify(e: Exchange, nowMs: number, accessToken?: string) {
  return checkDpopProof({ header: e.headers.dpop ?? null, method: e.method, url: e.url, nowMs, windowS: 60, ...(accessToken ? { accessToken } : {}) });
}

describe('DPoP proofs', () => {
  test('RFC9449-5-token-request: every poll and every refresh carries a valid proof for the token endpoint', async () => {
    const cli = await dpopLogin();
    cli.server.on('refresh', (_ex, server) => ({ json: server.mintTokens('profile projects:read', { token_type: 'DPoP' }) }));
    await cli.advance(900_000);
    await cli.send({ type: 'user.whoami' });
    const tokenCalls = cli.server.exchanges.filter((e) => e.kind === 'poll' || e.kind === 'refresh');
    expect(tokenCalls.map((e) => e.kind)).toEqual(['poll', 'poll', 'refresh']);
    for (const e of tokenCalls) {
      const result = await verify(e, e.at);
      expect(result).toEqual(expect.objectContaining({ ok: true }));
      expect(decodeJwt(e.headers.dpop!)).toMatchObject({ htm: 'POST', htu: 'https://auth.acme.test/token', iat: e.at / 1000 });
    }
    expect(cli.server.of('device')[0]?.headers.dpop).toBeUndefined();
  });

  test('RFC9449-4.2-header: typ dpop+jwt, alg ES256, a public jwk with no private members', async () => {
    const cli = await dpopLogin();
    const header = decodeProtectedHeader(cli.polls()[0]!.headers.dpop!);
    expect(header.typ).toBe('dpop+jwt');
    expect(header.alg).toBe('ES256');
    expect(Object.keys(header.jwk as JWK).sort()).toEqual(['crv', 'kty', 'x', 'y']);
  });

  test('RFC9449-4.2-claims: a new jti on every request, htm/htu match, htu has no query', async () => {
    const cli = await dpopLogin();
    await cli.send({ type: 'user.api', method: 'GET', path: '/api/projects?page=2#top' });
    const withProof = cli.server.exchanges.filter((e) => e.headers.dpop);
    const claims = withProof.map((e) => decodeJwt(e.headers.dpop!));
    expect(new Set(claims.map((c) => c.jti)).size).toBe(withProof.length);
    for (const c of claims) expect(String(c.jti).length).toBeGreaterThanOrEqual(16);
    expect(claims.at(-1)).toMatchObject({ htm: 'GET', htu: 'https://api.acme.test/api/projects' });
    expect(withProof.at(-1)?.url).toBe('https://api.acme.test/api/projects?page=2');
  });

  test('RFC9449-4.2-ath, RFC9449-5-token_type: a DPoP token is sent as "Authorization: DPoP" with a proof bound by ath', async () => {
    const cli = await dpopLogin();
    await cli.send({ type: 'user.whoami' });
    const [api] = cli.server.of('api');
    const at = cli.server.accessTokens[0]!;
    expect(api?.headers.authorization).toBe(`DPoP ${at}`);
    expect(await verify(api!, api!.at, at)).toEqual(expect.objectContaining({ ok: true }));
    expect(await verify(api!, api!.at, cli.server.accessTokens[0] + 'x')).toEqual(expect.objectContaining({ ok: false, description: 'ath does not match the access token' }));
  });

  test('one key per login: every proof of a login has the same key; a new login has a new key', async () => {
    const cli = await dpopLogin();
    await cli.send({ type: 'user.whoami' });
    await cli.send({ type: 'user.logout' });
    cli.server.on('poll', dpopTokens());
    await cli.login();
    const jkts = await Promise.all(
      cli.server.exchanges.filter((e) => e.headers.dpop).map((e) => calculateJwkThumbprint(decodeProtectedHeader(e.headers.dpop!).jwk as JWK)),
    );
    expect(jkts).toHaveLength(4);
    expect(jkts[0]).toBe(jkts[1]);
    expect(jkts[1]).toBe(jkts[2]);
    expect(jkts[3]).not.toBe(jkts[0]);
  });

  test('RFC9449-4.2-nonce: after 400 use_dpop_nonce the poll is retried at once with the nonce, and later proofs keep it', async () => {
    const cli = await dpopLogin([
      { status: 400, json: { error: 'use_dpop_nonce' }, headers: { 'DPoP-Nonce': 'as-nonce-1' } },
      replies.pending(),
      dpopTokens(),
    ]);
    const polls = cli.polls();
    expect(polls.map((p) => p.at - polls[0]!.at)).toEqual([0, 0, 5_000]);
    expect(polls.map((p) => decodeJwt(p.headers.dpop!).nonce)).toEqual([undefined, 'as-nonce-1', 'as-nonce-1']);
    expect(cli.state()).toBe('authenticated.ready');
  });

  test('RFC9449-4.2-nonce: only one nonce retry per request (a second use_dpop_nonce is an error)', async () => {
    const nonceError = (n: string) => ({ status: 400, json: { error: 'use_dpop_nonce' }, headers: { 'DPoP-Nonce': n } });
    const cli = await startCli({ knobs: { dpop: true } });
    cli.server.on('poll', nonceError('n1'), nonceError('n2'));
    await cli.send({ type: 'user.login' });
    await cli.advance(60_000);
    expect(cli.polls()).toHaveLength(2);
    expect(cli.state()).toBe('failed');
  });

  test('RFC9449-4.2-nonce: the API\'s 401 use_dpop_nonce is retried once with its nonce', async () => {
    const cli = await dpopLogin();
    cli.server.on('api', { status: 401, headers: { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': 'rs-nonce-1' } });
    await cli.send({ type: 'user.whoami' });
    const apis = cli.server.of('api');
    expect(apis.map((e) => [e.status, decodeJwt(e.headers.dpop!).nonce])).toEqual([[401, undefined], [200, 'rs-nonce-1']]);
    expect(cli.server.of('refresh')).toHaveLength(0);
  });

  test('RFC9449-7.3-fresh-proof: a retry after a network failure or a 5xx-style timeout carries a new jti', async () => {
    const cli = await dpopLogin([replies.networkError(), replies.pending(), dpopTokens()]);
    const jtis = cli.polls().map((p) => decodeJwt(p.headers.dpop!).jti);
    expect(jtis).toHaveLength(3);
    expect(new Set(jtis).size).toBe(3);
  });

  test('RFC9449-5-downgrade: with DPoP on, a Bearer token response is discarded → failed, no API call', async () => {
    const cli = await startCli({ knobs: { dpop: true } });
    cli.server.on('poll', replies.tokens());
    await cli.send({ type: 'user.login' });
    await cli.advance(10_000);
    expect(cli.state()).toBe('failed');
    expect(cli.output().at(-1)).toContain('"token_type" must be "DPoP" because a DPoP proof was sent');
    await cli.send({ type: 'user.whoami' });
    expect(cli.server.of('api')).toHaveLength(0);
    expect(cli.storage.log).toEqual([]);
  });

  test('dpop knob: off (default) sends no DPoP header anywhere and uses Bearer; on binds every request (F20)', async () => {
    const off = await startCli();
    off.server.on('poll', replies.tokens());
    await off.login();
    await off.send({ type: 'user.whoami' });
    expect(off.server.exchanges.filter((e) => e.headers.dpop)).toEqual([]);
    expect(off.server.of('api')[0]?.headers.authorization?.startsWith('Bearer ')).toBe(true);

    const on = await dpopLogin();
    await on.send({ type: 'user.whoami' });
    expect(on.server.exchanges.filter((e) => e.headers.dpop).map((e) => e.kind)).toEqual(['poll', 'poll', 'api']);
  });
});

test('RFC9449-5-token_type: with DPoP off, a DPoP token_type is refused at login (no key to use it with)', async () => {
  const cli = await startCli();
  cli.server.on('poll', dpopTokens());
  await cli.send({ type: 'user.login' });
  await cli.advance(10_000);
  expect(cli.state()).toBe('failed');
  expect(cli.storage.log).toEqual([]);
});
