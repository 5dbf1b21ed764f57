/**
 * `npm run bench`: figures, not tests. Prints a table and writes bench/results.json.
 *
 *   flows/s          headless complete flows per second: login with three pending polls and a slow_down,
 *                    approval, an API call, a refresh, logout (createWorld, virtual clock)
 *   token endpoint   simulated token endpoint requests per second (pending polls, in memory)
 *   suites           wall time of the model-based and property test files (vitest), when present
 *   initial bundle   gzipped JS and CSS that index.html loads initially (entry, its CSS, its static imports);
 *                    the budget test (src/bench/budget.test.ts) uses the same measurement
 *   browser          headless Chromium: navigation → interactive terminal (median), and click-to-render
 *                    latency of "Skip to next poll" (median, p95); see src/bench/browserBench.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DEVICE_CODE_GRANT_TYPE } from '../protocol/constants.ts';
import { createTestIdp } from '../sim/testing/idpFixture.ts';
import { createWorld } from '../world/index.ts';
import { clickToRenderLatency, launchChromium, serveStatic, timeToInteractiveTerminal } from './browserBench.ts';
import { INITIAL_BUNDLE_BUDGET_BYTES, buildAndMeasure } from './bundle.ts';

interface Figure {
  name: string;
  value: number;
  unit: string;
  detail: string;
}

/** One complete flow, as the issue describes it. Returns the number of wire exchanges it took. */
async function completeFlow(): Promise<number> {
  const w = await createWorld({ userBehaviour: { kind: 'never' } });
  await w.send({ type: 'user.login' });
  // Three pending polls (at 5, 10, 15 s), then the server asks for a slow_down once.
  await w.advance(15_000);
  const pending = [...w.idp.as.state.deviceGrants.values()][0];
  if (!pending) throw new Error('bench: no device code was issued');
  pending.forcedSlowDowns = 1;
  await w.advance(5_000);
  await w.browser.signIn('alice');
  await w.browser.enterCode(pending.userCode);
  await w.browser.decide(pending.userCode, 'approve');
  await w.runUntil(() => w.state().startsWith('authenticated'), 120_000);
  await w.send({ type: 'user.whoami' });
  await w.advance(w.idp.as.knobs.accessTokenLifetimeS * 1000 + 1000);
  await w.send({ type: 'user.api', method: 'GET', path: '/api/projects' });
  await w.send({ type: 'user.logout' });
  if (!w.state().startsWith('loggedOut')) throw new Error(`bench: flow ended in ${w.state()}`);
  const polls = w.wire.log.filter((e) => e.actor === 'cli' && e.request.body.includes('device_code'));
  const refreshes = w.wire.log.filter((e) => e.actor === 'cli' && e.request.body.includes('grant_type=refresh_token'));
  if (polls.length < 5 || refreshes.length !== 1) throw new Error(`bench: unexpected flow (${polls.length} polls, ${refreshes.length} refreshes)`);
  w.stop();
  return w.wire.log.length;
}

async function flowsPerSecond(): Promise<Figure> {
  await completeFlow(); // warm-up
  const n = 40;
  let exchanges = 0;
  const start = performance.now();
  for (let i = 0; i < n; i++) exchanges += await completeFlow();
  const s = (performance.now() - start) / 1000;
  return { name: 'headless complete flows', value: round(n / s), unit: 'flows/s', detail: `${n} flows, ${exchanges / n} HTTP exchanges each, ${round(s)} s` };
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
  const r = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...files], { stdio: 'ignore' });
  const s = (performance.now() - start) / 1000;
  return { name: label, value: round(s), unit: 's', detail: `${files.length} file(s), exit ${r.status}: ${files.join(', ')}` };
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

/** Initial bundle sizes, then the browser figures against the same build. */
async function pageFigures(): Promise<Figure[]> {
  const bundle = await buildAndMeasure({ keep: true });
  const kb = (bytes: number) => round(bytes / 1024);
  const files = (kind: 'js' | 'css') => bundle.files.filter((f) => f.kind === kind).map((f) => f.file).join(', ') || 'none';
  const figures: Figure[] = [
    { name: 'initial JS (gzip)', value: kb(bundle.jsGzipBytes), unit: 'KiB', detail: files('js') },
    { name: 'initial CSS (gzip)', value: kb(bundle.cssGzipBytes), unit: 'KiB', detail: `${files('css')}; ${kb(bundle.totalBytes)} KiB JS+CSS before gzip` },
    { name: 'initial JS+CSS (gzip)', value: kb(bundle.totalGzipBytes), unit: 'KiB',
      detail: `budget ${kb(INITIAL_BUNDLE_BUDGET_BYTES)} KiB (${round((100 * bundle.totalGzipBytes) / INITIAL_BUNDLE_BUDGET_BYTES)}% used)` },
  ];
  const server = await serveStatic(bundle.outDir);
  try {
    const browser = await launchChromium();
    try {
      const tti = await timeToInteractiveTerminal(browser, server.url, 7);
      figures.push({ name: 'time to interactive terminal', value: round(tti.median), unit: 'ms',
        detail: `median of ${tti.samples.length} cold loads (navigation start → Command input enabled, simulator started): ${tti.samples.map((x) => Math.round(x)).join(', ')}` });
      const clicks = await clickToRenderLatency(browser, server.url, 30);
      figures.push({ name: 'click-to-render (median)', value: round(clicks.median), unit: 'ms',
        detail: `"Skip to next poll" → answered poll painted in the wire log, ${clicks.samples.length} clicks` });
      figures.push({ name: 'click-to-render (p95)', value: round(clicks.p95), unit: 'ms', detail: `max ${round(Math.max(...clicks.samples))} ms` });
    } finally {
      await browser.close();
    }
  } catch (error) {
    process.stderr.write(`bench: browser figures skipped: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
  } finally {
    await server.close();
    rmSync(bundle.outDir, { recursive: true, force: true });
  }
  return figures;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

async function main(): Promise<void> {
  const figures: Figure[] = [];
  figures.push(await flowsPerSecond());
  figures.push(await tokenEndpointRate());
  for (const f of [
    suiteTime('model-based suite', /model.*\.test\.ts$/),
    suiteTime('property suites', /propert(y|ies).*\.test\.ts$/),
  ]) if (f) figures.push(f);
  figures.push(...(await pageFigures()));

  const width = Math.max(...figures.map((f) => f.name.length));
  process.stdout.write(`Device Flow Lab benchmark (${new Date().toISOString()}, node ${process.version})\n\n`);
  for (const f of figures) process.stdout.write(`${f.name.padEnd(width)}  ${String(f.value).padStart(9)} ${f.unit.padEnd(8)} ${f.detail}\n`);
  if (!existsSync('bench')) mkdirSync('bench');
  writeFileSync('bench/results.json', `${JSON.stringify({ at: new Date().toISOString(), node: process.version, figures }, null, 2)}\n`);
  process.stdout.write('\nwritten to bench/results.json\n');
}

await main();
