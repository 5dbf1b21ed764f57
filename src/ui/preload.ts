/**
 * What a route will need, started as the route is read: the view's chunk and what it needs next load side by
 * side instead of one after another (the simulator's view and the engine; a lab page and its lab's chunk, where
 * the view would import the lab, which is needed before the world is built, which imports the engine: round
 * trips in a row). Each is a dynamic import, so the module map dedupes it with the import that later uses it; a
 * failure here is left to that import to report.
 */
import { labLoaders } from 'virtual:labs/loaders';
import type { Route } from './router.ts';

let engine: Promise<typeof import('../world/index.ts')> | undefined;
/**
 * The engine (the world and everything it runs: the flow's machine, the servers, jose, XState) is its own chunk:
 * a page's first paint (a lab's lesson, the panels' empty states) does not need it.
 */
export function loadEngine(): Promise<typeof import('../world/index.ts')> {
  return (engine ??= import('../world/index.ts').then((mod) => {
    // The signing keys start on the crypto thread as the engine arrives, while the view renders.
    mod.warmEngine();
    return mod;
  }));
}

/** Start loading what `route` needs beyond its view (the caller loads the view). */
export function preloadFor(route: Route): void {
  const quietly = (p: Promise<unknown>) => void p.catch(() => undefined);
  if (route.name === 'lab') {
    const id = route.labId;
    // The lab page paints the lab's heading, then loads the lab view and the engine (src/ui/labs/LabPage.svelte).
    if (id !== undefined && Object.hasOwn(labLoaders, id)) quietly(labLoaders[id]!());
  } else if (route.name === 'simulator' || route.name === 'sandbox') {
    quietly(loadEngine());
  }
}
