/**
 * The instructor gallery opens each failure mode at a scene that shows it: a lab that teaches two failures can
 * give one its own moment (src/labs/types.ts `showcases`; the lab check proves the scene shows the failure).
 * Here the three the gallery used to open at the wrong moment: F9, F22 and F24.
 */
import { expectAccessible } from './a11y';
import { test, expect } from './fixtures';
import { LabPage } from './labs';

async function openFromGallery(lab: LabPage, id: string, labNumber: number): Promise<void> {
  await lab.page.goto('/#/instructor');
  const card = lab.page.getByRole('list', { name: 'Failure-mode gallery' }).getByRole('listitem').filter({ hasText: id }).first();
  await card.getByRole('link', { name: new RegExp(`^Start ${id} in lab ${labNumber}:`) }).click();
  await lab.waitReady();
}

test('F9 opens lab 6 after the silent plaintext fallback: one warning, and the token in a file', async ({ page }) => {
  const lab = new LabPage(page);
  await openFromGallery(lab, 'F9', 6);
  await expect(page).toHaveURL(/#\/lab\/06-credentials-file\?step=6$/);
  await expect(lab.terminal).toContainText('warning: no OS keyring found; credentials saved in plain text to ~/.config/acme/credentials.json');
  await expect(lab.terminal).toContainText('credentials.json');
  await lab.expectNotDone('Log in again so that no token the server still accepts is readable');
  await expectAccessible(page, 'lab 06 at F9');
});

test('F22 opens lab 16 with the job answering as alice, on a token it has been refreshing for days', async ({ page }) => {
  const lab = new LabPage(page);
  await openFromGallery(lab, 'F22', 16);
  await expect(page).toHaveURL(/#\/lab\/16-shared-hosts-and-ci\?step=1$/);
  await expect(lab.terminal).toContainText('{"sub":"alice"}');
  await page.getByRole('tab', { name: 'Audit' }).click();
  await expect(page.getByRole('tabpanel', { name: 'Audit' })).toContainText('token.refreshed');
});

test('F24 opens lab 18 on the laptop where a phished device code gave the attacker alice\'s tokens', async ({ page }) => {
  const lab = new LabPage(page);
  await openFromGallery(lab, 'F24', 18);
  await expect(page).toHaveURL(/#\/lab\/18-choosing-the-grant$/);
  await page.getByRole('tab', { name: 'Attacker' }).click();
  await expect(page.getByRole('tabpanel', { name: 'Attacker' })).toContainText('the victim approved');
  await expectAccessible(page, 'lab 18 at F24');
});
