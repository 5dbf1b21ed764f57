/**
 * Server-side conformance for RFC 8628 (OAuth 2.0 Device Authorization Grant): every S, UI and C+S row of
 * section A of /work/shared/spec/conformance.md, plus the documented IdP profile quirks. Each test name starts
 * with the checklist row ID. Time comes only from the fixture's virtual clock.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { expectOAuthError, json, type Json } from './kit.ts';
import { DEVICE_CODE_GRANT_TYPE } from '../../protocol/constants.ts';
import {
  BASE20_ALPHABET, BRUTE_FORCE_BOUND, CONFUSABLE_CHARACTERS, DIGITS_ALPHABET, USER_CODE_ALPHABETS, bruteForceProbability, formatUserCode,
  userCodeEntropyBits,
} from '../../protocol/userCode.ts';
import { RETURN_TO_DEVICE } from '../authServer/verification.ts';
import { DEFAULT_SERVER_KNOBS, IDP_PROFILES, assessServerKnobs, resolveServerKnobs, type ServerKnobs } from '../knobs.ts';
import { VirtualClock } from '../clock.ts';
import { createSimIdp } from '../idp.ts';
import { getProfile, profileGuesses } from '../profiles.ts';
import { defaultRegistry } from '../registry.ts';
import { CI_CLIENT, CI_SECRET, CLI, ISSUER, WEB_CLIENT, basic, createTestIdp, type DeviceAuthorization, type TestIdp } from '../testing/idpFixture.ts';


const BASE20_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;
const B64URL_256 = /^[A-Za-z0-9_-]{43}$/;

/** The fixture's deviceAuthorize without its 200 check, returning the raw response. */
function deviceRequest(t: TestIdp, params: Record<string, string | undefined>, headers: Record<string, string> = {}): Promise<Response> {
  return t.post('/device_authorization', params, headers);
}

function knobs(patch: Partial<ServerKnobs>): ServerKnobs {
  return resolveServerKnobs(patch);
}

