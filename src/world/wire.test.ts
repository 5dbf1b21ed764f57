/**
 * The wire reads each body once (no `clone()`), logs its text and hands the server and the caller messages with
 * the same bytes: whatever form the body was given in, and whatever bytes the server answered with.
 */
import { describe, expect, test } from 'vitest';
import { VirtualClock } from '../sim/clock.ts';
import type { SimIdp } from '../sim/idp.ts';
import { createWire } from './wire.ts';

/** A stand-in server that records what it received and answers with `answer(request body bytes)`. */
function echoServer(answer: (received: Uint8Array<ArrayBuffer>) => Response) {
  const seen: Array<{ method: string; url: string; headers: Array<[string, string]>; body: Uint8Array<ArrayBuffer> }> = [];
  const idp = {
    async handle(request: Request) {
      const body = new Uint8Array(await request.arrayBuffer());
      seen.push({ method: request.method, url: request.url, headers: [...request.headers], body });
      return answer(body);
    },
  } as unknown as SimIdp;
  return { idp, seen };
}

const bytes = (s: string) => new TextEncoder().encode(s);

describe('the wire passes bodies through untouched', () => {
  test('a string body (fetch(url, init)): logged as sent, the server reads the same bytes, the caller reads the answer', async () => {
    const { idp, seen } = echoServer((b) => new Response(b, { status: 201, headers: { 'content-type': 'text/plain', 'x-one': '1' } }));
    const wire = createWire(idp, new VirtualClock());
    const fetch = wire.fetchFor('browser', '198.51.100.23');
    const res = await fetch('https://idp.test/device/enter', {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'user_code=BCDF-GHJK&note=%C3%A9',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-one')).toBe('1');
    expect(await res.text()).toBe('user_code=BCDF-GHJK&note=%C3%A9');
    expect(new TextDecoder().decode(seen[0]!.body)).toBe('user_code=BCDF-GHJK&note=%C3%A9');
    expect(seen[0]!.headers).toContainEqual(['content-type', 'application/x-www-form-urlencoded']);
    const [ex] = wire.log;
    expect(ex!.request).toMatchObject({ method: 'POST', url: 'https://idp.test/device/enter', body: 'user_code=BCDF-GHJK&note=%C3%A9' });
    expect(ex!.response).toMatchObject({ status: 201, body: 'user_code=BCDF-GHJK&note=%C3%A9' });
    expect(ex!.response!.headers).toEqual([['content-type', 'text/plain'], ['x-one', '1']]);
  });

  test('a Request, a URLSearchParams body and a string that does not survive UTF-8 are read from the request itself', async () => {
    const { idp, seen } = echoServer(() => new Response('{}', { headers: { 'content-type': 'application/json' } }));
    const wire = createWire(idp, new VirtualClock());
    const fetch = wire.fetchFor('cli', '192.0.2.10');
    await fetch(new Request('https://idp.test/token', { method: 'POST', body: 'grant_type=x&device_code=abc' }));
    await fetch('https://idp.test/token', { method: 'POST', body: new URLSearchParams({ a: '1 2', b: 'é' }) });
    await fetch('https://idp.test/token', { method: 'POST', body: 'lone \uD800 surrogate' });
    await fetch('https://idp.test/token', { method: 'POST', body: '\uFEFFbom' });
    expect(wire.log.map((e) => e.request.body)).toEqual(['grant_type=x&device_code=abc', 'a=1+2&b=%C3%A9', 'lone \uFFFD surrogate', 'bom']);
    expect(seen.map((s) => new TextDecoder('utf-8', { ignoreBOM: true }).decode(s.body)))
      .toEqual(['grant_type=x&device_code=abc', 'a=1+2&b=%C3%A9', 'lone \uFFFD surrogate', '\uFEFFbom']);
    expect(seen[1]!.headers).toContainEqual(['content-type', 'application/x-www-form-urlencoded;charset=UTF-8']);
  });

  test('a GET has no body; a 204 answer has none either; answer bytes that are not UTF-8 reach the caller as sent', async () => {
    const raw = new Uint8Array([0xff, 0x00, 0xfe, 0x41]);
    const { idp } = echoServer((b) => (b.length === 0 ? new Response(null, { status: 204 }) : new Response(raw, { status: 200 })));
    const wire = createWire(idp, new VirtualClock());
    const fetch = wire.fetchFor('attacker', '203.0.113.66');
    const none = await fetch('https://idp.test/jwks');
    expect(none.status).toBe(204);
    expect(none.body).toBeNull();
    const binary = await fetch('https://idp.test/x', { method: 'POST', body: bytes('x') });
    expect(new Uint8Array(await binary.arrayBuffer())).toEqual(raw);
    expect(wire.log.map((e) => [e.request.body, e.response?.status, e.response?.body])).toEqual([
      ['', 204, ''], ['x', 200, '\uFFFD\u0000\uFFFDA'],
    ]);
  });
});
