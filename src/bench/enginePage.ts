/**
 * Complete flows per second in headless Chromium, where the page replays worlds: src/bench/flowPage.ts bundled
 * with esbuild (the engine as the page runs it: Chromium's own Request, Response and WebCrypto), served from
 * loopback (WebCrypto needs a secure context) and run in a blank page.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { launchChromium, serveStatic } from './browserBench.ts';

export async function chromiumFlows(n: number): Promise<{ flowsPerSecond: number; msPerFlow: number; exchanges: number; browser: string }> {
  const bundled = await build({ entryPoints: [join(import.meta.dirname, 'flowPage.ts')], bundle: true, format: 'iife', platform: 'browser', write: false, logLevel: 'error' });
  const dir = mkdtempSync(join(tmpdir(), 'dfl-flows-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><html lang="en"><title>flows</title><link rel="icon" href="data:,"><script src="flows.js"></script></html>');
  writeFileSync(join(dir, 'flows.js'), bundled.outputFiles[0]!.text);
  const server = await serveStatic(dir);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}index.html`);
    // Kept as source text (see browserBench.ts): a function would carry tsx's `__name` helper into the page.
    const r = (await page.evaluate(`globalThis.runFlows(${Math.floor(n)})`)) as { ms: number; exchanges: number };
    return { flowsPerSecond: n / (r.ms / 1000), msPerFlow: r.ms / n, exchanges: r.exchanges, browser: browser.version() };
  } finally {
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