function b64urlBytes(s: string): number {
  return Buffer.from(s, 'base64url').length;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('RFC 8628 §3.1 device authorization request', () => {
  test('RFC8628-3.1-empty-param: scope= behaves exactly like no scope, and client_id= like a missing client_id', async () => {
    const t = await createTestIdp();
    const withEmpty = await t.login({ params: { scope: '' } });
    const without = await t.login();
    expect(withEmpty.scope).toBe('profile projects:read');
    expect(without.scope).toBe(withEmpty.scope);

    const emptyId = await expectOAuthError(await deviceRequest(t, { client_id: '' }), 400, 'invalid_request');
    const missingId = await expectOAuthError(await deviceRequest(t, {}), 400, 'invalid_request');
    expect(emptyId).toEqual(missingId);
    expect(emptyId.error_description).toBe('client_id is required');
  });

  test('RFC8628-3.1-ignore-unknown: foo=bar leaves the response unchanged apart from fresh codes', async () => {
    const t = await createTestIdp();
    const plain = await t.deviceAuthorize({ scope: 'profile' });
    const extra = await t.deviceAuthorize({ scope: 'profile', foo: 'bar', acr_values: 'x', nonce: 'n' });
    expect(Object.keys(extra).sort()).toEqual(Object.keys(plain).sort());
    const stable = (d: DeviceAuthorization) => ({ verification_uri: d.verification_uri, expires_in: d.expires_in, interval: d.interval });
    expect(stable(extra)).toEqual(stable(plain));
    expect(extra.device_code).not.toBe(plain.device_code);
    expect(extra.user_code).not.toBe(plain.user_code);
    // The unknown parameter changed nothing about the grant either: the approved token carries just `profile`.
    await t.approve(extra.user_code);
    t.clock.advance(5000);
    const res = await t.poll(extra.device_code, { foo: 'bar' });
    expect(res.status).toBe(200);
    expect((await json(res)).scope).toBe('profile');
  });

  test('RFC8628-3.1-post-form: RFC-strict refuses a JSON body at the device and token endpoints (400 invalid_request); the GitHub-like profile accepts JSON at both, as github.com does for octokit', async () => {
    const asJson = (t: TestIdp, path: string, body: unknown) =>
      t.postRaw(path, JSON.stringify(body), { 'content-type': 'application/json; charset=utf-8', accept: 'application/json' });
    const rfc = await createTestIdp();
    const refused = await expectOAuthError(await asJson(rfc, '/device_authorization', { client_id: CLI }), 400, 'invalid_request');
    expect(refused.error_description).toBe('the body must be application/x-www-form-urlencoded, not application/json');
    const d = await rfc.deviceAuthorize();
    await expectOAuthError(await asJson(rfc, '/token', { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: d.device_code, client_id: CLI }), 400, 'invalid_request');
    expect(rfc.idp.as.state.deviceGrants.get(d.device_code)?.polls).toBe(0); // refused before it counted as a poll

    const gh = await createTestIdp({ profile: 'github' });
    const da = await asJson(gh, '/login/device/code', { client_id: CLI, scope: 'profile projects:read' });
    expect(da.status).toBe(200);
    const code = await json(da);
    expect(code.user_code).toMatch(BASE20_CODE);
    const pending = await json(await asJson(gh, '/login/oauth/access_token', { client_id: CLI, device_code: code.device_code, grant_type: DEVICE_CODE_GRANT_TYPE }));
    expect(pending.error).toBe('authorization_pending');
    await gh.approve(code.user_code as string);
    gh.clock.advance(5000);
    const tok = await json(await asJson(gh, '/login/oauth/access_token', { client_id: CLI, device_code: code.device_code, grant_type: DEVICE_CODE_GRANT_TYPE }));
    expect(tok).toMatchObject({ token_type: 'bearer', scope: 'profile,projects:read' });
    // Still POST-only and still a body the server can read: other types, broken JSON and nested values are invalid_request.
    const bad = async (body: string, type = 'application/json') =>
      (await json(await gh.postRaw('/login/device/code', body, { 'content-type': type, accept: 'application/json' }))).error;
    expect(await bad('client_id=acme-cli', 'text/plain')).toBe('invalid_request');
    expect(await bad('{"client_id":')).toBe('invalid_request');
    expect(await bad('["acme-cli"]')).toBe('invalid_request');
    expect(await bad('{"client_id":{"id":"acme-cli"}}')).toBe('invalid_request');
    // Form bodies keep working there too.
    expect((await gh.post('/login/device/code', { client_id: CLI }, { accept: 'application/json' })).status).toBe(200);
    expect(getProfile('rfc').requestBodyTypes).toEqual(['form']);
    expect(getProfile('github').requestBodyTypes).toEqual(['form', 'json']);
  });

  test('RFC8628-3.1-no-dup: a repeated parameter (with or without a value) is 400 invalid_request and no code is issued', async () => {
    const t = await createTestIdp();
    for (const body of [
      'client_id=acme-cli&scope=profile&scope=profile',
      'client_id=acme-cli&scope=&scope=profile',
      'client_id=acme-cli&client_id=acme-cli',
    ]) {
      const err = await expectOAuthError(await t.postRaw('/device_authorization', body), 400, 'invalid_request');
      expect(err.error_description).toMatch(/repeated/);
    }
    expect(t.idp.as.state.deviceGrants.size).toBe(0);
  });

  test('RFC8628-3.1-client-auth: a confidential client without credentials gets 401 invalid_client; with Basic it gets 200; a public client with client_id only gets 200', async () => {
    const t = await createTestIdp();
    const noCreds = await deviceRequest(t, { client_id: CI_CLIENT });
    expect(noCreds.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    await expectOAuthError(noCreds, 401, 'invalid_client');

    const wrong = await deviceRequest(t, { client_id: undefined }, { authorization: basic(CI_CLIENT, 'wrong-secret') });
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic /);
    await expectOAuthError(wrong, 401, 'invalid_client');

    const ok = await deviceRequest(t, { client_id: undefined }, { authorization: basic(CI_CLIENT, CI_SECRET) });
    expect(ok.status).toBe(200);
    const codes = await json(ok);
    expect(t.idp.as.state.deviceGrants.get(codes.device_code as string)?.clientId).toBe(CI_CLIENT);

    const pub = await deviceRequest(t, { client_id: CLI });
    expect(pub.status).toBe(200);
  });
});

describe('RFC 8628 §3.2 device authorization response', () => {
  test('RFC8628-3.2-200-json: success is HTTP 200 application/json; 1,000 parallel requests give no duplicate device_code or user_code', async () => {
    const t = await createTestIdp();
    const first = await deviceRequest(t, { client_id: CLI });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(typeof (await json(first)).device_code).toBe('string');

    const all = await Promise.all(Array.from({ length: 1000 }, () => t.deviceAuthorize()));
    expect(new Set(all.map((d) => d.device_code)).size).toBe(1000);
    expect(new Set(all.map((d) => d.user_code)).size).toBe(1000);
  });

  test('RFC8628-3.2-device_code: the response carries a non-empty string device_code that the token endpoint knows', async () => {
    const t = await createTestIdp();
    const d = await t.deviceAuthorize();
    expect(typeof d.device_code).toBe('string');
    expect(d.device_code.length).toBeGreaterThan(0);
    await expectOAuthError(await t.poll(d.device_code), 400, 'authorization_pending');
  });

  test('RFC8628-3.2-user_code: the response carries a non-empty string user_code that the verification page accepts', async () => {
    const t = await createTestIdp();
    const d = await t.deviceAuthorize();
    expect(typeof d.user_code).toBe('string');
    expect(d.user_code).toMatch(BASE20_CODE);
    const s = await t.signIn();
    const res = await t.enterCode(s, d.user_code);
    expect(res.status).toBe(200);
    expect((await json(res)).page).toBe('consent');
  });

  test('RFC8628-3.2-verification_uri: verification_uri is present, https and short (/device)', async () => {
    const t = await createTestIdp();
    const d = await t.deviceAuthorize();
    expect(d.verification_uri).toBe(`${ISSUER}/device`);
    const u = new URL(d.verification_uri);
    expect(u.protocol).toBe('https:');
    expect(u.pathname).toBe('/device');
    expect(u.search).toBe('');
    expect(d.verification_uri.length).toBeLessThanOrEqual(40);
    // It really is the page where the interaction starts.
    const page = await t.get(new URL(d.verification_uri).pathname);
    expect(page.status).toBe(200);
    expect((await json(page)).page).toBe('enter_code');
  });

  test('RFC8628-3.2-expires_in: expires_in is a positive integer equal to the configured lifetime of both codes, and both die at that moment', async () => {
    for (const lifetime of [600, 120]) {
      const t = await createTestIdp({ codeLifetimeS: lifetime });
      const d = await t.deviceAuthorize();
      expect(Number.isInteger(d.expires_in)).toBe(true);
      expect(d.expires_in).toBe(lifetime);
      t.clock.advance(lifetime * 1000);
      await expectOAuthError(await t.poll(d.device_code), 400, 'expired_token');
      const s = await t.signIn();
      const entered = await t.enterCode(s, d.user_code);
      expect(entered.status).toBe(400);
      expect((await json(entered)).error).toBe('expired_user_code');
    }
  });

  test('RFC8628-3.2-error: errors at the device endpoint use the RFC 6749 §5.2 JSON format (unknown client → invalid_client)', async () => {
    const t = await createTestIdp();
    const unknown = await deviceRequest(t, { client_id: 'no-such-client' });
    expect(unknown.headers.get('cache-control')).toBe('no-store');
    const body = await expectOAuthError(unknown, 400, 'invalid_client');
    expect(body).toEqual({ error: 'invalid_client', error_description: 'unknown client_id' });

    const badBasic = await deviceRequest(t, { client_id: undefined }, { authorization: basic('no-such-client', 'x') });
    await expectOAuthError(badBasic, 401, 'invalid_client');
    const web = await deviceRequest(t, { client_id: WEB_CLIENT });
    await expectOAuthError(web, 400, 'unauthorized_client');
  });

  test('RFC8628-3.2-verification_uri_complete: when on it equals verification_uri plus ?user_code=<code>; the knob turns it off', async () => {
    const on = await createTestIdp();
    const d = await on.deviceAuthorize();
    expect(d.verification_uri_complete).toBe(`${d.verification_uri}?user_code=${encodeURIComponent(d.user_code)}`);
    expect(new URL(d.verification_uri_complete!).searchParams.get('user_code')).toBe(d.user_code);

    const off = await createTestIdp({ verificationUriComplete: false });
    const d2 = await off.deviceAuthorize();
    expect('verification_uri_complete' in d2).toBe(false);
    expect(d2.verification_uri).toBe(`${ISSUER}/device`);
  });

  test('RFC8628-3.2-interval: interval is sent by default (5); with the "omit interval" knob it is absent and the server enforces the 5 s default', async () => {
    const t = await createTestIdp();
    expect((await t.deviceAuthorize()).interval).toBe(5);

    const o = await createTestIdp({ intervalS: null });
    const d = await o.deviceAuthorize();
    expect('interval' in d).toBe(false);
    await expectOAuthError(await o.poll(d.device_code), 400, 'authorization_pending');
    o.clock.advance(5000);
    await expectOAuthError(await o.poll(d.device_code), 400, 'authorization_pending');
    o.clock.advance(4000);
    await expectOAuthError(await o.poll(d.device_code), 400, 'slow_down');

    const ten = await createTestIdp({ intervalS: 10 });
    const d10 = await ten.deviceAuthorize();
    expect(d10.interval).toBe(10);
    await ten.poll(d10.device_code);
    ten.clock.advance(6000);
    await expectOAuthError(await ten.poll(d10.device_code), 400, 'slow_down');
  });
});

describe('RFC 8628 §3.3 / §3.3.1 user interaction (verification JSON API)', () => {
  test('RFC8628-3.3-tls-login: the verification URI is https and code entry and approval need a signed-in session', async () => {
    const t = await createTestIdp();
    const d = await t.deviceAuthorize();
    expect(new URL(d.verification_uri).protocol).toBe('https:');
    expect(new URL(d.verification_uri_complete!).protocol).toBe('https:');

    const noSession = await t.post('/device/enter', { user_code: d.user_code });
    expect(noSession.status).toBe(401);
    expect((await json(noSession)).error).toBe('login_required');
    const forged = await t.enterCode('not-a-session', d.user_code);
    expect(forged.status).toBe(401);
    const decideAnon = await t.post('/device/decision', { user_code: d.user_code, decision: 'approve' });
    expect(decideAnon.status).toBe(401);
    expect((await json(decideAnon)).error).toBe('login_required');
    const unknownUser = await t.post('/device/signin', { user: 'nobody' });
    expect(unknownUser.status).toBe(400);

    t.clock.advance(5000);
    await expectOAuthError(await t.poll(d.device_code), 400, 'authorization_pending');
    const landing = await json(await t.get('/device'));
    expect(landing).toEqual({ page: 'enter_code', signed_in: null });
  });

  test('RFC8628-3.3-interaction-sequence: the interaction starts at verification_uri with code entry; approval is impossible without supplying a valid user_code', async () => {
    const t = await createTestIdp();
    const d = await t.deviceAuthorize();
    const s = await t.signIn('alice');
    const landing = await json(await t.get('/device', { 'x-session': s }));
    expect(landing).toEqual({ page: 'enter_code', signed_in: { id: 'alice' } });

    // Deciding without having entered the code in this session is refused.
    const early = await t.decide(s, d.user_code, 'approve');
    expect(early.status).toBe(400);
    expect(t.idp.as.state.byUserCode.get(d.user_code.replace('-', ''))?.status).toBe('pending');
    // A wrong code leads nowhere.
    const wrong = await t.enterCode(s, 'BBBB-BBBB');
    expect(wrong.status).toBe(400);
    expect((await json(wrong)).error).toBe('invalid_user_code');
    const wrongDecision = await t.decide(s, 'BBBB-BBBB', 'approve');
    expect(wrongDecision.status).toBe(400);
    t.clock.advance(5000);
    await expectOAuthError(await t.poll(d.device_code), 400, 'authorization_pending');

    const consent = await t.enterCode(s, d.user_code);
    expect((await json(consent)).page).toBe('consent');
    const approved = await t.decide(s, d.user_code, 'approve');
    expect(approved.status).toBe(200);
    t.clock.advance(5000);
    expect((await t.poll(d.device_code)).status).toBe(200);
  });

  test('RFC8628-3.3-no-code-in-uri: verification_uri never contains the user_code; only verification_uri_complete does', async () => {
    const t = await createTestIdp();
    for (let i = 0; i < 50; i++) {
      const d = await t.deviceAuthorize();
      const bare = d.user_code.replace('-', '');
      expect(d.verification_uri).not.toContain(d.user_code);
      expect(d.verification_uri).not.toContain(bare);
      expect(d.verification_uri).not.toContain('user_code');
      expect(d.verification_uri_complete).toContain(d.user_code);
    }
  });

  test('RFC8628-3.3.1-confirm-code: opening verification_uri_complete shows the code to match and decides nothing; only the one-click misconfiguration approves', async () => {
    const t = await createTestIdp();
    const d = await t.deviceAuthorize();
    const s = await t.signIn('alice');
    const deep = new URL(d.verification_uri_complete!);
    const page = await t.get(`${deep.pathname}${deep.search}`, { 'x-session': s });
    expect(page.status).toBe(200);
    const view = await json(page);
    expect(view.page).toBe('confirm_code');
    expect(view.user_code).toBe(d.user_code);
    expect(view.message).toMatch(/matches the one shown on your device/);
    // Opening it twice, or anonymously, still approves nothing.
    await t.get(`${deep.pathname}${deep.search}`, { 'x-session': s });
    await t.get(`${deep.pathname}${deep.search}`);
    t.clock.advance(5000);
    await expectOAuthError(await t.poll(d.device_code), 400, 'authorization_pending');
    // The user still chooses: enter (confirm) the code and deny.
    await t.enterCode(s, d.user_code);
    expect((await t.decide(s, d.user_code, 'deny')).status).toBe(200);
    t.clock.advance(5000);
    await expectOAuthError(await t.poll(d.device_code), 400, 'access_denied');

    // Misconfigured: one-click approval on GET (flagged as a risk).
    const bad = await createTestIdp({ verificationCompleteMode: 'one-click' });
    expect(assessServerKnobs(knobs({ verificationCompleteMode: 'one-click' })).map((f) => f.knob)).toContain('verificationCompleteMode');
    expect(assessServerKnobs(DEFAULT_SERVER_KNOBS).map((f) => f.knob)).not.toContain('verificationCompleteMode');
    const d2 = await bad.deviceAuthorize();
    const s2 = await bad.signIn('alice');
    const u2 = new URL(d2.verification_uri_complete!);
    expect((await json(await bad.get(`${u2.pathname}${u2.search}`, { 'x-session': s2 }))).page).toBe('approved');
    bad.clock.advance(5000);
    expect((await bad.poll(d2.device_code)).status).toBe(200);
  });

  test('RFC8628-3.3-inform-approve-deny: consent names the client and the scopes with approve and deny; both outcomes tell the user to return to the device', async () => {
    const t = await createTestIdp();
    const d = await t.deviceAuthorize({ scope: 'profile projects:read' });
    const s = await t.signIn();
    const consent = await json(await t.enterCode(s, d.user_code));
    expect(consent.client).toEqual({ id: CLI, name: 'Acme CLI' });
    expect(consent.scopes).toEqual([
      { name: 'profile', description: 'See your name and e-mail address' },
      { name: 'projects:read', description: 'Read your projects' },
    ]);
    const approved = await json(await t.decide(s, d.user_code, 'approve'));
    expect(approved).toEqual({ page: 'approved', granted_scope: 'profile projects:read', message: RETURN_TO_DEVICE });
    expect(RETURN_TO_DEVICE).toMatch(/return to your device/);

    const d2 = await t.deviceAuthorize();
    await t.enterCode(s, d2.user_code);
    const denied = await json(await t.decide(s, d2.user_code, 'deny'));
    expect(denied).toEqual({ page: 'denied', message: RETURN_TO_DEVICE });
  });
});

describe('RFC 8628 §3.5 device access token response', () => {
  test('RFC8628-3.5-success: before approval a poll gets 400 authorization_pending; after approval the next poll gets 200 with the RFC 6749 §5.1 token JSON', async () => {
    const t = await createTestIdp();
    const d = await t.deviceAuthorize();
    t.clock.advance(5000);
    const pending = await t.poll(d.device_code);
    expect(await expectOAuthError(pending, 400, 'authorization_pending')).toEqual({
      error: 'authorization_pending', error_description: 'the user has not finished yet',
    });
    await t.approve(d.user_code, { user: 'bob' });
    t.clock.advance(5000);
    const res = await t.poll(d.device_code);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const tok = await json(res);
    expect(Object.keys(tok).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);
    expect(tok.token_type).toBe('Bearer');
    expect(tok.expires_in).toBe(900);
    expect(tok.scope).toBe('profile projects:read');
    expect(t.idp.as.introspect(tok.access_token as string)).toMatchObject({ active: true, sub: 'bob', client_id: CLI });
  });

  test('RFC8628-3.5-as-slowdown: a poll 1 s after the last accepted one gets slow_down; a client that then waits interval+5 gets authorization_pending and keeps getting it', async () => {
    const t = await createTestIdp();
    const d = await t.deviceAuthorize();
    t.clock.advance(5000);
    await expectOAuthError(await t.poll(d.device_code), 400, 'authorization_pending');
    t.clock.advance(1000);
    const slow = await expectOAuthError(await t.poll(d.device_code), 400, 'slow_down');
    expect(slow.error_description).toBe('polling too fast; wait at least 10 seconds between polls');
    for (let i = 0; i < 10; i++) {
      t.clock.advance(10_000);
      await expectOAuthError(await t.poll(d.device_code), 400, 'authorization_pending');
    }
    await t.approve(d.user_code);
    t.clock.advance(10_000);
    expect((await t.poll(d.device_code)).status).toBe(200);
  });

  test('RFC8628-3.5-as-slowdown: the interval is measured from the last accepted poll, so a rejected early poll does not move the baseline (H2CK/oidc#716 pitfall)', async () => {
    const t = await createTestIdp();
    const d = await t.deviceAuthorize();
    await t.poll(d.device_code); // accepted at T
    t.clock.advance(1000);
    await expectOAuthError(await t.poll(d.device_code), 400, 'slow_down'); // T+1, interval now 10
    t.clock.advance(9000); // T+10: 10 s after the accepted poll, only 9 s after the rejected one
    await expectOAuthError(await t.poll(d.device_code), 400, 'authorization_pending');
  });

  test('RFC8628-3.5-as-slowdown: every slow_down adds 5 s for that device code from then on (cumulative, never shrinking), and other codes keep their own interval', async () => {
    const t = await createTestIdp();
    const a = await t.deviceAuthorize();
    const b = await t.deviceAuthorize();
    await t.poll(a.device_code);
    await t.poll(b.device_code);
    t.clock.advance(1000);
    await expectOAuthError(await t.poll(a.device_code), 400, 'slow_down'); // 10
    t.clock.advance(1000);
    await expectOAuthError(await t.poll(a.device_code), 400, 'slow_down'); // 15
    expect(t.idp.as.state.deviceGrants.get(a.device_code)?.intervalS).toBe(15);
    t.clock.advance(13_000); // 15 s after the accepted poll
    await expectOAuthError(await t.poll(a.device_code), 400, 'authorization_pending');
    t.clock.advance(14_000);
    await expectOAuthError(await t.poll(a.device_code), 400, 'slow_down'); // 20 from now on
    t.clock.advance(6000); // 20 s after the accepted poll
    await expectOAuthError(await t.poll(a.device_code), 400, 'authorization_pending');
    t.clock.advance(15_000);
    await expectOAuthError(await t.poll(a.device_code), 400, 'slow_down'); // 15 s is no longer enough
    expect(t.idp.as.state.deviceGrants.get(a.device_code)?.intervalS).toBe(25);
    // Code b was never too fast: 5 s still suffices for it.
    expect(t.idp.as.state.deviceGrants.get(b.device_code)?.intervalS).toBe(5);
    await expectOAuthError(await t.poll(b.device_code), 400, 'authorization_pending');
  });

  test('RFC8628-3.5-as-slowdown: a compliant fixed-cadence client (30 polls exactly at the interval) never sees slow_down; 200 ms of jitter is tolerated, 300 ms is not', async () => {
    const t = await createTestIdp();
    const d = await t.deviceAuthorize();
    for (let i = 0; i < 30; i++) {
      t.clock.advance(5000);
      await expectOAuthError(await t.poll(d.device_code), 400, 'authorization_pending');
    }
    t.clock.advance(4800);
    await expectOAuthError(await t.poll(d.device_code), 400, 'authorization_pending');
    t.clock.advance(4700);
    await expectOAuthError(await t.poll(d.device_code), 400, 'slow_down');

    const strict = await createTestIdp({ pollLeewayMs: 0 });
    const s = await strict.deviceAuthorize();
    await strict.poll(s.device_code);
    strict.clock.advance(4800);
    await expectOAuthError(await strict.poll(s.device_code), 400, 'slow_down');
  });

  test('RFC8628-3.5-as-slowdown: property: a poller that keeps §3.5 (interval, +5 s per slow_down, counted between its own polls, network jitter within the leeway) only ever hears the slow_downs forced on it; one poll sooner than that rule is answered slow_down', async () => {
    const leewayMs = DEFAULT_SERVER_KNOBS.pollLeewayMs;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.record({ extraMs: fc.integer({ min: 0, max: 4000 }), jitterMs: fc.integer({ min: -leewayMs, max: 0 }), force: fc.boolean() }), { minLength: 1, maxLength: 25 }),
        async (intervalS, steps) => {
          const t = await createTestIdp({ intervalS, codeLifetimeS: 3600 }, { enableControl: true });
          const d = await t.deviceAuthorize();
          let owed = intervalS; // what RFC 8628 §3.5 obliges the client to wait now
          let forced = 0;
          let heard = 0;
          await t.poll(d.device_code);
          for (const step of steps) {
            if (step.force) {
              forced++;
              t.idp.as.state.deviceGrants.get(d.device_code)!.forcedSlowDowns++;
            }
            t.clock.advance(owed * 1000 + step.extraMs + step.jitterMs);
            const body = await json(await t.poll(d.device_code));
            if (body.error === 'slow_down') {
              heard++;
              owed += 5;
            } else {
              expect(body.error).toBe('authorization_pending');
            }
          }
          expect(heard).toBe(forced);
          // The other side: one poll a second short of the rule is refused.
          t.clock.advance(owed * 1000 - 1000);
          expect((await json(await t.poll(d.device_code))).error).toBe('slow_down');
        },
      ),
      { numRuns: 60 },
    );
  });

  test('RFC8628-3.5-as-slowdown, RFC7009-5-dos: a device-code poll over the token endpoint\'s rate limit is answered slow_down (with Retry-After), never temporarily_unavailable, and raises that code\'s interval like any slow_down', async () => {
    const t = await createTestIdp({ rateLimitPerMinute: 3 });
    const d = await t.deviceAuthorize();
    await expectOAuthError(await t.poll(d.device_code), 400, 'authorization_pending');
    t.clock.advance(5000);
    await expectOAuthError(await t.poll(d.device_code), 400, 'authorization_pending');
    t.clock.advance(5000);
    await expectOAuthError(await t.poll(d.device_code), 400, 'authorization_pending');
    t.clock.advance(10_000); // a polite 10 s gap, but this client and address are out of budget
    const limited = await t.poll(d.device_code);
    const body = await expectOAuthError(limited, 400, 'slow_down');
    expect(body.error_description).toBe('too many requests from this client; wait at least 10 seconds between polls');
    expect(Number(limited.headers.get('retry-after'))).toBe(40);
    expect(t.idp.as.state.deviceGrants.get(d.device_code)).toMatchObject({ intervalS: 10, slowDowns: 1 });
    // GitHub-like: the same refusal is a 200 slow_down with the new interval.
    const gh = await createTestIdp({ profile: 'github', rateLimitPerMinute: 1 });
    const g = await gh.deviceAuthorize({}, { accept: 'application/json' });
    await gh.poll(g.device_code, {}, { accept: 'application/json' });
    gh.clock.advance(5000);
    const ghLimited = await gh.poll(g.device_code, {}, { accept: 'application/json' });
    expect(ghLimited.status).toBe(200);
    expect(await json(ghLimited)).toMatchObject({ error: 'slow_down', interval: 10 });
  });

  test('RFC8628-3.5-as-slowdown: with enforcement switched off (misconfiguration, flagged) polls 1 s apart get authorization_pending', async () => {
    const off = knobs({ slowDownEnforcement: false });
    expect(assessServerKnobs(off).map((f) => f.knob)).toContain('slowDownEnforcement');
    expect(assessServerKnobs(DEFAULT_SERVER_KNOBS).map((f) => f.knob)).not.toContain('slowDownEnforcement');
    const t = await createTestIdp({ slowDownEnforcement: false });
    const d = await t.deviceAuthorize();
    for (let i = 0; i < 5; i++) {
      await expectOAuthError(await t.poll(d.device_code), 400, 'authorization_pending');
      t.clock.advance(1000);
    }
  });

  test('RFC8628-3.5-access_denied: after Deny in the UI the next poll gets 400 access_denied, and the code can never yield tokens', async () => {
    const t = await createTestIdp();
    const d = await t.deviceAuthorize();
    await t.deny(d.user_code);
    t.clock.advance(5000);
    await expectOAuthError(await t.poll(d.device_code), 400, 'access_denied');
    t.clock.advance(5000);
    await expectOAuthError(await t.poll(d.device_code), 400, 'access_denied');
    const s = await t.signIn();
    const again = await t.decide(s, d.user_code, 'approve');
    expect(again.status).toBe(400);
    expect((await json(again)).error).toBe('user_code_already_used');
    t.clock.advance(5000);
    await expectOAuthError(await t.poll(d.device_code), 400, 'access_denied');
    expect(t.idp.as.state.accessTokens.size).toBe(0);
  });

  test('RFC8628-3.5-expired_token: a poll at or after expires_in gets 400 expired_token, approved or not; 1 ms before, it is still pending', async () => {
    const t = await createTestIdp();
    const pending = await t.deviceAuthorize();
    const approved = await t.deviceAuthorize();
    await t.approve(approved.user_code);
    t.clock.advance(600_000 - 1);
    await expectOAuthError(await t.poll(pending.device_code), 400, 'authorization_pending');
    t.clock.advance(1);
    const body = await expectOAuthError(await t.poll(pending.device_code), 400, 'expired_token');
    expect(body.error_description).toMatch(/expired/);
    await expectOAuthError(await t.poll(approved.device_code), 400, 'expired_token');
    t.clock.advance(3_600_000);
    await expectOAuthError(await t.poll(approved.device_code), 400, 'expired_token');
    expect(t.idp.as.state.accessTokens.size).toBe(0);
  });
});

