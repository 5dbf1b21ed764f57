/**
 * Lab 01, solved through the UI as a learner would: log in, find the device code on the wire log, see the
 * verification page refuse it, approve with the user code, and finish with the device code only on the wire.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const LOGIN = 'Log in: run';
const REFUSED = 'Find the device code on the wire';
const WIRE_ONLY = 'End logged in with every device code only on the wire';

test('lab 01: the two codes of a device login', async ({ page }) => {
  const lab = new LabPage(page);

  await test.step('open the lab from home', async () => {
    await page.goto('/#/');
    await page.getByRole('link', { name: /Anatomy of a device login/ }).click();
    await lab.waitReady();
    await expect(page).toHaveURL(/#\/lab\/01-anatomy$/);
    await lab.expectNoneDone();
    await expect(lab.knob('Show device code')).not.toBeChecked();
    await expectAccessible(page, 'lab 01 at its start');
  });

  let userCode = '';
  await test.step('start a login and let the CLI poll once', async () => {
    userCode = await lab.startLogin();
    await expect(lab.pageHeading('Sign in')).toBeVisible();
    await lab.skipToNextPoll();
    await expect(lab.clock).toHaveText('00:05');
  });

  await test.step('the device code from the wire log is refused by the verification page', async () => {
    const deviceCode = await lab.deviceCodeOnWire();
    expect(deviceCode).not.toBe(userCode);
    await lab.openVerificationPage();
    await lab.signIn('alice');
    await lab.enterCodeInBrowser(deviceCode);
    await expect(lab.browser.getByRole('alert')).toBeVisible();
    await lab.expectDone(REFUSED);
    await lab.expectNotDone(LOGIN);
    await expectAccessible(page, 'lab 01 after the refused code');
  });

  await test.step('the user code from the terminal is accepted; approve, and the CLI finishes', async () => {
    await lab.enterCodeInBrowser(userCode);
    await expect(lab.pageHeading(/Allow Acme CLI\?|Check the code/)).toBeVisible();
    if (await lab.pageHeading('Check the code').isVisible()) await lab.confirmCode();
    await lab.decide('Approve');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await lab.expectDone(LOGIN);
    await lab.expectDone(WIRE_ONLY);
  });

  await test.step('the debrief', async () => {
    await lab.expectDebrief();
    await expect(lab.debrief.getByRole('link', { name: /^Next lab: 2\. / })).toBeVisible();
    await expectAccessible(page, 'lab 01 debrief');
  });
});
