/**
 * Instructor mode: large type for projectors, the failure-mode gallery (one click to a lab's scene), deep links
 * with ?step= that open the same scene on every screen, and "Reset everything".
 */
import { expectAccessible } from './a11y';
import { test, expect } from './fixtures';
import { LabPage } from './labs';

const rootFontSize = (page: import('@playwright/test').Page) =>
  page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));

test('large type scales the page for projectors and is remembered', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('link', { name: 'Instructor', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Instructor mode' })).toBeVisible();
  const toggle = page.getByRole('button', { name: 'Large type for projectors' });
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  const normal = await rootFontSize(page);
  await expectAccessible(page, 'instructor mode');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await expect.poll(() => rootFontSize(page)).toBeGreaterThan(normal * 1.3);
  await expectAccessible(page, 'instructor mode, large type');
  await page.reload();
  await expect(page.getByRole('button', { name: 'Large type for projectors' })).toHaveAttribute('aria-pressed', 'true');
  await page.goto('/#/lab/01-anatomy');
  await expect.poll(() => rootFontSize(page)).toBeGreaterThan(normal * 1.3);
  await new LabPage(page).waitReady();
  await expectAccessible(page, 'a lab in large type');
});

test('the gallery opens a failure mode at its scene in one click', async ({ page }) => {
  await page.goto('/#/instructor');
  const card = page.getByRole('list', { name: 'Failure-mode gallery' }).getByRole('listitem').filter({ hasText: 'F8' });
  await expect(card).toContainText('Credentials file 0644');
  await card.getByRole('link', { name: /^Start F8 in lab 6/ }).click();
  const lab = new LabPage(page);
  await lab.waitReady();
  // The prelude already ran on the virtual clock (the login, the world-readable file, bob's replay), and so did
  // the lab's showcase: `ls -la` puts the world-readable mode on screen.
  await expect(page).toHaveURL(/#\/lab\/06-credentials-file\?step=1$/);
  await expect(lab.terminal).toContainText('Credentials saved to ~/.config/acme/credentials.json (mode 0644)');
  await expect(lab.terminal).toContainText('-rw-r--r--');
  await expect(lab.clock).not.toHaveText('00:00');
  await page.getByRole('tab', { name: 'Attacker' }).click();
  await expect(page.getByRole('tabpanel', { name: 'Attacker' })).toContainText(/bob|other local users/);
  await expectAccessible(page, 'lab 06 opened from the gallery');

  // A failure with no prelude: the runaway poller's slow_down answers are already on the wire, no waiting.
  await page.goto('/#/instructor');
  const f1 = page.getByRole('list', { name: 'Failure-mode gallery' }).getByRole('listitem').filter({ hasText: 'F1' }).first();
  await f1.getByRole('link', { name: /^Start F1 in lab 2/ }).click();
  await lab.waitReady();
  await expect(page.getByRole('tabpanel', { name: 'Wire log' })).toContainText('slow_down');
});

test('a deep link with ?step= opens the same scene on every screen', async ({ page, context }) => {
  await page.goto('/#/instructor');
  await page.getByLabel('Lab', { exact: true }).selectOption('02-polling-etiquette');
  await page.getByLabel(/^Solution steps already done/).fill('2');
  const link = page.getByRole('textbox', { name: 'Link to share' });
  await expect(link).toHaveValue(/#\/lab\/02-polling-etiquette\?step=2$/);
  await expectAccessible(page, 'instructor deep link');
  const url = await link.inputValue();

  const screens = [page, await context.newPage()];
  const seen: string[] = [];
  for (const screen of screens) {
    await screen.goto(url);
    const lab = new LabPage(screen);
    await lab.waitReady();
    await expect(screen.getByText('opened at solution step 2')).toBeVisible();
    await lab.expectDone('watch the server answer a poll with');
    await lab.expectNotDone('Fix the back-off');
    seen.push(`${await lab.clock.innerText()} ${await screen.getByRole('list', { name: 'HTTP exchanges' }).getByRole('listitem').count()}`);
  }
  expect(seen[0]).toBe(seen[1]);
  expect(seen[0]).toMatch(/^00:20 /);
  await expectAccessible(page, 'lab 02 at step 2');
});

test('bad lab links give a notice and a working page', async ({ page }) => {
  await page.goto('/#/lab/02-polling-etiquette?step=abc');
  await new LabPage(page).waitReady();
  await expect(page.getByRole('status').filter({ hasText: 'is not a step number' })).toBeVisible();
  await page.goto('/#/lab/02-polling-etiquette?step=999');
  await new LabPage(page).waitReady();
  await expect(page.getByRole('status').filter({ hasText: /This lab has \d+ solution steps, not 999/ })).toBeVisible();
  await page.goto('/#/lab/99-no-such-lab');
  await expect(page.getByRole('status').filter({ hasText: 'There is no lab called “99-no-such-lab”' })).toBeVisible();
  await expect(page.getByRole('list', { name: 'Labs in order' })).toBeVisible();
  await expectAccessible(page, 'an unknown lab');
});

test('reset everything, with a keyboard-accessible confirmation', async ({ page }) => {
  await new LabPage(page).openLab('01-anatomy');
  await page.goto('/#/instructor');
  await page.getByRole('button', { name: 'Large type for projectors' }).click();
  const start = page.getByRole('button', { name: 'Reset everything…' });
  await start.focus();
  await page.keyboard.press('Enter');
  const confirm = page.getByRole('button', { name: 'Yes, erase all progress' });
  await expect(confirm).toBeFocused();
  await expectAccessible(page, 'reset confirmation');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('status').filter({ hasText: 'All saved progress was erased.' })).toBeVisible();
  await expect(start).toBeFocused();
  await expect(page.getByRole('button', { name: 'Large type for projectors' })).toHaveAttribute('aria-pressed', 'false');
  await page.getByRole('link', { name: 'Labs', exact: true }).click();
  await expect(page.getByRole('link', { name: /^Continue where you left off/ })).toHaveCount(0);
  await expect(page.getByRole('list', { name: 'Labs in order' }).getByRole('listitem').filter({ hasText: 'Anatomy' })).toContainText('Not started');
});