describe('RFC 8628 §4 discovery metadata', () => {
  test('RFC8628-4-metadata: /.well-known/oauth-authorization-server lists the device_code grant URN and device_authorization_endpoint, which works', async () => {
    const t = await createTestIdp();
    const res = await t.get('/.well-known/oauth-authorization-server');
    expect(res.status).toBe(200);
    const md = await json(res);
    expect(md.issuer).toBe(ISSUER);
    expect(md.grant_types_supported).toContain(DEVICE_CODE_GRANT_TYPE);
    expect(md.device_authorization_endpoint).toBe(`${ISSUER}/device_authorization`);
    const viaMetadata = await t.post(md.device_authorization_endpoint as string, { client_id: CLI });
    expect(viaMetadata.status).toBe(200);
    const post = await t.post('/.well-known/oauth-authorization-server', {});
    expect(post.status).toBe(405);
  });
  test('RFC8628-4-metadata: /.well-known/openid-configuration (OpenID Connect Discovery §4) serves the same document as the RFC 8414 path, with the same issuer and device endpoint, GET only', async () => {
    const t = await createTestIdp();
    const oauth = await json(await t.get('/.well-known/oauth-authorization-server'));
    const res = await t.get('/.well-known/openid-configuration');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const oidc = await json(res);
    expect(oidc).toEqual(oauth);
    expect(oidc.issuer).toBe(ISSUER);
    expect(oidc.device_authorization_endpoint).toBe(`${ISSUER}/device_authorization`);
    // It promises nothing an OpenID Provider would and this server cannot: it issues no ID tokens.
    expect(oidc).not.toHaveProperty('id_token_signing_alg_values_supported');
    expect((await t.post('/.well-known/openid-configuration', {})).status).toBe(405);
    // With a path in the issuer, OpenID appends the well-known segment (RFC 8414 inserts it before the path).
    const tenant = await createSimIdp({ clock: new VirtualClock(), issuer: `${ISSUER}/tenant-a` });
    const appended = await tenant.handle(new Request(`${ISSUER}/tenant-a/.well-known/openid-configuration`));
    expect(appended.status).toBe(200);
    expect((await json(appended)).issuer).toBe(`${ISSUER}/tenant-a`);
    expect((await tenant.handle(new Request(`${ISSUER}/.well-known/openid-configuration/tenant-a`))).status).toBe(404);
  });
});

