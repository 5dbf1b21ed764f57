/**
 * Embedding, as a team's docs site does it: a host page on another origin (e2e/hostServer.ts, with its own
 * strict CSP) that loads `<device-flow-lab>` from a deep base path, or frames `embed.html` (sandboxed too).
 * The host receives the lab's events, sends commands from a listed origin only, and a hostile stylesheet
 * does not reach into the lab.
 */
import type { Page } from '@playwright/test';
import { HOST_E2E_PORT } from '../playwright.config';
import { expectAccessible } from './a11y';
import { test, expect } from './fixtures';
import { BASE_PATH } from './hostServer';
import { LabPage } from './labs';
import { SimulatorPage } from './simulator';

const HOST = `http://127.0.0.1:${HOST_E2E_PORT}`;
test.use({ extraOrigins: [HOST] });

interface HostEvent {
  via: 'dom' | 'message';
  origin?: string;
  detail?: Record<string, unknown>;
  data?: Record<string, unknown>;
}

const hostEvents = (page: Page) => page.evaluate(() => (window as unknown as { hostEvents: HostEvent[] }).hostEvents);
/** The messages the host received, whichever way they came. */
const received = async (page: Page) => (await hostEvents(page)).map((e) => (e.via === 'dom' ? e.detail : e.data) ?? {});
const ofType = async (page: Page, type: string) => (await received(page)).filter((m) => m.type === type);

function elementPage(query: Record<string, string>): string {
  return `${HOST}/host/element.html?${new URLSearchParams(query)}`;
}
function iframePage(src: string, extra: Record<string, string> = {}): string {
  return `${HOST}/host/iframe.html?${new URLSearchParams({ src, ...extra })}`;
}

test('custom element: the sandbox on a plain host page with a strict CSP, loaded from a deep base path', async ({ page }) => {
  await page.goto(elementPage({}));
  const sim = new SimulatorPage(page);
  await expect(page.getByRole('heading', { name: 'alice@laptop: ~' })).toBeVisible();
  await expect.poll(() => ofType(page, 'ready')).toEqual([
    { source: 'device-flow-lab', version: 1, type: 'ready', lab: null, mode: 'full', theme: 'auto' },
  ]);
  // The host page's own content is intact around it, untouched by the lab's styles, and its URL is not the
  // lab's to change.
  await expect(page.getByText('Team docs before the lab.')).toBeVisible();
  await expect(page.getByText('Team docs before the lab.')).toHaveCSS('font-family', 'serif');
  expect(await page.evaluate(() => [getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).paddingTop, document.adoptedStyleSheets.length]))
    .toEqual(['rgba(0, 0, 0, 0)', '16px', 0]);
  await expect(page.getByText('Team docs after the lab.')).toBeVisible();

  // A guest in the page: loading it neither takes the focus nor scrolls the host page.
  expect(await page.evaluate(() => [document.activeElement === document.body, window.scrollY])).toEqual([true, 0]);
  await sim.startLogin();
  await expect(page.getByRole('region', { name: 'Knobs' })).toBeVisible();
  await expect(page.getByLabel('Shareable link')).toHaveCount(0);
  expect(new URL(page.url()).hash).toBe('');
  await expectAccessible(page, 'element sandbox on a host page');
});

test('custom element: a lab in the team’s names, solved, reports objective and lab completion as DOM events', async ({ page }) => {
  await page.goto(elementPage({ lab: '01-anatomy', org: 'Globex', cli: 'gx', idp: 'Globex SSO' }));
  const lab = new LabPage(page);
  lab.cli = 'gx';
  await lab.waitReady();
  await expect.poll(() => ofType(page, 'ready')).toHaveLength(1);
  await expect(page.getByText(/Try gx login/)).toBeVisible();

  const userCode = await lab.startLogin();
  // The command and the messages speak the team's CLI; only the simulated hosts keep their names.
  expect((await lab.terminal.innerText()).replace(/idp\.acme\.test/g, '')).not.toContain('acme');
  await expect(lab.browser.getByText('Globex SSO')).toBeVisible();
  await lab.skipToNextPoll();
  const deviceCode = await lab.deviceCodeOnWire();
  await lab.openVerificationPage();
  await lab.signIn('alice');
  await lab.enterCodeInBrowser(deviceCode);
  await expect(lab.browser.getByRole('alert')).toBeVisible();
  await expect.poll(() => ofType(page, 'objective-completed')).toHaveLength(1);

  await lab.enterCodeInBrowser(userCode);
  await expect(lab.pageHeading(/Allow .*\?|Check the code/)).toBeVisible();
  if (await lab.pageHeading('Check the code').isVisible()) await lab.confirmCode();
  await lab.decide('Approve');
  await lab.skipPollsUntilTerminal('✓ Logged in');
  await lab.expectDebrief();

  const objectives = await ofType(page, 'objective-completed');
  expect(objectives.map((o) => [o.done, o.total])).toEqual([[1, 3], [2, 3], [3, 3]]);
  for (const o of objectives) {
    expect(Object.keys(o).sort()).toEqual(['done', 'lab', 'objective', 'source', 'text', 'total', 'type', 'version']);
    expect(o).toMatchObject({ source: 'device-flow-lab', version: 1, lab: '01-anatomy' });
  }
  await expect.poll(() => ofType(page, 'lab-completed')).toEqual([
    { source: 'device-flow-lab', version: 1, type: 'lab-completed', lab: '01-anatomy', total: 3 },
  ]);
  // No message carries a secret from the world.
  expect(JSON.stringify(await received(page))).not.toContain(userCode);
  expect(JSON.stringify(await received(page))).not.toContain(deviceCode);
  // The embedded debrief does not link into the app's routes (that would move the host page).
  await expect(lab.debrief.getByRole('link', { name: /Next lab|Back to all labs/ })).toHaveCount(0);
  await expectAccessible(page, 'element lab debrief');
});

