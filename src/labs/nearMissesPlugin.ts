/**
 * A lab's near misses (`nearMisses` in labs/<id>/scenario.ts: the tempting wrong fixes that must not tick an
 * objective) are test data: the lab's tests and the build's validation replay them, the page never does. The
 * production build of the page and of the embeds replaces the list with `[]` in each scenario it bundles, so a
 * learner does not download them (about 4.5 KiB gzipped over 21 labs in the embeds). Tests, the dev server and
 * the build's own check (src/labs/vitePlugin.ts imports each scenario with Vite's module runner, outside this
 * bundle) still see every near miss. Node-only (a Vite plugin).
 */
import { parseSync, type Plugin } from 'vite';

/** labs/<id>/scenario.ts, as Vite names the file (an absolute path, possibly with a query). */
const SCENARIO_FILE = /[\\/]labs[\\/]\d{2}-[a-z0-9-]+[\\/]scenario\.ts(?:\?.*)?$/;

interface Node {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && typeof (v as Node).type === 'string';

/** The `defineLab({ ... })` call's object argument, wherever it is in the module. */
function defineLabArgument(node: unknown): Node | undefined {
  if (Array.isArray(node)) {
    for (const child of node) {
      const found = defineLabArgument(child);
      if (found) return found;
    }
    return undefined;
  }
  if (!isNode(node)) return undefined;
  if (node.type === 'CallExpression') {
    const callee = node['callee'] as Node;
    const [arg] = node['arguments'] as Node[];
    if (callee.type === 'Identifier' && callee['name'] === 'defineLab' && arg?.type === 'ObjectExpression') return arg;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === 'type' || key === 'start' || key === 'end' || typeof value !== 'object') continue;
    const found = defineLabArgument(value);
    if (found) return found;
  }
  return undefined;
}

/**
 * The scenario's source with its `nearMisses` list replaced by `[]`, or undefined when there is nothing to strip
 * (no `defineLab({ ... nearMisses: [...] })`). Throws on a source that does not parse.
 */
export function stripNearMisses(source: string, file = 'scenario.ts'): string | undefined {
  const { program, errors } = parseSync(file, source, { lang: 'ts', sourceType: 'module' });
  if (errors.length) throw new Error(`${file}: ${errors[0]!.message}`);
  const lab = defineLabArgument(program);
  if (!lab) return undefined;
  const property = (lab['properties'] as Node[]).find((p) => {
    if (p.type !== 'Property' || p['computed']) return false;
    const key = p['key'] as Node;
    return (key.type === 'Identifier' && key['name'] === 'nearMisses') || (key.type === 'Literal' && key['value'] === 'nearMisses');
  });
  const value = property?.['value'] as Node | undefined;
  if (!value || value.type !== 'ArrayExpression') return undefined;
  return `${source.slice(0, value.start)}[]${source.slice(value.end)}`;
}

/** The build's plugin: near misses out of every bundled scenario. */
export function nearMissesOutOfBundle(): Plugin {
  return {
    name: 'device-flow-lab:near-misses-out-of-bundle',
    apply: 'build',
    enforce: 'pre',
    transform(code, id) {
      if (!SCENARIO_FILE.test(id)) return undefined;
      const stripped = stripNearMisses(code, id);
      return stripped === undefined ? undefined : { code: stripped, map: null };
    },
  };
}
