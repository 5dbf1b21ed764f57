/**
 * Hard mode, through the UI: the lab view's switch opens the same lab with every knob shown (not only the lab's)
 * and no hints until the learner asks; the objectives still tick only on the real fix. Lab 09 is solved here in
 * hard mode, finding its two server knobs among all of them; the switch is kept in the URL and back again.
 */
import type { Page } from '@playwright/test';
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const NO_LONG = 'no access token the server still accepts lives longer than one hour';
const EXPIRES = 'watch the replay fail on its own because the token expired';
const KEEPS = 'the CLI refreshes instead of asking you to log in';

const allKnobs = (page: Page) => page.getByRole('region', { name: 'All knobs (hard mode)' });

test('hard mode: every knob shown, hints only when asked, lab 09 solved with its real fix', async ({ page }) => {
  test.setTimeout(90_000);
  const lab = new LabPage(page);
  const knobs = allKnobs(page);
  const knob = (label: string | RegExp) => knobs.getByLabel(label, { exact: typeof label === 'string' });
  const attacker = page.getByRole('tabpanel', { name: 'Attacker' });
  const outcomes = page.getByRole('log', { name: 'Outcomes' }).getByRole('listitem');

  await test.step('the guided lab offers a hard-mode switch, reachable from the keyboard', async () => {
    await lab.openLab('09-long-lived-tokens');
    await expect(lab.knobs).toBeVisible();
    await expect(allKnobs(page)).toHaveCount(0);
    const toHard = page.getByRole('link', { name: 'Switch to hard mode' });
    await toHard.focus();
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/#\/lab\/09-long-lived-tokens\?hard=1$/);
    await lab.waitReady();
    await expect(page.getByText('Hard mode', { exact: true })).toBeVisible();
  });

  await test.step('every knob is there, not only the two that matter, and no hint is offered until asked', async () => {
    await expect(lab.knobs).toHaveCount(0);
    await expect(knobs).toBeVisible();
    // Knobs that have nothing to do with this lab are offered as well, client and server.
    for (const label of ['Token storage', 'Consent page detail', 'Complete link behaviour', 'Require DPoP', 'Issue refresh tokens']) {
      await expect(knob(label)).toBeVisible();
    }
    await expect(knob(/^Access token lifetime/)).toBeVisible();
    await expect(page.getByRole('button', { name: /^Show a (more specific )?hint/ })).toHaveCount(0);
    await expect(lab.hints).toHaveCount(0);
    await expect(page.getByText('Hard mode: no hints unless you ask.')).toBeVisible();
    await lab.expectNoneDone();
    await expectAccessible(page, 'lab 09 in hard mode');
  });

  await test.step('a wrong fix does not tick: refresh tokens alone leave the long-lived token accepted', async () => {
    await knob('Issue refresh tokens').check();
    await expect(knobs.getByRole('status')).toContainText('Issue refresh tokens');
    await lab.expectNotDone(NO_LONG);
  });

  await test.step('the real fix, found among all the knobs', async () => {
    await lab.typeCommand('acme logout');
    await expect(lab.terminal).toContainText('✓ Logged out.');
    await lab.expectDone(NO_LONG);
    await knob(/^Access token lifetime/).fill('900');
    await knob(/^Access token lifetime/).press('Tab');
    await expect(knobs.getByRole('status')).toContainText('Access token lifetime: 900');
    await lab.typeCommand('acme login');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await lab.attackerStealsAndReplays();
    await lab.skipTo('token expiry');
    await attacker.getByRole('button', { name: 'Replay stolen access token' }).click();
    await expect(outcomes.last()).toContainText('✓ blocked — GET /api/projects refused (401): invalid_token');
    await lab.expectDone(EXPIRES);
    await lab.typeCommand('acme api get /api/projects');
    await expect(lab.terminal).toContainText('payments-service');
    await lab.expectDone(KEEPS);
    await lab.expectDebrief();
  });

  await test.step('asking for hints shows the ladder; the completion is saved as a hard-mode one', async () => {
    await page.getByRole('button', { name: 'Ask for hints' }).click();
    await expect(page.getByRole('button', { name: /^Show a hint \(1 of \d\)/ })).toBeFocused();
    expect(await lab.revealHint()).toBe(1);
    await expectAccessible(page, 'lab 09 in hard mode, complete, hints asked for');
    await page.getByRole('link', { name: 'Switch to the guided lab' }).click();
    await expect(page).toHaveURL(/#\/lab\/09-long-lived-tokens$/);
    await lab.waitReady();
    await expect(lab.knobs).toBeVisible();
    await page.goto('/#/');
    await expect(page.getByRole('list', { name: 'Labs in order' }).getByRole('listitem').filter({ hasText: 'Long-lived tokens' }))
      .toContainText('Completed, in hard mode too');
  });
});
