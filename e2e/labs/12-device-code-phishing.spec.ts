/**
 * Lab 12 through the UI: as the identity provider's admin, stop one-click approval and give the consent page
 * context; the careful victim then refuses the next phish. The third objective (kill the phished session) is
 * solved with "sign out everywhere" in the browser, which the runner supports (`sign-out-everywhere`) but the
 * browser frame does not offer yet; until it does, the full solution is checked through the lab's deep link.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const LINK = 'stop approving on a link';
const TELL = 'the careful victim refuses the next phishing attempt';
const DEAD = 'Make the tokens the attacker phished this morning worthless';

test('lab 12: a verification page a careful person can say no to', async ({ page }) => {
  const lab = new LabPage(page);
  const attacker = page.getByRole('tabpanel', { name: 'Attacker' });
  const outcomes = page.getByRole('log', { name: 'Outcomes' }).getByRole('listitem');

  await test.step('the lab opens after a one-click phish', async () => {
    await lab.openLab('12-device-code-phishing');
    await expect(page.getByRole('heading', { level: 2, name: 'Lab 12: Device-code phishing and the consent page' })).toBeVisible();
    await lab.expectNoneDone();
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await expect(outcomes.first()).toContainText('approved by opening the link (one-click)');
    await expectAccessible(page, 'lab 12 at its start');
  });

  await test.step('confirm page only: the victim decides, but has nothing to go on', async () => {
    await lab.knob('Complete link behaviour').selectOption('confirm');
    await lab.expectKnobStatus('Applies from the next request');
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await attacker.getByLabel('Victim').selectOption('reads-consent');
    await attacker.getByRole('button', { name: 'Phish a colleague' }).click();
    await expect(outcomes.last()).toContainText('the consent page gave no context to doubt it');
    await lab.expectDone(LINK);
    await lab.expectNotDone(TELL);
  });

  await test.step('full consent detail: the careful victim denies', async () => {
    await lab.knob('Consent page detail').selectOption('full');
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await attacker.getByRole('button', { name: 'Phish a colleague' }).click();
    await expect(outcomes.last()).toContainText('✓ blocked — the consent page showed where the request came from and warned the victim, who denied it');
    await lab.expectDone(TELL);
    await lab.expectNotDone(DEAD);
  });
});

test('lab 12: the full solution (with sign out everywhere) completes the lab', async ({ page }) => {
  const lab = new LabPage(page);
  await lab.openLab('12-device-code-phishing', 4);
  await lab.expectDone(DEAD);
  await lab.expectDone(TELL);
  await lab.expectDebrief();
  await expectAccessible(page, 'lab 12 debrief');
});
