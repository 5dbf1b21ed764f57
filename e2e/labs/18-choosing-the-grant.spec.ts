/**
 * Lab 18, solved through the UI: the same CLI against the GitHub-like profile (errors with HTTP 200) and the
 * Entra-like profile (authorization_declined).
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const GITHUB = 'Log in against the GitHub-like provider';
const ENTRA = 'Against the Entra-like provider, deny the request';

test('lab 18: survive GitHub-like and Entra-like token endpoints', async ({ page }) => {
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

  await test.step('Entra-like: a denial is authorization_declined and the CLI stops', async () => {
    await lab.typeCommand('acme logout');
    await lab.knob('Identity provider profile').selectOption('entra');
    const before = (await lab.terminal.innerText()).split('one-time code:').length;
    await lab.typeCommand('acme login');
    await expect.poll(async () => (await lab.terminal.innerText()).split('one-time code:').length).toBeGreaterThan(before);
    // The newest code on the terminal (the GitHub-like login's code is still in the scrollback).
    const code = [...(await lab.terminal.innerText()).matchAll(/one-time code: (\S+)/g)].at(-1)![1]!;
    await lab.skipToNextPoll();
    await lab.enterCodeInBrowser(code);
    await lab.decide('Deny');
    await lab.skipPollsUntilTerminal('authorization_declined');
    await lab.expectDone(ENTRA);
    await lab.expectDebrief();
  });
});
