/**
 * Lab 15, solved through the UI as a learner would: the backup's bearer token works from the attacker's host;
 * a real logout revokes it; with DPoP on, the next login's tokens are bound to the CLI's key, the API accepts
 * them with a proof, and the same theft from the backup gets a token the attacker cannot use.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const DEAD = 'Make the bearer tokens taken from the backup worthless';
const BOUND = 'Log in with DPoP and call the API';
const REFUSED = 'Let the attacker copy your new access token from the backup again';

test('lab 15: revoke the stolen bearer token, then bind the next one with DPoP', async ({ page }) => {
  test.setTimeout(60_000);
  const lab = new LabPage(page);
  const outcomes = page.getByRole('log', { name: 'Outcomes' });
  const attackerMove = (name: string) => page.getByRole('group', { name: 'Attacker moves' }).getByRole('button', { name });

  await test.step('the lab opens at its scene: the backup was read and the bearer token replayed', async () => {
    await lab.openLab('15-bearer-versus-dpop');
    await expect(page.getByRole('heading', { level: 2, name: 'Lab 15: Bearer replay versus DPoP' })).toBeVisible();
    await lab.expectNoneDone();
    await expect(lab.knob('DPoP')).not.toBeChecked();
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await expect(outcomes.getByRole('listitem')).toHaveCount(2);
    await expect(outcomes.getByRole('listitem').last()).toContainText('✗ succeeded');
    await expectAccessible(page, 'lab 15 at its start');
  });

  await test.step('log out (it revokes): the tokens from the backup are refused', async () => {
    await lab.typeCommand('acme logout');
    await expect(lab.terminal).toContainText('✓ Logged out.');
    await lab.expectDone(DEAD);
    await lab.expectNotDone(BOUND);
  });

  await test.step('turn DPoP on, log in and call the API: the token is DPoP-bound and accepted with a proof', async () => {
    await lab.knob('DPoP').check();
    await lab.expectKnobStatus('The CLI restarted');
    await lab.typeCommand('acme login');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await lab.typeCommand('acme api get /api/projects');
    await page.getByRole('tab', { name: 'Wire log' }).click();
    await expect(lab.wireLog).toContainText('DPoP ');
    await lab.expectDone(BOUND);
    await lab.expectNotDone(REFUSED);
    await expectAccessible(page, 'lab 15 with a DPoP-bound session');
  });

  await test.step('the attacker reads the backup as root again; the copy without the key is refused', async () => {
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await attackerMove('Read files as root').click();
    await expect(outcomes.getByRole('listitem')).toHaveCount(3);
    await attackerMove('Replay without the DPoP key').click();
    await expect(outcomes.getByRole('listitem')).toHaveCount(4);
    await expect(outcomes.getByRole('listitem').last()).toContainText('✓ blocked');
    await lab.expectDone(REFUSED);
    await expectAccessible(page, 'lab 15 with the replay refused');
  });

  await test.step('every objective is done and the debrief appears', async () => {
    await lab.expectDone(DEAD);
    await lab.expectDone(BOUND);
    await lab.expectDebrief();
    await expect(lab.debrief).toContainText('RFC 9449');
    await expectAccessible(page, 'lab 15 debrief');
  });
});
