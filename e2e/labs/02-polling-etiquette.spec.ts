/**
 * Lab 02, solved through the UI as a learner would: hear slow_down, fix the back-off with the lab's knob and
 * watch the gaps grow by 5 s, then fix the interval and finish a login that never hears slow_down.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const HEAR = 'watch the server answer a poll with';
const BACK_OFF = 'Fix the back-off';
const POLITE = 'Fix the interval';

test('lab 02: polling etiquette', async ({ page }) => {
  test.setTimeout(60_000);
  const lab = new LabPage(page);

  await test.step('open the lab', async () => {
    await lab.openLab('02-polling-etiquette');
    await lab.expectNoneDone();
    await expect(lab.knob('slow_down handling')).toHaveValue('add-1');
    await expectAccessible(page, 'lab 02 at its start');
  });

  await test.step('the impatient CLI hears slow_down', async () => {
    await lab.startLogin();
    await lab.skipToNextPoll();
    await lab.skipToNextPoll();
    await expect(page.getByRole('list', { name: 'HTTP exchanges' })).toContainText('"error": "slow_down"');
    await lab.expectDone(HEAR);
    await lab.expectNotDone(BACK_OFF);
  });

  await test.step('stop the login, fix the back-off, and log in again', async () => {
    await lab.command.focus();
    await page.keyboard.press('Control+C');
    await expect(lab.terminal).toContainText('^C');
    await lab.knob('slow_down handling').selectOption('add-5');
    await lab.expectKnobStatus('slow_down handling: add-5');
    await lab.typeCommand('acme login');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await lab.expectDone(BACK_OFF);
    await lab.expectNotDone(POLITE);
    await expectAccessible(page, 'lab 02 with two objectives done');
  });

  await test.step('log out, honour the server’s interval, and log in once more', async () => {
    await lab.typeCommand('acme logout');
    await lab.knob("CLI poll interval: use the server's interval").check();
    await lab.expectKnobStatus('The CLI restarted');
    await lab.typeCommand('acme login');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await lab.expectDone(POLITE);
  });

  await test.step('the debrief', async () => {
    await lab.expectDebrief();
    await expect(lab.debrief).toContainText('RFC 8628');
    await expectAccessible(page, 'lab 02 debrief');
  });
});
