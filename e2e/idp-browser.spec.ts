/**
 * `npm run idp` in a real browser: a team's CLI prints (or opens) the verification link, a person signs in,
 * checks the code, approves fewer scopes, and the CLI's next poll gets tokens with exactly that scope.
 * The CLI side here is plain fetch, as any OAuth client would send it.
 */
import { IDP_E2E_PORT } from '../playwright.config';
import { expect, test } from './fixtures';

const IDP = `http://127.0.0.1:${IDP_E2E_PORT}`;
test.use({ baseURL: IDP });

async function startDeviceLogin(): Promise<Record<string, string | number>> {
  const res = await fetch(`${IDP}/device_authorization`, { method: 'POST', body: new URLSearchParams({ client_id: 'acme-cli', scope: 'profile projects:read' }) });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, string | number>;
}

/**
 * Poll as a well-behaved client does (RFC 8628 §3.5): wait the interval before each poll, add 5 s on slow_down,
 * stop on anything but authorization_pending. A test that polled faster would be told slow_down, rightly.
 */
async function pollUntilDone(deviceCode: string, intervalS: number, deadlineMs = 20_000): Promise<Record<string, unknown>> {
  const end = performance.now() + deadlineMs;
  for (let interval = intervalS; performance.now() < end; ) {
    await new Promise((resolve) => setTimeout(resolve, interval * 1000));
    const answer = await poll(deviceCode);
    if (answer.error === 'slow_down') interval += 5;
    else if (answer.error !== 'authorization_pending') return answer;
  }
  throw new Error('the device login did not finish in time');
}

async function poll(deviceCode: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${IDP}/token`, {
    method: 'POST',
    body: new URLSearchParams({ client_id: 'acme-cli', grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: deviceCode }),
  });
  return (await res.json()) as Record<string, unknown>;
}

test('a person approves a device login in the local identity provider\'s pages, with fewer scopes', async ({ page }) => {
  const da = await startDeviceLogin();

  await test.step('the complete link asks the person to sign in, then to check the code', async () => {
    await page.goto(String(da.verification_uri_complete));
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    await page.getByLabel('Account').selectOption('bob');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('heading', { name: 'Check the code' })).toBeVisible();
    await expect(page.getByText(String(da.user_code), { exact: true })).toBeVisible();
    expect((await poll(String(da.device_code))).error).toBe('authorization_pending');
  });

  await test.step('the consent page shows the client, the device and the scopes; the person unticks one and approves', async () => {
    await page.getByRole('button', { name: 'Yes, it matches' }).click();
    await expect(page.getByRole('heading', { name: 'Allow Acme CLI?' })).toBeVisible();
    await expect(page.getByText(/Continue only if you started this yourself/)).toBeVisible();
    await expect(page.getByText(/Requested from/)).toBeVisible();
    await page.getByRole('checkbox', { name: /Read your projects/ }).uncheck();
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect(page.getByRole('heading', { name: 'Device connected' })).toBeVisible();
    await expect(page.getByText(/return to your device/)).toBeVisible();
  });

  await test.step('the CLI\'s next poll gets tokens for what was approved', async () => {
    expect((await pollUntilDone(String(da.device_code), Number(da.interval))).scope).toBe('profile');
  });
});

test('a person types the code by hand and denies; the CLI is told access_denied', async ({ page }) => {
  const da = await startDeviceLogin();
  await page.goto(String(da.verification_uri));
  await page.getByLabel('Account').selectOption('alice');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Enter the code shown on your device').fill(String(da.user_code).toLowerCase().replace('-', ' '));
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Deny' }).click();
  await expect(page.getByRole('heading', { name: 'Request denied' })).toBeVisible();
  expect((await pollUntilDone(String(da.device_code), Number(da.interval))).error).toBe('access_denied');
});

test('a wrong code is refused with a readable message and the page keeps working', async ({ page }) => {
  await page.goto(`${IDP}/device`);
  await page.getByLabel('Account').selectOption('alice');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Enter the code shown on your device').fill('<b>nope</b>');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('alert')).toHaveText('That code is not valid. Check the code shown on your device.');
  await expect(page.getByLabel('Enter the code shown on your device')).toBeVisible();
});
