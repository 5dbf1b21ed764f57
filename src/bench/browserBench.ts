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
import { LAB_MARKS } from '../ui/labs/labMarks.ts';
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
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const at: unknown = await page.evaluate(READY_AT);
    if (typeof at === 'number') return at;
    if (performance.now() > deadline) throw new Error(`the terminal was not interactive within ${timeoutMs / 1000} s (${page.url()})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Clicks "Skip to next poll" and resolves with the milliseconds until a new exchange, answered, is in the
 * wire log and the next frame is painted.
 */
const MEASURE_SKIP_CLICK = `new Promise((resolve, reject) => {
  const rows = () => document.querySelectorAll('#panel-wire ol > li');
  // The wire log shows the latest exchanges only (RECENT_LIMIT) in a long session: a new exchange is a new last row id.
  const lastId = () => { const r = rows(); return r.length ? (r[r.length - 1].querySelector('article')?.getAttribute('aria-labelledby') ?? '') : ''; };
  const answered = () => !Array.from(document.querySelectorAll('#panel-wire ol > li h4')).some((h) => /→\\s*pending\\s*$/.test(h.textContent || ''));
  const before = rows().length;
  const beforeId = lastId();
  const button = Array.from(document.querySelectorAll('button')).find((b) => b.getAttribute('aria-label') === 'Skip to next poll');
  const panel = document.getElementById('panel-wire');
  if (!button || !panel) return reject(new Error('no "Skip to next poll" button or wire log'));
  const t0 = performance.now();
  const timer = setTimeout(() => { observer.disconnect(); reject(new Error('no new answered exchange within 10 s')); }, 10000);
  const observer = new MutationObserver(() => {
    if ((rows().length <= before && lastId() === beforeId) || !answered()) return;
    observer.disconnect();
    clearTimeout(timer);
    // The page's own work (click → the answer in the DOM), apart from the wait for the frame that paints it.
    window.__dflClickWork = performance.now() - t0;
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

/*
 * Issue 13's page figures: every lab at its last solution step and every instructor-gallery entry, time to
 * interactive; step latency with 200 exchanges on the wire; a long session of 10,000 exchanges (lab 13).
 */

/**
 * Runs in the page before its scripts: records when a lab is interactive: its "Lab N:" heading is shown, the
 * world is built for the requested step (the "Reset lab" button is enabled, as e2e/labs.ts `waitReady` waits
 * for), the terminal's "Command" input is enabled and the objectives are rendered (at least one item with a
 * state).
 */
const LAB_READINESS_PROBE = `(() => {
  const commandInput = () => {
    for (const label of document.querySelectorAll('label')) {
      if (label.textContent.trim() === 'Command' && label.control instanceof HTMLInputElement) return label.control;
    }
    return undefined;
  };
  const ready = () => {
    const heading = Array.from(document.querySelectorAll('h2')).some((h) => /^Lab \\d+: /.test((h.textContent || '').trim()));
    const reset = Array.from(document.querySelectorAll('button')).find((b) => (b.textContent || '').trim() === 'Reset lab');
    const input = commandInput();
    const objectives = document.querySelector('.objectives li[data-objective][data-state]');
    return heading && reset !== undefined && !reset.disabled && input !== undefined && !input.disabled && objectives !== null;
  };
  // The same test for a page that opens many labs in turn (galleryClicksToInteractive).
  window.__dflLabIsReady = ready;
  const observer = new MutationObserver(() => {
    if (window.__dflLabReadyAt !== undefined) return;
    if (ready()) {
      window.__dflLabReadyAt = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
})();`;

/** Poll `expression` in the page (from Node: the built page's CSP forbids page.waitForFunction) until truthy. */
async function until(page: Page, expression: string, what: string, timeoutMs = 30_000): Promise<unknown> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value: unknown = await page.evaluate(expression);
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000} s (${page.url()})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface PageTarget {
  /** What the row calls it, e.g. "13-guessing-user-codes at step 4". */
  label: string;
  /** The route, e.g. "#/lab/13-guessing-user-codes?step=4". */
  hash: string;
}

/** The instructor gallery's entries ("Start in lab …" links of `#/instructor`), read from the page. */
export async function galleryEntries(browser: Browser, url: string): Promise<PageTarget[]> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url + '#/instructor');
    const read = `Array.from(document.querySelectorAll('a.start')).map((a) => [a.getAttribute('aria-label') || a.textContent || '', a.getAttribute('href') || ''])`;
    await until(page, `document.querySelectorAll('a.start').length > 0`, 'no gallery entry rendered');
    const links = (await page.evaluate(read)) as Array<[string, string]>;
    return links.map(([label, href]) => ({ label: label.replace(/^Start /, ''), hash: href.slice(href.indexOf('#')) }));
  } finally {
    await context.close();
  }
}

/**
 * Where a lab's time to interactive went, from the lab view's User Timing marks (src/ui/labs/labMarks.ts), in
 * milliseconds: loading its code and rendering the view once (navigation start → the view begins its world),
 * building the world with its prelude, replaying the link's solution steps, and rendering what they left.
 */
export interface LabLoadParts {
  load: number;
  build: number;
  replay: number;
  render: number;
}

/** One cold load (fresh context) per target: navigation start → lab interactive, in the page's own clock. */
export async function labsTimeToInteractive(browser: Browser, url: string, targets: readonly PageTarget[]): Promise<Array<PageTarget & { ms: number; parts?: LabLoadParts }>> {
  const out: Array<PageTarget & { ms: number; parts?: LabLoadParts }> = [];
  const marks = `Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, m.startTime]))`;
  for (const target of targets) {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.addInitScript(LAB_READINESS_PROBE);
      await page.goto(url + target.hash);
      const ms = Number(await until(page, 'window.__dflLabReadyAt', `${target.hash} was not interactive`));
      const at = (await page.evaluate(marks)) as Record<string, number>;
      const [begin, built, replayed] = [at[LAB_MARKS.begin], at[LAB_MARKS.built], at[LAB_MARKS.replayed]];
      const parts = begin !== undefined && built !== undefined && replayed !== undefined
        ? { load: begin, build: built - begin, replay: replayed - built, render: ms - replayed } : undefined;
      out.push({ ...target, ms, ...(parts ? { parts } : {}) });
    } finally {
      await context.close();
    }
  }
  return out;
}

