/**
 * Lab 17, solved through the UI as a learner would: read the identity provider's audit log and find the grant
 * issued to a device that is not the laptop; in the browser's "Apps with access", revoke only that grant (the
 * CLI never held it, and the page does not say which grant is where); alice's CLI keeps working with its own.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const DEAD = 'Find in the audit log the grant';
const BACK = 'Stop the attacker without stopping alice';
/** The addresses the audit log shows (src/world ADDRESSES): the laptop's CLI and the attacker's machine. */
const LAPTOP = '192.0.2.10';
const ATTACKER = '203.0.113.66';

test('lab 17: find the foreign grant in the audit log, revoke only it at the identity provider, keep working', async ({ page }) => {
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

  let foreign = '';
  await test.step('the audit log names the foreign grant', async () => {
    const row = rows('token.issued').filter({ hasText: ATTACKER });
    foreign = (await row.getByRole('cell').nth(4).textContent())!.trim();
    expect(foreign).toMatch(/\S/);
    expect(foreign).not.toBe('—');
  });

  await test.step('"Apps with access" lists both grants as the same app; revoke the foreign one only', async () => {
    await expect(lab.browser.getByText('Signed in to the identity provider as')).toContainText('alice');
    await lab.browser.getByRole('button', { name: 'Apps with access' }).click();
    await expect(lab.pageHeading('Apps with access')).toBeVisible();
    const grants = lab.browser.getByRole('list', { name: 'Grants' }).getByRole('listitem');
    await expect(grants).toHaveCount(2);
    await expectAccessible(page, 'lab 17 apps with access');
    await lab.browser.getByRole('button', { name: `Revoke grant ${foreign}` }).click();
    await expect(lab.browser.getByRole('status')).toContainText(`Grant ${foreign} was revoked`);
    await lab.expectDone(DEAD);
    await lab.expectNotDone(BACK);
    await page.getByRole('tab', { name: 'Audit' }).click();
    await expect(rows('grant.revoked')).toHaveCount(1);
    await expect(rows('grant.revoked')).toContainText('alice');
  });

  await test.step('alice\'s CLI still works with its own grant: no new login', async () => {
    await lab.typeCommand('acme api get /api/projects');
    await expect(lab.terminal).toContainText('payments-service');
    await lab.expectDone(BACK);
  });

  await test.step('every objective is done and the debrief appears', async () => {
    await lab.expectDone(DEAD);
    await lab.expectDebrief();
    await expect(lab.debrief).toContainText('Storm-2372');
    await expectAccessible(page, 'lab 17 debrief');
  });
});
