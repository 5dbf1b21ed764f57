/**
 * `npm run bench`: figures, not tests. Prints one table and writes bench/results.json. Bounded in time: each
 * part has a time limit, a part that fails or runs out of time becomes a row saying so, Lighthouse runs are
 * skipped near BENCH_DEADLINE_MS, and at BENCH_HARD_LIMIT_MS (under 5 minutes) the bench reports what it has.
 *
 *   flows/s          headless complete flows per second: login with three pending polls and a slow_down,
 *                    approval, an API call, a refresh, logout (createWorld, virtual clock; src/bench/engine.ts),
 *                    with the process CPU per flow (the wall-clock rate depends on the machine's load); the same
 *                    flow in headless Chromium, where the page replays worlds (src/bench/enginePage.ts)
 *   scale            flows per second with 1, 10 and 100 CLIs in one world, and the exposure ledger's time over
 *                    each of those worlds' secrets and places
 *   token endpoint   simulated token endpoint requests per second (pending polls, in memory)
 *   suites           wall time of the model-based and property test files (vitest), when present
 *   bundles          gzipped JS and CSS (src/bench/bundle.ts; the budget test uses the same measurement):
 *                    app initial (index.html), each route's first load (app initial + its lazily loaded view),
 *                    embed.html and the element (device-flow-lab.js) when built: each one's first load (its
 *                    entry, what that imports from its folder, the largest lab) and with the engine
 *   browser          headless Chromium, simulator route: navigation → interactive terminal (median), and
 *                    click-to-render latency of "Skip to next poll" (median, p95); see src/bench/browserBench.ts
 *   labs             (issue 13) every lab at its last solution step and every instructor-gallery entry, one cold
 *                    load each: navigation → interactive (worst and median, target ≤ 150 ms); the gallery entries
 *                    again as an instructor opens them, a click each on one #/instructor page; step click-to-render
 *                    p95 with 200 exchanges on the wire (sandbox, target < 16 ms); a long session of 10,000
 *                    exchanges (lab 13's attacker console): JS heap after GC (CDP, target < 100 MB) and a step after
 *   Lighthouse       performance and accessibility of the home page and one lab, mobile (default simulated
 *                    throttling) and desktop preset; see src/bench/lighthouse.ts
 *
 * Targets (issue 6): app initial JS+CSS under 120 KB gzipped, Lighthouse performance ≥ 95 and accessibility
 * 100, step latency p95 under 50 ms; (issue 13) mobile Lighthouse performance 100, the element and embed.html's
 * first load at most 100 KB gzipped, and the rows above. Each row with a target says whether it is met.
 *
 * Environment: BENCH_LIGHTHOUSE_RUNS (runs per page and form factor, median reported; default 3 mobile, 1
 * desktop), BENCH_SKIP_LIGHTHOUSE=1, BENCH_ENGINE_ONLY=1 (the flows, scale and token endpoint rows only).
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { DEVICE_CODE_GRANT_TYPE } from '../protocol/constants.ts';
import { createTestIdp } from '../sim/testing/idpFixture.ts';
import { SIMULATOR_ROUTE, clickToRenderLatency, clickToRenderWithExchanges, galleryClicksToInteractive, galleryEntries, labsTimeToInteractive, launchChromium, type LabLoadParts, longSession, median, serveStatic, timeToInteractiveTerminal, type PageTarget } from './browserBench.ts';
import { loadLabs } from '../labs/loader.ts';
import type { LabScenario } from '../labs/types.ts';
import {
  ELEMENT_BUDGET_BYTES, ELEMENT_FILE, EMBED_HTML, EMBED_INTERACTIVE_BUDGET_BYTES, EMBED_PAGE_BUDGET_BYTES, INITIAL_BUNDLE_BUDGET_BYTES, INSTRUCTOR_LOAD_BUDGET_BYTES,
  ENGINE_SRC, INSTRUCTOR_INTERACTIVE_BUDGET_BYTES, ROUTE_INTERACTIVE_BUDGET_BYTES, ROUTE_LOAD_BUDGET_BYTES,
  abortBuilds, buildAndMeasure, type BuildMeasurement, type EmbedLoad, type InitialBundle,
} from './bundle.ts';
import { completeFlow, concurrentFlows, ledgerTime, timed } from './engine.ts';
import { chromiumFlows } from './enginePage.ts';
import { killLighthouseBrowsers, lighthouseMedian, type FormFactor, type LighthouseRun } from './lighthouse.ts';

/** Lighthouse runs that would start too close to this are skipped. */
const BENCH_DEADLINE_MS = 260_000;
/** At this point the bench stops, prints and writes what it has, and exits. */
const BENCH_HARD_LIMIT_MS = 290_000;
const benchStart = performance.now();
/** Other work on the machine skews every timing figure; the load averages are recorded with them. */
const loadAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
const remainingMs = () => BENCH_DEADLINE_MS - (performance.now() - benchStart);

