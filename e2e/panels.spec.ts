/**
 * The inspection panels below the simulator, as a learner uses them: what the token is, where it went on the
 * wire, where copies of it sit, and what an attacker can still do with them after logout.
 */
import type { Locator, Page } from '@playwright/test';
import { expectAccessible } from './a11y';
import { expect, test } from './fixtures';
import { SimulatorPage } from './simulator';

/** Each axe pass over the whole page takes a few seconds on a busy machine. */
const STORY_MS = 90_000;

/** Open a panel by its tab; returns the panel. */
async function openPanel(page: Page, name: string): Promise<Locator> {
  await page.getByRole('tab', { name }).click();
  await expect(page.getByRole('tab', { name })).toHaveAttribute('aria-selected', 'true');
  const panel = page.getByRole('tabpanel', { name });
  await expect(panel).toBeVisible();
  return panel;
}

async function logIn(sim: SimulatorPage): Promise<void> {
  await sim.startLogin();
  await sim.signIn();
  await sim.confirmCode();
  await sim.decide('Approve');
  await sim.skipTo('next poll');
  await expect(sim.terminal).toContainText('✓ Logged in');
}

/** The Token panel's value of one claim. */
const claim = (panel: Locator, name: string) => panel.getByRole('row', { name: new RegExp(`^${name}\\b`) }).getByRole('cell');

/** One attacker move; waits for its outcome in the log. */
async function attack(panel: Locator, move: string, outcome: RegExp): Promise<void> {
  const log = panel.getByRole('log');
  const before = await log.getByRole('listitem').filter({ hasNotText: 'No moves yet.' }).count();
  await panel.getByRole('button', { name: move, exact: true }).click();
  await expect(log.getByRole('listitem').filter({ hasNotText: 'No moves yet.' })).toHaveCount(before + 1);
  await expect(log.getByRole('listitem').last()).toContainText(outcome);
}

