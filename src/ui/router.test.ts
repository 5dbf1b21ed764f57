import { describe, expect, test } from 'vitest';
import { MAX_HASH_LENGTH, labHref, parseRoute } from './router.ts';

describe('the hash router', () => {
  test('no hash, "#" and "#/" are home, with no notice; #/simulator and #/instructor are theirs', () => {
    for (const hash of ['', '#', '#/']) expect(parseRoute(hash)).toEqual({ name: 'home', query: '' });
    expect(parseRoute('#/simulator')).toEqual({ name: 'simulator', query: '' });
    expect(parseRoute('#/instructor/')).toEqual({ name: 'instructor', query: '' });
  });

  test('#/lab/<id> opens a lab, optionally at a step', () => {
    expect(parseRoute('#/lab/06-credentials-file')).toEqual({ name: 'lab', query: '', labId: '06-credentials-file' });
    expect(parseRoute('#/lab/02-polling-etiquette?step=3')).toEqual({ name: 'lab', query: 'step=3', labId: '02-polling-etiquette', step: 3 });
    expect(parseRoute('#/lab/02-polling-etiquette?step=0').step).toBeUndefined();
    expect(labHref('01-anatomy', 2)).toBe('#/lab/01-anatomy?step=2');
    expect(labHref('01-anatomy')).toBe('#/lab/01-anatomy');
  });

  test('#/lab/<id>?hard=1 is hard mode and ?hints=off hides hints and solutions; links round-trip with a step', () => {
    expect(parseRoute('#/lab/06-credentials-file?hard=1')).toEqual({ name: 'lab', query: 'hard=1', labId: '06-credentials-file', hard: true });
    expect(parseRoute('#/lab/06-credentials-file?step=2&hints=off')).toEqual({ name: 'lab', query: 'step=2&hints=off', labId: '06-credentials-file', step: 2, hideHints: true });
    const href = labHref('12-device-code-phishing', 3, { hard: true, hideHints: true });
    expect(href).toBe('#/lab/12-device-code-phishing?step=3&hard=1&hints=off');
    expect(parseRoute(href)).toMatchObject({ labId: '12-device-code-phishing', step: 3, hard: true, hideHints: true });
    expect(labHref('01-anatomy', 0, { hard: false, hideHints: false })).toBe('#/lab/01-anatomy');
    // Anything but the exact flag values is the guided lab (no notice: nothing went wrong for the person).
    for (const q of ['hard=0', 'hard=yes', 'hard', 'hints=on', 'hints=', 'HARD=1']) {
      const r = parseRoute(`#/lab/01-anatomy?${q}`);
      expect(r.hard, q).toBeUndefined();
      expect(r.hideHints, q).toBeUndefined();
      expect(r.notice, q).toBeUndefined();
    }
    // A bad step keeps the mode.
    expect(parseRoute('#/lab/01-anatomy?step=x&hard=1')).toMatchObject({ hard: true, notice: expect.stringMatching(/not a step number/) });
  });

  test('a bad step opens the lab at its start with a notice', () => {
    for (const bad of ['-1', 'abc', '1e3', '1000', '<b>']) {
      const r = parseRoute(`#/lab/01-anatomy?step=${encodeURIComponent(bad)}`);
      expect(r).toMatchObject({ name: 'lab', labId: '01-anatomy' });
      expect(r.step).toBeUndefined();
      expect(r.notice).toMatch(/is not a step number/);
    }
  });

  test('a malformed lab id goes home with a notice quoting it as text', () => {
    const r = parseRoute(`#/lab/${encodeURIComponent('<script>x</script>')}`);
    expect(r.name).toBe('home');
    expect(r.notice).toBe('There is no lab called “<script>x</script>”. Showing the list of labs.');
    expect(parseRoute('#/lab/').name).toBe('home');
    expect(parseRoute('#/lab/__proto__').name).toBe('home');
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
