/**
 * Lab 20, solved through the UI: a QR-code lure mints its device code when alice scans it, as the web console.
 * A one-minute code lifetime does not stop it; keeping the device grant to registered clients does (the identity
 * provider refuses the web console, the lure borrows the CLI's client, the consent page names it, alice denies),
 * and the CLI still signs in.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const LIFETIME = 'Shorten the code lifetime to one minute or less';
const REFUSED = 'refuse to start a device flow as the web console';
const VICTIM = 'the lure borrows the CLI';
const CLI = 'the CLI, registered for the device grant, still signs in';

test('lab 20: a QR-code lure mints fresh codes; only refusing the device grant to the web console stops it', async ({ page }) => {
  test.setTimeout(60_000);
  const lab = new LabPage(page);
  const attacker = page.getByRole('tabpanel', { name: 'Attacker' });
  const outcomes = page.getByRole('log', { name: 'Outcomes' }).getByRole('listitem');
  const sendLure = async () => {
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await attacker.getByLabel('Victim').selectOption('reads-consent');
    await attacker.getByRole('button', { name: 'Send a QR-code lure' }).click();
  };

  await test.step('the lab opens after this morning\'s lure: the web console\'s name, a fresh code, alice approved', async () => {
    await lab.openLab('20-qr-code-phishing');
    await expect(page.getByRole('heading', { level: 2, name: 'Lab 20: QR-code phishing with codes minted on the scan' })).toBeVisible();
    await lab.expectNoneDone();
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await expect(outcomes.first()).toContainText('started a device flow as Acme web console that second');
    await expect(outcomes.first()).toContainText('✗ succeeded');
    await expectAccessible(page, 'lab 20 at its start');
  });

  await test.step('a one-minute code lifetime: the next lure works all the same', async () => {
    await lab.knob(/^Code lifetime/).fill('60');
    await lab.knob(/^Code lifetime/).press('Tab');
    await lab.expectKnobStatus('Code lifetime: 60');
    await sendLure();
    await expect(outcomes.last()).toContainText('its 60 s lifetime had only just begun');
    await expect(outcomes.last()).toContainText('✗ succeeded');
    await lab.expectDone(LIFETIME);
    await lab.expectNotDone(REFUSED);
  });

  await test.step('the device grant for registered clients only: the web console is refused and alice denies the borrowed CLI client', async () => {
    await lab.knob('Clients allowed the device flow').selectOption('registered');
    await lab.expectKnobStatus('Applies from the next request');
    await sendLure();
    await expect(outcomes.last()).toContainText('refused a device flow as Acme web console (unauthorized_client)');
    await expect(outcomes.last()).toContainText('the consent page named Acme CLI, not the Acme web console the lure promised, and the victim denied it');
    await expect(outcomes.last()).toContainText('✓ blocked');
    await lab.expectDone(REFUSED);
    await lab.expectDone(VICTIM);
    await lab.expectNotDone(CLI);
  });

  await test.step('the CLI still signs in; the debrief appears', async () => {
    await lab.startLogin();
    await lab.approveInBrowser('alice');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await lab.expectDone(CLI);
    await lab.expectDebrief();
    await expectAccessible(page, 'lab 20 debrief');
  });
});