interface Figure {
  name: string;
  /** null when there is nothing to measure (e.g. "not built") or the measurement failed. */
  value: number | null;
  unit: string;
  detail: string;
  /** The target or budget, as text (e.g. "< 120 KiB"), when the row has one. */
  target?: string;
  /** Whether the target is met; null when it could not be measured. */
  met?: boolean | null;
}

/** Runs a part of the bench with a time limit; a failure or timeout becomes a row saying so. */
async function bounded(label: string, ms: number, part: () => Promise<Figure[]>, target?: string): Promise<Figure[]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      part(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`did not finish within ${ms / 1000} s`)), ms);
      }),
    ]);
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    process.stderr.write(`bench: ${label}: ${message}\n`);
    return [{ name: label, value: null, unit: '', detail: `failed: ${message}`, ...(target ? { target, met: null } : {}) }];
  } finally {
    clearTimeout(timer);
  }
}

async function flowsPerSecond(): Promise<Figure> {
  await completeFlow(); // warm-up
  const n = 40;
  let exchanges = 0;
  const t = await timed(async () => {
    for (let i = 0; i < n; i++) exchanges += await completeFlow();
  });
  const s = t.ms / 1000;
  // The same flow once the JIT has seen it many times: what a long test run or a long session gets per flow.
  const warm = 300;
  const w = await timed(async () => {
    for (let i = 0; i < warm; i++) await completeFlow();
  });
  return { name: 'headless complete flows', value: round(n / s), unit: 'flows/s', target: '≥ 500 flows/s', met: n / s >= 500,
    detail: `${n} flows, ${exchanges / n} HTTP exchanges each, ${round(s)} s; ${round(t.cpuMs / n)} ms of process CPU per flow (every thread); then ${warm} more, warm: ${round(warm / (w.ms / 1000))} flows/s, ${round(w.ms / warm)} ms each; load average ${loadavg().map((x) => round(x)).join(' ')}` };
}

/** The same flow in headless Chromium, as the page runs it (src/bench/enginePage.ts). */
async function chromiumFlowsPerSecond(): Promise<Figure> {
  const n = 40;
  const r = await chromiumFlows(n);
  return { name: 'headless complete flows in Chromium', value: round(r.flowsPerSecond), unit: 'flows/s', target: '≥ 500 flows/s', met: r.flowsPerSecond >= 500,
    detail: `${n} flows, ${r.exchanges} HTTP exchanges each, ${round(r.msPerFlow)} ms each; ${r.browser}, the engine bundled for the page; load average ${loadavg().map((x) => round(x)).join(' ')}` };
}

/**
 * How the cost grows (issue 13): flows per second with 1, 10 and 100 CLIs in one world, then the exposure ledger
 * over that world's secrets and every host's places. The ledger's time should grow with secrets plus text, not
 * secrets times text.
 */
async function scaleFigures(): Promise<Figure[]> {
  await concurrentFlows(2); // warm-up
  const figures: Figure[] = [];
  const ledgerRows: Figure[] = [];
  // Each row runs at least 20 flows (worlds of 1 CLI 20 times, of 10 CLIs twice), so a short run is not all noise.
  for (const [n, worlds] of [[1, 20], [10, 2], [100, 1]] as const) {
    const t = await timed(async () => {
      let last: Awaited<ReturnType<typeof concurrentFlows>> | undefined;
      for (let i = 0; i < worlds; i++) last = await concurrentFlows(n);
      return last!;
    });
    const flows = n * worlds;
    figures.push({ name: `${n} concurrent CLI${n > 1 ? 's' : ''} in one world`, value: round(flows / (t.ms / 1000)), unit: 'flows/s',
      detail: `${worlds} world${worlds > 1 ? 's' : ''} of ${t.value.exchanges} HTTP exchanges, ${round(t.ms / 1000)} s; ${round(t.cpuMs / flows)} ms of process CPU per flow` });
    const l = ledgerTime(t.value);
    ledgerRows.push({ name: `exposure ledger, ${n} CLI${n > 1 ? 's' : ''}`, value: round(l.ms), unit: 'ms',
      detail: `${l.secrets} secrets over ${l.places} places (${l.entries} entries, ${l.textKiB} KiB of text, ${t.value.exchanges} exchanges on the wire): ${l.sightings} sightings; median of 7 after a warm-up` });
  }
  return [...figures, ...ledgerRows];
}

