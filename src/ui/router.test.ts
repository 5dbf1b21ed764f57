import { describe, expect, test } from 'vitest';
import { MAX_HASH_LENGTH, parseRoute } from './router.ts';

describe('the hash router', () => {
  test('no hash, "#" and "#/" are the simulator, with no notice', () => {
    for (const hash of ['', '#', '#/']) expect(parseRoute(hash)).toEqual({ name: 'simulator', query: '' });
  });

  test('#/sandbox is the sandbox and keeps its query for the knob parser', () => {
    expect(parseRoute('#/sandbox')).toEqual({ name: 'sandbox', query: '' });
    expect(parseRoute('#/sandbox?intervalS=1&consentDetail=minimal')).toEqual({ name: 'sandbox', query: 'intervalS=1&consentDetail=minimal' });
    expect(parseRoute('/sandbox/')).toEqual({ name: 'sandbox', query: '' });
  });

  test('an unknown route falls back to the simulator with a readable notice quoting it as text', () => {
    const r = parseRoute('#/nowhere');
    expect(r.name).toBe('simulator');
    expect(r.notice).toBe('There is no page called “/nowhere”. Showing the simulator.');
  });

  test('markup in the hash is only ever quoted text, shortened, without control characters', () => {
    const r = parseRoute(`#/${encodeURIComponent('<img src=x onerror=alert(1)>')}\u0007${'a'.repeat(100)}`);
    expect(r.name).toBe('simulator');
    expect(r.notice).toContain('<img src=x');
    expect(r.notice).not.toContain('\u0007');
    expect(r.notice!.length).toBeLessThan(100);
  });

  test('a malformed percent-escape does not throw', () => {
    expect(parseRoute('#/%E0%A4%A')).toEqual({ name: 'simulator', query: '', notice: 'The link is malformed. Showing the simulator.' });
  });

  test('prototype keys are not routes', () => {
    expect(parseRoute('#constructor').notice).toMatch(/no page called/);
    expect(parseRoute('#__proto__').name).toBe('simulator');
  });

  test('an over-long hash is refused without parsing', () => {
    expect(parseRoute(`#/${'x'.repeat(MAX_HASH_LENGTH)}`).notice).toBe('The link is too long to read. Showing the simulator.');
  });
});
