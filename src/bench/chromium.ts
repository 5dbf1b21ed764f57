/**
 * Which Chromium the end-to-end tests drive. Playwright's own browser download is not always possible (no
 * internet on some CI machines), so a system Chromium is preferred and the bundled one is the last resort.
 * `.ci/run` looks in the same places before deciding to install one with apt-get. It lives with the bench
 * (which launches the same Chromium for its browser figures) so that src/bench need not import e2e/; the
 * Playwright config imports it from here.
 */
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

/** System locations tried, in order, after `CHROMIUM_PATH`. */
export const SYSTEM_CHROMIUM_PATHS: readonly string[] = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

/**
 * Arguments every launch gets. `--no-sandbox` because CI containers run as root without user namespaces; the
 * rest keep the browser from talking to anything but the app under test (and from using a GPU that is absent).
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/**
 * The Chromium executable to launch: `CHROMIUM_PATH` if set and present, then the system locations above,
 * then Playwright's bundled browser if it has been downloaded. Throws, saying how to get one, if none exists.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.CHROMIUM_PATH;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  for (const path of SYSTEM_CHROMIUM_PATHS) if (existsSync(path)) return path;
  const bundled = bundledChromium();
  if (bundled && existsSync(bundled)) return bundled;
  throw new Error(
    [
      'No Chromium found for the end-to-end tests.',
      fromEnv ? `CHROMIUM_PATH is set to ${fromEnv}, but no file is there.` : 'CHROMIUM_PATH is not set.',
      `Looked in: ${[...SYSTEM_CHROMIUM_PATHS, bundled ?? "Playwright's bundled browser"].join(', ')}.`,
      'To get one, either:',
      '  - Debian/Ubuntu: sudo apt-get install -y chromium',
      '  - where downloads are allowed: npx playwright install chromium',
      '  - or set CHROMIUM_PATH=/path/to/chromium',
    ].join('\n'),
  );
}

function bundledChromium(): string | undefined {
  try {
    return chromium.executablePath();
  } catch {
    return undefined;
  }
}
