import { runInNewContext } from 'node:vm';
import { describe, expect, test } from 'vitest';
import { routePreloadPlan, routePreloadScript, type RoutePreloadPlan, type RoutePreloadSpec } from './routePreload.ts';

const chunk = (fileName: string, moduleIds: string[], imports: string[] = [], css: string[] = [], isEntry = false) =>
  ({ type: 'chunk' as const, fileName, isEntry, moduleIds, imports, viteMetadata: { importedCss: new Set(css) } });

// The entry (with its static import `helper`) loads the views lazily; the lab view and the simulator share
// `views`; the engine is its own chunk; each lab is one chunk importing `core`.
const BUNDLE = {
  'assets/index.js': chunk('assets/index.js', ['/src/main.ts', '/src/App.svelte'], ['assets/helper.js'], ['assets/index.css'], true),
  'assets/helper.js': chunk('assets/helper.js', ['preload-helper'], [], ['assets/helper.css']),
  'assets/home.js': chunk('assets/home.js', ['/src/HomePage.svelte'], ['assets/helper.js'], ['assets/home.css']),
  'assets/views.js': chunk('assets/views.js', ['/src/LabPage.svelte', '/src/Terminal.svelte'], ['assets/home.js', 'assets/helper.js'], ['assets/views.css']),
  'assets/Sim.js': chunk('assets/Sim.js', ['/src/SimulatorView.svelte'], ['assets/views.js']),
  'assets/engine.js': chunk('assets/engine.js', ['/src/world/index.ts'], ['assets/core.js']),
  'assets/core.js': chunk('assets/core.js', ['/src/labs/runner.ts']),
  'assets/01-a.js': chunk('assets/01-a.js', ['\0virtual:labs/lab/01-a', '/labs/01-a/scenario.ts'], ['assets/core.js']),
  'assets/02-b.js': chunk('assets/02-b.js', ['\0virtual:labs/lab/02-b'], ['assets/core.js', 'assets/registry.js']),
  'assets/registry.js': chunk('assets/registry.js', ['/src/registry.ts']),
  'index.html': { type: 'asset' as const, fileName: 'index.html', source: '<html></html>' },
};

const SPEC: RoutePreloadSpec = {
  views: { '': '/src/HomePage.svelte', '/simulator': '/src/SimulatorView.svelte' },
  labView: '/src/LabPage.svelte',
  fallback: '/simulator',
  engine: '/src/world/index.ts',
  withEngine: ['/simulator'],
  labOf: (id) => /^\0virtual:labs\/lab\/(.+)$/.exec(id)?.[1],
};

describe('routePreloadPlan', () => {
  const plan = routePreloadPlan(BUNDLE, SPEC);

  test('a route gets its view closure and its CSS, never what the entry already loads', () => {
    expect(plan.paths['']).toEqual(['assets/home.js', 'assets/home.css']);
    const all = Object.values(plan.paths).flat().concat(plan.lab, Object.values(plan.labs).flat());
    for (const loaded of ['assets/index.js', 'assets/helper.js', 'assets/index.css', 'assets/helper.css']) expect(all).not.toContain(loaded);
  });

  test('the simulator loads the engine; a lab route only its view (the engine comes after its first paint), a lab adds only its own files', () => {
    expect(new Set(plan.paths['/simulator'])).toEqual(new Set(['assets/Sim.js', 'assets/views.js', 'assets/home.js', 'assets/engine.js', 'assets/core.js', 'assets/views.css', 'assets/home.css']));
    expect(new Set(plan.lab)).toEqual(new Set(['assets/views.js', 'assets/home.js', 'assets/views.css', 'assets/home.css']));
    // The lab view does not load `core` here (the engine does, after the first paint): each lab brings it.
    expect(plan.labs).toEqual({ '01-a': ['assets/01-a.js', 'assets/core.js'], '02-b': ['assets/02-b.js', 'assets/core.js', 'assets/registry.js'] });
    expect(plan.fallback).toEqual(plan.paths['/simulator']);
  });

  test('a view or fallback the bundle does not hold fails the build by name', () => {
    expect(() => routePreloadPlan(BUNDLE, { ...SPEC, labView: '/src/Missing.svelte' })).toThrow('no chunk holds /src/Missing.svelte');
    expect(() => routePreloadPlan(BUNDLE, { ...SPEC, fallback: '/nowhere' })).toThrow('"/nowhere" is not one of the views');
  });
});

describe('routePreloadScript', () => {
  const plan: RoutePreloadPlan = {
    paths: { '': ['home.js'], '/simulator': ['sim.js', 'sim.css'] },
    fallback: ['sim.js', 'sim.css'],
    lab: ['views.js'],
    labs: { '01-a': ['01-a.js'] },
  };
  /** Run the generated script against a page at `hash`: the links it adds to the head. */
  function linksFor(hash: string) {
    const links: Array<{ rel: string; as?: string; href: string; crossOrigin: string | null; attributes: Record<string, string> }> = [];
    const document = {
      createElement: () => ({ rel: '', href: '', crossOrigin: null, attributes: {} as Record<string, string>, setAttribute(name: string, value: string) { this.attributes[name] = value; } }),
      head: { appendChild: (l: (typeof links)[number]) => links.push(l) },
    };
    runInNewContext(routePreloadScript(plan), { location: { hash }, document });
    return links;
  }
  const hrefs = (hash: string) => linksFor(hash).map((l) => l.href);

  test('reads the hash as the router does', () => {
    expect(hrefs('')).toEqual(['home.js']);
    expect(hrefs('#/')).toEqual(['home.js']);
    expect(hrefs('#/simulator/?s.intervalS=1')).toEqual(['sim.js', 'sim.css']);
    expect(hrefs('#/lab/01-a?step=3')).toEqual(['views.js', '01-a.js']);
    expect(hrefs('#/lab/01%2Da')).toEqual(['views.js', '01-a.js']);
  });

  test('an unknown lab gets home (the router shows the list); an unknown or malformed path the fallback', () => {
    expect(hrefs('#/lab/99-nope')).toEqual(['home.js']);
    expect(hrefs('#/lab/constructor')).toEqual(['home.js']);
    expect(hrefs('#/nowhere')).toEqual(['sim.js', 'sim.css']);
    expect(hrefs('#/%E0')).toEqual(['sim.js', 'sim.css']);
    expect(hrefs('#/constructor')).toEqual(['sim.js', 'sim.css']);
  });

  test('scripts are module preloads, styles are style preloads, both in the mode the app loads them (CORS), marked as hints', () => {
    const hint = { 'data-route-hint': '' };
    expect(linksFor('#/simulator').map(({ rel, as, href, crossOrigin, attributes }) => ({ rel, as, href, crossOrigin, attributes }))).toEqual([
      { rel: 'modulepreload', as: undefined, href: 'sim.js', crossOrigin: '', attributes: hint },
      { rel: 'preload', as: 'style', href: 'sim.css', crossOrigin: '', attributes: hint },
    ]);
  });
});
