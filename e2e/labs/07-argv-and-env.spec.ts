/**
 * Lab 07, solved through the UI as a learner would: find the token in `ps`, revoke it, switch the CLI to read
 * the token from its store, and call the API again with nothing secret on the command line.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const FIND = 'Find your access token where bob found it';
const DEAD = 'Make the token bob copied worthless';
const CLEAN = 'call the API again so that no token the server still accepts';

test('lab 07: tokens in argv and env', async ({ page }) => {
  test.setTimeout(60_000);
  const lab = new LabPage(page);

  await test.step('open the lab', async () => {
    await lab.openLab('07-argv-and-env');
    await lab.expectNoneDone();
    await expect(lab.knob('Token delivery to sub-commands')).toHaveValue('argv');
    await expectAccessible(page, 'lab 07 at its start');
  });

  await test.step('ps shows the token to every account', async () => {
    await lab.typeCommand('ps');
    await expect(lab.terminal).toContainText('acme api GET /api/projects --token ey');
    await lab.expectDone(FIND);
  });

  await test.step('revoke it', async () => {
    await lab.typeCommand('acme logout');
    await lab.expectDone(DEAD);
    await lab.expectNotDone(CLEAN);
  });

  await test.step('read the token from the store, log in and call the API again', async () => {
    await lab.knob('Token delivery to sub-commands').selectOption('store');
    await lab.expectKnobStatus('The CLI restarted');
    await lab.typeCommand('acme login');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await lab.typeCommand('acme api get /api/projects');
    await expect(lab.terminal).toContainText('payments-service');
    await lab.expectDone(CLEAN);
  });

  await test.step('the debrief', async () => {
    await lab.expectDebrief();
    await expect(lab.debrief).toContainText('azure-cli#32068');
    await expectAccessible(page, 'lab 07 debrief');
  });
});
