import { test, expect } from './fixtures';

test('the built app loads and shows its title', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Device Flow Lab' })).toBeVisible();
  await expect(page).toHaveTitle('Device Flow Lab');
});

test('a lab link starts fetching the lab, its view and the engine beside the entry, and each file is fetched once', async ({ page }) => {
  const fetched: string[] = [];
  page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  await page.goto('/#/lab/01-anatomy');
  await expect(page.getByRole('textbox', { name: 'Command' })).toBeEnabled();
  // The hints the build's route script added (src/ui/routePreload.ts), before the app imported anything.
  const hinted = await page.evaluate(() => [...document.querySelectorAll<HTMLLinkElement>('link[rel=modulepreload], link[rel=preload]')].map((l) => new URL(l.href).pathname));
  for (const chunk of [/\/01-anatomy-[\w-]+\.js$/, /\/views-[\w-]+\.js$/, /\/engine-[\w-]+\.js$/]) expect(hinted.some((p) => chunk.test(p)), String(chunk)).toBe(true);
  expect(hinted.some((p) => /\/02-polling-etiquette-/.test(p)), 'another lab is not hinted').toBe(false);
  const scripts = fetched.filter((p) => /\.(js|css)$/.test(p));
  expect(scripts.filter((p, i) => scripts.indexOf(p) !== i), 'files fetched twice').toEqual([]);
  for (const p of hinted) expect(scripts, `${p} is hinted and loaded`).toContain(p);
});
