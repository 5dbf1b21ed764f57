import { describe, expect, test } from 'vitest';
import { createTestIdp } from '../testing/idpFixture.ts';
import { escapeHtml } from './verificationHtml.ts';

const HTML = { accept: 'text/html' };

async function signedInCookie(t: Awaited<ReturnType<typeof createTestIdp>>): Promise<string> {
  const res = await t.post('/device/signin', { user: 'alice' }, HTML);
  const cookie = res.headers.get('set-cookie') ?? '';
  expect(cookie).toMatch(/^dfl_session=[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Lax$/);
  return cookie.split(';')[0]!;
}

describe('verification pages as HTML (for a real browser at npm run idp)', () => {
  test('pages carry a strict CSP with no script, and nosniff', async () => {
    const t = await createTestIdp();
    const res = await t.get('/device', HTML);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/^default-src 'none'; style-src 'nonce-[A-Za-z0-9_-]{22}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'$/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toContain('<h1>Sign in</h1>');
  });

  test('whatever a person types is escaped when it is shown back', async () => {
    const t = await createTestIdp();
    const cookie = await signedInCookie(t);
    const payload = '"><script>alert(1)</script>';
    const page = await (await t.get(`/device?user_code=${encodeURIComponent(payload)}`, { ...HTML, cookie })).text();
    expect(page).not.toContain('<script>');
    const entered = await (await t.post('/device/enter', { user_code: payload }, { ...HTML, cookie })).text();
    expect(entered).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(entered).not.toContain('<script>');
    expect(escapeHtml(`<a href='x'>&`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;');
  });

  test('the consent form approves exactly the ticked scopes, and approving none is refused, not "everything"', async () => {
    const t = await createTestIdp();
    const da = await t.deviceAuthorize();
    const cookie = await signedInCookie(t);
    const consent = await (await t.post('/device/enter', { user_code: da.user_code }, { ...HTML, cookie })).text();
    expect(consent).toContain('name="scope:projects:read" checked');
    const none = await t.post('/device/decision', { user_code: da.user_code, decision: 'approve', scope_form: '1' }, { ...HTML, cookie });
    expect(await none.text()).toContain('You can only approve scopes that were requested.');
    expect(t.idp.as.state.byUserCode.get(da.user_code.replace('-', ''))?.status).toBe('pending');
    const some = await t.post('/device/decision', { user_code: da.user_code, decision: 'approve', scope_form: '1', 'scope:profile': 'on' }, { ...HTML, cookie });
    expect(await some.text()).toContain('<h1>Device connected</h1>');
    expect(t.idp.as.state.byUserCode.get(da.user_code.replace('-', ''))?.grantedScope).toEqual(['profile']);
  });

  test('the simulated browser (X-Session) still gets JSON', async () => {
    const t = await createTestIdp();
    const s = await t.signIn();
    const res = await t.get('/device', { ...HTML, 'x-session': s });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });
});
