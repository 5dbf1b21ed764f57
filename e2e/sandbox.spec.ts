/**
 * The sandbox: knobs change the simulated world, the link carries them, and a malformed link is harmless.
 */
import type { Page } from '@playwright/test';
import { expectAccessible } from './a11y';
import { test, expect } from './fixtures';

const knobPanel = (page: Page) => page.getByRole('region', { name: 'Knobs' });
const group = (page: Page, name: string) => knobPanel(page).getByRole('group', { name, exact: true });
const terminal = (page: Page) => page.getByRole('log', { name: 'Terminal output' });
/** The knob controls are enabled once the simulated world is running. */
const knobsReady = (page: Page) => expect(knobPanel(page).getByRole('button', { name: 'Reset to secure defaults' })).toBeEnabled();

test('a poller that ignores the interval earns slow_down', async ({ page }) => {
  await test.step('open the sandbox', async () => {
    await page.goto('/#/sandbox');
    await expect(knobPanel(page)).toBeVisible();
    await knobsReady(page);
    await expectAccessible(page, 'the sandbox');
  });

  await test.step('make the CLI poll every second and ignore slow_down', async () => {
    const polling = group(page, 'Client: Polling');
    await polling.getByRole('checkbox', { name: "CLI poll interval: use the server's interval" }).uncheck();
    await expect(polling.getByRole('spinbutton', { name: 'CLI poll interval: poll every N seconds' })).toHaveValue('1');
    await expect(knobPanel(page).getByRole('status')).toContainText('The CLI restarted');
    await polling.getByRole('combobox', { name: 'slow_down handling' }).selectOption('ignore');
    await expect(knobPanel(page).getByRole('status')).toContainText('slow_down handling: ignore');
    await expect(page).toHaveURL(/#\/sandbox\?c\.pollInterval=1&c\.slowDown=ignore$/);
  });

  await test.step('log in and let the polls run', async () => {
    const command = page.getByRole('textbox', { name: 'Command' });
    await command.fill('acme login');
    await command.press('Enter');
    await expect(terminal(page)).toContainText('one-time code');
    const clock = page.getByRole('timer', { name: 'Simulated time' });
    const skip = page.getByRole('button', { name: 'Skip to next poll' });
    for (const at of ['00:01', '00:02', '00:03']) {
      await skip.click();
      await expect(clock).toHaveText(at);
    }
  });

  await test.step('the server answers slow_down', async () => {
    await expect(page.getByRole('region', { name: 'What just happened' }).getByRole('heading', { name: 'Poll: slow_down' })).toBeVisible();
    await expect(page.getByRole('list', { name: 'HTTP exchanges' })).toContainText('"error": "slow_down"');
    await expectAccessible(page, 'the sandbox after slow_down');
  });
});

test('a sandbox link round-trips the knobs', async ({ page }) => {
  await page.goto('/#/sandbox');
  await knobsReady(page);
  const status = knobPanel(page).getByRole('status');

  await test.step('set a few knobs', async () => {
    const lifetime = group(page, 'Server: Device and user codes').getByRole('spinbutton', { name: 'Code lifetime' });
    await lifetime.fill('120');
    await lifetime.press('Tab');
    await expect(status).toContainText('Code lifetime: 120');
    await group(page, 'Server: Polling').getByRole('checkbox', { name: 'Enforce slow_down' }).uncheck();
    await expect(status).toContainText('Enforce slow_down: off');
    await group(page, 'Server: Polling').getByRole('checkbox', { name: 'Server polling interval: omit' }).check();
    await expect(status).toContainText('Server polling interval: omitted');
    await group(page, 'Client: Token handling').getByRole('combobox', { name: 'Token storage' }).selectOption('file-0644');
    await expect(status).toContainText('Token storage: file-0644');
    await knobPanel(page).getByRole('group', { name: 'Allowed scopes' }).getByRole('checkbox', { name: 'projects:admin' }).uncheck();
    await expect(status).toContainText('Allowed scopes: profile projects:read projects:write');
    await expect(page).toHaveURL(
      /#\/sandbox\?s\.codeLifetimeS=120&s\.intervalS=omit&s\.slowDownEnforcement=false&s\.allowedScopes=profile,projects:read,projects:write&c\.storage=file-0644$/,
    );
    await expect(knobPanel(page).getByRole('listitem').filter({ hasText: 'polling rate is not enforced' })).toBeVisible();
  });

  await test.step('reload the link: the controls show the same values', async () => {
    await page.reload();
    await knobsReady(page);
    await expect(group(page, 'Server: Device and user codes').getByRole('spinbutton', { name: 'Code lifetime' })).toHaveValue('120');
    await expect(group(page, 'Server: Polling').getByRole('checkbox', { name: 'Enforce slow_down' })).not.toBeChecked();
    await expect(group(page, 'Server: Polling').getByRole('checkbox', { name: 'Server polling interval: omit' })).toBeChecked();
    await expect(group(page, 'Server: Polling').getByRole('spinbutton', { name: 'Server polling interval' })).toBeDisabled();
    await expect(group(page, 'Client: Token handling').getByRole('combobox', { name: 'Token storage' })).toHaveValue('file-0644');
    const scopes = knobPanel(page).getByRole('group', { name: 'Allowed scopes' });
    await expect(scopes.getByRole('checkbox', { name: 'projects:admin' })).not.toBeChecked();
    await expect(scopes.getByRole('checkbox', { name: 'projects:write' })).toBeChecked();
    await expect(knobPanel(page).getByRole('textbox', { name: 'Shareable link' })).toHaveValue(/s\.codeLifetimeS=120/);
    await expect(knobPanel(page).getByRole('heading', { name: 'Some of the link could not be used' })).toHaveCount(0);
  });

  await test.step('reset to secure defaults', async () => {
    await knobPanel(page).getByRole('button', { name: 'Reset to secure defaults' }).click();
    await expect(group(page, 'Server: Device and user codes').getByRole('spinbutton', { name: 'Code lifetime' })).toHaveValue('600');
    await expect(group(page, 'Client: Token handling').getByRole('combobox', { name: 'Token storage' })).toHaveValue('keychain');
    await expect(page).toHaveURL(/#\/sandbox$/);
    await expectAccessible(page, 'the sandbox with changed knobs reset');
  });
});

test('a malformed sandbox link shows notices and injects nothing', async ({ page }) => {
  await page.goto('/#/sandbox?s.codeLifetimeS=abc&c.storage=<img src=x onerror=alert(1)>&zzz=1&<b>bold</b>=2');
  const notices = knobPanel(page).getByRole('region', { name: 'Some of the link could not be used' });

  await test.step('each problem is named in a readable notice', async () => {
    await expect(notices.getByRole('listitem')).toHaveCount(4);
    await expect(notices).toContainText('Ignored unknown knob "?b?bold??b?"');
    await expect(notices).toContainText('Ignored "s.codeLifetimeS": codeLifetimeS must be a whole number (a whole number from 1 to 3600 s).');
    await expect(notices).toContainText('Ignored "c.storage": expected one of keychain, memory, file-0600, file-0644, keychain-or-plaintext.');
    await expect(notices).toContainText('Ignored unknown knob "zzz"');
    await expect(notices).not.toContainText('img');
  });

  await test.step('no markup from the link reaches the page', async () => {
    await expect(page.locator('img')).toHaveCount(0);
    await expect(page.locator('main b')).toHaveCount(0);
    expect(await page.locator('main').innerHTML()).not.toContain('onerror');
  });

  await test.step('the page works with the secure defaults', async () => {
    await knobsReady(page);
    await expect(group(page, 'Server: Device and user codes').getByRole('spinbutton', { name: 'Code lifetime' })).toHaveValue('600');
    await expect(group(page, 'Client: Token handling').getByRole('combobox', { name: 'Token storage' })).toHaveValue('keychain');
    const command = page.getByRole('textbox', { name: 'Command' });
    await command.fill('acme login');
    await command.press('Enter');
    await expect(terminal(page)).toContainText('one-time code');
    await expectAccessible(page, 'the sandbox opened from a malformed link');
  });
});
