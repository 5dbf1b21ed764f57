/**
 * The docs page (#/embed): a team picks options, copies a snippet, and watches the same options run in a
 * sandboxed live example whose events are listed as they arrive.
 */
import { expectAccessible } from './a11y';
import { test, expect } from './fixtures';
import { LabPage } from './labs';

test('the embed docs page: snippets follow the options, the live example runs and reports its events', async ({ page }) => {
  await page.goto('/#/');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Embed' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Embed the lab in your docs' })).toBeVisible();
  const element = page.getByLabel('Custom element snippet');
  const iframe = page.getByLabel('Iframe snippet');
  await expect(element).toContainText('device-flow-lab.js');
  await expect(element).toContainText('<device-flow-lab lab="01-anatomy"></device-flow-lab>');
  await expect(iframe).toContainText('embed.html#lab=01-anatomy&amp;origins=https://docs.example.com');

  const live = new LabPage(page, page.frameLocator('iframe[title^="Live example"]'));
  await live.waitReady();
  const events = page.getByRole('list', { name: 'Events received' });
  await expect(events).toContainText('ready');

  await page.getByLabel('Organisation').fill('Globex');
  await page.getByLabel('CLI name').fill('gx');
  await page.getByLabel('Mode').selectOption('compact');
  await expect(element).toContainText('<device-flow-lab lab="01-anatomy" mode="compact" org="Globex" cli="gx"></device-flow-lab>');
  await expect(iframe).toContainText('mode=compact&amp;org=Globex&amp;cli=gx');
  await live.waitReady();
  await expect(live.scope.getByText('Try gx login')).toBeVisible();

  // A name the embed would refuse gives a notice instead of a snippet that silently falls back.
  await page.getByLabel('CLI name').fill('GX!');
  await expect(page.getByRole('status').filter({ hasText: 'CLI name' })).toBeVisible();
  await expect(element).not.toContainText('cli=');

  await page.getByRole('button', { name: 'Reset the example (a command)' }).click();
  await expect(events.getByRole('listitem').filter({ hasText: 'ready' })).toHaveCount(2);
  await expectAccessible(page, 'embed docs page');
});