async function tokenEndpointRate(): Promise<Figure> {
  const t = await createTestIdp({ slowDownEnforcement: false, rateLimitPerMinute: 100_000 });
  const da = await t.deviceAuthorize();
  const n = 2000;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const res = await t.post('/token', { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: da.device_code, client_id: 'acme-cli' });
    await res.text();
  }
  const s = (performance.now() - start) / 1000;
  return { name: 'token endpoint (pending polls)', value: round(n / s), unit: 'req/s', detail: `${n} requests in memory` };
}

/** Wall time of test files whose names match, run alone with vitest. */
function suiteTime(label: string, pattern: RegExp): Figure | undefined {
  const files = listTests('src').filter((f) => pattern.test(f));
  if (!files.length) return undefined;
  const start = performance.now();
  const r = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...files], { stdio: 'ignore', timeout: 60_000 });
  const s = (performance.now() - start) / 1000;
  return { name: label, value: round(s), unit: 's', detail: `${files.length} file(s), ${r.error ? `stopped: ${r.error.message}` : `exit ${r.status}`}: ${files.join(', ')}` };
}

function listTests(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...listTests(p));
    else if (e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const kib = (bytes: number) => round(bytes / 1024);

/** The three rows of one page's initial JS and CSS. */
function bundleRows(label: string, b: InitialBundle, budget: { bytes: number; note: string } | undefined): Figure[] {
  const files = (kind: 'js' | 'css') => b.files.filter((f) => f.kind === kind).map((f) => f.file).join(', ') || 'none';
  const total: Figure = { name: `${label} JS+CSS (gzip)`, value: kib(b.totalGzipBytes), unit: 'KiB', detail: `${kib(b.totalBytes)} KiB before gzip; ${b.files.length} files` };
  if (budget) {
    total.target = `≤ ${kib(budget.bytes)} KiB`;
    total.met = b.totalGzipBytes <= budget.bytes;
    total.detail += `; ${budget.note}, ${round((100 * b.totalGzipBytes) / budget.bytes)}% used`;
  }
  return [
    { name: `${label} JS (gzip)`, value: kib(b.jsGzipBytes), unit: 'KiB', detail: files('js') },
    { name: `${label} CSS (gzip)`, value: kib(b.cssGzipBytes), unit: 'KiB', detail: files('css') },
    total,
  ];
}

function bundleFigures(m: BuildMeasurement): Figure[] {
  const figures: Figure[] = [
    { name: 'production build', value: round(m.buildMs / 1000), unit: 's', detail: 'vite build (child process, NODE_ENV=production, as npm run build) into a temporary folder' },
    ...bundleRows('app initial', m.app, { bytes: INITIAL_BUNDLE_BUDGET_BYTES, note: 'index.html: shell only, views load lazily; budget test' }),
  ];
  const routeOrder = ['#/', '#/lab/<id>', '#/simulator', '#/instructor', '#/embed'];
  const routes = [...m.routes].sort((a, b) => (routeOrder.indexOf(a.route) + 1 || 99) - (routeOrder.indexOf(b.route) + 1 || 99));
  for (const r of routes) {
    const extra = r.files.filter((f) => !m.app.files.some((a) => a.file === f.file)).map((f) => f.file).join(', ');
    // The instructor's page loads every lab complete by design (see INSTRUCTOR_LOAD_BUDGET_BYTES): a growth guard, not the target.
    const instructor = r.route === '#/instructor';
    const budget = instructor ? INSTRUCTOR_LOAD_BUDGET_BYTES : ROUTE_LOAD_BUDGET_BYTES;
    figures.push({
      name: `first load ${r.route} JS+CSS (gzip)`,
      value: kib(r.totalGzipBytes),
      unit: 'KiB',
      target: `≤ ${kib(budget)} KiB`,
      met: r.totalGzipBytes <= budget,
      detail: `app initial + ${r.view} and its imports (${extra}); JS ${kib(r.jsGzipBytes)}, CSS ${kib(r.cssGzipBytes)}; ${instructor ? 'every lab, complete: growth guard' : 'what a first visit downloads before its first paint (issue 13: a lab ≤ 90 KB)'}; budget test`,
    });
    if (r.engineGzipBytes > 0) {
      const interactiveBudget = instructor ? INSTRUCTOR_INTERACTIVE_BUDGET_BYTES : ROUTE_INTERACTIVE_BUDGET_BYTES;
      figures.push({
        name: `interactive ${r.route} JS+CSS (gzip)`,
        value: kib(r.interactiveGzipBytes),
        unit: 'KiB',
        target: `≤ ${kib(interactiveBudget)} KiB`,
        met: r.interactiveGzipBytes <= interactiveBudget,
        detail: `first load + the engine (${ENGINE_SRC} and its imports, ${kib(r.engineGzipBytes)} KiB), loaded as the first world is built; growth guard; budget test`,
      });
    }
  }
  const embedRows = (what: string, e: EmbedLoad | undefined, budget: number, missing: string) => {
    if (!e) {
      figures.push({ name: `${what} first load (gzip)`, value: null, unit: '', detail: `not built: ${missing}` });
      return;
    }
    const files = e.firstLoad.files.map((f) => `${f.file} ${kib(f.gzipBytes)}`).join(', ');
    const folder = e.problems.length ? `NOT only its folder: ${e.problems.join('; ')}` : `nothing from outside ${e.dir}/`;
    figures.push({
      name: `${what} first load JS+CSS (gzip)`,
      value: kib(e.firstLoad.totalGzipBytes),
      unit: 'KiB',
      target: `≤ ${kib(budget)} KiB`,
      met: e.firstLoad.totalGzipBytes <= budget && e.problems.length === 0,
      detail: `before a lab's first paint, the largest lab (${e.lab ?? 'none'}): ${files}; ${folder}; budget test`,
    });
    figures.push(embedTarget(`${what} first load (gzip), issue 13`, e.firstLoad.totalGzipBytes, `${e.file}, what it imports and one lab`));
    figures.push({
      name: `${what} interactive JS+CSS (gzip)`,
      value: kib(e.interactiveGzipBytes),
      unit: 'KiB',
      target: `≤ ${kib(EMBED_INTERACTIVE_BUDGET_BYTES)} KiB`,
      met: e.interactiveGzipBytes <= EMBED_INTERACTIVE_BUDGET_BYTES,
      detail: `first load + the engine (${kib(e.engineGzipBytes)} KiB), loaded as the first world is built; every file of it ${kib(e.allGzipBytes)} KiB; growth guard; budget test`,
    });
  };
  embedRows(`embed page ${EMBED_HTML}`, m.embedPage, EMBED_PAGE_BUDGET_BYTES, `the build has no ${EMBED_HTML}`);
  embedRows(`element ${ELEMENT_FILE}`, m.element, ELEMENT_BUDGET_BYTES, `no ${ELEMENT_FILE} at the output root`);
  return figures;
}

/** Issue 13's target for the custom element and embed.html's first load: 100 KB gzipped (the budget test guards growth). */
const EMBED_TARGET_BYTES = 100_000;
function embedTarget(name: string, gzipBytes: number, what: string): Figure {
  return { name, value: kib(gzipBytes), unit: 'KiB', target: `≤ ${kib(EMBED_TARGET_BYTES)} KiB`, met: gzipBytes <= EMBED_TARGET_BYTES, detail: `100 KB; ${what}` };
}

async function browserFigures(url: string): Promise<Figure[]> {
  const figures: Figure[] = [];
  const browser = await launchChromium();
  try {
    const tti = await timeToInteractiveTerminal(browser, url + SIMULATOR_ROUTE, 7);
    figures.push({ name: 'time to interactive terminal', value: round(tti.median), unit: 'ms',
      detail: `${SIMULATOR_ROUTE}, median of ${tti.samples.length} cold loads (navigation start → Command input enabled, simulator started): ${tti.samples.map((x) => Math.round(x)).join(', ')}` });
    const clicks = await clickToRenderLatency(browser, url + SIMULATOR_ROUTE, 30);
    figures.push({ name: 'step click-to-render (median)', value: round(clicks.median), unit: 'ms',
      detail: `"Skip to next poll" → answered poll painted in the wire log, ${clicks.samples.length} clicks` });
    figures.push({ name: 'step click-to-render (p95)', value: round(clicks.p95), unit: 'ms', target: '< 50 ms', met: clicks.p95 < 50,
      detail: `max ${round(Math.max(...clicks.samples))} ms` });
  } finally {
    await browser.close();
  }
  return figures;
}

/** Issue 13's target for a lab opened at a step or from the gallery: interactive within this of navigation. */
const LAB_INTERACTIVE_TARGET_MS = 150;
/** One frame at 60 Hz. */
const FRAME_MS = 16;

/** Every lab at its last solution step (`?step=<solution length>`, the deep link's maximum). */
async function labsAtLastStep(): Promise<PageTarget[]> {
  const targets: PageTarget[] = [];
  for (const lab of loadLabs(`${process.cwd()}/labs`, process.cwd())) {
    const scenario = ((await import(pathToFileURL(lab.scenarioPath).href)) as { default: LabScenario }).default;
    const last = scenario.solution.length;
    targets.push({ label: `${lab.content.id} at step ${last}`, hash: `#/lab/${encodeURIComponent(lab.content.id)}${last > 0 ? `?step=${last}` : ''}` });
  }
  return targets;
}

function labLoadFigure(name: string, what: string, results: Array<PageTarget & { ms: number; parts?: LabLoadParts }>): Figure[] {
  if (!results.length) return [{ name, value: null, unit: '', detail: `no ${what}` }];
  const worst = results.reduce((a, b) => (b.ms > a.ms ? b : a));
  const med = median(results.map((r) => r.ms));
  const over = results.filter((r) => r.ms > LAB_INTERACTIVE_TARGET_MS).length;
  return [
    { name: `${name} (worst)`, value: round(worst.ms), unit: 'ms', target: `≤ ${LAB_INTERACTIVE_TARGET_MS} ms`, met: worst.ms <= LAB_INTERACTIVE_TARGET_MS,
      detail: `${worst.label}${worst.parts ? ` (${partsText(worst.parts)})` : ''}; all ${results.length} ${what}, one cold load each (navigation start → Reset lab and Command enabled, objectives rendered); ${over} over ${LAB_INTERACTIVE_TARGET_MS} ms; median parts ${medianParts(results)}` },
    { name: `${name} (median)`, value: round(med), unit: 'ms',
      detail: results.map((r) => `${r.hash.replace(/^#\/lab\//, '')} ${Math.round(r.ms)}`).join(', ') },
  ];
}

/** The instructor's own way in: a click on each entry from the gallery page (in-app), the first click included. */
function galleryClickFigure(results: Array<PageTarget & { ms: number }>): Figure[] {
  if (!results.length) return [{ name: 'gallery entry from a click in the gallery', value: null, unit: '', detail: 'no gallery entries' }];
  const worst = results.reduce((a, b) => (b.ms > a.ms ? b : a));
  const over = results.filter((r) => r.ms > LAB_INTERACTIVE_TARGET_MS);
  return [
    { name: 'gallery entry from a click in the gallery (worst)', value: round(worst.ms), unit: 'ms', target: `≤ ${LAB_INTERACTIVE_TARGET_MS} ms`, met: worst.ms <= LAB_INTERACTIVE_TARGET_MS,
      detail: `${worst.label}; all ${results.length} entries clicked in turn on one #/instructor page (click → Reset lab and Command enabled, objectives rendered), the first click loading the lab view and the engine; ${over.length} over ${LAB_INTERACTIVE_TARGET_MS} ms${over.length ? ` (${over.map((r) => r.label).join('; ')})` : ''}` },
    { name: 'gallery entry from a click in the gallery (median)', value: round(median(results.map((r) => r.ms))), unit: 'ms',
      detail: results.map((r) => `${r.hash.replace(/^#\/lab\//, '')} ${Math.round(r.ms)}`).join(', ') },
  ];
}

const partsText = (p: LabLoadParts) => `load and first render ${Math.round(p.load)}, build ${Math.round(p.build)}, replay ${Math.round(p.replay)}, render ${Math.round(p.render)} ms`;

/** Each part's median over the loads that reported parts. */
function medianParts(results: ReadonlyArray<{ parts?: LabLoadParts }>): string {
  const all = results.flatMap((r) => (r.parts ? [r.parts] : []));
  if (!all.length) return 'not reported';
  const m = (k: keyof LabLoadParts) => median(all.map((p) => p[k]));
  return partsText({ load: m('load'), build: m('build'), replay: m('replay'), render: m('render') });
}

async function labFigures(url: string): Promise<Figure[]> {
  const browser = await launchChromium();
  try {
    const atLast = await labsTimeToInteractive(browser, url, await labsAtLastStep());
    const entries = await galleryEntries(browser, url);
    const gallery = await labsTimeToInteractive(browser, url, entries);
    const clicked = await galleryClicksToInteractive(browser, url, entries);
    return [
      ...labLoadFigure('lab at last step interactive', 'labs', atLast),
      ...labLoadFigure('gallery entry interactive', 'gallery entries', gallery),
      ...galleryClickFigure(clicked),
    ];
  } finally {
    await browser.close();
  }
}

async function busyWireFigures(url: string): Promise<Figure[]> {
  const browser = await launchChromium();
  try {
    const r = await clickToRenderWithExchanges(browser, url, 200, 30);
    return [
      { name: 'step click-to-render, 200 exchanges (median)', value: round(r.median), unit: 'ms',
        detail: `#/sandbox?s.codeLifetimeS=3600&s.intervalS=1, acme login, "Skip to next poll" until ${r.onWire} exchanges on the wire, then ${r.samples.length} clicks` },
      { name: 'step click-to-render, 200 exchanges (p95)', value: round(r.p95), unit: 'ms', target: `< ${FRAME_MS} ms`, met: r.p95 < FRAME_MS,
        detail: `max ${round(Math.max(...r.samples))} ms; of which the page's work (click → the answer in the DOM) median ${round(median(r.work))}, max ${round(Math.max(...r.work))} ms, the rest is the wait for the frame that paints it` },
    ];
  } finally {
    await browser.close();
  }
}

/** Lab 13 (guessing user codes), whose attacker console makes the long session. */
function guessingLab(): string | undefined {
  if (!existsSync('labs')) return undefined;
  return readdirSync('labs').filter((n) => /^13-/.test(n)).sort()[0];
}

async function longSessionFigures(url: string): Promise<Figure[]> {
  const lab = guessingLab();
  if (!lab) return [{ name: 'long session', value: null, unit: '', detail: 'no labs/13-* folder' }];
  const browser = await launchChromium();
  try {
    const r = await longSession(browser, url, lab, 10_000, 4);
    const mb = r.heapUsedBytes / 1e6;
    return [
      { name: 'long session JS heap', value: round(mb), unit: 'MB', target: '< 100 MB', met: mb < 100,
        detail: `#/lab/${lab}, attacker console "Guess user codes" ×1000 until ${r.onWire} exchanges (${round(r.fillMs / 1000)} s); used heap after HeapProfiler.collectGarbage (CDP Runtime.getHeapUsage), total ${round(r.heapTotalBytes / 1e6)} MB` },
      r.stepError
        ? { name: 'long session step click-to-render (max)', value: null, unit: '', target: `< ${FRAME_MS} ms`, met: null,
          detail: `not measured: ${r.stepError} (acme logout, acme login, then "Skip to next poll")` }
        : { name: 'long session step click-to-render (max)', value: round(r.max), unit: 'ms', target: `< ${FRAME_MS} ms`, met: r.max < FRAME_MS,
          detail: `then acme logout, acme login, ${r.samples.length} "Skip to next poll" clicks: median ${round(r.median)} ms; ${r.samples.map((x) => Math.round(x)).join(', ')}` },
    ];
  } finally {
    await browser.close();
  }
}

/** The lab Lighthouse scores: the first lab folder (01-anatomy when present). */
function firstLab(): string | undefined {
  if (!existsSync('labs')) return undefined;
  const ids = readdirSync('labs', { withFileTypes: true }).filter((e) => e.isDirectory() && /^\d{2}-/.test(e.name)).map((e) => e.name).sort();
  return ids.includes('01-anatomy') ? '01-anatomy' : ids[0];
}

const lighthouseRuns: LighthouseRun[] = [];

async function lighthouseFigures(url: string, avoidPorts: number[], figures: Figure[]): Promise<Figure[]> {
  if (process.env.BENCH_SKIP_LIGHTHOUSE === '1') {
    figures.push({ name: 'Lighthouse', value: null, unit: '', detail: 'skipped (BENCH_SKIP_LIGHTHOUSE=1)' });
    return [];
  }
  const lab = firstLab();
  const pages: Array<[string, string]> = [['home', '#/'], ...(lab ? [[`lab ${lab}`, `#/lab/${lab}`] as [string, string]] : [])];
  const runsFor = (ff: FormFactor) => Number(process.env.BENCH_LIGHTHOUSE_RUNS) || (ff === 'mobile' ? 3 : 1);
  for (const formFactor of ['mobile', 'desktop'] as const) {
    for (const [label, hash] of pages) {
      const name = `Lighthouse ${label} (${formFactor})`;
      const runs = runsFor(formFactor);
      if (remainingMs() < runs * 25_000) {
        figures.push({ name, value: null, unit: '', target: '≥ 95 / 100', met: null, detail: `skipped: the bench's ${BENCH_DEADLINE_MS / 1000} s time limit is near` });
        continue;
      }
      try {
        const r = await lighthouseMedian(url + hash, formFactor, runs, { avoidPorts });
        lighthouseRuns.push(...r.runs);
        const spread = (k: 'performance' | 'accessibility') => (runs > 1 ? `, runs ${r.runs.map((x) => x[k]).join('/')}` : '');
        const last = r.runs[r.runs.length - 1]!;
        const m = last.metrics;
        // Issue 13 asks 100 on mobile; the desktop preset keeps issue 6's ≥ 95.
        const goal = formFactor === 'mobile' ? 100 : 95;
        figures.push({ name: `${name} performance`, value: r.performance, unit: 'score', target: goal === 100 ? '100' : `≥ ${goal}`, met: r.performance >= goal,
          detail: `${hash}, median of ${runs}${spread('performance')}; FCP ${m['first-contentful-paint']}, LCP ${m['largest-contentful-paint']}, TBT ${m['total-blocking-time']}, CLS ${m['cumulative-layout-shift']}, SI ${m['speed-index']}; benchmark index ${r.runs.map((x) => x.benchmarkIndex).join('/')}` });
        const failures = [...new Set(r.runs.flatMap((x) => x.accessibilityFailures))];
        figures.push({ name: `${name} accessibility`, value: r.accessibility, unit: 'score', target: '100', met: r.accessibility === 100,
          detail: `${hash}${spread('accessibility')}; ${failures.length ? `failing audits: ${failures.join(', ')}` : 'no failing audits'}` });
      } catch (error) {
        const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
        process.stderr.write(`bench: ${name}: ${message}\n`);
        figures.push({ name, value: null, unit: '', target: '≥ 95 / 100', met: null, detail: `failed: ${message}` });
      }
    }
  }
  return []; // pushed into `figures` as they come, so a bench stopped at its time limit keeps them
}

/** Bundle sizes, then the browser and Lighthouse figures against the same build, pushed into `figures`. */
async function pageFigures(figures: Figure[]): Promise<void> {
  let measured: BuildMeasurement;
  try {
    let timer: NodeJS.Timeout | undefined;
    measured = await Promise.race([
      buildAndMeasure({ keep: true }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('did not finish within 180 s')), 180_000);
      }),
    ]).finally(() => clearTimeout(timer));
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    process.stderr.write(`bench: build failed: ${message}\n`);
    figures.push({ name: 'production build', value: null, unit: '', target: 'app initial < 120 KB', met: null, detail: `failed: ${message}; no bundle, browser or Lighthouse figures` });
    return;
  }
  builtDir = measured.outDir;
  figures.push(...bundleFigures(measured));
  const server = await serveStatic(measured.outDir);
  try {
    figures.push(...(await bounded('browser figures', 90_000, () => browserFigures(server.url), 'step p95 < 50 ms')));
    figures.push(...(await bounded('labs interactive', 90_000, () => labFigures(server.url), `≤ ${LAB_INTERACTIVE_TARGET_MS} ms`)));
    figures.push(...(await bounded('step click-to-render, 200 exchanges', 60_000, () => busyWireFigures(server.url), `< ${FRAME_MS} ms`)));
    figures.push(...(await bounded('long session', 120_000, () => longSessionFigures(server.url), 'heap < 100 MB')));
    figures.push(...(await bounded('Lighthouse', Math.max(30_000, remainingMs()), () => lighthouseFigures(server.url, [server.port], figures))));
  } finally {
    await server.close();
    rmSync(measured.outDir, { recursive: true, force: true });
  }
}