test('refresh after expiry: whoami gets a new access token through the refresh_token grant', async ({ page }) => {
  test.setTimeout(STORY_MS);
  const sim = new SimulatorPage(page);
  await sim.open();

  await test.step('the panels are a tab list the keyboard can walk', async () => {
    const wire = page.getByRole('tab', { name: 'Wire log' });
    await expect(wire).toHaveAttribute('aria-selected', 'true');
    await wire.focus();
    await page.keyboard.press('ArrowRight');
    await expect(page.getByRole('tab', { name: 'Sequence' })).toBeFocused();
    await expect(page.getByRole('tab', { name: 'Sequence' })).toHaveAttribute('aria-selected', 'true');
    await page.keyboard.press('End');
    await expect(page.getByRole('tab', { name: 'Attacker' })).toBeFocused();
    await page.keyboard.press('ArrowRight');
    await expect(wire).toBeFocused();
    await expect(page.getByRole('tabpanel', { name: 'Wire log' })).toContainText('No HTTP traffic yet');
  });

  await test.step('log in with the device flow', async () => {
    await logIn(sim);
  });

  let firstJti = '';
  await test.step('the Token panel decodes the access token and verifies it against the JWKS', async () => {
    const token = await openPanel(page, 'Token');
    await expect(token).toContainText('Signature verified');
    await expect(claim(token, 'scope')).toHaveText('profile projects:read');
    await expect(token).toContainText(/opaque, 256 bits/);
    await expect(token.getByText(/^1[0-5] min/)).toBeVisible();
    firstJti = (await claim(token, 'jti').innerText()).trim();
    expect(firstJti).not.toBe('');
    await expectAccessible(page, 'the Token panel');
  });

  await test.step('skip to token expiry: the panel says the token expired', async () => {
    await sim.skipTo('token expiry');
    const token = page.getByRole('tabpanel', { name: 'Token' });
    await expect(token).toContainText(/expired .* ago|Time left\s*0 s/);
  });

  await test.step('`acme whoami` refreshes first: a new token with a different jti', async () => {
    await sim.run('acme whoami');
    const token = page.getByRole('tabpanel', { name: 'Token' });
    await expect(claim(token, 'jti')).not.toHaveText(firstJti);
    await expect(token).toContainText('Signature verified');
    await expect(token).not.toContainText('expired');
  });

  await test.step('the wire log shows the refresh_token grant, with its secrets marked', async () => {
    const wire = await openPanel(page, 'Wire log');
    await expect(wire.getByRole('heading', { name: /POST idp\.acme\.test\/token \(grant_type=refresh_token\)/ })).toBeVisible();
    await expect(wire.getByText(/grant_type=refresh_token&refresh_token=/)).toBeVisible();
    await expect(wire.getByTitle(/^Secret: refresh token #/).first()).toBeVisible();
    await expect(wire.getByTitle(/^Secret: access token #/).first()).toBeVisible();
    await expectAccessible(page, 'the Wire log panel');
  });

  await test.step('the sequence, state chart and audit panels tell the same story', async () => {
    const seq = await openPanel(page, 'Sequence');
    await expect(seq.getByRole('img', { name: 'Sequence diagram of the HTTP exchanges' })).toBeVisible();
    await seq.getByText('Text version of the sequence').click();
    await expect(seq.getByRole('listitem').filter({ hasText: 'CLI → IdP: POST /token (refresh_token)' })).toBeVisible();
    await expectAccessible(page, 'the Sequence panel');

    const chart = await openPanel(page, 'State chart');
    await expect(chart.locator('[aria-current="true"]').filter({ hasText: /^ready/ })).toBeVisible();
    await expectAccessible(page, 'the State chart panel');

    const audit = await openPanel(page, 'Audit');
    await expect(audit.getByRole('cell', { name: 'token.refreshed' })).toBeVisible();
    await expect(audit.getByRole('cell', { name: 'grant.approved' })).toBeVisible();
    await expectAccessible(page, 'the Audit panel');
  });
});

test('logout revokes: with the secure defaults the attacker finds nothing and every token is dead', async ({ page }) => {
  test.setTimeout(STORY_MS);
  const sim = new SimulatorPage(page);
  await sim.open();
  await logIn(sim);

  await test.step('the attacker reads the places it can reach and finds nothing to replay', async () => {
    const attacker = await openPanel(page, 'Attacker');
    await attack(attacker, 'Read files as another local user', /Read places: ✓ blocked — as other local users: nothing secret is readable/);
    await attack(attacker, 'Read the CI log', /blocked/);
    await attack(attacker, 'Replay stolen access token', /Replay access token: ✓ blocked — no stolen access token/);
    await expectAccessible(page, 'the Attacker panel');
  });

  await test.step('the exposure ledger shows the live tokens, but nobody else can read them', async () => {
    const exposure = await openPanel(page, 'Exposure');
    await expect(exposure.getByRole('status')).toHaveText('No usable secret is readable by anyone it was not meant for.');
    await expect(exposure.getByRole('cell', { name: /^Usable: the server would accept it/ }).first()).toBeVisible();
    await expectAccessible(page, 'the Exposure panel');
  });

  await test.step('`acme logout` revokes at the server; replays stay blocked', async () => {
    await sim.run('acme logout');
    await expect(sim.terminal).toContainText('✓ Logged out.');
    const attacker = await openPanel(page, 'Attacker');
    await attack(attacker, 'Replay stolen refresh token', /Replay refresh token: ✓ blocked/);
    await attack(attacker, 'Poll with leaked device code', /Poll with device code: ✓ blocked/);
  });

  await test.step('the Exposure panel: no token is usable any more', async () => {
    const exposure = await openPanel(page, 'Exposure');
    await expect(exposure.getByRole('cell', { name: /^Usable:/ })).toHaveCount(0);
    await expect(exposure.getByRole('cell', { name: 'Not usable: it was revoked' })).toHaveCount(2);
    await expect(exposure.getByText('⚠ At risk')).toHaveCount(0);
    const audit = await openPanel(page, 'Audit');
    await expect(audit.getByRole('cell', { name: 'token.revoked' }).first()).toBeVisible();
  });
});

test('a world-readable credentials file: the stolen token works until logout revokes it', async ({ page }) => {
  test.setTimeout(STORY_MS);
  const sim = new SimulatorPage(page);
  await sim.open('#/sandbox?c.storage=file-0644');
  await logIn(sim);

  await test.step('the ledger flags the tokens in the 0644 file as at risk', async () => {
    const exposure = await openPanel(page, 'Exposure');
    await expect(exposure.getByRole('status')).toContainText('at risk');
    await expect(exposure.getByRole('row', { name: /access token/ }).getByText('⚠ At risk')).toBeVisible();
    await expect(exposure.getByRole('row', { name: /refresh token/ }).getByText(/credentials\.json \(-rw-r--r--\)/)).toBeVisible();
    await expectAccessible(page, 'the Exposure panel with tokens at risk');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectAccessible(page, 'the Exposure panel with tokens at risk, dark theme');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  await test.step('another local user reads the file and replays the token: it works', async () => {
    const attacker = await openPanel(page, 'Attacker');
    await attack(attacker, 'Read files as another local user', /Read places: ✗ succeeded — as other local users: found access token/);
    await attack(attacker, 'Replay stolen access token', /✗ succeeded — GET \/api\/projects answered 200/);
  });

  await test.step('after `acme logout` the same replays are blocked', async () => {
    await sim.run('acme logout');
    await expect(sim.terminal).toContainText('✓ Logged out.');
    const attacker = await openPanel(page, 'Attacker');
    await attack(attacker, 'Replay stolen access token', /Replay access token: ✓ blocked — .*invalid_token/);
    await attack(attacker, 'Replay stolen refresh token', /Replay refresh token: ✓ blocked — refused: invalid_grant/);
    const exposure = await openPanel(page, 'Exposure');
    await expect(exposure.getByText('⚠ At risk')).toHaveCount(0);
    await expect(exposure.getByRole('cell', { name: /^Usable:/ })).toHaveCount(0);
  });
});
