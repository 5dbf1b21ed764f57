/**
 * Lab 17, solved through the UI as a learner would: read the identity provider's audit log and find the grant
 * issued to a device that is not the laptop; sign out everywhere in the browser so the identity provider
 * revokes it (the CLI never held it); then log the CLI in again and call the API with the fresh grant.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const DEAD = 'Find the grant the attacker';
const BACK = 'Get your own CLI working again afterwards';
/** The addresses the audit log shows (src/world ADDRESSES): the laptop's CLI and the attacker's machine. */
const LAPTOP = '192.0.2.10';
const ATTACKER = '203.0.113.66';

test('lab 17: find the foreign grant in the audit log, revoke it at the identity provider, get back to work', async ({ page }) => {
  test.setTimeout(60_000);
  const lab = new LabPage(page);
  const audit = page.getByRole('tabpanel', { name: 'Audit' }).getByRole('table', { name: 'Identity provider audit log' });
  const rows = (type: string) => audit.getByRole('row').filter({ has: page.getByRole('cell', { name: type, exact: true }) });

  await test.step('the lab opens at its scene: two grants for alice, one used from elsewhere', async () => {
    await lab.openLab('17-audit-trail-investigation');
    await expect(page.getByRole('heading', { level: 2, name: /^Lab 17: The audit trail/ })).toBeVisible();
    await lab.expectNoneDone();
    await expectAccessible(page, 'lab 17 at its start');
  });

  await test.step('the audit log: both grants approved by alice, one issued to a device at another address', async () => {
    await page.getByRole('tab', { name: 'Audit' }).click();
    await expect(rows('grant.approved')).toHaveCount(2);
    for (const row of await rows('grant.approved').all()) await expect(row).toContainText('alice');
    await expect(rows('token.issued').filter({ hasText: LAPTOP })).toHaveCount(1);
    await expect(rows('token.issued').filter({ hasText: ATTACKER })).toHaveCount(1);
    await expect(rows('grant.revoked')).toHaveCount(0);
    await expectAccessible(page, 'lab 17 audit log');
  });

  await test.step('sign out everywhere in the browser: the identity provider revokes both grants', async () => {
    await expect(lab.browser.getByText('Signed in to the identity provider as')).toContainText('alice');
    await lab.browser.getByRole('button', { name: 'Sign out everywhere' }).click();
    await expect(lab.pageHeading('Signed out everywhere')).toBeVisible();
    await expect(lab.browser).toContainText('(2 grants)');
    await lab.expectDone(DEAD);
    await lab.expectNotDone(BACK);
    await page.getByRole('tab', { name: 'Audit' }).click();
    await expect(rows('grant.revoked').first()).toContainText('alice');
    await expectAccessible(page, 'lab 17 signed out everywhere');
  });

  await test.step('the CLI\'s own grant died too: log in again and call the API', async () => {
    await lab.typeCommand('acme api get /api/projects');
    await expect(lab.terminal).toContainText('✗ Your session has ended');
    await lab.expectNotDone(BACK);
    await lab.typeCommand('acme login');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await lab.typeCommand('acme api get /api/projects');
    await lab.expectDone(BACK);
  });

  await test.step('every objective is done and the debrief appears', async () => {
    await lab.expectDone(DEAD);
    await lab.expectDebrief();
    await expect(lab.debrief).toContainText('Storm-2372');
    await expectAccessible(page, 'lab 17 debrief');
  });
});
