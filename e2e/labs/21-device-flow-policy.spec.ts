/**
 * Lab 21, solved through the UI: carol (finance) was phished with a device code she had no reason to approve. As
 * the identity provider's admin, allow the device flow for the engineering group only: the next phish of carol is
 * blocked and the audit log shows it; alice still signs in with the CLI; sign out everywhere as carol ends the
 * session phished before the policy.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const BLOCKS = 'Allow the device flow only for the people who use the CLI';
const ENGINEERS = 'still signs in';
const DEAD = 'make the tokens phished from carol this morning worthless';

test('lab 21: a tenant policy keeps the device flow to the people who need it', async ({ page }) => {
  test.setTimeout(60_000);
  const lab = new LabPage(page);
  const attacker = page.getByRole('tabpanel', { name: 'Attacker' });
  const outcomes = page.getByRole('log', { name: 'Outcomes' }).getByRole('listitem');
  const audit = page.getByRole('tabpanel', { name: 'Audit' });

  await test.step('the lab opens after carol was phished', async () => {
    await lab.openLab('21-device-flow-policy');
    await expect(page.getByRole('heading', { level: 2, name: 'Lab 21: A tenant policy for the device flow' })).toBeVisible();
    await lab.expectNoneDone();
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await expect(outcomes.first()).toContainText("the attacker's terminal now holds the victim's tokens");
    await expectAccessible(page, 'lab 21 at its start');
  });

  await test.step('the policy: engineering only; the next phish of carol is blocked and audited', async () => {
    await lab.knob('People allowed the device flow').selectOption('engineering');
    await lab.expectKnobStatus('Applies from the next request');
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await attacker.getByLabel('Colleague').selectOption({ label: 'Carol Diaz' });
    await attacker.getByRole('button', { name: 'Phish a colleague' }).click();
    await expect(outcomes.last()).toContainText('✓ blocked — the victim could not use the code: Your organisation does not let this account sign in devices');
    await lab.expectDone(BLOCKS);
    await page.getByRole('tab', { name: 'Audit' }).click();
    await expect(audit).toContainText('device_flow.blocked');
    await expect(audit).toContainText('carol is not in the engineering group');
    await lab.expectNotDone(DEAD);
  });

  await test.step('the policy does not reach back: sign out everywhere as carol ends the phished session', async () => {
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await attacker.getByRole('button', { name: 'Replay stolen access token' }).click();
    await expect(outcomes.last()).toContainText('✗ succeeded');
    await lab.openVerificationPage();
    await lab.signIn('carol');
    await lab.browser.getByRole('button', { name: 'Sign out everywhere' }).click();
    await expect(lab.pageHeading('Signed out everywhere')).toBeVisible();
    await lab.expectDone(DEAD);
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await attacker.getByRole('button', { name: 'Replay stolen access token' }).click();
    await expect(outcomes.last()).toContainText('✓ blocked');
  });

  await test.step('alice, in engineering, still signs in with the CLI; the debrief appears', async () => {
    await lab.startLogin();
    await lab.approveInBrowser('alice');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await lab.expectDone(ENGINEERS);
    await lab.expectDebrief();
    await expectAccessible(page, 'lab 21 debrief');
  });
});
