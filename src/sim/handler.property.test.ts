/**
 * Property tests: arbitrary methods, paths, headers, content types and bodies thrown at every endpoint of
 * the simulated identity provider. The handler never throws and never fails internally (no 500), always
 * answers a well-formed success or an RFC 6749 §5.2 / RFC 6750 §3 error whose text stays in the allowed
 * character set, keeps `no-store` on every authorization-server answer, and never shows one client's secrets
 * to a request that does not hold them.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { DEVICE_CODE_GRANT_TYPE } from '../protocol/constants.ts';
import { isValidErrorText } from '../protocol/errors.ts';
import type { IdpProfileName } from './knobs.ts';
import { API, CI_CLIENT, CI_SECRET, ISSUER, RS_CLIENT, RS_SECRET, basic, createTestIdp, type TestIdp } from './testing/idpFixture.ts';

const AS_PATHS = [
  '/.well-known/oauth-authorization-server', '/device_authorization', '/token', '/revoke', '/introspect', '/jwks',
  '/device', '/device/signin', '/device/enter', '/device/code', '/device/decision', '/device/signout-everywhere', '/control/approve',
  '/login/device/code', '/login/oauth/access_token', '/nope', '/device/../token', '/%00', '/token?x=1',
];
const API_PATHS = ['/me', '/projects', '/projects/p1', '/invoices', '/projects/../me'];
const PARAM_NAMES = [
  'client_id', 'client_secret', 'grant_type', 'device_code', 'refresh_token', 'token', 'token_type_hint', 'scope',
  'resource', 'user_code', 'user', 'decision', 'access_token', 'foo',
];

interface World {
  t: TestIdp;
  /** Well-formed requests for every endpoint, as the CLI (acme-cli), a browser or the API would send them. */
  templates: Template[];
  /** Secrets held by the confidential CI client: nothing without its credentials may ever see them. */
  ciSecrets: string[];
  /** Values a request may carry (a mix of valid, foreign and junk). */
  pool: string[];
}

async function makeWorld(profile: IdpProfileName): Promise<World> {
  const t = await createTestIdp({ profile, rateLimitPerMinute: 100_000, userCodeAttemptLimit: 0 });
  const auth = { authorization: basic(CI_CLIENT, CI_SECRET) };
  const da = (await (await t.post('/device_authorization', { scope: 'profile' }, { ...auth, accept: 'application/json' })).json()) as { device_code: string; user_code: string };
  await t.approve(da.user_code);
  t.clock.advance(5000);
  const res = await t.post('/token', { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: da.device_code }, { ...auth, accept: 'application/json' });
  const tokens = (await res.json()) as { access_token: string; refresh_token: string };
  const own = await t.deviceAuthorize({ scope: 'profile' }, { accept: 'application/json' });
  const mine = await t.login({ params: { scope: 'profile projects:read' } });
  const session = await t.signIn('bob');
  const form = 'application/x-www-form-urlencoded';
  const cli = (path: string, params: Array<[string, string]>): Template =>
    ({ api: false, path, method: 'POST', contentType: form, params: [['client_id', 'acme-cli'], ...params] });
  const templates: Template[] = [
    cli('/device_authorization', [['scope', 'profile']]),
    cli('/token', [['grant_type', DEVICE_CODE_GRANT_TYPE], ['device_code', own.device_code]]),
    cli('/token', [['grant_type', 'refresh_token'], ['refresh_token', mine.refresh_token ?? '']]),
    cli('/revoke', [['token', mine.access_token], ['token_type_hint', 'access_token']]),
    { api: false, path: '/introspect', method: 'POST', contentType: form, params: [['token', mine.access_token]], authorization: basic(RS_CLIENT, RS_SECRET) },
    { api: false, path: '/device/signin', method: 'POST', contentType: form, params: [['user', 'alice']] },
    { api: false, path: '/device/enter', method: 'POST', contentType: form, params: [['user_code', own.user_code]], session },
    { api: false, path: '/device/decision', method: 'POST', contentType: form, params: [['user_code', own.user_code], ['decision', 'approve']], session },
    { api: false, path: `/device?user_code=${own.user_code}`, method: 'GET', params: [], session },
    { api: false, path: '/.well-known/oauth-authorization-server', method: 'GET', params: [] },
    { api: true, path: '/me', method: 'GET', params: [], authorization: `Bearer ${mine.access_token}` },
    { api: true, path: '/projects', method: 'GET', params: [], authorization: `Bearer ${mine.access_token}` },
  ];
  const ciSecrets = [tokens.access_token, tokens.refresh_token, da.device_code, CI_SECRET, RS_SECRET];
  const pool = [
    'acme-cli', 'acme-ci', 'acme-web', 'acme-api', DEVICE_CODE_GRANT_TYPE, 'refresh_token', 'authorization_code', 'profile',
    'projects:admin', 'approve', 'deny', 'alice', own.device_code, own.user_code, da.user_code, ...ciSecrets, '', ' ', '"\\',
    'é', '\u0000', '<script>alert(1)</script>', 'a'.repeat(300),
  ];
  return { t, templates, ciSecrets, pool: [...pool, mine.access_token, mine.refresh_token ?? ''] };
}

