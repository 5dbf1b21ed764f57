/** The one parsed view of a wire exchange that explain.ts, the sequence diagram, the runner and the labs read. */
import { describe, expect, test } from 'vitest';
import { readAnswer, readExchange } from './exchangeView.ts';
import type { WireExchange } from './wire.ts';

const poll = (): WireExchange => ({
  id: 1, actor: 'cli', startedAt: 0,
  request: { method: 'POST', url: 'https://idp.acme.test/token', headers: [], body: 'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=dc1' },
});

describe('readExchange', () => {
  test('reads the request form and, once it arrives, the answer (and not before)', () => {
    const ex = poll();
    const inFlight = readExchange(ex);
    expect(inFlight).toMatchObject({ path: '/token', grantType: 'urn:ietf:params:oauth:grant-type:device_code', status: undefined, error: undefined, json: undefined });
    expect(inFlight.form.get('device_code')).toBe('dc1');
    expect(readExchange(ex)).toBe(inFlight);
    ex.response = { at: 5, status: 400, headers: [], body: '{"error":"slow_down","interval":10}' };
    expect(readExchange(ex)).toMatchObject({ status: 400, error: 'slow_down', jsonError: 'slow_down', json: { interval: 10 } });
  });

  test('a form-encoded error counts as the error but not as a JSON one; a bad URL has no path', () => {
    expect(readAnswer('error=authorization_pending&error_description=x')).toEqual({ error: 'authorization_pending' });
    expect(readAnswer('[1]')).toEqual({});
    expect(readAnswer('{"error":5}')).toEqual({ json: { error: 5 } });
    expect(readExchange({ ...poll(), request: { ...poll().request, url: 'not a url' } })).toMatchObject({ url: undefined, path: '' });
  });
});
