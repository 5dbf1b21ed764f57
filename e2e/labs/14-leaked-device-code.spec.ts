/**
 * Lab 14, solved through the UI: a CI job prints its device code; a job-log reader redeems the approved login
 * first. Then the device code stays off the terminal and the same reader finds nothing to poll with.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const RACE = 'let a reader of the CI job log poll with the device code';
const PRIVATE = 'Log in again so that the device code never reaches the job log';

test('lab 14: lose the device-code race, then keep the code off the log', async ({ page }) => {
  const lab = new LabPage(page);
  const attackerMove = (name: string) => page.getByRole('tabpanel', { name: 'Attacker' }).getByRole('button', { name });

  await test.step('the lab opens with nothing done', async () => {
    await lab.openLab('14-leaked-device-code');
    await expect(page.getByRole('heading', { level: 2, name: 'Lab 14: The leaked device code race' })).toBeVisible();
    await lab.expectNoneDone();
    await expectAccessible(page, 'lab 14 at its start');
  });

  await test.step('the job prints the device code; approve, then a log reader polls with it first', async () => {
    await lab.startLogin();
    await expect(lab.terminal).toContainText('device_code:');
    await lab.approveInBrowser();
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await attackerMove('Read the CI log').click();
    await attackerMove('Poll with leaked device code').click();
    await lab.expectDone(RACE);
    await lab.skipPollsUntilTerminal('device code already used');
  });

  await test.step('hide the device code and log in again: the log reader finds nothing to poll with', async () => {
    await lab.knob('Show device code').uncheck();
    await lab.expectKnobStatus('The CLI restarted');
    const before = (await lab.terminal.innerText()).split('device_code:').length;
    await lab.startLogin();
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await attackerMove('Read the CI log').click();
    // Still signed in from the first login: confirm the code and approve.
    await lab.confirmCode();
    await lab.decide('Approve');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    expect((await lab.terminal.innerText()).split('device_code:').length).toBe(before);
    await lab.expectDone(PRIVATE);
    await lab.expectDebrief();
  });
});
