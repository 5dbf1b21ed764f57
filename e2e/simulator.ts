/**
 * A small page object for the simulator page: intention-named steps over role and label locators.
 */
import type { FrameLocator, Locator, Page } from '@playwright/test';
import { expect } from './fixtures';

export const VERIFICATION_URI = 'https://idp.acme.test/device';

export class SimulatorPage {
  readonly terminal: Locator;
  readonly command: Locator;
  readonly address: Locator;
  readonly browser: Locator;
  readonly clock: Locator;

  /**
   * `scope` is where the simulator is: the page itself, or an iframe's `frameLocator` (the embed). Locators
   * pierce open shadow roots, so the `<device-flow-lab>` element needs nothing special.
   */
  readonly scope: Page | FrameLocator;

  constructor(readonly page: Page, scope: Page | FrameLocator = page) {
    this.scope = scope;
    this.terminal = scope.getByRole('log', { name: 'Terminal output' });
    this.command = scope.getByRole('textbox', { name: 'Command' });
    this.address = scope.getByRole('textbox', { name: 'Address' });
    this.browser = scope.getByRole('region', { name: 'Browser' });
    this.clock = scope.getByRole('timer', { name: 'Simulated time' });
  }

  async open(hash = '#/simulator'): Promise<void> {
    await this.page.goto(`/${hash}`);
    // The world is ready once the terminal's title shows the host's user.
    await expect(this.scope.getByRole('heading', { name: 'alice@laptop: ~' })).toBeVisible();
    await expect(this.clock).toHaveText('00:00');
  }

  /** Type a command line and run it (mouse-free: focus, type, Enter). */
  async run(line: string): Promise<void> {
    await this.command.focus();
    await this.page.keyboard.type(line);
    await this.page.keyboard.press('Enter');
    await expect(this.command).toHaveValue('');
  }

  /** The CLI's command name (an embed's branding may change it). */
  cli = 'acme';

  async startLogin(): Promise<string> {
    await this.run(`${this.cli} login`);
    await expect(this.terminal).toContainText('First copy your one-time code:');
    return this.userCodeOnTerminal();
  }

  /** The user code the CLI printed. */
  async userCodeOnTerminal(): Promise<string> {
    const text = await this.terminal.innerText();
    const code = /one-time code: (\S+)/.exec(text)?.[1];
    expect(code, 'a user code on the terminal').toBeTruthy();
    return code!;
  }

  pageHeading(name: string | RegExp): Locator {
    return this.browser.getByRole('heading', { name, level: 3 });
  }

  async signIn(account = 'alice'): Promise<void> {
    await expect(this.pageHeading('Sign in')).toBeVisible();
    await this.browser.getByLabel('Account').selectOption(account);
    await this.browser.getByRole('button', { name: 'Sign in' }).click();
  }

  async confirmCode(): Promise<void> {
    await this.browser.getByRole('button', { name: 'Yes, it matches' }).click();
    await expect(this.pageHeading('Allow Acme CLI?')).toBeVisible();
  }

  async decide(decision: 'Approve' | 'Deny'): Promise<void> {
    await this.browser.getByRole('button', { name: decision }).click();
    await expect(this.pageHeading(decision === 'Approve' ? 'Device connected' : 'Request denied')).toBeVisible();
  }

  async skipTo(moment: 'next poll' | 'code expiry' | 'token expiry'): Promise<void> {
    await this.scope.getByRole('button', { name: `Skip to ${moment}` }).click();
  }

  /** Keyboard only: press Tab (or Shift+Tab) until `target` has focus. */
  async tabTo(target: Locator, { backwards = false, limit = 60 } = {}): Promise<void> {
    for (let i = 0; i < limit; i++) {
      if (await target.evaluate((el) => el === document.activeElement)) return;
      await this.page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
    }
    throw new Error(`tabTo: focus never reached ${target} after ${limit} presses`);
  }
}