describe('RFC 8628 §5 security considerations', () => {
  test('RFC8628-5.1-rate-limit: five wrong user codes lock the session out (429 too_many_attempts, even for the right code) until the window passes; the limit is a knob', async () => {
    const t = await createTestIdp();
    const d = await t.deviceAuthorize();
    const s = await t.signIn('mallory');
    const left: unknown[] = [];
    for (const guess of ['BBBB-BBBB', 'CCCC-CCCC', 'DDDD-DDDD', 'FFFF-FFFF', 'GGGG-GGGG']) {
      const r = await t.enterCode(s, guess);
      expect(r.status).toBe(400);
      left.push((await json(r)).attempts_left);
    }
    expect(left).toEqual([4, 3, 2, 1, 0]);
    const locked = await t.enterCode(s, d.user_code);
    expect(locked.status).toBe(429);
    expect(await json(locked)).toMatchObject({ error: 'too_many_attempts', attempts_left: 0 });
    expect(t.idp.as.audit.ofType('user_code.locked_out')).toHaveLength(1);
    expect(t.idp.as.state.byUserCode.get(d.user_code.replace('-', ''))?.boundSessionId).toBeUndefined();

    // Signing in again from the same address does not buy more guesses (the limit is per session and per address).
    const again = await t.signIn('mallory');
    expect((await t.enterCode(again, d.user_code)).status).toBe(429);
    // Someone else, elsewhere, is not locked out by Mallory's guessing.
    expect((await t.enterCode(await t.signIn('alice'), d.user_code)).status).toBe(200);

    // The window is the code lifetime: afterwards this session may try again (a fresh code).
    t.clock.advance(600_001);
    const d2 = await t.deviceAuthorize();
    expect((await t.enterCode(s, d2.user_code)).status).toBe(200);

    // Misconfigured: no limit.
    const open = await createTestIdp({ userCodeAttemptLimit: 0 });
    const d3 = await open.deviceAuthorize();
    const s3 = await open.signIn('mallory');
    for (let i = 0; i < 20; i++) expect((await open.enterCode(s3, 'BBBB-BBBB')).status).toBe(400);
    expect((await open.enterCode(s3, d3.user_code)).status).toBe(200);
  });

  test('RFC8628-5.1-entropy: attempts_per_lifetime / 20^8 <= 2^-32 holds for the defaults (base-20 x 8, 5 attempts) and weaker settings are flagged', () => {
    expect(DEFAULT_SERVER_KNOBS.userCodeAlphabet).toBe('base20');
    expect(DEFAULT_SERVER_KNOBS.userCodeLength).toBe(8);
    expect(DEFAULT_SERVER_KNOBS.userCodeAttemptLimit).toBe(5);
    expect(BRUTE_FORCE_BOUND).toBe(2 ** -32);
    expect(bruteForceProbability(BASE20_ALPHABET, 8, 5)).toBeLessThanOrEqual(2 ** -32);
    expect(bruteForceProbability(BASE20_ALPHABET, 8, 6)).toBeGreaterThan(2 ** -32);
    const flagged = (patch: Partial<ServerKnobs>) => assessServerKnobs(knobs(patch)).some((f) => f.knob === 'userCodeAttemptLimit');
    expect(flagged({})).toBe(false);
    expect(flagged({ userCodeAttemptLimit: 6 })).toBe(true);
    expect(flagged({ userCodeAttemptLimit: 0 })).toBe(true);
    expect(flagged({ userCodeLength: 6 })).toBe(true);
    expect(flagged({ userCodeAlphabet: 'digits' })).toBe(true);
  });

  test('RFC8628-5.2-device-code-entropy: device_code is 32 CSPRNG bytes (256 bits) in base64url, from crypto.getRandomValues and never Math.random', async () => {
    const t = await createTestIdp();
    const getRandomValues = vi.spyOn(globalThis.crypto, 'getRandomValues');
    const mathRandom = vi.spyOn(Math, 'random');
    const codes = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const d = await t.deviceAuthorize();
      expect(d.device_code).toMatch(B64URL_256);
      expect(b64urlBytes(d.device_code)).toBe(32);
      codes.add(d.device_code);
    }
    expect(codes.size).toBe(200);
    expect(getRandomValues.mock.calls.some(([arr]) => (arr as Uint8Array).byteLength === 32)).toBe(true);
    expect(mathRandom).not.toHaveBeenCalled();
  });

  test('RFC8628-5.3-device-trust: consent describes the requesting device (captured at the device request), not the approving browser; the audit keeps both apart', async () => {
    const t = await createTestIdp();
    const req = new Request(`${ISSUER}/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'curl/8.9 (ci-runner-7)' },
      body: `client_id=${CLI}`,
    });
    const d = (await json(await t.idp.handle(req, { remoteAddress: '203.0.113.66' }))) as unknown as DeviceAuthorization;
    const s = await t.signIn('alice'); // alice's browser: 198.51.100.23, Firefox
    const consent = await json(await t.enterCode(s, d.user_code));
    expect(consent.device).toEqual({ ip: '203.0.113.66', user_agent: 'curl/8.9 (ci-runner-7)' });
    await t.decide(s, d.user_code, 'approve');
    const ev = t.idp.as.audit.ofType('grant.approved').at(-1);
    expect(ev?.from).toEqual({ ip: '198.51.100.23', userAgent: 'Mozilla/5.0 (Macintosh) Firefox/142.0' });
    expect(ev?.device).toMatchObject({ ip: '203.0.113.66', userAgent: 'curl/8.9 (ci-runner-7)' });
  });

  test('RFC8628-5.4-inform-device: consent warns that a device is being signed in and to continue only if the user started it; the minimal-consent misconfiguration drops it', async () => {
    const t = await createTestIdp();
    const d = await t.deviceAuthorize();
    const s = await t.signIn();
    const consent = await json(await t.enterCode(s, d.user_code));
    expect(consent.detail).toBe('full');
    expect(consent.warning).toBe('You are signing in a command-line tool on another device. Continue only if you started this yourself, just now.');

    const bad = await createTestIdp({ consentDetail: 'minimal' });
    const d2 = await bad.deviceAuthorize();
    const s2 = await bad.signIn();
    const minimal = await json(await bad.enterCode(s2, d2.user_code));
    expect(minimal.detail).toBe('minimal');
    expect(minimal).not.toHaveProperty('warning');
    expect(minimal).not.toHaveProperty('device');
  });

  test('RFC8628-5.4-device-info: consent shows the client name and the IP, user agent and time of the device authorization request', async () => {
    const t = await createTestIdp();
    t.clock.advance(42_000);
    const requestedAt = t.clock.now();
    const req = new Request(`${ISSUER}/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'acme-cli/2.3.0 (linux; x86_64)' },
      body: `client_id=${CLI}`,
    });
    const d = (await json(await t.idp.handle(req, { remoteAddress: '192.0.2.44' }))) as unknown as DeviceAuthorization;
    t.clock.advance(30_000);
    const s = await t.signIn('alice');
    const consent = await json(await t.enterCode(s, d.user_code));
    expect(consent.client).toEqual({ id: CLI, name: 'Acme CLI' });
    expect(consent.device).toEqual({ ip: '192.0.2.44', user_agent: 'acme-cli/2.3.0 (linux; x86_64)' });
    expect(consent.requested_at).toBe(requestedAt);
  });

  test('RFC8628-5.4-complete-confirm: a phishing verification_uri_complete opened by the victim shows a code-match prompt and approves nothing', async () => {
    const t = await createTestIdp();
    const attacker = await t.deviceAuthorize(); // mallory's device asks; the link goes out in an e-mail
    const victim = await t.signIn('alice');
    const link = new URL(attacker.verification_uri_complete!);
    const view = await json(await t.get(`${link.pathname}${link.search}`, { 'x-session': victim }));
    expect(view).toMatchObject({ page: 'confirm_code', user_code: attacker.user_code, signed_in: { id: 'alice' } });
    t.clock.advance(5000);
    await expectOAuthError(await t.poll(attacker.device_code), 400, 'authorization_pending');
    expect(t.idp.as.audit.ofType('grant.approved')).toHaveLength(0);
  });

  test('RFC8628-5.4-lifetime: expires_in is configurable (default 600 s, within 600-900); an old phishing link fails as expired', async () => {
    expect(DEFAULT_SERVER_KNOBS.codeLifetimeS).toBeGreaterThanOrEqual(600);
    expect(DEFAULT_SERVER_KNOBS.codeLifetimeS).toBeLessThanOrEqual(900);
    const t = await createTestIdp();
    const d = await t.deviceAuthorize();
    expect(d.expires_in).toBe(600);
    t.clock.advance(601_000);
    const s = await t.signIn();
    const r = await t.enterCode(s, d.user_code);
    expect(r.status).toBe(400);
    expect(await json(r)).toMatchObject({ error: 'expired_user_code', message: 'That code has expired. Start again on your device.' });
    const short = await createTestIdp({ codeLifetimeS: 300 });
    expect((await short.deviceAuthorize()).expires_in).toBe(300);
  });

  test('RFC8628-5.6-public-client: the CLI is registered as a public client (auth method none, no secret); a secret sent with it is refused, not rewarded', async () => {
    const cli = defaultRegistry().clients.find((c) => c.clientId === CLI);
    expect(cli?.tokenEndpointAuthMethod).toBe('none');
    expect(cli?.clientSecret).toBeUndefined();
    const t = await createTestIdp();
    const md = await json(await t.get('/.well-known/oauth-authorization-server'));
    expect(md.token_endpoint_auth_methods_supported).toContain('none');
    const withSecret = await deviceRequest(t, { client_id: CLI, client_secret: CI_SECRET });
    await expectOAuthError(withSecret, 401, 'invalid_client');
    const d = await t.deviceAuthorize();
    await t.approve(d.user_code);
    t.clock.advance(5000);
    await expectOAuthError(await t.poll(d.device_code, { client_secret: 'extracted-from-binary' }), 401, 'invalid_client');
    expect((await t.poll(d.device_code)).status).toBe(200);
  });
});

