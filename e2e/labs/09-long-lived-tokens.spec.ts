/**
 * Lab 09, solved through the UI: revoke last week's 30-day token, switch the identity provider to 15-minute
 * access tokens with refresh tokens, let the attacker steal a fresh token and watch it die at its expiry while
 * the CLI keeps working by refreshing.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const NO_LONG = 'no access token the server still accepts lives longer than one hour';
const EXPIRES = 'watch the replay fail on its own because the token expired';
const KEEPS = 'the CLI refreshes instead of asking you to log in';

test('lab 09: short-lived access tokens with refresh bound a theft', async ({ page }) => {
  test.setTimeout(60_000);
  const lab = new LabPage(page);
  const attacker = page.getByRole('tabpanel', { name: 'Attacker' });
  const outcomes = page.getByRole('log', { name: 'Outcomes' }).getByRole('listitem');

  await test.step('the lab opens a week after the theft: the 30-day token still works for the attacker', async () => {
    await lab.openLab('09-long-lived-tokens');
    await expect(page.getByRole('heading', { level: 2, name: 'Lab 9: Long-lived tokens versus short-lived with refresh' })).toBeVisible();
    await lab.expectNoneDone();
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await expect(outcomes.last()).toContainText('GET /api/projects answered 200');
    await expectAccessible(page, 'lab 09 at its start');
  });

  await test.step('revoke the old token and change the identity provider', async () => {
    await lab.typeCommand('acme logout');
    await expect(lab.terminal).toContainText('✓ Logged out.');
    await lab.expectDone(NO_LONG);
    await lab.knob(/^Access token lifetime/).fill('900');
    await lab.knob(/^Access token lifetime/).press('Tab');
    await lab.expectKnobStatus('Access token lifetime: 900');
    await lab.knob('Issue refresh tokens').check();
    await lab.expectKnobStatus('Issue refresh tokens');
  });

  await test.step('log in; the attacker steals the new token, which works until it expires', async () => {
    await lab.typeCommand('acme login');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await lab.attackerStealsAndReplays();
    await lab.expectNotDone(EXPIRES);
    await lab.skipTo('token expiry');
    await attacker.getByRole('button', { name: 'Replay stolen access token' }).click();
    await expect(outcomes.last()).toContainText('✓ blocked — GET /api/projects refused (401): invalid_token');
    await lab.expectDone(EXPIRES);
  });

  await test.step('the CLI refreshes and keeps working; the debrief appears', async () => {
    await lab.typeCommand('acme api get /api/projects');
    await expect(lab.terminal).toContainText('payments-service');
    await lab.expectDone(KEEPS);
    await lab.expectDebrief();
    await expectAccessible(page, 'lab 09 debrief');
  });
});
