/**
 * Lab 03, solved through the UI as a learner would: deny a login and watch the CLI keep polling; make it stop
 * at the first access_denied; give it its own deadline and let a login expire untouched.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const RUNAWAY = 'Watch the CLI ignore a final answer';
const DENIAL = 'Deny a login in the browser';
const DEADLINE = 'Leave a login unapproved';

/** In the browser frame the login opened: sign in if asked, confirm the code if asked, then deny. */
async function denyInBrowser(lab: LabPage): Promise<void> {
  await expect(lab.pageHeading(/Sign in|Check the code|Allow Acme CLI\?/)).toBeVisible();
  if (await lab.pageHeading('Sign in').isVisible()) await lab.signIn('alice');
  await expect(lab.pageHeading(/Check the code|Allow Acme CLI\?/)).toBeVisible();
  if (await lab.pageHeading('Check the code').isVisible()) await lab.confirmCode();
  await lab.decide('Deny');
}

test('lab 03: the runaway poller', async ({ page }) => {
  test.setTimeout(60_000);
  const lab = new LabPage(page);

  await test.step('open the lab: the CLI neither stops on final errors nor keeps a deadline', async () => {
    await lab.openLab('03-runaway-poller');
    await lab.expectNoneDone();
    await expect(lab.knob('Stop on denial and expiry')).not.toBeChecked();
    await expect(lab.knob('Local deadline')).not.toBeChecked();
    await expectAccessible(page, 'lab 03 at its start');
  });

  await test.step('deny in the browser: the CLI keeps polling a dead login', async () => {
    await lab.startLogin();
    await denyInBrowser(lab);
    await lab.skipToNextPoll();
    await lab.skipToNextPoll();
    await expect(lab.wireLog).toContainText('"error": "access_denied"');
    await lab.expectDone(RUNAWAY);
    await expect(lab.terminal).not.toContainText('Access denied');
    await lab.command.focus();
    await page.keyboard.press('Control+C');
    await expect(lab.terminal).toContainText('Login cancelled');
  });

  await test.step('stop on final answers, deny again: one access_denied, one message', async () => {
    await lab.knob('Stop on denial and expiry').check();
    await lab.expectKnobStatus('The CLI restarted');
    await lab.startLogin();
    await denyInBrowser(lab);
    await lab.skipPollsUntilTerminal('✗ Access denied');
    await lab.expectDone(DENIAL);
    await lab.expectNotDone(DEADLINE);
  });

  await test.step('a deadline of its own: a login nobody approves ends at expires_in', async () => {
    await lab.knob('Local deadline').check();
    await lab.expectKnobStatus('The CLI restarted');
    await lab.startLogin();
    await lab.skipTo('code expiry');
    await expect(lab.terminal).toContainText('without approval');
    await lab.expectDone(DEADLINE);
  });

  await test.step('the debrief', async () => {
    await lab.expectDebrief();
    await expect(lab.debrief).toContainText('spring-authorization-server#1885');
    await expectAccessible(page, 'lab 03 debrief');
  });
});
