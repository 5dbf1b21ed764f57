/**
 * The measuring functions of src/bench/bundle.ts on small hand-made build folders (no Vite build): what counts as
 * initial, route loads, the embed page with or without a manifest entry, the element file, and "not built".
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { engineFile, gzipBytes, measureBuild, measureElement, measureHtmlEntry, measureRouteLoads } from './bundle.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function buildDir(files: Record<string, string>, manifest: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dfl-bundle-test-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries({ ...files, '.vite/manifest.json': JSON.stringify(manifest) })) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const APP_FILES = {
  'index.html': '<script type="module" src="./assets/main.js"></script><link rel="stylesheet" href="./assets/main.css"><link rel="icon" href="./favicon.svg">',
  'assets/main.js': 'import "./router.js";'.repeat(10),
  'assets/main.css': 'body{}',
  'assets/router.js': 'export const r = 1;'.repeat(10),
  'assets/Home.js': 'export const h = 2;'.repeat(50),
  'assets/Home.css': '.home{}',
  'assets/labs.js': 'export const l = 3;'.repeat(100),
  'assets/Sim.js': 'export const s = 4;'.repeat(20),
};
const APP_MANIFEST = {
  'index.html': { file: 'assets/main.js', src: 'index.html', isEntry: true, imports: ['_router.js'], css: ['assets/main.css'], dynamicImports: ['src/ui/labs/HomePage.svelte'] },
  '_router.js': { file: 'assets/router.js', name: 'router', dynamicImports: ['_SimulatorView.js'] },
  'src/ui/labs/HomePage.svelte': { file: 'assets/Home.js', src: 'src/ui/labs/HomePage.svelte', name: 'HomePage', isDynamicEntry: true, imports: ['index.html', '_labs.js'], css: ['assets/Home.css'] },
  '_labs.js': { file: 'assets/labs.js', name: 'labIndex' },
  '_SimulatorView.js': { file: 'assets/Sim.js', name: 'SimulatorView', imports: ['_router.js'] },
};

describe('bundle measurement', () => {
  it('app initial is the entry, its CSS and its static imports, not lazily loaded views', () => {
    const dir = buildDir(APP_FILES, APP_MANIFEST);
    const app = measureHtmlEntry(dir)!;
    expect(app.files.map((f) => f.file).sort()).toEqual(['assets/main.css', 'assets/main.js', 'assets/router.js']);
    expect(app.totalGzipBytes).toBe(app.jsGzipBytes + app.cssGzipBytes);
  });

  it("a route's first load adds its view and the view's imports, found from the entry or a chunk it imports", () => {
    const routes = measureRouteLoads(buildDir(APP_FILES, APP_MANIFEST));
    const home = routes.find((r) => r.route === '#/')!;
    expect(home.files.map((f) => f.file).sort()).toEqual(['assets/Home.css', 'assets/Home.js', 'assets/labs.js', 'assets/main.css', 'assets/main.js', 'assets/router.js']);
    expect(routes.find((r) => r.route === '#/simulator')?.files.map((f) => f.file)).toContain('assets/Sim.js');
  });

  it('a route that builds a world counts the engine it loads after its first paint; one that does not counts none', () => {
    const files = { ...APP_FILES, 'assets/session.js': 'export const q = 5;'.repeat(10), 'assets/world.js': 'export const w = 6;'.repeat(200), 'assets/names.js': 'export const n = 7;'.repeat(30) };
    const manifest = {
      ...APP_MANIFEST,
      '_SimulatorView.js': { file: 'assets/Sim.js', name: 'SimulatorView', imports: ['_router.js', '_session.js'] },
      '_session.js': { file: 'assets/session.js', name: 'session', imports: ['_names.js'], dynamicImports: ['src/world/index.ts'] },
      '_names.js': { file: 'assets/names.js', name: 'names' },
      'src/world/index.ts': { file: 'assets/world.js', src: 'src/world/index.ts', name: 'world', isDynamicEntry: true, imports: ['_names.js'] },
    };
    const dir = buildDir(files, manifest);
    const routes = measureRouteLoads(dir);
    const sim = routes.find((r) => r.route === '#/simulator')!;
    expect(sim.files.map((f) => f.file)).not.toContain('assets/world.js');
    // The engine's own chunk, not the module it shares with the first load (already downloaded).
    expect(sim.engineGzipBytes).toBe(gzipBytes('export const w = 6;'.repeat(200)));
    expect(sim.interactiveGzipBytes).toBe(sim.totalGzipBytes + sim.engineGzipBytes);
    expect(engineFile(dir)).toBe('assets/world.js');
    const home = routes.find((r) => r.route === '#/')!;
    expect(home.engineGzipBytes).toBe(0);
    expect(home.interactiveGzipBytes).toBe(home.totalGzipBytes);
  });

  it('reports the embed page and the element as not built when the build has neither', () => {
    const m = measureBuild(buildDir(APP_FILES, APP_MANIFEST));
    expect(m.embedPage).toBeUndefined();
    expect(m.element).toBeUndefined();
  });

  it('measures an embed.html written outside the manifest from the scripts it references', () => {
    const dir = buildDir({ ...APP_FILES, 'embed.html': '<script src="./embed.js" defer></script>', 'embed.js': 'var x=1;' }, APP_MANIFEST);
    expect(measureHtmlEntry(dir, 'embed.html')?.files.map((f) => f.file)).toEqual(['embed.js']);
  });

  it('measures an embed.html entry from the manifest like the app', () => {
    const manifest = { ...APP_MANIFEST, 'embed.html': { file: 'assets/embed.js', src: 'embed.html', isEntry: true, imports: ['_router.js'] } };
    const dir = buildDir({ ...APP_FILES, 'embed.html': '<script type="module" src="./assets/embed.js"></script>', 'assets/embed.js': 'import "./router.js";' }, manifest);
    expect(measureHtmlEntry(dir, 'embed.html')?.files.map((f) => f.file).sort()).toEqual(['assets/embed.js', 'assets/router.js']);
  });

  it('checks that the element file is self-contained', () => {
    const good = buildDir({ ...APP_FILES, 'device-flow-lab.js': 'const css = "a{}"; customElements.define("device-flow-lab", class extends HTMLElement {});' }, APP_MANIFEST);
    expect(measureElement(good)?.problems).toEqual([]);
    const bad = buildDir({ ...APP_FILES, 'device-flow-lab.js': 'import{a as b}from"./assets/shell.js";const c=import("./assets/x.js");' }, APP_MANIFEST);
    expect(measureElement(bad)?.problems.join('\n')).toMatch(/imports other files/);
  });
});
