/**
 * Small helpers shared by the server-side conformance tests (RFC 7009, 7662, 9700, 9449, 6750, 9068): raw
 * requests to the simulated APIs, JWT forging with the server's (or a foreign) key, and a parser for
 * `WWW-Authenticate` challenges. Test-only code.
 */
import { SignJWT, decodeJwt, decodeProtectedHeader, type CryptoKey, type JWTPayload } from 'jose';
import { expect } from 'vitest';
import { API, type DpopKey, type TestIdp } from '../testing/idpFixture.ts';

export const BILLING = 'https://billing.acme.test/api';

export type Json = Record<string, unknown>;

export async function json(res: Response): Promise<Json> {
  return (await res.json()) as Json;
}

/** Assert an RFC 6749 §5.2 JSON error with an exact status and code (and no other members); returns the body. */
export async function expectOAuthError(res: Response, status: number, error: string): Promise<Json> {
  const text = await res.text();
  expect({ status: res.status, body: text }).toMatchObject({ status });
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as Json;
  expect(body.error).toBe(error);
  for (const k of Object.keys(body)) expect(['error', 'error_description', 'error_uri']).toContain(k);
  return body;
}

export function claimsOf(token: string): Json {
  return decodeJwt(token) as Json;
}

export function headerOf(token: string): Json {
  return decodeProtectedHeader(token) as Json;
}

/** Sign a claim set as an access token; by default with the AS's own key, `typ: at+jwt` and its `kid`. */
export async function forgeJwt(t: TestIdp, claims: Json, opts: { header?: Json; key?: CryptoKey } = {}): Promise<string> {
  return new SignJWT(claims as JWTPayload)
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: t.idp.as.keys.kid, ...opts.header } as never)
    .sign(opts.key ?? t.idp.as.keys.privateKey);
}

/** An unsigned (`alg: none`) JWT: header and payload as given, empty signature. */
export function unsignedJwt(header: Json, payload: Json): string {
  const b64 = (o: Json) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64(header)}.${b64(payload)}.`;
}

/** Replace the payload of a compact JWT and keep its original header and signature. */
export function tamperPayload(token: string, patch: Json): string {
  const [h, , s] = token.split('.');
  const payload = { ...claimsOf(token), ...patch };
  return `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
}

/** A raw request to any URL the simulated world serves (the AS or either API). */
export function call(t: TestIdp, url: string, headers: HeadersInit = {}, method = 'GET', body?: string): Promise<Response> {
  return t.idp.handle(new Request(url, { method, headers, ...(body !== undefined ? { body } : {}) }));
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** Call the API with `Authorization: DPoP <at>` and a proof made by `key` (overridable field by field). */
export async function dpopCall(
  t: TestIdp,
  key: DpopKey,
  accessToken: string,
  path = '/me',
  opts: { method?: string; base?: string; proof?: Parameters<DpopKey['proof']>[2]; htu?: string } = {},
): Promise<Response> {
  const method = opts.method ?? 'GET';
  const url = `${opts.base ?? API}${path}`;
  const proof = await key.proof(method, opts.htu ?? url, { accessToken, ...opts.proof });
  return call(t, url, { authorization: `DPoP ${accessToken}`, dpop: proof }, method);
}

export interface Challenge {
  scheme: string;
  /** Attributes in order, duplicates kept (so a test can prove each appears at most once). */
  attrs: Array<[string, string]>;
}

/** Parse `WWW-Authenticate` into its challenges (enough for the quoted-string attributes the API sends). */
export function challenges(header: string | null): Challenge[] {
  if (!header) return [];
  const marks: Array<{ scheme: string; start: number; end: number }> = [];
  const re = /(?:^|,\s*)(Bearer|DPoP|Basic)(?=\s|$)/g;
  for (let m = re.exec(header); m; m = re.exec(header)) marks.push({ scheme: m[1]!, start: m.index, end: re.lastIndex });
  return marks.map((mk, i) => {
    const seg = header.slice(mk.end, marks[i + 1]?.start ?? header.length);
    return { scheme: mk.scheme, attrs: [...seg.matchAll(/([A-Za-z_]+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!] as [string, string]) };
  });
}

/** The attributes of one scheme's challenge as a record (undefined when that scheme is absent). */
export function challenge(res: Response, scheme: 'Bearer' | 'DPoP'): Record<string, string> | undefined {
  const c = challenges(res.headers.get('www-authenticate')).find((x) => x.scheme === scheme);
  return c ? Object.fromEntries(c.attrs) : undefined;
}
