/**
 * Lab 06, solved through the UI as a learner would: read the file's permissions, log out (revocation),
 * change the storage knob, log in again, and watch each objective tick; then the debrief.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const STOLEN = 'Make the tokens bob copied worthless';
const PRIVATE = 'Log in again so that no token the server still accepts is readable';

test('lab 06: kill the stolen copy and keep the next one private', async ({ page }) => {
  const lab = new LabPage(page);

  await test.step('the lab opens at its scene: yesterday’s login, and bob’s theft, already happened', async () => {
    await lab.openLab('06-credentials-file');
    await expect(page.getByRole('heading', { level: 2, name: 'Lab 6: The credentials file' })).toBeVisible();
    await expect(page.getByRole('region', { name: 'Lesson' })).toContainText('You share a build server with');
    await lab.expectNoneDone();
    await expect(lab.debrief).toHaveCount(0);
    await expectAccessible(page, 'lab 06 at its start');
  });

  await test.step('the hint ladder goes from vague to specific, one at a time', async () => {
    expect(await lab.revealHint()).toBe(1);
    await expect(lab.hints).not.toContainText('ls -la');
    expect(await lab.revealHint()).toBe(2);
    expect(await lab.revealHint()).toBe(3);
    await expect(lab.hints.getByRole('listitem').last()).toContainText('ls -la ~/.config/acme');
    await expect(page.getByText('All 3 hints are shown')).toBeFocused();
    await expectAccessible(page, 'lab 06 with every hint');
  });

  await test.step('the file is world-readable', async () => {
    await lab.typeCommand('ls -la ~/.config/acme');
    await expect(lab.terminal).toContainText('-rw-r--r--');
    await lab.expectNotDone(STOLEN);
  });

  await test.step('a real logout revokes at the server: bob’s copy dies', async () => {
    await lab.typeCommand('acme logout');
    await expect(lab.terminal).toContainText('Logged out');
    await lab.expectDone(STOLEN);
    await lab.expectNotDone(PRIVATE);
    await expect(page.getByRole('status').filter({ hasText: 'Objective done:' })).toContainText(STOLEN);
  });

  await test.step('owner-only storage, then log in again', async () => {
    await lab.knob('Token storage').selectOption('file-0600');
    await lab.expectKnobStatus('The CLI restarted');
    await lab.typeCommand('acme login');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await lab.typeCommand('ls -la ~/.config/acme');
    await expect(lab.terminal).toContainText('-rw-------');
    await lab.expectDone(PRIVATE);
  });

  await test.step('the debrief appears, and home shows the lab completed', async () => {
    await lab.expectDebrief();
    await expect(lab.debrief).toContainText('RFC 7009');
    await expectAccessible(page, 'lab 06 debrief');
    await page.getByRole('link', { name: 'All labs', exact: true }).click();
    await expect(page.getByRole('listitem').filter({ hasText: 'The credentials file' })).toContainText('Completed');
  });
});

test('lab 06: "Reset lab" gives a fresh world with the prelude replayed', async ({ page }) => {
  const lab = new LabPage(page);
  await lab.openLab('06-credentials-file');
  await lab.typeCommand('acme logout');
  await lab.expectDone(STOLEN);
  await lab.resetLab();
  await lab.expectNoneDone();
  await expect(lab.terminal).not.toContainText('Logged out');
  await expectAccessible(page, 'lab 06 after reset');
});