/**
 * Click `hash`'s "Start in lab" link on the gallery shown now and resolve with the milliseconds from the click to
 * the lab being interactive (the readiness probe's test), in the page's own clock.
 */
const CLICK_GALLERY_ENTRY = (hash: string) => `new Promise((resolve, reject) => {
  const link = Array.from(document.querySelectorAll('a.start')).find((a) => (a.getAttribute('href') || '').endsWith(${JSON.stringify(hash)}));
  if (!link) return reject(new Error('no gallery link to ' + ${JSON.stringify(hash)}));
  const timer = setTimeout(() => { observer.disconnect(); reject(new Error(${JSON.stringify(hash)} + ' was not interactive within 30 s')); }, 30000);
  const t0 = performance.now();
  const observer = new MutationObserver(() => {
    if (!window.__dflLabIsReady()) return;
    observer.disconnect();
    clearTimeout(timer);
    resolve(performance.now() - t0);
  });
  observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  link.click();
})`;

/**
 * The instructor's way through the gallery: one page opens `#/instructor`, then for each entry clicks its link
 * (an in-app navigation: the page's code is loaded, or loads at the first click) and goes back to the gallery.
 * Milliseconds from each click to that lab being interactive, the first click (which loads the lab view and the
 * engine) included.
 */
export async function galleryClicksToInteractive(browser: Browser, url: string, targets: readonly PageTarget[]): Promise<Array<PageTarget & { ms: number }>> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.addInitScript(LAB_READINESS_PROBE);
    await page.goto(url + '#/instructor');
    const out: Array<PageTarget & { ms: number }> = [];
    for (const target of targets) {
      await page.evaluate(`location.hash = '#/instructor'`);
      await until(page, `document.querySelectorAll('a.start').length > 0 && !window.__dflLabIsReady()`, 'the gallery did not come back');
      out.push({ ...target, ms: Number(await page.evaluate(CLICK_GALLERY_ENTRY(target.hash))) });
    }
    return out;
  } finally {
    await context.close();
  }
}

/** The number of exchanges on the wire: "Showing the latest 50 of N exchanges", else the rows shown. */
const EXCHANGE_COUNT = `(() => {
  const panel = document.getElementById('panel-wire');
  if (!panel) return 0;
  const m = /of ([\\d,]+) exchanges/.exec(panel.querySelector('.window')?.textContent || '');
  return m ? Number(m[1].replace(/,/g, '')) : panel.querySelectorAll('ol > li').length;
})()`;

/** How many "Guess user codes" outcomes the attacker console lists. */
const GUESS_OUTCOMES = `((document.querySelector('[role=tabpanel]#panel-attacker, #panel-attacker')?.textContent || '').match(/Guess user codes: /g) || []).length`;
const GUESS_BUTTON_ENABLED = `(Array.from(document.querySelectorAll('button')).find((x) => (x.textContent || '').trim() === 'Guess user codes')?.disabled === false)`;

async function measureClicks(page: Page, clicks: number, work?: number[]): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < clicks; i++) {
    samples.push(Number(await page.evaluate(MEASURE_SKIP_CLICK)));
    work?.push(Number(await page.evaluate('window.__dflClickWork')));
  }
  return samples;
}

/**
 * Step latency with `exchanges` already on the wire: the sandbox with long-lived codes and a 1 s interval
 * (`#/sandbox?s.codeLifetimeS=3600&s.intervalS=1`, so the code outlives every poll), `acme login`, then
 * "Skip to next poll" until the wire holds `exchanges`; then `clicks` measured clicks.
 */
