/**
 * Lab 16, solved through the UI: the shared runner's job runs as alice; revoke before deleting, then move the
 * job to workload identity (the identity provider trusts the CI issuer, the CLI exchanges the job's ID token):
 * the job calls the API as the workflow and the runner keeps nothing. On the way, the near miss: workload
 * identity in the CLI alone, which the identity provider refuses.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const WHO = 'ask the CLI who it is';
const REVOKED = 'revoked at the identity provider';
const OWN_IDENTITY = 'Move the deploy job to workload identity';
const CLEAN = 'Leave nothing long-lived on the runner';

test('lab 16: find the person behind the job, revoke, and give the job its own short-lived identity', async ({ page }) => {
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

  // Workload identity in the CLI alone: the identity provider does not trust the CI issuer, so the job fails.
  await lab.knob('CI authentication').selectOption('workload-identity');
  await lab.expectKnobStatus('The CLI restarted');
  await lab.typeCommand('acme login');
  await expect(lab.terminal).toContainText("refused this job's workload identity");
  await lab.expectNotDone(OWN_IDENTITY);

  await lab.knob('Trust CI workload identity').check();
  await lab.expectKnobStatus('Applies from the next request');
  await lab.typeCommand('acme login');
  await expect(lab.terminal).toContainText('Authenticated as this CI job');
  await lab.typeCommand('acme whoami');
  await expect(lab.terminal).toContainText('"sub":"repo:acme/deploy:environment:production"');
  await lab.expectDone(OWN_IDENTITY);
  await lab.expectDone(CLEAN);
  await lab.expectDebrief();
});
