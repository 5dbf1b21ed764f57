import type { Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { ROUTE_HREFS } from '../src/ui/router.ts';

test('the built app loads and shows its title', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Device Flow Lab' })).toBeVisible();
  await expect(page).toHaveTitle('Device Flow Lab');
});

/** Open `hash` and wait until the route is up and the network quiet: the JS and CSS files the page fetched. */
async function filesLoaded(page: Page, hash: string): Promise<string[]> {
  const fetched: string[] = [];
  page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  await page.goto(`/${hash}`);
  await expect(page.locator('main h2, main h1').first()).toBeVisible();
  if (hash.startsWith('#/lab/') || hash === ROUTE_HREFS.simulator || hash === ROUTE_HREFS.sandbox) {
    await expect(page.getByRole('textbox', { name: 'Command' })).toBeEnabled(); // the engine has loaded
  }
  await page.waitForLoadState('networkidle');
  return fetched.filter((p) => /\.(js|css)$/.test(p) && !/\/route-preload-[\w-]+\.js$/.test(p));
}

// Every route the router names, and a lab: the build's route script (src/ui/routePreload.ts) hints what the
// route will import, before the app has run. A hint the route would not load by itself (a route added without
// its own hints gets the fallback's) fails here, as does a file fetched twice (a hint in the wrong CORS mode).
for (const hash of [...Object.values(ROUTE_HREFS), '#/lab/01-anatomy']) {
  test(`${hash}: the files hinted before the app runs are the ones the route loads by itself, each fetched once`, async ({ page, browser, baseURL }) => {
    const bare = await browser.newContext({ baseURL });
    const own = await bare.newPage();
    await own.route('**/assets/route-preload-*.js', (r) => r.fulfill({ contentType: 'text/javascript', body: '// no hints' }));
    const unhinted = await filesLoaded(own, hash);
    await bare.close();

    const fetched = await filesLoaded(page, hash);
    const hinted = await page.evaluate(() => [...document.querySelectorAll<HTMLLinkElement>('link[data-route-hint]')].map((l) => new URL(l.href).pathname));
    expect(hinted.length, 'the route has hints').toBeGreaterThan(0);
    expect(hinted.filter((p) => !unhinted.includes(p)), 'hinted files the route does not load by itself').toEqual([]);
    expect(fetched.filter((p, i) => fetched.indexOf(p) !== i), 'files fetched twice').toEqual([]);
    expect(new Set(fetched)).toEqual(new Set(unhinted));
    if (hash.startsWith('#/lab/')) {
      // A lab's first paint is its heading (src/ui/labs/LabPage.svelte): its page and its own file are hinted;
      // the lab view and the engine are fetched after that paint, so they do not hold it back.
      for (const chunk of [/\/01-anatomy-[\w-]+\.js$/, /\/lab-page-[\w-]+\.js$/]) expect(hinted.some((p) => chunk.test(p)), String(chunk)).toBe(true);
      for (const chunk of [/\/views-[\w-]+\.js$/, /\/engine-[\w-]+\.js$/]) expect(hinted.some((p) => chunk.test(p)), `${chunk} not hinted`).toBe(false);
    }
  });
}

// A lab's first paint is its heading (src/ui/labs/LabPage.svelte): it needs the lab page's small file only, so on
// a slow connection the reader sees which lab this is while the lab view and the engine are still on their way.
test('a lab shows its heading before the lab view and the engine have arrived, then the lab', async ({ page }) => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const heldFiles: string[] = [];
  await page.route(/\/assets\/(views|engine)-[\w-]+\.js$/, async (route) => {
    heldFiles.push(new URL(route.request().url()).pathname);
    await held;
    await route.continue();
  });
  await page.goto('/#/lab/01-anatomy?step=2');
  await expect(page.getByRole('heading', { level: 2, name: /^Lab 1: / })).toBeVisible();
  await expect(page.getByText('opened at solution step 2')).toBeVisible();
  await expect(page.getByText('Loading the lab…')).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Command' })).toHaveCount(0);
  await expect.poll(() => heldFiles.length, 'the lab view is requested after the heading has painted').toBeGreaterThan(0);
  release();
  await expect(page.getByRole('textbox', { name: 'Command' })).toBeEnabled();
  await expect(page.getByText('Loading the lab…')).toHaveCount(0);
  await expect(page.getByRole('heading', { level: 2, name: /^Lab 1: / })).toHaveCount(1);
});
