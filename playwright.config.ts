import { defineConfig, devices } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium } from './src/bench/chromium';

/** Ports and build folder can be moved (E2E_PORT, IDP_E2E_PORT, E2E_OUTDIR) so parallel runs do not collide. */
const PORT = Number(process.env.E2E_PORT ?? 4173);
const OUT_DIR = process.env.E2E_OUTDIR ?? 'dist';
const baseURL = `http://127.0.0.1:${PORT}`;
/** `npm run idp` for the tests that drive its verification pages in a real browser. */
export const IDP_E2E_PORT = Number(process.env.IDP_E2E_PORT ?? 8629);
/** A stand-in for a team's docs site on another origin (e2e/hostServer.ts), for the embed tests. */
export const HOST_E2E_PORT = Number(process.env.HOST_E2E_PORT ?? PORT + 2);

// End-to-end tests run against the built app (vite build + vite preview), in a real Chromium.
export default defineConfig({
  testDir: 'e2e',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  outputDir: `test-results/${PORT}`,
  workers: 2,
  reporter: 'list',
  timeout: 30_000,
  expect: { timeout: 5_000 },
  use: {
    baseURL,
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: { executablePath: findChromium(), args: [...CHROMIUM_ARGS] },
      },
    },
  ],
  webServer: [
    {
      command: `npx vite build --outDir ${OUT_DIR} && npx vite preview --outDir ${OUT_DIR} --port ${PORT} --strictPort`,
      url: baseURL,
      reuseExistingServer: !process.env.CI,
      timeout: 120_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: `node --import tsx e2e/hostServer.ts --port ${HOST_E2E_PORT} --dist ${OUT_DIR} --app ${baseURL}`,
      url: `http://127.0.0.1:${HOST_E2E_PORT}/host/base.css`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: `node --import tsx src/server/main.ts --port ${IDP_E2E_PORT} --interval 1 --quiet`,
      url: `http://127.0.0.1:${IDP_E2E_PORT}/.well-known/oauth-authorization-server`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});
