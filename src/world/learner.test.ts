/**
 * The learner's actions and the browser tab over a headless world: the typed verification pages as the tab
 * reads them (src/sim/authServer/verificationView.ts), the moments the clock can jump to, and the read-only views.
 */
import { describe, expect, test } from 'vitest';
import { parseVerificationBody } from '../sim/authServer/verificationView.ts';
import { createWorld } from './index.ts';
import { learnerOf } from './learner.ts';

const codeOnTerminal = (lines: readonly string[]) => /one-time code: (\S+)$/.exec(lines.find((l) => l.includes('one-time code: ')) ?? '')?.[1];

describe('the learner of a world', () => {
  test('types `acme login`, follows the link in the tab, approves on the typed consent page, and holds tokens', async () => {
    const w = await createWorld();
    const learner = learnerOf(w);
    expect(learnerOf(w)).toBe(learner);
    expect(learner.loginInProgress()).toBe(false);
    expect(learner.tokens()).toBeUndefined();
    expect(learner.momentAt('poll')).toBeUndefined();

    expect(await learner.type('acme login')).toEqual({ openBrowser: true });
    expect(learner.loginInProgress()).toBe(true);
    expect(learner.terminal().length).toBeGreaterThan(0);
    expect(learner.momentAt('code-expiry')).toBeGreaterThan(w.clock.now());

    await learner.openVerification();
    const code = codeOnTerminal(w.terminal())!;
    expect(learner.tab.view).toEqual({ page: 'signin', userCode: code });
    await learner.tab.signIn('alice', code);
    expect(learner.tab.view).toEqual({ page: 'confirm_code', userCode: code });
    await learner.tab.enterCode(code);
    const view = learner.tab.view;
    expect(view.page).toBe('consent');
    if (view.page !== 'consent') return;
    expect(view.consent).toMatchObject({ user_code: code, client: { id: 'acme-cli' }, detail: 'full', device: { user_agent: expect.stringMatching(/^acme\//) } });
    expect(view.consent.scopes?.length).toBeGreaterThan(0);

    await learner.tab.decide('approve');
    expect(learner.tab.view).toMatchObject({ page: 'approved', grantedScope: expect.any(String) });
    await w.runUntil(() => w.cli.getSnapshot().matches({ authenticated: 'ready' }), 60_000);
    expect(learner.tokens()?.accessToken).toEqual(expect.any(String));
    expect(learner.momentAt('token-expiry')).toBe(learner.tokens()!.expiresAt);
    expect(learner.explanation()).toBeDefined();
    expect(await learner.skipTo('code-expiry')).toBe(false);
  });

  test('a wrong code shows the enter-code page with the server\'s message; another origin is refused with a notice', async () => {
    const w = await createWorld();
    const tab = learnerOf(w).tab;
    await tab.navigate('https://evil.test/device');
    expect(tab.view).toEqual({ page: 'blank' });
    expect(tab.notice).toMatch(/only opens the identity provider/);
    await tab.signIn('alice');
    expect(tab.view).toEqual({ page: 'enter_code' });
    await tab.enterCode('WRONG-CODE');
    expect(tab.view).toMatchObject({ page: 'enter_code', userCode: 'WRONG-CODE', message: expect.stringMatching(/not valid/) });
    expect(tab.signedInAs).toBe('alice');
  });

  test('interrupt prints ^C and cancels the login', async () => {
    const w = await createWorld();
    const learner = learnerOf(w);
    await learner.type('acme login');
    await learner.interrupt();
    expect(w.host.scrollback.some((l) => l.text === '^C')).toBe(true);
    expect(learner.loginInProgress()).toBe(false);
  });
});

describe('parseVerificationBody', () => {
  test('reads each shape, and drops members of the wrong type', () => {
    expect(parseVerificationBody({ error: 'invalid_user_code', message: 'nope', attempts_left: 3 })).toEqual({ error: 'invalid_user_code', message: 'nope', attempts_left: 3 });
    expect(parseVerificationBody({ page: 'signed_out', revoked_grants: 2 })).toEqual({ page: 'signed_out', revoked_grants: 2 });
    expect(parseVerificationBody({ page: 'signed_out', revoked_grants: '2' })).toEqual({ page: 'signed_out', revoked_grants: 0 });
    expect(parseVerificationBody({ page: 'consent', user_code: 'AB', client: { id: 'c', name: '<b>x</b>' }, detail: 'minimal', scopes: [{ name: 5 }, 'x'] }))
      .toEqual({ page: 'consent', user_code: 'AB', client: { id: 'c', name: '<b>x</b>' }, detail: 'minimal', scopes: [{ name: '5', description: '5' }] });
    expect(parseVerificationBody({ page: 'grants', grants: [{ grant_id: 'g1', client: 'C', approved_at: 1, scope: 's', active: 'yes' }, null] }))
      .toEqual({ page: 'grants', grants: [{ grant_id: 'g1', client: 'C', approved_at: 1, scope: 's', active: false }] });
    expect(parseVerificationBody({ page: 'nonsense' })).toBeUndefined();
    expect(parseVerificationBody([])).toBeUndefined();
    expect(parseVerificationBody('approved')).toBeUndefined();
  });
});
