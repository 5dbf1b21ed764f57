import { test, expect } from './fixtures';

test('the built app loads and shows its title', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Device Flow Lab' })).toBeVisible();
  await expect(page).toHaveTitle('Device Flow Lab');
});