/** The temporary build folder, removed at the end (also when the bench stops at its time limit). */
let builtDir: string | undefined;

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function printTable(figures: Figure[]): void {
  const status = (f: Figure) => (f.target === undefined ? '' : `${f.target} ${f.met === true ? 'yes' : f.met === false ? 'NO' : '?'}`);
  const w = {
    name: Math.max(...figures.map((f) => f.name.length)),
    value: Math.max(5, ...figures.map((f) => (f.value === null ? 1 : String(f.value).length))),
    unit: Math.max(4, ...figures.map((f) => f.unit.length)),
    target: Math.max(10, ...figures.map((f) => status(f).length)),
  };
  const row = (a: string, b: string, c: string, d: string, e: string) => `${a.padEnd(w.name)}  ${b.padStart(w.value)} ${c.padEnd(w.unit)}  ${d.padEnd(w.target)}  ${e}\n`;
  process.stdout.write(row('figure', 'value', 'unit', 'target met', 'detail'));
  process.stdout.write(row('-'.repeat(w.name), '-'.repeat(w.value), '-'.repeat(w.unit), '-'.repeat(w.target), '------'));
  for (const f of figures) process.stdout.write(row(f.name, f.value === null ? '—' : String(f.value), f.unit, status(f), f.detail));
}

