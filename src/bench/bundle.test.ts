/**
 * The measuring functions of src/bench/bundle.ts on small hand-made build folders (no Vite build): what counts as
 * initial, route loads, the embed page with or without a manifest entry, an embed and its folder, and "not built".
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { engineFile, gzipBytes, measureBuild, measureEmbed, measureHtmlEntry, measureRouteLoads } from './bundle.ts';

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

  describe('an embed (entry, folder, its own manifest)', () => {
    const EMBED_FILES = {
      'device-flow-lab.js': 'import"./device-flow-lab/shared.js";'.repeat(20),
      'device-flow-lab/shared.js': 'export const s=1;'.repeat(10),
      'device-flow-lab/01-small.js': 'export const a=1;'.repeat(5),
      'device-flow-lab/02-large.js': 'export const b=[1,2,3,4,5,6,7,8,9,0].map(x=>x*Math.random());'.repeat(40) + 'abcdefghijklmnopqrstuvwxyz'.split('').map((c, i) => `const ${c}${i}="${c.repeat(i + 3)}${i * 7919}";`).join(''),
      'device-flow-lab/engine.js': 'export const e=2;'.repeat(300),
    };
    const EMBED_MANIFEST = {
      'src/embed/element.ts': { file: 'device-flow-lab.js', isEntry: true, imports: ['_shared.js'], dynamicImports: ['virtual:labs/lab/01-small', 'virtual:labs/lab/02-large', '_engine.js'] },
      '_shared.js': { file: 'device-flow-lab/shared.js', name: 'shared' },
      'virtual:labs/lab/01-small': { file: 'device-flow-lab/01-small.js', name: '01-small', isDynamicEntry: true, imports: ['src/embed/element.ts'] },
      'virtual:labs/lab/02-large': { file: 'device-flow-lab/02-large.js', name: '02-large', isDynamicEntry: true, imports: ['src/embed/element.ts', '_shared.js'] },
      '_engine.js': { file: 'device-flow-lab/engine.js', name: 'engine', imports: ['_shared.js', 'src/embed/element.ts'] },
    };
    const embedDir = (files: Record<string, string>, manifest: Record<string, unknown>) => {
      const dir = buildDir(APP_FILES, APP_MANIFEST);
      for (const [path, text] of Object.entries({ ...files, '.vite/device-flow-lab.manifest.json': JSON.stringify(manifest) })) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      return dir;
    };

    it('a first load is the entry, its imports and the largest lab; the engine comes after; all counts every file', () => {
      const e = measureEmbed(embedDir(EMBED_FILES, EMBED_MANIFEST), 'device-flow-lab.js', 'device-flow-lab')!;
      expect(e.problems).toEqual([]);
      expect(e.lab).toBe('02-large');
      expect(e.firstLoad.files.map((f) => f.file).sort()).toEqual(['device-flow-lab.js', 'device-flow-lab/02-large.js', 'device-flow-lab/shared.js']);
      expect(e.engineGzipBytes).toBe(gzipBytes(EMBED_FILES['device-flow-lab/engine.js']));
      expect(e.interactiveGzipBytes).toBe(e.firstLoad.totalGzipBytes + e.engineGzipBytes);
      expect(e.allGzipBytes).toBe(Object.values(EMBED_FILES).reduce((n, text) => n + gzipBytes(text), 0));
    });

    it('a file outside its folder, a CSS file or an asset is a problem; no file is "not built"; no manifest is an error', () => {
      const manifest = {
        ...EMBED_MANIFEST,
        '_shared.js': { file: 'assets/shared.js', name: 'shared', css: ['device-flow-lab/x.css'], assets: ['device-flow-lab/logo.svg'] },
      };
      const dir = embedDir({ ...EMBED_FILES, 'assets/shared.js': 'export const s=1;', 'device-flow-lab/x.css': 'a{}' }, manifest);
      expect(measureEmbed(dir, 'device-flow-lab.js', 'device-flow-lab')!.problems).toEqual([
        'assets/shared.js is outside device-flow-lab/', 'a CSS file: device-flow-lab/x.css', 'an asset: device-flow-lab/logo.svg',
      ]);
      expect(measureEmbed(dir, 'embed.js', 'embed')).toBeUndefined();
      const noManifest = buildDir({ ...APP_FILES, 'device-flow-lab.js': 'x' }, APP_MANIFEST);
      expect(() => measureEmbed(noManifest, 'device-flow-lab.js', 'device-flow-lab')).toThrow(/no manifest/);
    });
  });
});
