/**
 * Lab 18, solved through the UI: the same CLI against the GitHub-like profile (errors with HTTP 200) and the
 * Entra-like profile (authorization_declined, which this CLI first ignores; the learner fixes it).
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const GITHUB = 'Log in against the GitHub-like provider';
const ENTRA = 'Against the Entra-like provider, deny the request';
const FIXED = 'Fix the CLI so that a provider\'s own error ends the login';

/** The newest one-time code on the terminal, after `acme login` printed a new one. */
async function newLogin(lab: LabPage): Promise<string> {
  const before = (await lab.terminal.innerText()).split('one-time code:').length;
  await lab.typeCommand('acme login');
  await expect.poll(async () => (await lab.terminal.innerText()).split('one-time code:').length).toBeGreaterThan(before);
  return [...(await lab.terminal.innerText()).matchAll(/one-time code: (\S+)/g)].at(-1)![1]!;
}

test('lab 18: survive GitHub-like and Entra-like token endpoints, and fix the CLI that only knew the RFC', async ({ page }) => {
  const lab = new LabPage(page);
  await lab.openLab('18-choosing-the-grant');
  await expect(page.getByRole('heading', { level: 2, name: /^Lab 18: Is device flow the right grant here/ })).toBeVisible();
  await lab.expectNoneDone();
  await expectAccessible(page, 'lab 18 at its start');

  await test.step('GitHub-like: pending polls come back 200 with an error', async () => {
    await lab.knob('Identity provider profile').selectOption('github');
    const code = await lab.startLogin();
    await lab.skipToNextPoll();
    // No verification_uri_complete on this provider: sign in and type the code.
    await lab.signIn('alice');
    await lab.enterCodeInBrowser(code);
    await lab.decide('Approve');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await page.getByRole('tab', { name: 'Wire log' }).click();
    await expect(lab.wireLog).toContainText('authorization_pending');
    await lab.expectDone(GITHUB);
  });

  await test.step('Entra-like: a denial is authorization_declined, and this CLI keeps polling', async () => {
    await lab.typeCommand('acme logout');
    await lab.knob('Identity provider profile').selectOption('entra');
    const code = await newLogin(lab);
    await lab.skipToNextPoll();
    await lab.enterCodeInBrowser(code);
    await lab.decide('Deny');
    await lab.skipToNextPoll();
    await lab.skipToNextPoll();
    await lab.expectDone(ENTRA);
    await expect(lab.terminal).not.toContainText('authorization_declined');
    await lab.expectNotDone(FIXED);
    await lab.command.focus();
    await page.keyboard.press('Control+C');
    await expect(lab.terminal).toContainText('Login cancelled');
  });

  await test.step('fixed: the first authorization_declined ends the login', async () => {
    await lab.knob('Unknown poll errors').selectOption('stop');
    await lab.expectKnobStatus('The CLI restarted');
    const code = await newLogin(lab);
    await lab.skipToNextPoll();
    await lab.enterCodeInBrowser(code);
    await lab.decide('Deny');
    await lab.skipPollsUntilTerminal('authorization_declined');
    await lab.expectDone(FIXED);
    await lab.expectDebrief();
  });
});
