/**
 * Lab 04, solved through the UI as a learner would: see the tokens in the CI job log and the replay, revoke,
 * run the job again with the trace redacted, and end it with a revoking logout.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const STOLEN = 'Make the tokens the log reader copied worthless';
const REDACTED = 'Run the job again with the debug trace still on';
const OUTLIVE = 'End the job logged out, with revocation';

test('lab 04: the leaky debug log and the CI job log', async ({ page }) => {
  test.setTimeout(60_000);
  const lab = new LabPage(page);

  await test.step('open the lab: last night’s job logged the tokens, and a log reader used them', async () => {
    await lab.openLab('04-leaky-debug-log');
    await lab.expectNoneDone();
    await expect(lab.terminal).toContainText('"access_token":"ey');
    await expect(lab.terminal).toContainText('authorization: Bearer ey');
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await expect(page.getByRole('log', { name: 'Outcomes' })).toContainText('Replay access token: ✗ succeeded');
    await expectAccessible(page, 'lab 04 at its start');
  });

  await test.step('a revoking logout kills the stolen session', async () => {
    await lab.typeCommand('acme logout');
    await expect(lab.terminal).toContainText('✓ Logged out.');
    await lab.expectDone(STOLEN);
    await lab.expectNotDone(REDACTED);
  });

  await test.step('the job again, trace on, secrets redacted', async () => {
    await lab.knob('Redact secrets in logs').check();
    await lab.expectKnobStatus('The CLI restarted');
    await lab.typeCommand('acme login --no-browser');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await lab.typeCommand('acme api get /api/projects');
    await expect(lab.terminal).toContainText('authorization: Bearer [REDACTED]');
    await lab.expectDone(REDACTED);
    await lab.expectNotDone(OUTLIVE);
  });

  await test.step('end the job with a logout that revokes', async () => {
    await lab.typeCommand('acme logout');
    await lab.expectDone(OUTLIVE);
    await lab.expectDebrief();
    await expect(lab.debrief).toContainText('azure-cli#17625');
    await expectAccessible(page, 'lab 04 debrief');
  });
});