test('custom element: a hostile host stylesheet does not reach into the lab', async ({ page }) => {
  const measure = async () => {
    const sim = new SimulatorPage(page);
    await expect(sim.command).toBeVisible();
    // Plain text inherits everything the host could push in through the element (form controls reset some of it).
    const text = page.getByText(/^Try acme login/);
    const style = await text.evaluate((el) => {
      const s = getComputedStyle(el);
      return {
        font: s.fontFamily, size: s.fontSize, color: s.color, spacing: s.letterSpacing, transform: s.textTransform,
        lineHeight: s.lineHeight, align: s.textAlign,
      };
    });
    const button = await page.getByRole('button', { name: 'Go' }).evaluate((el) => {
      const s = getComputedStyle(el);
      return { border: s.borderTopStyle, padding: s.paddingTop, transform: s.textTransform };
    });
    const terminal = (await sim.terminal.boundingBox())!;
    const browser = (await sim.browser.boundingBox())!;
    return { style, button, terminal: { w: Math.round(terminal.width), h: Math.round(terminal.height) }, browserWidth: Math.round(browser.width) };
  };
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(elementPage({ mode: 'compact' }));
  const plain = await measure();
  await page.goto(elementPage({ mode: 'compact', hostile: '1' }));
  await expect(page.getByText('Team docs before the lab.')).toHaveCSS('color', 'rgb(255, 0, 255)'); // the sheet applies outside
  const hostile = await measure();

  expect(hostile.style).toEqual(plain.style);
  expect(hostile.style.font).not.toContain('Comic Sans');
  expect(hostile.button).toEqual(plain.button);
  expect(hostile.button.border).toBe('solid');
  // The host's rules may change the room it is given, not what is inside: the panes stay usable.
  expect(hostile.terminal.w).toBeGreaterThan(300);
  expect(hostile.terminal.h).toBeGreaterThan(200);
  expect(hostile.browserWidth).toBeGreaterThan(300);
  await new SimulatorPage(page).startLogin();
});

test('custom element: markup in a branding attribute stays inert text, with a readable notice for a bad CLI name', async ({ page }) => {
  const payload = '<img src=x onerror="window.__xss=1">';
  await page.goto(elementPage({ org: payload, idp: `"><svg onload=window.__xss=1>`, cli: '<b>gx' }));
  const sim = new SimulatorPage(page);
  await expect(page.getByRole('heading', { name: 'alice@laptop: ~' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: /cli/i }).first()).toBeVisible();
  await sim.startLogin(); // the bad CLI name fell back to the default
  await expect(sim.pageHeading('Sign in')).toBeVisible();
  await expect(sim.browser.getByText('"><svg onload=window.__xss=1>')).toBeVisible();
  await sim.signIn('alice');
  await sim.browser.getByRole('button', { name: 'Yes, it matches' }).click();
  // The consent page names the organisation's CLI: the payload is its text.
  await expect(sim.pageHeading(`Allow ${payload} CLI?`)).toBeVisible();
  const injected = await page.evaluate(() => {
    const root = document.querySelector('device-flow-lab')!.shadowRoot!;
    return root.querySelectorAll('img, svg[onload]').length + document.querySelectorAll('img').length;
  });
  expect(injected).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
});

