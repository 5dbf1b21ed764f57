/**
 * Browser figures for `npm run bench`, measured in headless Chromium (the executable and arguments the e2e
 * tests use) against a build served by a tiny static server (gzip, as static hosts serve it, on a port in
 * BENCH_PORTS). Both figures are taken on the simulator route (`#/simulator`; the home page has no terminal):
 *
 *   time to interactive terminal   navigation start → the "Command" input is enabled and the simulator has
 *                                  started (the page's own clock, performance.now(), read by a
 *                                  MutationObserver installed before any script runs)
 *   click-to-render latency        a click on "Skip to next poll" → the poll's exchange, answered, is in the
 *                                  wire log and painted (the next animation frame); median and p95
 *
 * Figures only: nothing here asserts on time.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium } from './chromium.ts';

/** Loopback ports the bench may use (the static server, Lighthouse's Chromium). */
export const BENCH_PORTS: readonly number[] = [4320, 4321, 4322, 4323, 4324, 4325, 4326, 4327, 4328, 4329];

/** The route the terminal figures are measured on. */
export const SIMULATOR_ROUTE = '#/simulator';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json']);

/** Listen on the first free port of `ports` (loopback). */
export async function listenOnFreePort(server: Server, ports: readonly number[] = BENCH_PORTS): Promise<number> {
  for (const port of ports) {
    const ok = await new Promise<boolean>((resolve) => {
      const onError = () => resolve(false);
      server.once('error', onError);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', onError);
        resolve(true);
      });
    });
    if (ok) return port;
  }
  throw new Error(`bench: no free port among ${ports.join(', ')}`);
}

/** A free port of `ports`, not held (for a process that binds it itself, e.g. Chromium's debugging port). */
export async function findFreePort(ports: readonly number[] = BENCH_PORTS, except: readonly number[] = []): Promise<number> {
  const probe = createServer();
  const port = await listenOnFreePort(probe, ports.filter((p) => !except.includes(p)));
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Serve `dir` on a free port of BENCH_PORTS, gzipping text files when the client accepts it. */
export async function serveStatic(dir: string): Promise<{ url: string; port: number; close: () => Promise<void> }> {
  const root = normalize(dir);
  const gzipped = new Map<string, Buffer>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!(file === root || file.startsWith(root + sep)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    const ext = extname(file);
    const headers: Record<string, string> = { 'content-type': TYPES[ext] ?? 'application/octet-stream', 'cache-control': 'no-store', vary: 'accept-encoding' };
    let body: Buffer = readFileSync(file);
    if (COMPRESSIBLE.has(ext) && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      let gz = gzipped.get(file);
      if (!gz) gzipped.set(file, (gz = gzipSync(body, { level: 9 })));
      body = gz;
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = String(body.length);
    res.writeHead(200, headers).end(body);
  });
  const port = await listenOnFreePort(server);
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export function median(xs: number[]): number {
  return percentile(xs, 50);
}

/** Nearest-rank percentile. */
export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: findChromium(), args: [...CHROMIUM_ARGS], headless: true });
}

/*
 * Code that runs in the page is kept as source text: tsx compiles this file with esbuild's keepNames, whose
 * `__name` helper would not exist in the page if a function were passed instead.
 */

/**
 * Runs in the page before its scripts: records when the terminal's "Command" input exists, is enabled,
 * and the simulator has started (the wire log panel no longer says it is starting).
 */
const READINESS_PROBE = `(() => {
  const commandInput = () => {
    for (const label of document.querySelectorAll('label')) {
      if (label.textContent.trim() === 'Command' && label.control instanceof HTMLInputElement) return label.control;
    }
    return undefined;
  };
  const observer = new MutationObserver(() => {
    if (window.__dflReadyAt !== undefined) return;
    const input = commandInput();
    const panel = document.getElementById('panel-wire');
    const started = panel !== null && !/starting/i.test(panel.textContent || '');
    if (input && !input.disabled && started) {
      window.__dflReadyAt = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
})();`;

const READY_AT = 'window.__dflReadyAt';

/**
 * The readiness time the probe recorded, polled from Node: page.waitForFunction with a source string compiles it
 * in the page, which the built page's Content-Security-Policy (no 'unsafe-eval') forbids. The time is the page's
 * own, so the polling interval does not affect it.
 */
async function readyAt(page: Page, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const at: unknown = await page.evaluate(READY_AT);
    if (typeof at === 'number') return at;
    if (Date.now() > deadline) throw new Error(`the terminal was not interactive within ${timeoutMs / 1000} s (${page.url()})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Clicks "Skip to next poll" and resolves with the milliseconds until a new exchange, answered, is in the
 * wire log and the next frame is painted.
 */
const MEASURE_SKIP_CLICK = `new Promise((resolve, reject) => {
  const rows = () => document.querySelectorAll('#panel-wire ol > li');
  const answered = () => !Array.from(document.querySelectorAll('#panel-wire ol > li h4')).some((h) => /→\\s*pending\\s*$/.test(h.textContent || ''));
  const before = rows().length;
  const button = Array.from(document.querySelectorAll('button')).find((b) => b.getAttribute('aria-label') === 'Skip to next poll');
  const panel = document.getElementById('panel-wire');
  if (!button || !panel) return reject(new Error('no "Skip to next poll" button or wire log'));
  const t0 = performance.now();
  const timer = setTimeout(() => { observer.disconnect(); reject(new Error('no new answered exchange within 10 s')); }, 10000);
  const observer = new MutationObserver(() => {
    if (rows().length <= before || !answered()) return;
    observer.disconnect();
    clearTimeout(timer);
    requestAnimationFrame(() => resolve(performance.now() - t0));
  });
  observer.observe(panel, { subtree: true, childList: true, characterData: true });
  button.click();
})`;

/** Median (and all samples) of navigation start → interactive terminal, over `runs` fresh browser contexts. */
export async function timeToInteractiveTerminal(browser: Browser, url: string, runs = 7): Promise<{ samples: number[]; median: number }> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(READINESS_PROBE);
    await page.goto(url);
    samples.push(await readyAt(page));
    await context.close();
  }
  return { samples, median: median(samples) };
}

/** Click latency of "Skip to next poll" during a pending login: click → new wire exchange painted. */
export async function clickToRenderLatency(browser: Browser, url: string, clicks = 30): Promise<{ samples: number[]; median: number; p95: number }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(READINESS_PROBE);
  await page.goto(url);
  await readyAt(page);
  const command = page.getByRole('textbox', { name: 'Command' });
  await command.fill('acme login');
  await command.press('Enter');
  const rows = page.locator('#panel-wire ol > li');
  await rows.first().waitFor({ timeout: 30_000 });
  const skip = page.getByRole('button', { name: 'Skip to next poll' });
  await skip.waitFor();
  const samples: number[] = [];
  for (let i = 0; i < clicks; i++) {
    const ms = Number(await page.evaluate(MEASURE_SKIP_CLICK));
    samples.push(ms);
  }
  await context.close();
  return { samples, median: median(samples), p95: percentile(samples, 95) };
}