describe('RFC 8628 §6 usability', () => {
  test('RFC8628-6.1-charset: user codes match ^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$ and use every letter of the base-20 alphabet', async () => {
    const t = await createTestIdp();
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const d = await t.deviceAuthorize();
      expect(d.user_code).toMatch(BASE20_CODE);
      for (const ch of d.user_code.replace('-', '')) seen.add(ch);
    }
    expect([...seen].sort().join('')).toBe(BASE20_ALPHABET);
  });

  test('RFC8628-6.1-example: the default has 8 significant base-20 characters (8 x log2 20 = 34.6 bits); numeric codes are shown as 019-450-730 (10^9)', async () => {
    expect(userCodeEntropyBits(BASE20_ALPHABET, 8)).toBeCloseTo(34.58, 2);
    expect(userCodeEntropyBits(DIGITS_ALPHABET, 9)).toBeCloseTo(Math.log2(1e9), 6);
    expect(formatUserCode('WDJBMJHT', BASE20_ALPHABET)).toBe('WDJB-MJHT');
    expect(formatUserCode('019450730', DIGITS_ALPHABET)).toBe('019-450-730');
    const t = await createTestIdp({ userCodeAlphabet: 'digits', userCodeLength: 9 });
    expect((await t.deviceAuthorize()).user_code).toMatch(/^\d{3}-\d{3}-\d{3}$/);
  });

  test('RFC8628-6.1-normalize: "wdjb mjht", "WDJB-MJHT" and "wdjbmjht" (and stray out-of-alphabet characters) resolve to the same pending code', async () => {
    const t = await createTestIdp();
    const d = await t.deviceAuthorize();
    const bare = d.user_code.replace('-', '');
    const s = await t.signIn();
    const variants = [
      `${bare.slice(0, 4).toLowerCase()} ${bare.slice(4).toLowerCase()}`,
      d.user_code,
      bare.toLowerCase(),
      ` ${bare.slice(0, 4)}_${bare.slice(4)}. `,
      `${bare.slice(0, 4)}–${bare.slice(4).toLowerCase()}`,
    ];
    for (const v of variants) {
      const r = await t.enterCode(s, v);
      expect(r.status).toBe(200);
      expect(await json(r)).toMatchObject({ page: 'consent', user_code: d.user_code });
    }
    const r = await t.decide(s, bare.toLowerCase(), 'approve');
    expect(r.status).toBe(200);
    t.clock.advance(5000);
    expect((await t.poll(d.device_code)).status).toBe(200);
  });

  test('RFC8628-6.1-confusable: the configured (default) alphabet has none of 0 O 1 l I, and no generated code contains them', async () => {
    const alphabet = USER_CODE_ALPHABETS[DEFAULT_SERVER_KNOBS.userCodeAlphabet];
    expect(alphabet).toBe(BASE20_ALPHABET);
    for (const c of CONFUSABLE_CHARACTERS) expect(alphabet).not.toContain(c);
    const t = await createTestIdp();
    for (let i = 0; i < 200; i++) {
      const code = (await t.deviceAuthorize()).user_code;
      expect(code).not.toMatch(/[0O1lI]/);
    }
  });

  test('RFC8628-6.1-substitute: in numeric-code mode O is accepted as 0 and I/l as 1', async () => {
    const t = await createTestIdp({ userCodeAlphabet: 'digits', userCodeLength: 9 });
    let d = await t.deviceAuthorize();
    while (!/[01]/.test(d.user_code)) d = await t.deviceAuthorize();
    const typed = d.user_code.replace(/0/g, 'O').replace(/1/g, (_m, i: number) => (i % 2 ? 'l' : 'I'));
    expect(typed).not.toBe(d.user_code);
    const s = await t.signIn();
    const r = await t.enterCode(s, typed);
    expect(r.status).toBe(200);
    expect(await json(r)).toMatchObject({ page: 'consent', user_code: d.user_code });
  });
});

