/**
 * Home: the labs in order with level, minutes and status; continue where you left off; saved progress that is
 * corrupt or foreign gives a notice and a clean start; without storage the labs still work for the visit.
 */
import type { Page } from '@playwright/test';
import { expectAccessible } from './a11y';
import { test, expect } from './fixtures';
import { LabPage, PROGRESS_KEY } from './labs';

const labList = (page: Page) => page.getByRole('list', { name: 'Labs in order' });
const labCard = (page: Page, title: string) => labList(page).getByRole('listitem').filter({ hasText: title });
const RESET_NOTICE = 'Your saved progress could not be read and was reset.';

test('home lists the labs in order with level, minutes and status, and links to the sandbox and instructor mode', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Labs', level: 2 })).toBeVisible();
  const titles = await labList(page).getByRole('heading', { level: 3 }).allInnerTexts();
  const numbers = titles.map((t) => Number(/^(\d+)/.exec(t.trim())?.[1]));
  expect(numbers.length).toBeGreaterThanOrEqual(3);
  expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  const first = labCard(page, 'Anatomy of a device login');
  await expect(first).toContainText('Beginner');
  await expect(first).toContainText('10 min');
  await expect(first).toContainText('Not started');
  await expect(labCard(page, 'The credentials file')).toContainText('Intermediate');
  // Inline code in a title renders as code, not as backticks.
  expect(titles.join('\n')).not.toContain('`');
  await expect(labList(page).getByRole('heading', { level: 3 }).locator('code').filter({ hasText: 'acme token' })).toHaveCount(1);
  await expect(page.getByRole('link', { name: /^Continue where you left off/ })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Open the knob sandbox' })).toHaveAttribute('href', '#/sandbox');
  await expect(page.getByRole('link', { name: 'Instructor mode' })).toHaveAttribute('href', '#/instructor');
  await expectAccessible(page, 'home');
});

test('continue where you left off opens the last lab in progress', async ({ page }) => {
  const lab = new LabPage(page);
  await lab.openLab('02-polling-etiquette');
  await page.getByRole('link', { name: 'Labs', exact: true }).click();
  await expect(labCard(page, 'Polling etiquette')).toContainText('In progress');
  const resume = page.getByRole('link', { name: 'Continue where you left off: 2. Polling etiquette' });
  await expectAccessible(page, 'home with a lab in progress');
  await resume.click();
  await lab.waitReady();
  await expect(page).toHaveURL(/#\/lab\/02-polling-etiquette$/);
});

for (const [name, raw] of [
  ['corrupt JSON', '{"version":1,"labs":{'],
  ['a future version', JSON.stringify({ version: 7, labs: {} })],
  ['a foreign shape', JSON.stringify({ version: 1, labs: { '<img src=x onerror=alert(1)>': { status: 'completed' } } })],
] as const) {
  test(`saved progress with ${name} gives a notice and a clean start`, async ({ page }) => {
    await page.goto('/');
    await page.evaluate(([key, value]) => localStorage.setItem(key!, value!), [PROGRESS_KEY, raw]);
    await page.reload();
    await expect(page.getByRole('status').filter({ hasText: RESET_NOTICE })).toBeVisible();
    await expect(labCard(page, 'Anatomy of a device login')).toContainText('Not started');
    await expect(page.locator('img')).toHaveCount(0);
    await expectAccessible(page, `home after ${name}`);
    expect(JSON.parse((await page.evaluate((key) => localStorage.getItem(key), PROGRESS_KEY))!)).toEqual({ version: 1, labs: {} });
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await expect(page.getByText(RESET_NOTICE)).toHaveCount(0);
    await page.reload();
    await expect(labList(page)).toBeVisible();
    await expect(page.getByText(RESET_NOTICE)).toHaveCount(0);
  });
}

test('where storage is unavailable the labs still work for the visit', async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(window, 'localStorage', { get() { throw new DOMException('The operation is insecure.', 'SecurityError'); } });
  });
  await page.goto('/');
  await expect(page.getByRole('note')).toContainText('kept for this visit only');
  await expectAccessible(page, 'home without storage');
  await page.getByRole('link', { name: /The credentials file/ }).click();
  const lab = new LabPage(page);
  await lab.waitReady();
  await lab.typeCommand('acme logout');
  await lab.expectDone('Make the tokens bob copied worthless');
  await page.getByRole('link', { name: 'All labs', exact: true }).click();
  await expect(labCard(page, 'The credentials file')).toContainText('In progress');
  await expect(page.getByRole('link', { name: /^Continue where you left off: 6\./ })).toBeVisible();
});

test('moving between a lab, the simulator and the lab list in one page renders each view with its own props', async ({ page }) => {
  await page.goto('/#/lab/01-anatomy');
  await expect(page.getByRole('textbox', { name: 'Command' })).toBeVisible();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Simulator' }).click();
  await expect(page).toHaveURL(/#\/simulator$/);
  await expect(page.getByRole('textbox', { name: 'Command' })).toBeVisible();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Labs' }).click();
  await expect(page.getByRole('link', { name: /Anatomy/i }).first()).toBeVisible();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Instructor' }).click();
  await expect(page.getByRole('heading', { name: 'Instructor mode' })).toBeVisible();
});
