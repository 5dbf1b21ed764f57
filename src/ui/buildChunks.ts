/**
 * How the app's build groups its modules into chunks (Rolldown's `output.codeSplitting.groups`), for
 * vite.config.ts only, never in the page.
 *
 * Left to itself the bundler splits by every dynamic import (each lab, each panel, each view), so a module
 * shared by a different set of them lands in a chunk of its own: a lab page fetched about thirty files, some a
 * few hundred bytes, and over HTTP/1.1's six connections the requests queued for longer than the page took to
 * run. Here the split follows the app's few loading moments instead. Each module outside the shell is reached
 * (by static imports) from some of the named roots: the route views, the labs and the engine. The chunks are an
 * ordered list, each claiming the modules reached from its roots that an earlier chunk did not claim: what the
 * home page needs; what the labs need (the headless core they share; the instructor's page imports them all);
 * what the lab view and the engine both need; the rest of the lab view's (which the simulator shares); the rest
 * of the engine's. So the engine never imports the lab view's chunk, nor the lab view the engine's, and a route
 * loads a handful of files, a few kilobytes more than it needs at most. Modules no root claims (each lab's
 * content, the lazily loaded panels, a view's own code) keep the bundler's own split.
 */

/** The chunk names vite.config.ts gives (the bench's bundle analysis finds the lab view, home and the engine by them). */
export const HOME_CHUNK = 'home';
export const CORE_CHUNK = 'core';
export const VIEWS_CHUNK = 'views';
/** The lab page's own code: what paints a lab's heading before the views chunk has arrived. */
export const LAB_PAGE_CHUNK = 'lab-page';
export const SHARED_CHUNK = 'shared';
export const ENGINE_CHUNK = 'engine';

/** Modules only the engine's chunk takes (see ChunkRoots.engineOnly). */
export const ENGINE_ONLY = /\/node_modules\/(?:xstate|jose)\//;
/** Each lab's content and scenario: the bundler's own split, a file per lab (see ChunkRoots.apart). */
export const LAB_APART = /^\0virtual:labs(?:$|\/lab\/)|\/labs\/\d{2}-[a-z0-9-]+\/scenario\.ts$/;

/** What Rolldown's chunking hands a group's `name` function (the part of its context used here). */
interface ChunkingContext {
  getModuleInfo(id: string): { importedIds: readonly string[] } | null;
}

export interface ChunkRoots {
  /** Absolute path of the app's entry: what it imports statically stays in the entry chunk. */
  shell: string;
  /** Named roots (absolute paths): the views the shell loads lazily, and the engine. */
  roots: Readonly<Record<string, string>>;
  /**
   * The chunks, in claiming order: a name and the roots whose modules it takes, those reached from any of them
   * (`some`, the default) or only those reached from every one (`every`).
   */
  chunks: ReadonlyArray<readonly [name: string, roots: readonly string[], mode?: 'some' | 'every']>;
  /** The root whose modules load as the first world is built. */
  engine: string;
  /**
   * Modules only the engine's closure may claim, even where a view's module graph reaches them. The graph is
   * the imports as written, before tree shaking: @xstate/svelte imports XState, though what the views use of it
   * (`useSelector`) needs none of XState in the page.
   */
  engineOnly: RegExp;
  /**
   * Modules that keep the bundler's split: each lab's content is its own chunk (the instructor's page imports
   * every lab, a lab page only its own). Their imports are still grouped, as what their root reaches.
   */
  apart: RegExp;
}

/** Static-import closure of `root`, less `exclude` and what `stop` matches (not looked through either). */
function closure(ctx: ChunkingContext, root: string, exclude: ReadonlySet<string>, stop?: RegExp): Set<string> {
  const out = new Set<string>();
  const stack = [root];
  while (stack.length) {
    const id = stack.pop()!;
    if (out.has(id) || exclude.has(id) || stop?.test(id)) continue;
    out.add(id);
    for (const next of ctx.getModuleInfo(id)?.importedIds ?? []) stack.push(next);
  }
  return out;
}

/** Each claimed module's chunk name. */
function chunkNames(ctx: ChunkingContext, spec: ChunkRoots): Map<string, string> {
  const shell = closure(ctx, spec.shell, new Set());
  const reach = new Map<string, Set<string>>();
  const reached = (root: string) => {
    let ids = reach.get(root);
    if (!ids) reach.set(root, (ids = closure(ctx, spec.roots[root]!, shell, root === spec.engine ? undefined : spec.engineOnly)));
    return ids;
  };
  const out = new Map<string, string>();
  for (const [chunk, roots, mode = 'some'] of spec.chunks) {
    const [first, ...rest] = roots.map(reached);
    const ids = mode === 'every' ? [...first!].filter((id) => rest.every((r) => r.has(id))) : [first!, ...rest].flatMap((r) => [...r]);
    for (const id of ids) if (!spec.apart.test(id) && !out.has(id)) out.set(id, chunk);
  }
  return out;
}

export function appChunkGroups(spec: ChunkRoots): Array<{ name: (id: string, ctx: ChunkingContext) => string | null; debugName: string; includeDependenciesRecursively: false }> {
  for (const root of [spec.engine, ...spec.chunks.flatMap(([, roots]) => roots)]) {
    if (!Object.hasOwn(spec.roots, root)) throw new Error(`appChunkGroups: "${root}" is not one of the roots`);
  }
  // One computation per chunking pass: the context's module info objects are new in each pass (a watch rebuild).
  const passes = new WeakMap<object, Map<string, string>>();
  return [{
    debugName: 'app chunks by loading moment', // names the group in the bundler's timing report
    // The chunks are whole closures already; letting a group pull in its members' dependencies would pull the
    // shell (the Svelte runtime) into a view's chunk, and the entry would import that chunk.
    includeDependenciesRecursively: false,
    name(id, ctx) {
      const key = ctx.getModuleInfo(spec.shell);
      if (!key) return null;
      let names = passes.get(key);
      if (!names) passes.set(key, (names = chunkNames(ctx, spec)));
      return names.get(id) ?? null;
    },
  }];
}
