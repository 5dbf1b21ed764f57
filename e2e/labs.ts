/**
 * Page object for the labs (home, a lab, instructor mode), built on the simulator's page object: intention-
 * named steps a learner takes, over role and label locators. Lab specs (e2e/labs/*.spec.ts) import it.
 */
import type { FrameLocator, Locator, Page } from '@playwright/test';
import { expect } from './fixtures';
import { SimulatorPage, VERIFICATION_URI } from './simulator';

export const PROGRESS_KEY = 'device-flow-lab:progress:v1';

export class LabPage extends SimulatorPage {
  readonly objectives: Locator;
  readonly hints: Locator;
  readonly debrief: Locator;
  readonly knobs: Locator;
  readonly resetButton: Locator;
  readonly wireLog: Locator;

  constructor(page: Page, scope: Page | FrameLocator = page) {
    super(page, scope);
    this.objectives = scope.getByRole('list', { name: /^Objectives/ });
    this.hints = scope.getByRole('list', { name: 'Hints shown' });
    this.debrief = scope.getByRole('region', { name: 'Debrief: lab complete' });
    this.knobs = scope.getByRole('region', { name: 'Knobs for this lab' });
    this.resetButton = scope.getByRole('button', { name: 'Reset lab' });
    this.wireLog = scope.getByRole('list', { name: 'HTTP exchanges' });
  }

  /** Open a lab (optionally at a solution step) and wait until its scene is ready. */
  async openLab(id: string, step?: number): Promise<void> {
    await this.page.goto(`/#/lab/${id}${step ? `?step=${step}` : ''}`);
    await this.waitReady();
  }

  /** The lab's heading is shown and the world is built (the reset button is enabled once it is). */
  async waitReady(): Promise<void> {
    await expect(this.scope.getByRole('heading', { level: 2, name: /^Lab \d+: / })).toBeVisible();
    await expect(this.resetButton).toBeEnabled({ timeout: 15_000 });
    await expect(this.command).toBeVisible();
  }

  objective(text: string | RegExp): Locator {
    return this.objectives.getByRole('listitem').filter({ hasText: text });
  }

  /** An objective's "Why not yet?" disclosure (there is none once it is done). */
  whyNot(text: string | RegExp): Locator {
    return this.objective(text).getByRole('group');
  }

  async expectDone(text: string | RegExp, timeout = 5_000): Promise<void> {
    const item = this.objective(text);
    await expect(item).toHaveAttribute('data-state', 'done', { timeout });
    await expect(item).toContainText('Done');
  }

  async expectNotDone(text: string | RegExp): Promise<void> {
    const item = this.objective(text);
    await expect(item).toHaveAttribute('data-state', 'todo');
    await expect(item).toContainText('To do');
  }

  /** Every objective is still to do. */
  async expectNoneDone(): Promise<void> {
    const items = this.objectives.getByRole('listitem');
    await expect(items.first()).toBeVisible();
    for (const item of await items.all()) await expect(item).toHaveAttribute('data-state', 'todo');
  }

  /** Reveal the next hint and return how many are shown. */
  async revealHint(): Promise<number> {
    await this.scope.getByRole('button', { name: /^Show a (more specific )?hint/ }).click();
    return this.hints.getByRole('listitem').count();
  }

  async resetLab(): Promise<void> {
    await this.resetButton.click();
    await expect(this.scope.getByRole('status').filter({ hasText: 'The lab was reset' })).toBeVisible();
    await this.waitReady();
  }

  typeCommand(line: string): Promise<void> {
    return this.run(line);
  }

  /** In the browser frame, after `acme login` opened it: sign in, confirm the code, and approve (or deny). */
  async approveInBrowser(account = 'alice', decision: 'Approve' | 'Deny' = 'Approve'): Promise<void> {
    await this.signIn(account);
    await this.confirmCode();
    await this.decide(decision);
  }

  /** Open the plain verification page in the browser frame through its address bar. */
  async openVerificationPage(): Promise<void> {
    await this.address.fill(VERIFICATION_URI);
    await this.browser.getByRole('button', { name: 'Go' }).click();
  }

  /** Type a code into the browser's code box and submit it. */
  async enterCodeInBrowser(code: string): Promise<void> {
    await expect(this.pageHeading('Connect a device')).toBeVisible();
    await this.browser.getByRole('textbox', { name: 'Code' }).fill(code);
    await this.browser.getByRole('button', { name: 'Continue' }).click();
  }

  skipToNextPoll(): Promise<void> {
    return this.skipTo('next poll');
  }

  /** Skip from poll to poll until the terminal shows `text` once more than it did before (a login that finishes, say). */
  async skipPollsUntilTerminal(text: string, limit = 40): Promise<void> {
    const seen = async () => (await this.terminal.innerText()).split(text).length - 1;
    const before = await seen();
    for (let i = 0; i < limit && (await seen()) === before; i++) {
      const at = await this.clock.innerText();
      // A skip right after `login` can come before the first poll is scheduled (the device authorization
      // request is still on its way on a loaded machine): then nothing moves, and the skip is tried again.
      await expect(async () => {
        if ((await seen()) > before) return;
        await this.skipToNextPoll();
        await expect.poll(async () => (await this.clock.innerText()) !== at || (await seen()) > before, { timeout: 1_000 }).toBe(true);
      }).toPass({ timeout: 10_000 });
    }
    expect(await seen(), `the terminal shows “${text}” again`).toBeGreaterThan(before);
  }

  /** The device code of the CLI's latest poll, read off the wire log as a learner would. */
  async deviceCodeOnWire(): Promise<string> {
    await this.scope.getByRole('tab', { name: 'Wire log' }).click();
    const text = await this.wireLog.innerText();
    const codes = [...text.matchAll(/device_code=([^&\s]+)/g)].map((m) => decodeURIComponent(m[1]!));
    expect(codes.length, 'a device-code poll on the wire log').toBeGreaterThan(0);
    return codes.at(-1)!;
  }

  /** The attacker console's outcomes, latest last. */
  get attackerOutcomes(): Locator {
    return this.scope.getByRole('log', { name: 'Outcomes' }).getByRole('listitem');
  }

  /**
   * The attacker reads the CLI's files as root (finding a refresh token beside the access token) and replays the
   * stolen access token at the API, which still answers 200.
   */
  async attackerStealsAndReplays(): Promise<void> {
    const attacker = this.scope.getByRole('tabpanel', { name: 'Attacker' });
    await this.scope.getByRole('tab', { name: 'Attacker' }).click();
    await attacker.getByRole('button', { name: 'Read files as root' }).click();
    await expect(this.attackerOutcomes.last()).toContainText('refresh token');
    await attacker.getByRole('button', { name: 'Replay stolen access token' }).click();
    await expect(this.attackerOutcomes.last()).toContainText('✗ succeeded — GET /api/projects answered 200');
  }

  /** A knob control in the lab's knob editor, by its label. */
  knob(label: string | RegExp): Locator {
    return this.knobs.getByLabel(label, { exact: typeof label === 'string' });
  }

  async expectKnobStatus(text: string | RegExp): Promise<void> {
    await expect(this.knobs.getByRole('status')).toContainText(text);
  }

  async expectDebrief(): Promise<void> {
    await expect(this.debrief).toBeVisible();
    for (const part of ['What happened', 'Why it matters', 'The fix', 'The RFC section', 'The real-world case']) {
      await expect(this.debrief.getByRole('heading', { name: part, level: 3 })).toBeVisible();
    }
  }
}
