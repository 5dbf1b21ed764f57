/**
 * Lab 08 through the UI as a learner would: log out with the local-only logout and watch the stolen token keep
 * working; kill the orphaned session with "sign out everywhere" at the identity provider; fix logout and watch
 * the next session die at the server, refresh token first; then the debrief.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const SEE = 'then replay the stolen token from the attacker console';
const DEAD = 'Kill the session the attacker holds';
const FIX = 'Fix logout';

test('lab 08: logout that does not revoke', async ({ page }) => {
  test.setTimeout(60_000);
  const lab = new LabPage(page);
  const outcomes = page.getByRole('log', { name: 'Outcomes' });

  await test.step('open the lab: the credentials file leaked and the attacker is using it', async () => {
    await lab.openLab('08-logout-without-revoke');
    await lab.expectNoneDone();
    await expect(lab.knob('Logout')).toHaveValue('local-only');
    await expectAccessible(page, 'lab 08 at its start');
  });

  await test.step('log out: the file is gone, nothing went to the server, the stolen token still works', async () => {
    await lab.typeCommand('acme logout');
    await expect(lab.terminal).toContainText('✓ Logged out.');
    await lab.typeCommand('ls -la ~/.config/acme');
    await expect(lab.terminal).toContainText('total 0');
    await page.getByRole('tab', { name: 'Wire log' }).click();
    await expect(lab.wireLog).not.toContainText('token_type_hint');
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await page.getByRole('group', { name: 'Attacker moves' }).getByRole('button', { name: 'Replay stolen access token' }).click();
    await expect(outcomes.getByRole('listitem')).toHaveCount(3);
    await expect(outcomes.getByRole('listitem').last()).toContainText('✗ succeeded');
    await lab.expectDone(SEE);
    await lab.expectNotDone(DEAD);
  });

  await test.step('sign out everywhere at the identity provider: every token the attacker copied is refused', async () => {
    const accountBar = lab.browser.getByText('Signed in to the identity provider as');
    await expect(accountBar).toContainText('alice');
    await expectAccessible(page, 'lab 08 signed in at the identity provider');
    await lab.browser.getByRole('button', { name: 'Sign out everywhere' }).click();
    await expect(lab.pageHeading('Signed out everywhere')).toBeVisible();
    await expect(lab.browser).toContainText('(1 grant)');
    await lab.expectDone(DEAD);
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await page.getByRole('group', { name: 'Attacker moves' }).getByRole('button', { name: 'Replay stolen refresh token' }).click();
    await expect(outcomes.getByRole('listitem')).toHaveCount(4);
    await expect(outcomes.getByRole('listitem').last()).toContainText('✓ blocked');
    await lab.expectNotDone(FIX);
    await expectAccessible(page, 'lab 08 signed out everywhere');
  });

  await test.step('fix logout, log in and out again: the server revokes the refresh token first', async () => {
    await lab.knob('Logout').selectOption('revoke');
    await lab.expectKnobStatus('The CLI restarted');
    await lab.typeCommand('acme login');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await lab.typeCommand('acme logout');
    await expect(lab.terminal).toContainText('✓ Logged out.');
    await page.getByRole('tab', { name: 'Wire log' }).click();
    await expect(lab.wireLog).toContainText('token_type_hint=refresh_token');
    await lab.expectDone(FIX);
    await lab.expectDone(DEAD);
    await expectAccessible(page, 'lab 08 with logout fixed');
  });

  await test.step('every objective is done and the debrief appears', async () => {
    await lab.expectDebrief();
    await expect(lab.debrief).toContainText('RFC 7009');
    await expectAccessible(page, 'lab 08 debrief');
  });
});
