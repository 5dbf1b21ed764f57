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

test('the instructor switch hides hints and solutions in the labs opened from instructor mode, on every screen', async ({ page, context }) => {
  test.setTimeout(60_000);
  await page.goto('/#/instructor');
  const toggle = page.getByRole('button', { name: 'Hide hints and solutions' });
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  await toggle.focus();
  await page.keyboard.press('Enter');
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByText(/^On: labs opened from this page/)).toBeVisible();
  await expectAccessible(page, 'instructor mode, hints hidden');

  // The gallery opens the scene with hints and solutions hidden.
  const card = page.getByRole('list', { name: 'Failure-mode gallery' }).getByRole('listitem').filter({ hasText: 'F8' });
  await card.getByRole('link', { name: /^Start F8 in lab 6/ }).click();
  await expect(page).toHaveURL(/#\/lab\/06-credentials-file\?step=1&hints=off$/);
  const lab = new LabPage(page);
  await lab.waitReady();
  await expect(page.getByText('Hints and solutions are hidden: this lab was opened from instructor mode with its switch on.')).toBeVisible();
  await expect(page.getByRole('button', { name: /hint/i })).toHaveCount(0);
  // The objectives' "Why not yet?" reasons say what is missing: hidden with the hints.
  await expect(page.getByText('Why not yet?')).toHaveCount(0);
  await expectAccessible(page, 'lab 06 from the gallery, hints hidden');

  // The deep link for the room carries the switch, so a second screen hides them too; at the last solution step
  // the debrief shows, without the fix.
  await page.goto('/#/instructor');
  await expect(page.getByRole('button', { name: 'Hide hints and solutions' })).toHaveAttribute('aria-pressed', 'true');
  await page.getByLabel('Lab', { exact: true }).selectOption('01-anatomy');
  const stepLabel = await page.getByText(/^Solution steps already done \(0 to \d+\)$/).innerText();
  const max = Number(/to (\d+)\)/.exec(stepLabel)![1]);
  await page.getByLabel(/^Solution steps already done/).fill(String(max));
  const link = page.getByRole('textbox', { name: 'Link to share' });
  await expect(link).toHaveValue(new RegExp(`#/lab/01-anatomy\\?step=${max}&hints=off$`));
  const screen = await context.newPage();
  await screen.goto(await link.inputValue());
  const second = new LabPage(screen);
  await second.waitReady();
  await expect(second.debrief).toBeVisible();
  await expect(second.debrief.getByRole('heading', { name: 'What happened', level: 3 })).toBeVisible();
  await expect(second.debrief.getByRole('heading', { name: 'The fix', level: 3 })).toHaveCount(0);
  await expect(second.debrief).toContainText('The fix is hidden');
  await expect(screen.getByRole('button', { name: /hint/i })).toHaveCount(0);
  await expectAccessible(screen, 'lab 01 debrief, fix hidden');

  // Off again: the gallery's links show everything, and a lab opened from home was never affected.
  await page.getByRole('button', { name: 'Hide hints and solutions' }).click();
  await expect(page.getByRole('button', { name: 'Hide hints and solutions' })).toHaveAttribute('aria-pressed', 'false');
  await expect(page.getByRole('link', { name: /^Start F8 in lab 6/ })).toHaveAttribute('href', '#/lab/06-credentials-file?step=1');
  await page.goto('/#/lab/06-credentials-file');
  await lab.waitReady();
  await expect(page.getByRole('button', { name: /^Show a hint/ })).toBeVisible();
  await expect(page.getByText('Why not yet?').first()).toBeVisible();
});