export async function clickToRenderWithExchanges(browser: Browser, url: string, exchanges = 200, clicks = 30): Promise<{ samples: number[]; median: number; p95: number; onWire: number; work: number[] }> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.addInitScript(READINESS_PROBE);
    await page.goto(url + '#/sandbox?s.codeLifetimeS=3600&s.intervalS=1');
    await readyAt(page);
    const command = page.getByRole('textbox', { name: 'Command' });
    await command.fill('acme login');
    await command.press('Enter');
    await page.locator('#panel-wire ol > li').first().waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Skip to next poll' }).waitFor();
    for (let guard = 0; Number(await page.evaluate(EXCHANGE_COUNT)) < exchanges; guard++) {
      if (guard > exchanges * 2) throw new Error(`the wire did not reach ${exchanges} exchanges`);
      await page.evaluate(MEASURE_SKIP_CLICK);
    }
    const onWire = Number(await page.evaluate(EXCHANGE_COUNT));
    const work: number[] = [];
    const samples = await measureClicks(page, clicks, work);
    return { samples, median: median(samples), p95: percentile(samples, 95), onWire, work };
  } finally {
    await context.close();
  }
}

/**
 * A long session: lab 13 (4-digit user codes, no attempt limit), the attacker console guessing user codes
 * 1,000 at a time until the wire holds `exchanges`; then the JS heap after a forced garbage collection (CDP
 * HeapProfiler.collectGarbage, Runtime.getHeapUsage) and the step latency of a new login's "Skip to next poll"
 * (few clicks: the lab's alice approves about 30 s of simulated time after the login, and the polls stop).
 */
export async function longSession(browser: Browser, url: string, labId: string, exchanges = 10_000, clicks = 10): Promise<{ onWire: number; heapUsedBytes: number; heapTotalBytes: number; samples: number[]; median: number; max: number; fillMs: number; stepError?: string }> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.addInitScript(LAB_READINESS_PROBE);
    await page.goto(`${url}#/lab/${labId}`);
    await until(page, 'window.__dflLabReadyAt', `lab ${labId} was not interactive`);
    const start = Date.now();
    await page.getByRole('tab', { name: 'Attacker' }).click();
    const attacker = page.getByRole('tabpanel', { name: 'Attacker' });
    const guess = attacker.getByRole('button', { name: 'Guess user codes' });
    const countNow = async () => {
      await page.getByRole('tab', { name: 'Wire log' }).click();
      return Number(await until(page, EXCHANGE_COUNT, 'no wire log'));
    };
    for (let guard = 0; (await countNow()) < exchanges; guard++) {
      if (guard > exchanges / 500) throw new Error(`the wire did not reach ${exchanges} exchanges`);
      await page.getByRole('tab', { name: 'Attacker' }).click();
      await guess.waitFor(); // the console is mounted afresh with each tab switch (its outcomes with it)
      await attacker.getByLabel('Attempts').fill('1000');
      const runs = Number(await page.evaluate(GUESS_OUTCOMES));
      await guess.click();
      // Finished when its outcome is listed (the button is enabled again only after that).
      await until(page, `${GUESS_OUTCOMES} > ${runs} && ${GUESS_BUTTON_ENABLED}`, 'the guessing run did not finish', 120_000);
    }
    // No guessing run is still going: the count holds still.
    let onWire = await countNow();
    for (let previous = -1; onWire !== previous; ) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      previous = onWire;
      onWire = await countNow();
    }
    const fillMs = Date.now() - start;
    const cdp = await context.newCDPSession(page);
    await cdp.send('HeapProfiler.enable');
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = await cdp.send('Runtime.getHeapUsage');
    const stepAfter = async (): Promise<number[]> => {
    const command = page.getByRole('textbox', { name: 'Command' });
    for (const line of ['acme logout', 'acme login']) {
      await command.fill(line);
      await command.press('Enter');
    }
    await page.getByRole('button', { name: 'Skip to next poll' }).waitFor({ timeout: 30_000 });
    // The new login's device authorization is answered after the last exchange counted: the CLI is now polling.
    await until(page, `(() => {
      const hs = Array.from(document.querySelectorAll('#panel-wire ol > li h4')).map((h) => h.textContent || '');
      const at = hs.findLastIndex((h) => /device_authorization\\s*→\\s*200/.test(h));
      return at >= 0 && Number((/#(\\d+)/.exec(hs[at]) || [])[1]) > ${onWire} && !hs.some((h) => /→\\s*pending\\s*$/.test(h));
    })()`, 'the new login did not start polling');
    // One click not measured: the CLI's first poll answered, as the other rows measure after the login's first exchanges.
    const before = Number(await page.evaluate(EXCHANGE_COUNT));
    await page.getByRole('button', { name: 'Skip to next poll' }).click();
    await until(page, `${EXCHANGE_COUNT} > ${before}`, 'the first poll did not come');
    return measureClicks(page, clicks);
    };
    let samples: number[] = [];
    let stepError: string | undefined;
    try {
      samples = await stepAfter();
    } catch (error) {
      stepError = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    }
    return { onWire, heapUsedBytes: heap.usedSize, heapTotalBytes: heap.totalSize, samples, median: median(samples), max: samples.length ? Math.max(...samples) : NaN, fillMs, stepError };
  } finally {
    await context.close();
  }
}
