/**
 * The byte budgets (gzipped JS + CSS). Builds once with Vite's builder into a temporary folder and measures it
 * with the functions `npm run bench` reports from (src/bench/bundle.ts, where the budgets and their reasons are).
 *
 *   app initial       index.html's initial JS + CSS ≤ INITIAL_BUNDLE_BUDGET_BYTES
 *   route loads       a first visit to a route: app initial + its lazily loaded view (+ a lab) ≤
 *                     ROUTE_LOAD_BUDGET_BYTES; the instructor's page has a growth guard
 *   route interactive a route that builds a world: its first load + the engine it loads right after ≤
 *                     ROUTE_INTERACTIVE_BUDGET_BYTES
 *   embed page        embed.html's initial JS + CSS ≤ EMBED_PAGE_BUDGET_BYTES
 *   element file      device-flow-lab.js ≤ ELEMENT_BUDGET_BYTES, self-contained
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labs } from 'virtual:labs';
import {
  ELEMENT_BUDGET_BYTES, ELEMENT_FILE, EMBED_HTML, EMBED_PAGE_BUDGET_BYTES, INITIAL_BUNDLE_BUDGET_BYTES, INSTRUCTOR_INTERACTIVE_BUDGET_BYTES, INSTRUCTOR_LOAD_BUDGET_BYTES,
  ROUTE_INTERACTIVE_BUDGET_BYTES, ROUTE_LOAD_BUDGET_BYTES,
  buildAndMeasure, engineFile, type BuildMeasurement, type InitialBundle,
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

  it(`a lab and the simulator load the engine after their first paint; with it they are at most ${kb(ROUTE_INTERACTIVE_BUDGET_BYTES)} KB`, () => {
    const engine = engineFile(m.outDir);
    expect(engine, 'the engine is a chunk of its own').toBeDefined();
    for (const route of ['#/lab/<id>', '#/simulator']) {
      const r = m.routes.find((x) => x.route === route);
      expect(r, `a lazily loaded view for ${route}`).toBeDefined();
      expect(r!.files.map((f) => f.file), `${route}'s first load does not carry the engine`).not.toContain(engine);
      expect(r!.engineGzipBytes, `${route} loads the engine as it builds its world`).toBeGreaterThan(0);
      expect(r!.interactiveGzipBytes, `${route} with the engine: ${r!.interactiveGzipBytes} B gzipped (engine ${r!.engineGzipBytes} B), over budget`).toBeLessThanOrEqual(ROUTE_INTERACTIVE_BUDGET_BYTES);
    }
  });

  it(`the instructor's page with the engine is at most ${kb(INSTRUCTOR_INTERACTIVE_BUDGET_BYTES)} KB`, () => {
    const r = m.routes.find((x) => x.route === '#/instructor');
    expect(r, 'a lazily loaded view for #/instructor').toBeDefined();
    expect(r!.interactiveGzipBytes, `#/instructor with the engine: ${r!.interactiveGzipBytes} B gzipped (engine ${r!.engineGzipBytes} B), over budget`).toBeLessThanOrEqual(INSTRUCTOR_INTERACTIVE_BUDGET_BYTES);
  });

  it('the labs\' near misses (test data) are not in what a learner downloads; their objectives are', () => {
    const element = readFileSync(join(m.outDir, ELEMENT_FILE), 'utf8');
    const plain = (text: string) => !/[`'"\\$]/.test(text);
    const names = labs.flatMap((lab) => lab.scenario.nearMisses.map((n) => n.name)).filter(plain);
    const ids = labs.flatMap((lab) => lab.scenario.objectives.map((o) => o.id));
    expect(names.length, 'near misses to look for').toBeGreaterThan(20);
    for (const id of ids) expect(element, `objective ${id} in ${ELEMENT_FILE}`).toContain(id);
    for (const name of names) expect(element, `near miss in ${ELEMENT_FILE}`).not.toContain(name);
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
