/**
 * Route preloading in the built page (a Vite plugin, for vite.config.ts only, never in the page).
 *
 * The app routes by the address's hash, so the HTML cannot name what a route needs: the entry loads, runs, reads
 * the hash and only then imports the route's view, its lab (for the simulator, the engine), a round trip after
 * the entry's. On a slow phone that second round trip is most of a lab's largest paint (Lighthouse mobile:
 * 2.4 s → 2.0 s without it). So the build writes a small classic script, loaded `async` beside the entry, that
 * reads the hash and adds `modulepreload` (and style `preload`) links for exactly the files that route's dynamic
 * imports will fetch; the entry's own imports then find them in flight. It is a separate file, not inline code:
 * the page's Content-Security-Policy allows scripts from this origin only. A hint that is wrong costs bytes, never
 * behaviour: the app's imports still load everything they need.
 */
import type { Plugin } from 'vite';

/** The parts of a Rolldown output chunk the plan reads. */
interface ChunkLike {
  type: 'chunk';
  fileName: string;
  isEntry: boolean;
  moduleIds: readonly string[];
  imports: readonly string[];
  viteMetadata?: { importedCss: ReadonlySet<string> };
}
type BundleLike = Record<string, ChunkLike | { type: 'asset'; fileName: string; source: string | Uint8Array }>;

export interface RoutePreloadSpec {
  /** The module (absolute path) of each route's view, by the path the hash names (`''` is home). */
  views: Readonly<Record<string, string>>;
  /**
   * The view the lab routes (`/lab/<id>`) use. Only it and the lab's own file are hinted: the lab page paints the
   * lab's heading first and fetches the lab view and the engine after that paint (src/ui/labs/LabPage.svelte).
   */
  labView: string;
  /** The path (one of `views`) the router shows for every path it does not know. */
  fallback: string;
  /** The engine's module: the paths listed in `withEngine` load it as they open. */
  engine: string;
  withEngine: readonly string[];
  /** A lab's id from a module id, for the modules that are one lab (the labs plugin's `virtual:labs/lab/<id>`). */
  labOf: (moduleId: string) => string | undefined;
}

/** Files to fetch for a route, relative to the page (as index.html names its own). */
export interface RoutePreloadPlan {
  /** By path (no `#`, no trailing slash; `''` is home). */
  paths: Record<string, string[]>;
  /** Any other path (the router shows the simulator). */
  fallback: string[];
  /** For `/lab/<id>`: the lab page's files, then each lab's own. */
  lab: string[];
  labs: Record<string, string[]>;
}

/** What each route will fetch beyond the entry and its static imports, from the bundle. */
export function routePreloadPlan(bundle: BundleLike, spec: RoutePreloadSpec): RoutePreloadPlan {
  const chunks = Object.values(bundle).filter((c): c is ChunkLike => c.type === 'chunk');
  const byFile = new Map(chunks.map((c) => [c.fileName, c]));
  const entry = chunks.find((c) => c.isEntry);
  if (!entry) throw new Error('routePreloadPlan: the bundle has no entry chunk');
  const closure = (start: readonly ChunkLike[], skip: ReadonlySet<string> = new Set()): Set<string> => {
    const seen = new Set<string>();
    const visit = (c: ChunkLike) => {
      if (seen.has(c.fileName) || skip.has(c.fileName)) return;
      seen.add(c.fileName);
      for (const f of c.imports) {
        const next = byFile.get(f);
        if (next) visit(next);
      }
    };
    start.forEach(visit);
    return seen;
  };
  const entryJs = closure([entry]);
  const loaded = new Set([...entryJs, ...[...entryJs].flatMap((f) => [...(byFile.get(f)!.viteMetadata?.importedCss ?? [])])]);
  const chunkOf = (moduleId: string): ChunkLike => {
    const c = chunks.find((ch) => ch.moduleIds.includes(moduleId));
    if (!c) throw new Error(`routePreloadPlan: no chunk holds ${moduleId}`);
    return c;
  };
  const files = (...roots: ChunkLike[]): string[] => {
    const js = [...closure(roots, loaded)];
    const css = js.flatMap((f) => [...(byFile.get(f)!.viteMetadata?.importedCss ?? [])]).filter((f) => !loaded.has(f));
    return [...new Set([...js, ...css])];
  };
  const engine = chunkOf(spec.engine);
  const forView = (path: string, view: string) => (spec.withEngine.includes(path) ? files(chunkOf(view), engine) : files(chunkOf(view)));
  const paths = Object.fromEntries(Object.entries(spec.views).map(([path, view]) => [path, forView(path, view)]));
  const lab = files(chunkOf(spec.labView));
  const labs: Record<string, string[]> = {};
  for (const c of chunks) {
    const id = c.moduleIds.map(spec.labOf).find((x) => x !== undefined);
    if (id !== undefined && !c.isEntry) labs[id] = files(c).filter((f) => !lab.includes(f));
  }
  const fallback = paths[spec.fallback];
  if (!fallback) throw new Error(`routePreloadPlan: the fallback path "${spec.fallback}" is not one of the views`);
  return { paths, fallback, lab, labs };
}

/**
 * The page's script: the hash read as the router reads it (src/ui/router.ts: `#`, then the path up to `?`,
 * URI-decoded, a trailing slash ignored), then one link per file, marked `data-route-hint` (Vite's own preloads,
 * added as the app imports, are not). Classic and self-contained, so it runs before the entry's module graph has
 * loaded.
 */
export function routePreloadScript(plan: RoutePreloadPlan): string {
  return `// Generated by the build (src/ui/routePreload.ts): fetch what this route will import while the app loads.
(function () {
  var plan = ${JSON.stringify(plan)};
  var raw = location.hash.replace(/^#/, '').split('?')[0], path;
  try { path = decodeURIComponent(raw).replace(/\\/$/, ''); } catch (e) { path = null; }
  var lab = path === null ? null : /^\\/lab\\/([^/]+)$/.exec(path);
  var own = Object.prototype.hasOwnProperty;
  var files = path === null ? plan.fallback
    : lab ? (own.call(plan.labs, lab[1]) ? plan.lab.concat(plan.labs[lab[1]]) : plan.paths[''])
    : own.call(plan.paths, path) ? plan.paths[path] : plan.fallback;
  for (var i = 0; i < files.length; i++) {
    var link = document.createElement('link'), css = /\\.css$/.test(files[i]);
    link.rel = css ? 'preload' : 'modulepreload';
    if (css) link.as = 'style';
    link.crossOrigin = '';
    link.href = files[i];
    link.setAttribute('data-route-hint', '');
    document.head.appendChild(link);
  }
})();
`;
}

/** The plugin: writes the script beside the entry and names it in index.html, in builds only. */
export function routePreloads(spec: RoutePreloadSpec): Plugin {
  return {
    name: 'device-flow-lab:route-preloads',
    apply: 'build',
    enforce: 'post',
    generateBundle: {
      order: 'post',
      handler(_options, bundle) {
        const html = bundle['index.html'];
        if (!html || html.type !== 'asset') return; // another build (the embeds) has no app page
        const plan = routePreloadPlan(bundle as unknown as BundleLike, spec);
        const ref = this.emitFile({ type: 'asset', name: 'route-preload.js', source: routePreloadScript(plan) });
        const file = this.getFileName(ref);
        const source = String(html.source);
        const entryTag = /<script type="module"[^>]*><\/script>/.exec(source);
        if (!entryTag) throw new Error('route preloads: index.html has no module script to load beside');
        html.source = source.replace(entryTag[0], `<script async src="./${file}"></script>\n    ${entryTag[0]}`);
      },
    },
  };
}