const figures: Figure[] = [];

async function main(): Promise<void> {
  figures.push(...(await bounded('headless complete flows', 60_000, async () => [await flowsPerSecond()])));
  figures.push(...(await bounded('headless complete flows in Chromium', 60_000, async () => [await chromiumFlowsPerSecond()], '≥ 500 flows/s')));
  figures.push(...(await bounded('scale', 60_000, scaleFigures)));
  figures.push(...(await bounded('token endpoint (pending polls)', 30_000, async () => [await tokenEndpointRate()])));
  if (process.env.BENCH_ENGINE_ONLY === '1') return;
  for (const f of [
    suiteTime('model-based suite', /model.*\.test\.ts$/),
    suiteTime('property suites', /propert(y|ies).*\.test\.ts$/),
  ]) if (f) figures.push(f);
  await pageFigures(figures);
}

/** Print the table and write bench/results.json from whatever `figures` holds. */
function report(): void {
  const elapsed = round((performance.now() - benchStart) / 1000);
  const browser = lighthouseRuns[0]?.userAgent ?? 'n/a';
  const load = loadavg().map((x) => round(x)).join(' ');
  process.stdout.write(`Device Flow Lab benchmark (${new Date().toISOString()}, node ${process.version}, ${cpus().length} CPUs, load average ${loadAtStart.join(' ')} at start, ${load} at end, ${elapsed} s)\n`);
  process.stdout.write(`Lighthouse ${lighthouseRuns[0]?.lighthouseVersion ?? 'n/a'}, ${browser}\n\n`);
  printTable(figures);
  const targets = figures.filter((f) => f.target !== undefined).map((f) => ({ name: f.name, value: f.value, unit: f.unit, target: f.target, met: f.met }));
  const missed = targets.filter((t) => t.met !== true);
  process.stdout.write(`\n${targets.length - missed.length} of ${targets.length} targets met${missed.length ? `; not met: ${missed.map((t) => t.name).join('; ')}` : ''}\n`);
  if (!existsSync('bench')) mkdirSync('bench');
  writeFileSync('bench/results.json', `${JSON.stringify({
    at: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: loadavg().map((x) => round(x)),
    seconds: elapsed,
    lighthouse: {
      version: lighthouseRuns[0]?.lighthouseVersion,
      browser,
      formFactors: {
        mobile: 'Lighthouse default: Moto G Power emulation, simulated throttling (150 ms RTT, 1.6 Mbit/s, 4x CPU slowdown)',
        desktop: 'Lighthouse desktop preset: 1350x940, simulated throttling (40 ms RTT, 10 Mbit/s, no CPU slowdown)',
      },
      server: 'the production build served from loopback with gzip',
      runs: lighthouseRuns.map(({ url, formFactor, performance: perf, accessibility, metrics, accessibilityFailures, benchmarkIndex, ms }) =>
        ({ url: url.replace(/^http:\/\/[^/]+/, ''), formFactor, performance: perf, accessibility, metrics, accessibilityFailures, benchmarkIndex, ms })),
    },
    figures,
    targets,
  }, null, 2)}\n`);
  process.stdout.write('written to bench/results.json\n');
}

// The time limit: report what there is and stop (a spawned suite run blocks until its own limit).
const watchdog = setTimeout(() => {
  figures.push({ name: 'bench time limit', value: null, unit: '', detail: `stopped after ${BENCH_HARD_LIMIT_MS / 1000} s; the figures after this point are missing` });
  killLighthouseBrowsers();
  abortBuilds();
  report();
  if (builtDir) rmSync(builtDir, { recursive: true, force: true });
  process.exit(0);
}, BENCH_HARD_LIMIT_MS);

await main();
clearTimeout(watchdog);
report();
// Nothing should be left running; do not wait on a stray handle (e.g. an abandoned timed-out part).
process.exit(0);
