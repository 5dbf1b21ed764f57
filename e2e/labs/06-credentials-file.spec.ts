/**
 * Lab 06, solved through the UI as a learner would: read the file's permissions, log out (revocation),
 * change the storage knob, log in again, and watch each objective tick; then the debrief.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const STOLEN = 'Make the tokens bob copied worthless';
const FALLBACK = 'Try the setting many CLIs ship as the safe one';
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

  await test.step('"Why not yet?" says, per objective, what in the world is still wrong', async () => {
    const why = lab.whyNot(STOLEN);
    await expect(why).toHaveCount(1);
    await why.getByText('Why not yet?').focus();
    await page.keyboard.press('Enter');
    await expect(why).toHaveAttribute('open', '');
    await expect(why).toContainText('The server still accepts the tokens bob copied from your credentials file.');
    await lab.whyNot(PRIVATE).getByText('Why not yet?').click();
    await expect(lab.whyNot(PRIVATE)).toContainText('Bob\'s copy still works');
    await expectAccessible(page, 'lab 06 with two reasons open');
  });

  await test.step('a real logout revokes at the server: bob’s copy dies, and the reasons move on', async () => {
    await lab.typeCommand('acme logout');
    await expect(lab.terminal).toContainText('Logged out');
    await lab.expectDone(STOLEN);
    await expect(lab.whyNot(STOLEN)).toHaveCount(0);
    await lab.expectNotDone(PRIVATE);
    await expect(lab.whyNot(PRIVATE)).toContainText('You have not logged in again since revoking.');
    await expect(page.getByRole('status').filter({ hasText: 'Objective done:' })).toContainText(STOLEN);
  });

  await test.step('"keychain, else plaintext" falls back silently on this keyring-less server (F9)', async () => {
    await lab.knob('Token storage').selectOption('keychain-or-plaintext');
    await lab.expectKnobStatus('The CLI restarted');
    await lab.typeCommand('acme login');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await expect(lab.terminal).toContainText('warning: no OS keyring found; credentials saved in plain text');
    await lab.typeCommand('ls -la ~/.config/acme');
    await expect(lab.terminal).toContainText('-rw-------');
    await lab.expectDone(FALLBACK);
    await lab.expectNotDone(PRIVATE);
    await expect(lab.whyNot(PRIVATE)).toContainText('fell back to a plaintext file after one warning');
  });

  await test.step('end that session, choose storage that fails loudly, log in again', async () => {
    await lab.typeCommand('acme logout');
    await lab.knob('Token storage').selectOption('keychain');
    await lab.expectKnobStatus('The CLI restarted');
    await lab.typeCommand('acme login');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await expect(lab.terminal).toContainText('Credentials were NOT saved to the OS keychain');
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
