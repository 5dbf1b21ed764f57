/**
 * The one fixtures file every spec imports (`import { test, expect } from './fixtures'`).
 *
 * `guard` runs around every test, unasked: it collects console errors, uncaught page errors, Content Security
 * Policy violations, and any request that leaves the app's origin, and fails the test if it saw any. The app
 * is static and self-contained, so a request elsewhere is a bug (or a leak), a console error is one too, and
 * so is anything the page's CSP had to block.
 *
 * CSP violations are recorded in every page and frame of the test's browser context (popups and iframes
 * too): an init script listens for `securitypolicyviolation` and reports `<directive> <blocked URI>` through a
 * binding. A spec that causes a violation on purpose reads them from the `csp` fixture and acknowledges them.
 *
 * Options, per spec with `test.use({...})`:
 *   extraOrigins   origins the spec itself serves (a host page on another local port, say), allowed by the
 *                  no-foreign-request check; default none.
 */
import { test as base, expect, type BrowserContext } from '@playwright/test';

/** Schemes that never reach the network. */
const LOCAL_SCHEMES = new Set(['data:', 'blob:', 'about:']);
/** The binding the init script reports CSP violations through. */
const CSP_BINDING = '__deviceFlowLabCspViolation';
/** Chromium's console message for a CSP violation (the recorder reports these; see `csp.acknowledge`). */
const CSP_CONSOLE = /Content Security Policy/;

export interface CspRecorder {
  /** Violations seen so far in this test, each `<violated directive> <blocked URI> in <document URL>`. */
  readonly violations: readonly string[];
  /**
   * For a spec that violates the policy on purpose: returns the violations seen so far and forgets them (and
   * the console errors Chromium logged for them), so the guard does not fail the test for them.
   */
  acknowledge(): string[];
}

interface CspState extends CspRecorder {
  readonly consoleErrors: string[];
}

/** Let each page run its queued tasks, so a violation reported just before the test ended is recorded. */
async function settle(context: BrowserContext): Promise<void> {
  await Promise.all(
    context.pages().map((page) =>
      Promise.race([
        page.evaluate(() => new Promise<void>((resolve) => setTimeout(resolve, 0))).catch(() => undefined),
        new Promise<void>((resolve) => setTimeout(resolve, 500)),
      ]),
    ),
  );
}

export const test = base.extend<{ guard: void; csp: CspRecorder; extraOrigins: string[] }>({
  extraOrigins: [[], { option: true }],

  csp: async ({ context }, use) => {
    const violations: string[] = [];
    const consoleErrors: string[] = [];
    const state: CspState = {
      violations,
      consoleErrors,
      acknowledge: () => {
        consoleErrors.length = 0;
        return violations.splice(0, violations.length);
      },
    };
    await context.exposeBinding(CSP_BINDING, (_source, report: unknown) => {
      violations.push(String(report));
    });
    await context.addInitScript((binding: string) => {
      document.addEventListener(
        'securitypolicyviolation',
        (event) => {
          const report = (window as unknown as Record<string, ((text: string) => Promise<void>) | undefined>)[binding];
          void report?.(`${event.violatedDirective} ${event.blockedURI || '(none)'} in ${event.documentURI}`);
        },
        true,
      );
    }, CSP_BINDING);
    await use(state);
  },

  guard: [
    async ({ context, baseURL, extraOrigins, csp }, use) => {
      if (!baseURL) throw new Error('e2e/fixtures: baseURL is not set in playwright.config.ts');
      const appOrigin = new URL(baseURL).origin;
      const allowedOrigins = new Set([appOrigin, ...extraOrigins.map((o) => new URL(o).origin)]);
      const errors: string[] = [];
      const foreignRequests: string[] = [];
      const cspConsole = (csp as CspState).consoleErrors;

      // Context-level events, so pages the test opens later (popups, new tabs) are watched too.
      context.on('console', (msg) => {
        if (msg.type() !== 'error') return;
        const where = msg.location().url;
        const text = `console.error: ${msg.text()}${where ? ` (${where})` : ''}`;
        // A CSP violation is reported (and asserted) by the recorder; its console line goes with it.
        (CSP_CONSOLE.test(msg.text()) ? cspConsole : errors).push(text);
      });
      context.on('weberror', (err) => errors.push(`pageerror: ${err.error().stack ?? err.error().message}`));
      context.on('request', (req) => {
        const url = new URL(req.url());
        if (!LOCAL_SCHEMES.has(url.protocol) && !allowedOrigins.has(url.origin)) {
          foreignRequests.push(`${req.method()} ${req.url()}`);
        }
      });

      await use();

      await settle(context);
      expect.soft(errors, 'console errors and uncaught page errors during the test').toEqual([]);
      expect
        .soft(
          [...csp.violations, ...cspConsole],
          'Content Security Policy violations during the test: the built page must need no inline script, no eval and nothing from another origin (a spec that violates the policy on purpose calls csp.acknowledge())',
        )
        .toEqual([]);
      expect(foreignRequests, `requests that left the app's origin (${[...allowedOrigins].join(', ')})`).toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