describe('IdP profiles', () => {
  test('RFC6749-5.1-token_type: the GitHub-like profile sends lowercase "bearer" (token_type is case-insensitive); RFC-strict sends "Bearer"', async () => {
    const gh = await createTestIdp({ profile: 'github' });
    const d = await gh.deviceAuthorize({}, { accept: 'application/json' });
    await gh.approve(d.user_code);
    gh.clock.advance(5000);
    const res = await gh.poll(d.device_code, {}, { accept: 'application/json' });
    expect(res.status).toBe(200);
    const tok = await json(res);
    expect(tok.token_type).toBe('bearer');
    expect(String(tok.token_type).toLowerCase()).toBe('bearer');
    const rfc = await createTestIdp();
    expect((await rfc.login()).token_type).toBe('Bearer');
  });

  test('GitHub-like: errors come back with HTTP 200 and error in the body, form-urlencoded unless Accept: application/json', async () => {
    const gh = await createTestIdp({ profile: 'github' });
    const da = await deviceRequest(gh, { client_id: CLI });
    expect(da.status).toBe(200);
    expect(da.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(await da.text());
    const deviceCode = form.get('device_code')!;
    expect(deviceCode).toMatch(B64URL_256);
    expect(form.get('expires_in')).toBe('900');
    expect(form.get('interval')).toBe('5');
    expect(form.has('verification_uri_complete')).toBe(false);

    const pendingForm = await gh.poll(deviceCode);
    expect(pendingForm.status).toBe(200);
    expect(pendingForm.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(pendingForm.headers.get('cache-control')).toBe('no-store');
    expect(new URLSearchParams(await pendingForm.text()).get('error')).toBe('authorization_pending');

    gh.clock.advance(5000);
    const pendingJson = await gh.poll(deviceCode, {}, { accept: 'application/json' });
    expect(pendingJson.status).toBe(200);
    expect(pendingJson.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await json(pendingJson)).error).toBe('authorization_pending');
  });

  test('GitHub-like: slow_down carries the new interval (the old one + 5)', async () => {
    const gh = await createTestIdp({ profile: 'github' });
    const d = await gh.deviceAuthorize({}, { accept: 'application/json' });
    await gh.poll(d.device_code, {}, { accept: 'application/json' });
    gh.clock.advance(1000);
    const first = await json(await gh.poll(d.device_code, {}, { accept: 'application/json' }));
    expect(first).toMatchObject({ error: 'slow_down', interval: 10 });
    gh.clock.advance(1000);
    const second = await json(await gh.poll(d.device_code, {}, { accept: 'application/json' }));
    expect(second).toMatchObject({ error: 'slow_down', interval: 15 });
    // RFC-strict sends no interval member with slow_down.
    const rfc = await createTestIdp();
    const r = await rfc.deviceAuthorize();
    await rfc.poll(r.device_code);
    const slow = await json(await rfc.poll(r.device_code));
    expect(slow.error).toBe('slow_down');
    expect(slow).not.toHaveProperty('interval');
  });

  test('GitHub-like: scope is comma-separated in token responses and accepted comma-separated in requests', async () => {
    const gh = await createTestIdp({ profile: 'github' });
    const d = await gh.deviceAuthorize({ scope: 'profile,projects:write' }, { accept: 'application/json' });
    await gh.approve(d.user_code);
    gh.clock.advance(5000);
    const tok = await json(await gh.poll(d.device_code, {}, { accept: 'application/json' }));
    expect(tok.scope).toBe('profile,projects:write');
  });

  test('GitHub-like: /login/device/code and /login/oauth/access_token work; unknown codes are incorrect_device_code, bad client credentials incorrect_client_credentials', async () => {
    const gh = await createTestIdp({ profile: 'github' });
    const accept = { accept: 'application/json' };
    const da = await gh.post('/login/device/code', { client_id: CLI }, accept);
    expect(da.status).toBe(200);
    const d = await json(da);
    expect(d).not.toHaveProperty('verification_uri_complete');
    const unknown = await gh.post('/login/oauth/access_token', { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: 'nope', client_id: CLI }, accept);
    expect(unknown.status).toBe(200);
    expect((await json(unknown)).error).toBe('incorrect_device_code');
    const badClient = await gh.post('/login/oauth/access_token', { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: d.device_code as string, client_id: 'ghost' }, accept);
    expect((await json(badClient)).error).toBe('incorrect_client_credentials');
    await gh.approve(d.user_code as string);
    gh.clock.advance(5000);
    const ok = await gh.post('/login/oauth/access_token', { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: d.device_code as string, client_id: CLI }, accept);
    expect(ok.status).toBe(200);
    expect((await json(ok)).token_type).toBe('bearer');
  });

  test('Entra-like: scope is required, the response adds message and omits verification_uri_complete, expires_in is 900', async () => {
    const en = await createTestIdp({ profile: 'entra' });
    const missing = await deviceRequest(en, { client_id: CLI });
    expect(missing.status).toBe(400);
    const mb = await json(missing);
    expect(mb).toMatchObject({ error: 'invalid_request', error_description: 'scope is required', error_codes: [900144] });
    const empty = await json(await deviceRequest(en, { client_id: CLI, scope: '' }));
    expect(empty.error).toBe('invalid_request');

    const d = await en.deviceAuthorize({ scope: 'profile' });
    expect(d.expires_in).toBe(900);
    expect(d).not.toHaveProperty('verification_uri_complete');
    expect(d.message).toBe(`To sign in, use a web browser to open the page ${ISSUER}/device and enter the code ${d.user_code} to authenticate.`);
  });

  test('Entra-like: a denied request polls as authorization_declined, an unknown device code as bad_verification_code, an expired one as expired_token, with the documented AADSTS numbers', async () => {
    const en = await createTestIdp({ profile: 'entra' });
    const d = await en.deviceAuthorize({ scope: 'profile' });
    const pending = await json(await en.poll(d.device_code));
    expect(pending).toMatchObject({ error: 'authorization_pending', error_codes: [70016] }); // AuthorizationPending
    await en.deny(d.user_code);
    en.clock.advance(5000);
    const declined = await en.poll(d.device_code);
    expect(declined.status).toBe(400);
    // Microsoft's device-flow page gives authorization_declined no number: 65004 (UserDeclinedConsent) is marked a guess.
    expect(await json(declined)).toMatchObject({ error: 'authorization_declined', error_codes: [65004] });
    expect(getProfile('entra').claims.find((c) => c.behaviour.includes('65004'))?.basis).toBe('guess');
    const bad = await en.poll('not-a-device-code');
    expect(bad.status).toBe(400);
    expect(await json(bad)).toMatchObject({ error: 'bad_verification_code', error_codes: [70018] }); // BadVerificationCode
    const e = await en.deviceAuthorize({ scope: 'profile' });
    en.clock.advance(900_000);
    const expired = await en.poll(e.device_code);
    expect(expired.status).toBe(400);
    expect(await json(expired)).toMatchObject({ error: 'expired_token', error_codes: [70019] }); // CodeExpired
    // A code the table does not know gets no invented number, only the trace and correlation ids.
    const unknownGrant = await json(await en.post('/token', { grant_type: 'password', client_id: CLI }));
    expect(unknownGrant).toMatchObject({ error: 'unsupported_grant_type', trace_id: expect.any(String), correlation_id: expect.any(String) });
    expect(unknownGrant).not.toHaveProperty('error_codes');
  });

  test('Entra-like: refresh tokens rotate but the old one keeps working (rotation without invalidation)', async () => {
    const en = await createTestIdp({ profile: 'entra' });
    const tok = await en.login({ params: { scope: 'profile' } });
    const r1 = await en.refresh(tok.refresh_token!);
    expect(r1.status).toBe(200);
    const rt2 = (await json(r1)).refresh_token;
    expect(rt2).toEqual(expect.any(String));
    expect(rt2).not.toBe(tok.refresh_token);
    const replay = await en.refresh(tok.refresh_token!);
    expect(replay.status).toBe(200);
  });

  test('RFC8628-3.2-verification_uri_complete: the Entra-like and Google-like profiles omit it even with the knob on (the RFC makes it optional)', async () => {
    for (const profile of ['entra', 'google'] as const) {
      const t = await createTestIdp({ profile, verificationUriComplete: true });
      const d = await t.deviceAuthorize({ scope: 'profile' });
      expect(d).not.toHaveProperty('verification_uri_complete');
    }
  });

  test('Google-like: verification_url replaces verification_uri, expires_in is 1800, and a person can still enter the code in the browser', async () => {
    const g = await createTestIdp({ profile: 'google' });
    const ci = { client_id: CI_CLIENT, client_secret: CI_SECRET };
    const d = await g.deviceAuthorize({ ...ci, scope: 'profile' });
    expect(d.verification_url).toBe(`${ISSUER}/device`);
    expect(d).not.toHaveProperty('verification_uri');
    expect(d.expires_in).toBe(1800);
    expect(d.interval).toBe(5);
    // Google's own device endpoint path also works, without a secret: step 1 takes client_id and a required scope.
    const viaAlias = await g.post('/device/code', { client_id: CLI, scope: 'profile' });
    expect(viaAlias.status).toBe(200);
    await expectOAuthError(await g.post('/device/code', { client_id: CLI }), 400, 'invalid_request');
    expect((await json(viaAlias)).verification_url).toBe(`${ISSUER}/device`);
    // ...and the verification page's code entry (POST /device/enter) is a different path.
    const s = await g.signIn();
    const entered = await g.enterCode(s, d.user_code);
    expect(entered.status).toBe(200);
    expect((await json(entered)).page).toBe('consent');
    expect((await g.decide(s, d.user_code, 'approve')).status).toBe(200);
    g.clock.advance(5000);
    expect((await g.poll(d.device_code, ci)).status).toBe(200);
  });

  test('Google-like: a device-code poll needs client_secret; a public client that polls without one is refused (400 invalid_request), the RFC profile takes client_id alone', async () => {
    const g = await createTestIdp({ profile: 'google' });
    const d = await g.deviceAuthorize({ scope: 'profile' });
    const refused = await expectOAuthError(await g.poll(d.device_code), 400, 'invalid_request');
    expect(refused.error_description).toBe('client_secret is missing.');
    // The same code still exists: the refusal is about the client, not the grant.
    await g.approve(d.user_code);
    g.clock.advance(5000);
    await expectOAuthError(await g.poll(d.device_code), 400, 'invalid_request');
    // A client with a secret polls normally.
    const ci = { client_id: CI_CLIENT, client_secret: CI_SECRET };
    const c = await g.deviceAuthorize({ ...ci, scope: 'profile' });
    expect((await g.poll(c.device_code, ci)).status).toBe(428);

    const rfc = await createTestIdp();
    const r = await rfc.deviceAuthorize();
    await expectOAuthError(await rfc.poll(r.device_code), 400, 'authorization_pending');
  });

  test('Google-like: poll errors use Google\'s documented statuses: 428 authorization_pending, 403 slow_down and access_denied, 401 invalid_client, 400 invalid_grant', async () => {
    const g = await createTestIdp({ profile: 'google' });
    const ci = { client_id: CI_CLIENT, client_secret: CI_SECRET };
    const d = await g.deviceAuthorize({ ...ci, scope: 'profile' });
    await expectOAuthError(await g.poll(d.device_code, ci), 428, 'authorization_pending');
    g.clock.advance(1000);
    await expectOAuthError(await g.poll(d.device_code, ci), 403, 'slow_down');
    await g.deny(d.user_code);
    g.clock.advance(10_000);
    await expectOAuthError(await g.poll(d.device_code, ci), 403, 'access_denied');
    await expectOAuthError(await g.poll('not-a-device-code', ci), 400, 'invalid_grant');
    const wrongSecret = await g.poll(d.device_code, { client_id: CI_CLIENT, client_secret: 'wrong' });
    expect(wrongSecret.status).toBe(401);
    expect((await json(wrongSecret)).error).toBe('invalid_client');
    // What Google does not document (expired_token's status) is marked a guess in the profile.
    expect(profileGuesses(getProfile('google')).map((c) => c.behaviour).join(' ')).toContain('expired_token');
  });

  test('GitHub-like: with a refresh token the response carries refresh_token_expires_in (what octokit\'s github-app mode reads); RFC-strict does not send it', async () => {
    const gh = await createTestIdp({ profile: 'github', refreshTokenLifetimeS: 15_897_600 });
    const d = await gh.deviceAuthorize({}, { accept: 'application/json' });
    await gh.approve(d.user_code);
    gh.clock.advance(5000);
    const tok = await json(await gh.poll(d.device_code, {}, { accept: 'application/json' }));
    expect(tok).toMatchObject({ refresh_token: expect.any(String), refresh_token_expires_in: 15_897_600 });
    // A rotated refresh token keeps its family's end: the remaining lifetime shrinks.
    gh.clock.advance(100_000);
    const refreshed = await json(await gh.refresh(tok.refresh_token as string, {}, { accept: 'application/json' }));
    expect(refreshed.refresh_token_expires_in).toBe(15_897_600 - 100);
    // Without a refresh token there is nothing to report.
    const none = await createTestIdp({ profile: 'github', issueRefreshTokens: false });
    const n = await none.deviceAuthorize({}, { accept: 'application/json' });
    await none.approve(n.user_code);
    none.clock.advance(5000);
    expect(await json(await none.poll(n.device_code, {}, { accept: 'application/json' }))).not.toHaveProperty('refresh_token_expires_in');
    expect(await createTestIdp().then((t) => t.login())).not.toHaveProperty('refresh_token_expires_in');
  });

  test('every profile claim names its source and says whether the provider documents it', () => {
    for (const name of IDP_PROFILES) {
      const profile = getProfile(name);
      expect(profile.claims.length).toBeGreaterThan(0);
      for (const c of profile.claims) {
        expect(c.behaviour.length).toBeGreaterThan(10);
        expect(c.source.length).toBeGreaterThan(10);
        expect(['documented', 'observed', 'guess']).toContain(c.basis);
      }
    }
    expect(profileGuesses(getProfile('rfc'))).toEqual([]);
  });
});