interface Template {
  api: boolean;
  path: string;
  method: string;
  contentType?: string;
  params: Array<[string, string]>;
  authorization?: string;
  session?: string;
}

const token = fc.stringMatching(/^[A-Za-z0-9+/=._~-]{0,40}$/);
const printable = fc.stringMatching(/^[\x20-\x7E]{0,60}$/);

function requestArb(pool: string[], templates: Template[]): fc.Arbitrary<Arb> {
  return fc.oneof(randomRequestArb(pool), mutatedTemplateArb(pool, templates));
}

/** A well-formed request with 0 to 2 small mutations: a value swapped, a parameter dropped or repeated, a header changed. */
function mutatedTemplateArb(pool: string[], templates: Template[]) {
  const mutation = fc.oneof(
    fc.record({ op: fc.constant('swap' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(...pool), fc.string({ maxLength: 20 })) }),
    fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('repeat' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('add' as const), name: fc.constantFrom(...PARAM_NAMES), value: fc.constantFrom(...pool) }),
    fc.record({ op: fc.constant('auth' as const), value: fc.option(fc.constantFrom(...pool).map((v) => `Bearer ${v}`), { nil: undefined }) }),
    fc.record({ op: fc.constant('type' as const), value: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded') }),
  );
  return fc.tuple(fc.constantFrom(...templates), fc.array(mutation, { maxLength: 2 }), fc.option(fc.constant('application/json'), { nil: undefined })).map(([t, muts, accept]) => {
    const params = [...t.params];
    let { authorization, contentType } = t;
    for (const m of muts) {
      const i = params.length ? ('at' in m ? m.at % params.length : 0) : -1;
      if (m.op === 'swap' && i >= 0) params[i] = [params[i]![0], m.value];
      else if (m.op === 'drop' && i >= 0) params.splice(i, 1);
      else if (m.op === 'repeat' && i >= 0) params.push(params[i]!);
      else if (m.op === 'add') params.push([m.name, m.value]);
      else if (m.op === 'auth') authorization = m.value;
      else if (m.op === 'type') contentType = m.value;
    }
    const body = new URLSearchParams(params).toString();
    const arb: Arb = {
      api: t.api, asPath: t.path, apiPath: t.path, method: t.method, contentType, accept, authorization, dpop: undefined,
      session: t.session, body,
    };
    return arb;
  });
}

function randomRequestArb(pool: string[]): fc.Arbitrary<Arb> {
  const value = fc.oneof(fc.constantFrom(...pool), fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 10 }));
  const formBody = fc.array(fc.tuple(fc.constantFrom(...PARAM_NAMES), value), { maxLength: 8 }).map((pairs) => {
    const p = new URLSearchParams();
    for (const [k, v] of pairs) p.append(k, v);
    return p.toString();
  });
  const body = fc.oneof(formBody, fc.string({ maxLength: 200 }), fc.constant(''), fc.constant('{"client_id":"acme-cli"}'));
  const authorization = fc.option(
    fc.oneof(
      fc.constant(basic(CI_CLIENT, CI_SECRET)),
      fc.constant(basic(CI_CLIENT, 'wrong')),
      fc.constantFrom(...pool).map((v) => `Bearer ${v}`),
      token.map((v) => `DPoP ${v}`),
      token.map((v) => `Basic ${v}`),
      printable,
    ),
    { nil: undefined },
  );
  return fc.record({
    api: fc.boolean(),
    asPath: fc.oneof(fc.constantFrom(...AS_PATHS), fc.webPath()),
    apiPath: fc.oneof(fc.constantFrom(...API_PATHS), fc.webPath()),
    method: fc.constantFrom('GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
    contentType: fc.option(fc.constantFrom('application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8',
      'application/json', 'text/plain', 'multipart/form-data; boundary=x', 'APPLICATION/X-WWW-FORM-URLENCODED'), { nil: undefined }),
    accept: fc.option(fc.constantFrom('application/json', 'text/html', 'text/html,application/xhtml+xml', '*/*'), { nil: undefined }),
    authorization,
    dpop: fc.option(fc.oneof(token, fc.constant('a.b.c')), { nil: undefined }),
    session: fc.option(fc.constantFrom(...pool), { nil: undefined }),
    body,
  });
}

