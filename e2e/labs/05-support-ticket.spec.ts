/**
 * Lab 05, solved through the UI as a learner would: revoke the session pasted into this morning's support
 * ticket, then send support a redacted trace without ever printing the new token.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const DEAD = 'Make the tokens in the support ticket worthless';
const TICKET = 'send support a new paste';
const OFF_SCREEN = 'Keep the new session';

test('lab 05: acme token and the support ticket', async ({ page }) => {
  test.setTimeout(60_000);
  const lab = new LabPage(page);

  await test.step('open the lab: the token was printed, pasted, and used', async () => {
    await lab.openLab('05-support-ticket');
    await lab.expectNoneDone();
    await expect(lab.terminal).toContainText('$ acme token');
    await expect(lab.terminal).toContainText('Pasted the last 40 terminal lines into a support ticket');
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await expect(page.getByRole('log', { name: 'Outcomes' })).toContainText('Replay access token: ✗ succeeded');
    await expectAccessible(page, 'lab 05 at its start');
  });

  await test.step('a paste cannot be recalled: revoke the session', async () => {
    await lab.typeCommand('acme logout');
    await lab.expectDone(DEAD);
    await lab.expectNotDone(TICKET);
  });

  await test.step('redact, log in, reproduce the failure and paste again; no acme token this time', async () => {
    await lab.knob('Redact secrets in logs').check();
    await lab.expectKnobStatus('The CLI restarted');
    await lab.typeCommand('acme login');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await lab.typeCommand('acme api delete /api/projects/p1');
    await expect(lab.terminal).toContainText('insufficient_scope');
    await lab.typeCommand('support-ticket');
    await lab.expectDone(TICKET);
    await lab.expectDone(OFF_SCREEN);
  });

  await test.step('the debrief', async () => {
    await lab.expectDebrief();
    await expect(lab.debrief).toContainText('Okta');
    await expectAccessible(page, 'lab 05 debrief');
  });
});
