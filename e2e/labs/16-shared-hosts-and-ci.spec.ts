/**
 * Lab 16, solved through the UI: the shared runner's job runs as alice; revoke before deleting, and leave
 * nothing for the next job.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const WHO = 'ask the CLI who it is';
const REVOKED = 'revoked at the identity provider';
const CLEAN = 'Leave the runner with nothing the next job could inherit';

test('lab 16: find the person behind the job, revoke, and leave the runner clean', async ({ page }) => {
  const lab = new LabPage(page);
  await lab.openLab('16-shared-hosts-and-ci');
  await expect(page.getByRole('heading', { level: 2, name: 'Lab 16: Shared hosts and CI runners' })).toBeVisible();
  await lab.expectNoneDone();
  await expectAccessible(page, 'lab 16 at its start');

  await lab.typeCommand('acme whoami');
  await expect(lab.terminal).toContainText('"sub":"alice"');
  await lab.expectDone(WHO);

  await lab.knob('Logout').selectOption('revoke');
  await lab.expectKnobStatus('The CLI restarted');
  await lab.typeCommand('acme logout');
  await expect(lab.terminal).toContainText('Logged out');
  await lab.expectDone(REVOKED);
  await lab.expectDone(CLEAN);
  await lab.expectDebrief();
});
