/**
 * The one fixtures file every spec imports (`import { test, expect } from './fixtures'`).
 *
 * `guard` runs around every test, unasked: it collects console errors, uncaught page errors, and any request
 * that leaves the app's origin, and fails the test if it saw any. The app is static and self-contained, so
 * a request elsewhere is a bug (or a leak), and a console error is one too.
 */
import { test as base, expect } from '@playwright/test';

/** Schemes that never reach the network. */
const LOCAL_SCHEMES = new Set(['data:', 'blob:', 'about:']);

export const test = base.extend<{ guard: void }>({
  guard: [
    async ({ context, baseURL }, use) => {
      if (!baseURL) throw new Error('e2e/fixtures: baseURL is not set in playwright.config.ts');
      const appOrigin = new URL(baseURL).origin;
      const errors: string[] = [];
      const foreignRequests: string[] = [];

      // Context-level events, so pages the test opens later (popups, new tabs) are watched too.
      context.on('console', (msg) => {
        if (msg.type() !== 'error') return;
        const where = msg.location().url;
        errors.push(`console.error: ${msg.text()}${where ? ` (${where})` : ''}`);
      });
      context.on('weberror', (err) => errors.push(`pageerror: ${err.error().stack ?? err.error().message}`));
      context.on('request', (req) => {
        const url = new URL(req.url());
        if (!LOCAL_SCHEMES.has(url.protocol) && url.origin !== appOrigin) {
          foreignRequests.push(`${req.method()} ${req.url()}`);
        }
      });

      await use();

      expect.soft(errors, 'console errors and uncaught page errors during the test').toEqual([]);
      expect(foreignRequests, `requests that left the app's origin (${appOrigin})`).toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
