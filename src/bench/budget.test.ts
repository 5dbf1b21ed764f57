/**
 * The byte budgets (gzipped JS + CSS). Builds once with Vite's builder into a temporary folder and measures it
 * with the functions `npm run bench` reports from (src/bench/bundle.ts, where the budgets and their reasons are).
 *
 *   app initial       index.html's initial JS + CSS ≤ 120 KB (the target)
 *   route loads       a first visit to a route: app initial + its lazily loaded view (+ a lab) ≤ 120 KB, the
 *                     target applied to what a visit downloads; the instructor's page has a growth guard
 *   embed page        embed.html's initial JS + CSS ≤ EMBED_PAGE_BUDGET_BYTES
 *   element file      device-flow-lab.js ≤ ELEMENT_BUDGET_BYTES, self-contained
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ELEMENT_BUDGET_BYTES, ELEMENT_FILE, EMBED_HTML, EMBED_PAGE_BUDGET_BYTES, INITIAL_BUNDLE_BUDGET_BYTES, INSTRUCTOR_LOAD_BUDGET_BYTES,
  ROUTE_LOAD_BUDGET_BYTES,
  buildAndMeasure, type BuildMeasurement, type InitialBundle,
} from './bundle.ts';

const kb = (bytes: number) => bytes / 1024;
const listing = (b: InitialBundle) => b.files.map((f) => `${f.file}: ${f.gzipBytes} B gzipped (${f.bytes} B)`).join('\n');

describe('byte budgets', () => {
  let m: BuildMeasurement;
  beforeAll(async () => {
    m = await buildAndMeasure({ keep: true });
  }, 120_000);
  afterAll(() => {
    if (m) rmSync(m.outDir, { recursive: true, force: true });
  });

  it(`app initial JS + CSS gzipped is at most ${kb(INITIAL_BUNDLE_BUDGET_BYTES)} KB`, () => {
    expect(m.app.files.some((f) => f.kind === 'js'), 'the entry script was found').toBe(true);
    expect(m.app.totalGzipBytes, `initial bundle over budget:\n${listing(m.app)}`).toBeLessThanOrEqual(INITIAL_BUNDLE_BUDGET_BYTES);
  });

  it(`a first visit to each learner's route (app initial + its view + a lab) gzipped is at most ${kb(ROUTE_LOAD_BUDGET_BYTES)} KB`, () => {
    const routes = new Set(m.routes.map((r) => r.route));
    for (const route of ['#/', '#/simulator', '#/lab/<id>', '#/embed', '#/instructor']) expect(routes, `a lazily loaded view for ${route}`).toContain(route);
    for (const r of m.routes) {
      const budget = r.route === '#/instructor' ? INSTRUCTOR_LOAD_BUDGET_BYTES : ROUTE_LOAD_BUDGET_BYTES;
      expect(r.totalGzipBytes, `${r.route} (${r.view}) over budget:\n${listing(r)}`).toBeLessThanOrEqual(budget);
    }
  });

  it(`embed page (${EMBED_HTML}) initial JS + CSS gzipped is at most ${kb(EMBED_PAGE_BUDGET_BYTES)} KB`, () => {
    expect(m.embedPage, `the build makes ${EMBED_HTML}`).toBeDefined();
    const page = m.embedPage!;
    expect(page.files.some((f) => f.kind === 'js'), `${EMBED_HTML} loads a script`).toBe(true);
    expect(page.totalGzipBytes, `embed page over budget:\n${listing(page)}`).toBeLessThanOrEqual(EMBED_PAGE_BUDGET_BYTES);
  });

  it(`element file (${ELEMENT_FILE}) is self-contained and gzipped at most ${kb(ELEMENT_BUDGET_BYTES)} KB`, () => {
    expect(m.element, `the build makes ${ELEMENT_FILE}`).toBeDefined();
    const element = m.element!;
    expect(element.problems, `${ELEMENT_FILE} is not self-contained`).toEqual([]);
    expect(element.gzipBytes, `${ELEMENT_FILE}: ${element.gzipBytes} B gzipped (${element.bytes} B), over budget`).toBeLessThanOrEqual(ELEMENT_BUDGET_BYTES);
  });
});