test('iframe: cross-origin events by postMessage; commands only from a listed origin', async ({ page, baseURL }) => {
  const app = new URL(baseURL!).origin;
  await page.goto(iframePage(`${app}/embed.html#lab=01-anatomy&origins=${HOST}`));
  const frame = page.frameLocator('iframe');
  const lab = new LabPage(page, frame);
  await lab.waitReady();
  await expect.poll(() => hostEvents(page)).toEqual([
    { via: 'message', origin: app, data: { source: 'device-flow-lab', version: 1, type: 'ready', lab: '01-anatomy', mode: 'full', theme: 'auto' } },
  ]);
  await lab.startLogin();
  // A panel is a file of its own, loaded (with the engine's) by the classic scripts' loader as it opens.
  await frame.getByRole('tab', { name: 'State chart' }).click();
  await expect(frame.getByRole('tabpanel', { name: 'State chart' }).locator('[aria-current="true"]').first()).toBeVisible();

  // A malformed command and a wrong version are ignored; the exact reset command starts the lab over.
  await page.evaluate(() => {
    const w = document.querySelector('iframe')!.contentWindow!;
    w.postMessage({ source: 'device-flow-lab', version: 2, type: 'reset' }, '*');
    w.postMessage('reset', '*');
  });
  await lab.run('whoami');
  await expect(lab.terminal).toContainText('one-time code');
  await page.evaluate(() => document.querySelector('iframe')!.contentWindow!.postMessage({ source: 'device-flow-lab', version: 1, type: 'reset' }, '*'));
  await expect.poll(() => ofType(page, 'ready')).toHaveLength(2);
  await expect(lab.terminal).not.toContainText('one-time code');

  await page.evaluate(() => document.querySelector('iframe')!.contentWindow!.postMessage({ source: 'device-flow-lab', version: 1, type: 'set-theme', theme: 'dark' }, '*'));
  await expect(frame.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expectAccessible(page, 'iframe embed, dark theme');
});

test('iframe: a parent whose origin is not listed gets no events and cannot command', async ({ page, baseURL }) => {
  const app = new URL(baseURL!).origin;
  await page.goto(iframePage(`${app}/embed.html#origins=https://docs.example.com`));
  const sim = new SimulatorPage(page, page.frameLocator('iframe'));
  await expect(sim.terminal).toBeVisible();
  await sim.startLogin();
  await page.evaluate(() => document.querySelector('iframe')!.contentWindow!.postMessage({ source: 'device-flow-lab', version: 1, type: 'reset' }, '*'));
  await sim.run('whoami');
  await expect(sim.terminal).toContainText('one-time code');
  expect(await hostEvents(page)).toEqual([]);
});

test('iframe: sandboxed without same-origin, from a deep base path, keeps working offline once loaded', async ({ page, context }) => {
  await page.goto(iframePage(`${BASE_PATH}embed.html#lab=01-anatomy&mode=compact`, { sandbox: 'allow-scripts' }));
  const frame = page.frameLocator('iframe');
  const lab = new LabPage(page, frame);
  await lab.waitReady();
  // An opaque origin: no storage, progress for the visit, and no error about it.
  await expect.poll(() => hostEvents(page)).toEqual([
    { via: 'message', origin: 'null', data: { source: 'device-flow-lab', version: 1, type: 'ready', lab: '01-anatomy', mode: 'compact', theme: 'auto' } },
  ]);
  await expect(frame.getByRole('tab', { name: 'Wire log' })).toHaveCount(0); // compact: no panels

  await context.setOffline(true);
  try {
    await lab.startLogin();
    await lab.approveInBrowser();
    await lab.skipPollsUntilTerminal('✓ Logged in');
    await lab.resetLab();
  } finally {
    await context.setOffline(false);
  }
  // Back online, another lab: its file loads now, in the opaque origin, as a classic script.
  await page.evaluate(() => {
    const iframe = document.querySelector('iframe')!;
    iframe.src = iframe.src.replace('lab=01-anatomy', 'lab=06-credentials-file');
  });
  await expect(frame.getByRole('heading', { level: 2, name: /^Lab 6: / })).toBeVisible();
  await expect.poll(async () => (await ofType(page, 'ready')).at(-1)?.lab).toBe('06-credentials-file');
});

test('the app itself runs from a deep base path on another host', async ({ page }) => {
  await page.goto(`${HOST}${BASE_PATH}index.html#/`);
  await page.getByRole('link', { name: /Anatomy of a device login/ }).click();
  const lab = new LabPage(page);
  await lab.waitReady();
  expect(new URL(page.url()).pathname).toBe(`${BASE_PATH}index.html`);
  await lab.startLogin();
});

test('custom element: attributes change in place, reset() starts over', async ({ page }) => {
  await page.goto(elementPage({ lab: '01-anatomy' }));
  const lab = new LabPage(page);
  await lab.waitReady();
  await lab.startLogin();
  const root = page.locator('device-flow-lab section.dfl-root');

  await page.evaluate(() => document.querySelector('device-flow-lab')!.setAttribute('theme', 'dark'));
  await expect(root).toHaveAttribute('data-theme', 'dark');
  await expect(lab.terminal).toContainText('one-time code'); // a theme change keeps the scene

  await page.evaluate(() => document.querySelector('device-flow-lab')!.reset());
  await expect.poll(() => ofType(page, 'ready')).toHaveLength(2);
  await expect(lab.terminal).not.toContainText('one-time code');

  await page.evaluate(() => document.querySelector('device-flow-lab')!.setAttribute('lab', '06-credentials-file'));
  await expect(page.getByRole('heading', { level: 2, name: /^Lab 6: / })).toBeVisible();
  await expect.poll(async () => (await ofType(page, 'ready')).at(-1)?.lab).toBe('06-credentials-file');
  await page.evaluate(() => document.querySelector('device-flow-lab')!.removeAttribute('lab'));
  await expect(page.getByRole('region', { name: 'Knobs' })).toBeVisible();
});
