/**
 * Lab 19, solved through the UI: alice's terminal is on a shared screen; a spy watching the call enters her code
 * with his own account while she reads the consent page, so her CLI is signed in as mallory. She checks
 * `acme whoami`, logs out, binds codes to the first session as the identity provider's admin, and logs in again:
 * the spy is refused and her CLI is hers.
 */
import { expectAccessible } from '../a11y';
import { test, expect } from '../fixtures';
import { LabPage } from '../labs';

const SPY_WINS = 'your CLI ends up signed in to mallory';
const LOG_OUT = 'Find out from the CLI whose account it got';
const REFUSED = 'make a code belong to the first browser session that enters it';

test('lab 19: a spy on the call takes over the login, then the code belongs to whoever entered it first', async ({ page }) => {
  const lab = new LabPage(page);
  const attackerMove = (name: string) => page.getByRole('tabpanel', { name: 'Attacker' }).getByRole('button', { name });
  const outcomes = page.getByRole('log', { name: 'Outcomes' }).getByRole('listitem');
  /** Be the spy: read the code off the shared screen and enter it, signed in as mallory. */
  const spy = async () => {
    await page.getByRole('tab', { name: 'Attacker' }).click();
    await attackerMove('Watch the shared screen').click();
    await expect(outcomes.last()).toContainText('as people watching your screen: found user code');
    await attackerMove('Enter a seen user code').click();
  };

  await test.step('the lab opens with nothing done', async () => {
    await lab.openLab('19-session-spying');
    await expect(page.getByRole('heading', { level: 2, name: 'Lab 19: Session spying on a shared screen' })).toBeVisible();
    await lab.expectNoneDone();
    await expectAccessible(page, 'lab 19 at its start');
  });

  await test.step('while alice reads the consent page the spy approves her code; her Approve is too late', async () => {
    await lab.startLogin();
    await lab.signIn('alice');
    await lab.confirmCode();
    await spy();
    await expect(outcomes.last()).toContainText('approved it as mallory before its owner did');
    await lab.browser.getByRole('button', { name: 'Approve' }).click();
    await expect(lab.browser).toContainText('That code has already been used.');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await lab.expectDone(SPY_WINS);
    await lab.expectNotDone(LOG_OUT);
  });

  await test.step('whoami shows the spy\'s account; logging out revokes it', async () => {
    await lab.run('acme whoami');
    await expect(lab.terminal).toContainText('{"sub":"mallory"}');
    await lab.run('acme logout');
    await lab.expectDone(LOG_OUT);
    await lab.expectNotDone(REFUSED);
  });

  await test.step('bind the code to the first session and log in again: the spy is refused', async () => {
    await lab.knob('Bind code to first session').check();
    await lab.expectKnobStatus('Applies from the next request');
    await lab.startLogin();
    // Still signed in from the first login: confirm the code, and the consent page is in front of alice.
    await lab.confirmCode();
    await spy();
    await expect(outcomes.last()).toContainText('refused: That code has already been used.');
    await lab.decide('Approve');
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await lab.run('acme whoami');
    await expect(lab.terminal).toContainText('{"sub":"alice"}');
    await lab.expectDone(REFUSED);
    await lab.expectDone(SPY_WINS);
    await lab.expectDone(LOG_OUT);
    await lab.expectDebrief();
    await expectAccessible(page, 'lab 19 debrief');
  });
});