/** One generated request, before it becomes a `Request`. */
interface Arb {
  api: boolean;
  asPath: string;
  apiPath: string;
  method: string;
  contentType: string | undefined;
  accept: string | undefined;
  authorization: string | undefined;
  dpop: string | undefined;
  session: string | undefined;
  body: string;
}

function build(r: Arb): Request {
  const headers = new Headers();
  // A value no HTTP client could send (a NUL byte, say) is left out, as fetch itself would refuse it.
  const set = (name: string, value: string | undefined) => {
    if (value === undefined) return;
    try {
      headers.set(name, value);
    } catch {
      /* not sendable */
    }
  };
  set('content-type', r.contentType);
  set('accept', r.accept);
  set('authorization', r.authorization);
  set('dpop', r.dpop);
  set('x-session', r.session);
  const url = r.api ? `${API}${r.apiPath}` : `${ISSUER}${r.asPath}`;
  const hasBody = r.method !== 'GET' && r.method !== 'HEAD';
  return new Request(url, { method: r.method, headers, ...(hasBody ? { body: r.body } : {}) });
}

/** Does this request carry the credentials that may see the CI client's secrets? */
function holdsCiCredentials(r: Arb, ciSecrets: string[]): boolean {
  const text = `${r.authorization ?? ''} ${r.body} ${r.dpop ?? ''} ${r.session ?? ''} ${r.asPath} ${r.apiPath}`;
  return text.includes(basic(CI_CLIENT, CI_SECRET)) || ciSecrets.some((s) => text.includes(s) || text.includes(encodeURIComponent(s)));
}

async function checkResponse(r: Arb, res: Response, world: World): Promise<void> {
  expect(res.status).toBeGreaterThanOrEqual(200);
  expect(res.status).toBeLessThan(500);
  const text = await res.text();
  if (!r.api) expect(res.headers.get('cache-control')).toBe('no-store');
  if (text !== '') {
    const type = res.headers.get('content-type') ?? '';
    let body: Record<string, unknown>;
    if (type.startsWith('text/html')) {
      // A verification page for a real browser: strict CSP, and nothing a request sent comes back as markup.
      expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none';/);
      expect(text.toLowerCase()).not.toContain('<script');
      body = {};
    } else if (type.startsWith('application/json')) {
      const parsed: unknown = JSON.parse(text);
      expect(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)).toBe(true);
      body = parsed as Record<string, unknown>;
    } else {
      expect(type).toMatch(/^application\/x-www-form-urlencoded/);
      body = Object.fromEntries(new URLSearchParams(text));
    }
    if ('error' in body) {
      expect(typeof body.error).toBe('string');
      expect(isValidErrorText(body.error as string)).toBe(true);
      if (body.error_description !== undefined) expect(isValidErrorText(String(body.error_description))).toBe(true);
    }
  }
  const challenge = res.headers.get('www-authenticate');
  if (challenge !== null) expect(challenge).toMatch(/^(Basic|Bearer|DPoP) /);
  if (!holdsCiCredentials(r, world.ciSecrets)) {
    const everything = `${text} ${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}`;
    for (const secret of world.ciSecrets) expect(everything).not.toContain(secret);
  }
}

describe.each<IdpProfileName>(['rfc', 'github', 'entra'])('any request to the %s identity provider', (profile) => {
  let world: World;
  beforeAll(async () => {
    world = await makeWorld(profile);
  });

  test('never throws, never fails internally, answers well-formed, and leaks no other client\'s secret', async () => {
    let successes = 0;
    await fc.assert(
      fc.asyncProperty(requestArb(world.pool, world.templates), async (r) => {
        const res = await world.t.idp.handle(build(r), { remoteAddress: '192.0.2.10' });
        await checkResponse(r, res, world);
        if (res.status < 300) successes++;
      }),
      { numRuns: 400 },
    );
    // The generator must reach the success paths too, or the leak check proves little.
    expect(successes).toBeGreaterThan(40);
  });
});
