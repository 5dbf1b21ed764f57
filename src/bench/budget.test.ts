/**
 * The byte budgets (gzipped JS + CSS). Builds once with Vite's builder into a temporary folder and measures it
 * with the functions `npm run bench` reports from (src/bench/bundle.ts, where the budgets and their reasons are).
 *
 *   app initial       index.html's initial JS + CSS ≤ INITIAL_BUNDLE_BUDGET_BYTES
 *   route loads       a first visit to a route: app initial + its lazily loaded view (+ a lab) ≤
 *                     ROUTE_LOAD_BUDGET_BYTES; the instructor's page has a growth guard
 *   route interactive a route that builds a world: its first load + the engine it loads right after ≤
 *                     ROUTE_INTERACTIVE_BUDGET_BYTES
 *   embed page        what embed.html loads before a lab's first paint ≤ EMBED_PAGE_BUDGET_BYTES, from its folder only
 *   element           the same for device-flow-lab.js ≤ ELEMENT_BUDGET_BYTES
 *                     both with the engine ≤ EMBED_INTERACTIVE_BUDGET_BYTES
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labs } from 'virtual:labs';
import {
  ELEMENT_BUDGET_BYTES, ELEMENT_FILE, EMBED_HTML, EMBED_INTERACTIVE_BUDGET_BYTES, EMBED_PAGE_BUDGET_BYTES, EMBED_SCRIPT, INITIAL_BUNDLE_BUDGET_BYTES, INSTRUCTOR_INTERACTIVE_BUDGET_BYTES, INSTRUCTOR_LOAD_BUDGET_BYTES,
  ROUTE_INTERACTIVE_BUDGET_BYTES, ROUTE_LOAD_BUDGET_BYTES,
  buildAndMeasure, embedTexts, engineFile, type BuildMeasurement, type EmbedLoad, type InitialBundle,
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
    const plain = (text: string) => !/[`'"\\$]/.test(text);
    const names = labs.flatMap((lab) => lab.scenario.nearMisses.map((n) => n.name)).filter(plain);
    const ids = labs.flatMap((lab) => lab.scenario.objectives.map((o) => o.id));
    expect(names.length, 'near misses to look for').toBeGreaterThan(20);
    for (const embed of [m.element, m.embedPage]) {
      expect(embed, 'the build makes both embeds').toBeDefined();
      const shipped = [...embedTexts(m.outDir, embed!).values()].join('\n');
      for (const id of ids) expect(shipped, `objective ${id} in ${embed!.file} and its folder`).toContain(id);
      for (const name of names) expect(shipped, `near miss in ${embed!.file} and its folder`).not.toContain(name);
    }
  });

  const embedChecks = (what: string, get: () => EmbedLoad | undefined, budget: number) => {
    it(`${what}: a lab's first load (entry, its imports, the largest lab) is at most ${kb(budget)} KB; the engine comes after, and nothing from outside its folder`, () => {
      const embed = get();
      expect(embed, `the build makes ${what}`).toBeDefined();
      expect(embed!.problems, `${embed!.file} loads only its folder`).toEqual([]);
      expect(embed!.lab, 'a lab is counted').toBeDefined();
      const loaded = embed!.firstLoad.files.map((f) => f.file);
      expect(loaded.some((f) => /\/engine-[^/]+\.js$/.test(f)), `the engine is not in ${embed!.file}'s first load: ${loaded.join(', ')}`).toBe(false);
      expect(embed!.engineGzipBytes, 'it loads the engine as it builds its world').toBeGreaterThan(0);
      expect(embed!.firstLoad.totalGzipBytes, `${what}'s first load over budget (lab ${embed!.lab}):\n${listing(embed!.firstLoad)}`).toBeLessThanOrEqual(budget);
      expect(embed!.interactiveGzipBytes, `${what} with the engine (${embed!.engineGzipBytes} B): over budget`).toBeLessThanOrEqual(EMBED_INTERACTIVE_BUDGET_BYTES);
    });
  };
  embedChecks(`embed page (${EMBED_HTML}, ${EMBED_SCRIPT})`, () => m.embedPage, EMBED_PAGE_BUDGET_BYTES);
  embedChecks(`element (${ELEMENT_FILE})`, () => m.element, ELEMENT_BUDGET_BYTES);
});
