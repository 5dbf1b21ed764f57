/**
 * Lab 13, solved through the UI: alice's CLI turns out to be signed in as mallory; log out, make user codes
 * 8 base-20 characters with an attempt limit of 5, and watch the next guessing run locked out while alice
 * approves her own code.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const GONE = 'Find out whose session your CLI really holds';
const LOCKED = 'Make guessing hopeless';
const SELF = 'end up signed in as yourself';

test('lab 13: strong codes and an attempt limit stop the guesser', async ({ page }) => {
  test.setTimeout(60_000);
  const lab = new LabPage(page);
  const attacker = page.getByRole('tabpanel', { name: 'Attacker' });
  const outcomes = page.getByRole('log', { name: 'Outcomes' }).getByRole('listitem');

  await test.step('the lab opens after the guesser approved alice\'s code as mallory', async () => {
    // The prelude replays the whole guessing run (up to 10 000 wrong codes, each a real request on the wire) in
    // the page before the lab is ready: a few seconds, within the page object's wait.
    await lab.openLab('13-guessing-user-codes');
    await expect(page.getByRole('heading', { level: 2, name: /^Lab 13: Guessing user codes/ })).toBeVisible();
    await lab.expectNoneDone();
    // The wire log and the audit log show their latest 50 entries, so the scan stays quick after thousands of guesses.
    await expectAccessible(page, 'lab 13 after the guessing run');
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await expect(outcomes.first()).toContainText('and approved it as mallory');
  });

  await test.step('whoami says mallory; log out', async () => {
    await lab.typeCommand('acme whoami');
    await expect(lab.terminal).toContainText('{"sub":"mallory"}');
    await lab.typeCommand('acme logout');
    await expect(lab.terminal).toContainText('✓ Logged out.');
    await lab.expectDone(GONE);
  });

  await test.step('as the admin, strong codes and an attempt limit', async () => {
    await lab.knob('User code alphabet').selectOption('base20');
    await lab.knob(/^User code length/).fill('8');
    await lab.knob(/^User code length/).press('Tab');
    await lab.expectKnobStatus('User code length: 8');
    await lab.knob(/^Wrong-code attempts per session/).fill('5');
    await lab.knob(/^Wrong-code attempts per session/).press('Tab');
    await lab.expectKnobStatus('Wrong-code attempts per session: 5');
  });

  await test.step('log in while the attacker guesses: locked out; alice signs in as herself', async () => {
    await lab.typeCommand('acme login');
    await expect(lab.terminal).toContainText(/one-time code: [BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}/);
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await attacker.getByRole('button', { name: 'Guess user codes' }).click();
    await expect(outcomes.last()).toContainText('✓ blocked — locked out after 5 wrong codes (attempt limit)');
    await lab.expectDone(LOCKED);
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await lab.typeCommand('acme whoami');
    await expect(lab.terminal).toContainText('{"sub":"alice"}');
    await lab.expectDone(SELF);
    await lab.expectDebrief();
  });
});
