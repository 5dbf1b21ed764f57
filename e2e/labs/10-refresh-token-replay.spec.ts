/**
 * Lab 10, solved through the UI: turn on rotation, invalidation and reuse detection; the CLI's refresh retires
 * the stolen refresh token and the thief's replay revokes the family. Then log in again with a CLI that stores
 * each new refresh token and refresh twice.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const DETECTED = 'Make the stolen refresh token give itself away';
const HEALTHY = 'keep that session through at least two refreshes';

test('lab 10: rotation with reuse detection ends a refresh-token theft', async ({ page }) => {
  test.setTimeout(90_000);
  const lab = new LabPage(page);
  const attacker = page.getByRole('tabpanel', { name: 'Attacker' });
  const outcomes = page.getByRole('log', { name: 'Outcomes' }).getByRole('listitem');
  const refreshAfterExpiry = async () => {
    await lab.skipTo('token expiry');
    await lab.typeCommand('acme api get /api/projects');
  };

  await test.step('the lab opens after a day of the thief refreshing', async () => {
    await lab.openLab('10-refresh-token-replay');
    await expect(page.getByRole('heading', { level: 2, name: /^Lab 10: Refresh token replay/ })).toBeVisible();
    await lab.expectNoneDone();
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await expect(outcomes.filter({ hasText: 'the server issued fresh tokens to the attacker' })).toHaveCount(2);
    await expectAccessible(page, 'lab 10 at its start');
  });

  await test.step('as the admin, turn on rotation, invalidation and reuse detection', async () => {
    for (const label of ['Rotate refresh tokens', 'Invalidate rotated refresh tokens', 'Refresh token reuse detection']) {
      await lab.knob(label).check();
      await lab.expectKnobStatus(`${label}: `);
    }
  });

  await test.step('the CLI refreshes (and rotates); the thief\'s replay revokes the whole family', async () => {
    await refreshAfterExpiry();
    await expect(lab.terminal).toContainText('payments-service');
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await attacker.getByRole('button', { name: 'Replay stolen refresh token' }).click();
    await expect(outcomes.last()).toContainText('✓ blocked — refused: invalid_grant (refresh token already used; all tokens of this grant are revoked)');
    await lab.expectDone(DETECTED);
    await page.getByRole('tab', { name: 'Audit' }).click();
    await expect(page.getByRole('tabpanel', { name: 'Audit' })).toContainText('refresh_token.reuse_detected');
    await lab.typeCommand('acme api get /api/projects');
    await expect(lab.terminal).toContainText('Your session has ended');
  });

  await test.step('a CLI that stores each new refresh token keeps its new session through two refreshes', async () => {
    await lab.knob('Refresh token use').selectOption('rotate');
    await lab.expectKnobStatus('The CLI restarted');
    await lab.typeCommand('acme login');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await refreshAfterExpiry();
    await lab.expectNotDone(HEALTHY);
    await refreshAfterExpiry();
    await lab.expectDone(HEALTHY);
    await lab.expectDebrief();
    await expectAccessible(page, 'lab 10 debrief');
  });
});
