/**
 * Lighthouse scores for `npm run bench`: performance and accessibility of a page of the built app, served by
 * the bench's static server. Lighthouse drives Debian's Chromium (findChromium(), `--headless=new` plus the
 * e2e arguments) launched by chrome-launcher with its debugging port in BENCH_PORTS; a fresh browser per run.
 *
 *   mobile    Lighthouse's default: Moto G Power emulation, simulated throttling (150 ms RTT, 1.6 Mbit/s,
 *             4× CPU slowdown), the form factor PageSpeed Insights scores by default
 *   desktop   Lighthouse's desktop preset: 1350×940, simulated throttling (40 ms RTT, 10 Mbit/s, no CPU slowdown)
 *
 * Throttling is simulated (Lantern): the page loads at full speed and the metrics are modelled from the trace,
 * so the scores depend on this machine's speed, which Lighthouse reports as its benchmark index.
 */
import * as chromeLauncher from 'chrome-launcher';
import lighthouse, { desktopConfig } from 'lighthouse';
import { CHROMIUM_ARGS, findChromium } from './chromium.ts';
import { findFreePort } from './browserBench.ts';

export type FormFactor = 'mobile' | 'desktop';

export interface LighthouseRun {
  url: string;
  formFactor: FormFactor;
  /** 0-100, as Lighthouse reports them. */
  performance: number;
  accessibility: number;
  /** Display values of the metrics behind the performance score. */
  metrics: Record<string, string>;
  /** Accessibility audits that did not pass. */
  accessibilityFailures: string[];
  benchmarkIndex: number;
  lighthouseVersion: string;
  userAgent: string;
  warnings: string[];
  ms: number;
}

/** Browsers launched and not yet killed, for killLighthouseBrowsers. */
const running = new Set<chromeLauncher.LaunchedChrome>();

/** Kill any browser a Lighthouse run still has open (e.g. when the bench stops at its time limit). */
export function killLighthouseBrowsers(): void {
  for (const chrome of running) chrome.kill();
  running.clear();
}

const METRICS = ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time', 'cumulative-layout-shift', 'speed-index', 'interactive'];

/** One Lighthouse run (performance and accessibility) of `url`; throws on a runtime error or after `timeoutMs`. */
export async function runLighthouse(url: string, formFactor: FormFactor, opts: { avoidPorts?: number[]; timeoutMs?: number } = {}): Promise<LighthouseRun> {
  const start = Date.now();
  const port = await findFreePort(undefined, opts.avoidPorts ?? []);
  const chrome = await chromeLauncher.launch({
    chromePath: findChromium(),
    chromeFlags: ['--headless=new', ...CHROMIUM_ARGS],
    port,
    logLevel: 'silent',
  });
  running.add(chrome);
  let timer: NodeJS.Timeout | undefined;
  try {
    const run = lighthouse(
      url,
      { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: ['performance', 'accessibility'] },
      formFactor === 'desktop' ? desktopConfig : undefined,
    );
    run.catch(() => undefined); // after a timeout, the abandoned run rejects when its browser is killed
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Lighthouse did not finish ${url} (${formFactor}) within ${(opts.timeoutMs ?? 90_000) / 1000} s`)), opts.timeoutMs ?? 90_000);
    });
    const result = await Promise.race([run, timeout]);
    const lhr = result?.lhr;
    if (!lhr) throw new Error(`Lighthouse returned no result for ${url}`);
    if (lhr.runtimeError) throw new Error(`Lighthouse: ${lhr.runtimeError.code}: ${lhr.runtimeError.message}`);
    const score = (id: string) => {
      const s = lhr.categories[id]?.score;
      if (typeof s !== 'number') throw new Error(`Lighthouse: no ${id} score for ${url}`);
      return Math.round(s * 100);
    };
    const a11yRefs = new Set((lhr.categories.accessibility?.auditRefs ?? []).filter((r) => r.weight > 0).map((r) => r.id));
    return {
      url,
      formFactor,
      performance: score('performance'),
      accessibility: score('accessibility'),
      metrics: Object.fromEntries(METRICS.map((id) => [id, lhr.audits[id]?.displayValue ?? 'n/a'])),
      accessibilityFailures: Object.values(lhr.audits).filter((a) => a11yRefs.has(a.id) && a.score !== null && a.score < 1).map((a) => a.id),
      benchmarkIndex: Math.round(lhr.environment.benchmarkIndex),
      lighthouseVersion: lhr.lighthouseVersion,
      userAgent: lhr.environment.hostUserAgent,
      warnings: lhr.runWarnings.map((w) => String(w)),
      ms: Date.now() - start,
    };
  } finally {
    clearTimeout(timer);
    running.delete(chrome);
    chrome.kill();
  }
}

/** `runs` runs of `url`; the scores are the medians (Lighthouse's scores vary from run to run). */
export async function lighthouseMedian(url: string, formFactor: FormFactor, runs: number, opts: { avoidPorts?: number[] } = {}): Promise<{ runs: LighthouseRun[]; performance: number; accessibility: number }> {
  const results: LighthouseRun[] = [];
  for (let i = 0; i < runs; i++) results.push(await runLighthouse(url, formFactor, opts));
  const med = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor((s.length - 1) / 2)]!;
  };
  return { runs: results, performance: med(results.map((r) => r.performance)), accessibility: med(results.map((r) => r.accessibility)) };
}
