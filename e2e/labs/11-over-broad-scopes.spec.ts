/**
 * Lab 11, solved through the UI: minimal scopes make a stolen token unable to delete; the one deletion goes
 * through a step-up login that adds projects:admin, which is dropped right after.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const CANNOT = 'the thief\'s DELETE must be refused';
const STEP_UP = 'Delete the retired project';
const DROP = 'End the elevated session';

test('lab 11: least privilege by default, step-up for the risky command', async ({ page }) => {
  test.setTimeout(90_000);
  const lab = new LabPage(page);
  const attacker = page.getByRole('tabpanel', { name: 'Attacker' });
  const outcomes = page.getByRole('log', { name: 'Outcomes' }).getByRole('listitem');

  await test.step('the lab opens after the thief deleted payments-service with an admin token', async () => {
    await lab.openLab('11-over-broad-scopes');
    await expect(page.getByRole('heading', { level: 2, name: 'Lab 11: Over-broad scopes and step-up' })).toBeVisible();
    await lab.expectNoneDone();
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await expect(outcomes.last()).toContainText('DELETE /api/projects/p1 answered 200');
    await expectAccessible(page, 'lab 11 at its start');
  });

  await test.step('log in with everyday scopes; the stolen token cannot delete', async () => {
    await lab.typeCommand('acme logout');
    await lab.knob('Requested scopes').selectOption('minimal');
    await lab.expectKnobStatus('The CLI restarted');
    await lab.typeCommand('acme login');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await attacker.getByRole('button', { name: 'Read files as root' }).click();
    await attacker.getByLabel('Request').selectOption('DELETE /api/projects/p2');
    await attacker.getByRole('button', { name: 'Replay stolen access token' }).click();
    await expect(outcomes.last()).toContainText('✓ blocked — DELETE /api/projects/p2 refused (403): insufficient_scope');
    await lab.expectDone(CANNOT);
  });

  await test.step('step up for the one deletion', async () => {
    await lab.typeCommand('acme api delete /api/projects/p2');
    await expect(lab.terminal).toContainText('This command needs more permissions than this session has (projects:admin)');
    await lab.typeCommand('acme logout');
    await lab.typeCommand('acme login --scope projects:admin');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await expect(lab.terminal).toContainText('scope: profile projects:read projects:admin');
    await lab.typeCommand('acme api delete /api/projects/p2');
    await expect(lab.terminal).toContainText('"deleted"');
    await lab.expectDone(STEP_UP);
    await lab.expectNotDone(DROP);
  });

  await test.step('drop the elevation', async () => {
    await lab.typeCommand('acme logout');
    await lab.typeCommand('acme login');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await lab.expectDone(DROP);
    await lab.expectDebrief();
    await expectAccessible(page, 'lab 11 debrief');
  });
});
