/**
 * The simulator page as its users meet it: a trainee logs a CLI in with the device flow, by keyboard alone;
 * denies; lets a code expire by skipping time; and follows the verification_uri_complete link, checking that
 * the browser shows the same code as the terminal (RFC 8628 §3.3.1).
 */
import { expectAccessible } from './a11y';
import { expect, test } from './fixtures';
import { SimulatorPage, VERIFICATION_URI } from './simulator';

/** Each axe pass over the full page (terminal, browser, panels) takes a few seconds on a busy machine. */
const LONG_STORY_MS = 120_000;
/** Skipping ten minutes of polling replays every poll (about 120 exchanges) through the page. */
const SKIP_EXPIRY_MS = 30_000;

test('keyboard only: log in with the device flow, approve, and call the API', async ({ page }) => {
  test.setTimeout(LONG_STORY_MS);
  const sim = new SimulatorPage(page);
  const { keyboard } = page;

  await test.step('the page opens on a fresh terminal and an empty browser', async () => {
    await sim.open();
    await expect(sim.pageHeading('New tab')).toBeVisible();
    await expect(page.getByRole('heading', { name: 'What just happened' })).toBeVisible();
    await expectAccessible(page, 'the fresh simulator');
  });

  let code = '';
  await test.step('type `acme login` at the prompt: the CLI prints a code and the browser opens', async () => {
    await sim.tabTo(sim.command);
    await keyboard.type('acme login');
    await keyboard.press('Enter');
    await expect(sim.terminal).toContainText('Then open https://idp.acme.test/device in a browser');
    code = await sim.userCodeOnTerminal();
    await expect(sim.pageHeading('Sign in')).toBeVisible();
    await expect(sim.command, 'the terminal keeps the focus when the login opens the browser').toBeFocused();
    await expectAccessible(page, 'the sign-in page');
  });

  await test.step('in the browser, open the plain verification URI, sign in and type the code', async () => {
    await sim.tabTo(sim.address);
    await keyboard.press('ControlOrMeta+A');
    await keyboard.type(VERIFICATION_URI);
    await keyboard.press('Enter');
    await expect(sim.pageHeading('Sign in')).toBeFocused();
    await keyboard.press('Tab');
    await expect(sim.browser.getByLabel('Account')).toBeFocused();
    await keyboard.press('Tab');
    await keyboard.press('Enter');
    await expect(sim.pageHeading('Connect a device')).toBeFocused();
    await expectAccessible(page, 'the enter-code page');
    await sim.tabTo(sim.browser.getByRole('textbox', { name: 'Code' }));
    await keyboard.type(code.toLowerCase().replace('-', ' '));
    await keyboard.press('Enter');
  });

  await test.step('the consent page says who asks, for what, from where; approve', async () => {
    await expect(sim.pageHeading('Allow Acme CLI?')).toBeFocused();
    await expect(sim.browser.getByText(/Continue only if you started this yourself/)).toBeVisible();
    await expect(sim.browser.getByText(/Requested from 192\.0\.2\.10 \(acme\/2\.4\.1/)).toBeVisible();
    await expect(sim.browser.getByRole('checkbox', { name: /Read your projects/ })).toBeChecked();
    await expectAccessible(page, 'the consent page');
    await sim.tabTo(sim.browser.getByRole('button', { name: 'Approve' }));
    await keyboard.press('Enter');
    await expect(sim.pageHeading('Device connected')).toBeFocused();
    await expect(sim.browser.getByText('You can close this window and return to your device.')).toBeVisible();
    await expectAccessible(page, 'the approved page');
  });

  await test.step('skip to the next poll: the CLI gets its tokens', async () => {
    await sim.tabTo(page.getByRole('button', { name: 'Skip to next poll' }));
    await keyboard.press('Enter');
    await expect(sim.terminal).toContainText('✓ Logged in to https://idp.acme.test (scope: profile projects:read).');
    await expect(page.getByRole('heading', { name: 'Tokens issued' })).toBeVisible();
    await expect(page.locator('cite').filter({ hasText: 'RFC 8628 §3.5' })).toBeVisible();
    await expect(sim.clock).not.toHaveText('00:00');
    await expectAccessible(page, 'logged in');
  });

  await test.step('`acme api get /projects` lists the projects; ↑ recalls the last command', async () => {
    await sim.tabTo(sim.command, { backwards: true });
    await keyboard.type('acme api get /projects');
    await keyboard.press('Enter');
    await expect(sim.terminal).toContainText('payments-service');
    await expect(page.getByRole('heading', { name: 'API call' })).toBeVisible();
    await keyboard.press('ArrowUp');
    await expect(sim.command).toHaveValue('acme api get /projects');
    await keyboard.press('ControlOrMeta+L');
    await expect(sim.terminal).not.toContainText('payments-service');
  });
});

test('a person denies the request: the CLI stops and says access was denied', async ({ page }) => {
  const sim = new SimulatorPage(page);
  await sim.open();

  await test.step('start a login, sign in and confirm the code', async () => {
    await sim.startLogin();
    await sim.signIn();
    await sim.confirmCode();
  });

  await test.step('deny in the browser', async () => {
    await sim.decide('Deny');
    await expect(sim.browser.getByText(/Nothing was shared with the device/)).toBeVisible();
    await expectAccessible(page, 'the denied page');
  });

  await test.step('the next poll gets access_denied and the CLI gives up', async () => {
    await sim.skipTo('next poll');
    await expect(sim.terminal).toContainText('✗ Access denied');
    await expect(page.getByRole('heading', { name: 'Poll: access_denied' })).toBeVisible();
    await sim.skipTo('next poll');
    await expect(page.getByRole('status').filter({ hasText: 'No poll is scheduled.' })).toBeVisible();
    await expectAccessible(page, 'after the denial');
  });
});

test('nobody approves: skipping to the code expiry ends the login', async ({ page }) => {
  test.setTimeout(LONG_STORY_MS);
  const sim = new SimulatorPage(page);
  await sim.open();

  await test.step('start a login and leave it waiting', async () => {
    await sim.startLogin();
    await sim.skipTo('next poll');
    await expect(page.getByRole('heading', { name: 'Poll: authorization_pending' })).toBeVisible();
    await expect(sim.clock).toHaveText('00:05');
    await expectAccessible(page, 'waiting for approval');
  });

  await test.step('skip to the code expiry: the terminal reports the expired code', async () => {
    await sim.skipTo('code expiry');
    await expect(sim.terminal).toContainText('The code expired', { timeout: SKIP_EXPIRY_MS });
    await expect(sim.terminal).toContainText('Run `acme login` to start again.');
    await expect(sim.clock).toHaveText('10:00');
    await expectAccessible(page, 'the code expired');
  });

  await test.step('the code no longer works in the browser', async () => {
    const code = await sim.userCodeOnTerminal();
    await sim.signIn();
    await expect(sim.pageHeading('Check the code')).toBeVisible();
    await sim.browser.getByRole('button', { name: 'Yes, it matches' }).click();
    await expect(sim.browser.getByRole('alert')).toHaveText('That code has expired. Start again on your device.');
    await expect(sim.browser.getByRole('textbox', { name: 'Code' })).toHaveValue(code);
    await expectAccessible(page, 'the expired-code message');
  });
});

test('the verification_uri_complete link: the browser asks to check the same code the terminal shows', async ({ page }) => {
  const sim = new SimulatorPage(page);
  await sim.open();
  let code = '';

  await test.step('acme login opens the complete link, which carries the code', async () => {
    code = await sim.startLogin();
    await expect(sim.address).toHaveValue(`${VERIFICATION_URI}?user_code=${code}`);
  });

  await test.step('after sign-in, "Check the code" shows the code from the terminal', async () => {
    await sim.signIn('bob');
    await expect(sim.pageHeading('Check the code')).toBeVisible();
    await expect(sim.browser.getByText(code, { exact: true })).toBeVisible();
    await expect(sim.browser.getByText('RFC 8628 §3.3.1')).toBeVisible();
    await expectAccessible(page, 'the check-the-code page');
  });

  await test.step('it matches: the consent page follows, and approving fewer scopes narrows the grant', async () => {
    await sim.confirmCode();
    await page.getByRole('checkbox', { name: /Read your projects/ }).uncheck();
    await sim.decide('Approve');
    await expect(sim.browser.getByText('profile', { exact: true })).toBeVisible();
    await sim.skipTo('next poll');
    await expect(sim.terminal).toContainText('Logged in to https://idp.acme.test (scope: profile)');
  });
});

test('step mode holds each request until Next; Ctrl+C cancels the login', async ({ page }) => {
  const sim = new SimulatorPage(page);
  await sim.open();

  await test.step('with step mode on, the login request waits at the gate and is shown before the answer', async () => {
    await page.getByRole('checkbox', { name: 'Step mode' }).check();
    await sim.run('acme login');
    await expect(page.getByRole('heading', { name: 'Request waiting' })).toBeVisible();
    await expect(page.getByText('Press Next to let the server answer.')).toBeVisible();
    await expectAccessible(page, 'a held request');
  });

  await test.step('the wire log shows the held request unanswered, then its answer in the same row', async () => {
    await page.getByRole('tab', { name: 'Wire log' }).click();
    const first = page.getByRole('article', { name: /^#1 / });
    await expect(first.getByRole('heading', { level: 4 })).toContainText('→ pending');
    await expect(first.getByRole('region', { name: 'Response 1' })).toContainText('Waiting for the response…');
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await expect(first.getByRole('heading', { level: 4 })).toContainText('→ 200');
    await expect(first.getByRole('region', { name: 'Response 1' })).toContainText('HTTP/1.1 200');
  });

  await test.step('Next lets each request through until the code is shown', async () => {
    const next = page.getByRole('button', { name: 'Next', exact: true });
    await expect(async () => {
      await next.click();
      await expect(sim.terminal).toContainText('First copy your one-time code:', { timeout: 500 });
    }).toPass();
    await page.getByRole('checkbox', { name: 'Step mode' }).uncheck();
  });

  await test.step('Ctrl+C at the prompt cancels the login', async () => {
    await sim.command.focus();
    await page.keyboard.type('half typed');
    await page.keyboard.press('Control+C');
    await expect(sim.command).toHaveValue('');
    await expect(sim.terminal).toContainText('^C');
  });
});

test('an unknown or hostile route shows a readable notice and the simulator', async ({ page }) => {
  const sim = new SimulatorPage(page);
  await sim.open(`#/${encodeURIComponent('<img src=x onerror=alert(1)>')}`);
  await expect(page.getByRole('status').filter({ hasText: 'There is no page called' })).toContainText('<img src=x');
  await expect(page.locator('img')).toHaveCount(0);
  await expect(sim.command).toBeVisible();
  await expectAccessible(page, 'an unknown route');

  await page.getByRole('link', { name: 'Sandbox' }).click();
  await expect(page.getByRole('link', { name: 'Sandbox' })).toHaveAttribute('aria-current', 'page');
  await expect(page.getByRole('heading', { name: 'Knobs', exact: true })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'There is no page called' })).toHaveCount(0);
  await expectAccessible(page, 'the sandbox');
});

test('on a narrow screen in dark mode the terminal and the browser stack and stay accessible', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'reduce' });
  const sim = new SimulatorPage(page);
  await sim.open();
  await sim.startLogin();
  const terminal = await page.getByRole('region', { name: 'alice@laptop: ~' }).boundingBox();
  const browser = await sim.browser.boundingBox();
  expect(terminal && browser && browser.y >= terminal.y + terminal.height, 'the browser sits below the terminal').toBe(true);
  await expectAccessible(page, 'narrow, dark');
});
