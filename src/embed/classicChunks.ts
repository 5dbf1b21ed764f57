/**
 * Code splitting for classic scripts, for embed.html (src/embed/embedBuilds.ts).
 *
 * An iframe sandboxed without allow-same-origin has an opaque origin, and module scripts (and `import()`) are
 * fetched with CORS, which a plain static host does not answer: the page must run classic scripts only. No
 * bundler format splits classic scripts (IIFE and UMD cannot split; there is no SystemJS output here), so the
 * embed is built as CommonJS chunks, which already reach each other through `require`, and this plugin wraps
 * each chunk as a classic script that registers a factory:
 *
 *   __deviceFlowLab.define("embed/x.js", function (require, module, exports, load) { "use strict"; …chunk… });
 *
 * The entry starts with the loader (`classicLoader`, below) and the build's map of which file requires which.
 * A dynamic import, which the CommonJS output writes as `Promise.resolve().then(() => require("./x.js"))`,
 * becomes `load("./x.js")`: the loader adds a `<script>` for the file and for each file it requires that is not
 * there yet, all at once, then runs it. The build fails if a `require` is left that the map does not list
 * (it would throw when run), a dynamic import in another shape, or `import.meta`.
 *
 * Scripts come from the entry's own folder, so the page's `script-src 'self'` allows them, with no inline code
 * and no eval.
 */
import type { OutputBundle, OutputChunk } from 'rolldown';
import type { Plugin } from 'vite';
import { parseAst } from 'vite';

/** The global the files register with. */
export const LOADER_GLOBAL = '__deviceFlowLab';

/** The build's map: the entry's file name and, for each file, the files it requires (names from the root). */
export interface ClassicManifest {
  entry: string;
  imports: Record<string, string[]>;
}

type Factory = (require: (spec: string) => unknown, module: { exports: unknown }, exports: unknown, load: (spec: string) => Promise<unknown>) => void;

/**
 * The loader, run first in the entry file. It is serialised into the build with `toString()`, so it uses
 * nothing from outside its own body (unit-tested as it is here: src/embed/classicChunks.test.ts).
 */
export function classicLoader(scope: Record<string, unknown> & { document: Document }, manifest: ClassicManifest, global: string): void {
  const doc = scope.document;
  const current = doc.currentScript as HTMLScriptElement | null;
  // The entry's own URL: its name is manifest.entry, so every file resolves from the folder it is in.
  const base = current && current.src ? current.src : doc.baseURI;
  const entryDepth = manifest.entry.split('/').length - 1;
  let root = new URL('.', base).href;
  for (let i = 0; i < entryDepth; i++) root = new URL('..', root).href;
  const factories = new Map<string, Factory>();
  const modules = new Map<string, { exports: unknown }>();
  const loading = new Map<string, Promise<void>>();

  const resolve = (from: string, spec: string): string => {
    const parts = from.split('/').slice(0, -1);
    for (const part of spec.split('/')) {
      if (part === '..') parts.pop();
      else if (part !== '.' && part !== '') parts.push(part);
    }
    return parts.join('/');
  };

  const run = (name: string): unknown => {
    const known = modules.get(name);
    if (known) return known.exports;
    const factory = factories.get(name);
    if (!factory) throw new Error(`Device Flow Lab: ${name} is required before it has loaded`);
    const mod: { exports: unknown } = { exports: {} };
    modules.set(name, mod);
    factory((spec) => run(resolve(name, spec)), mod, mod.exports, (spec) => load(resolve(name, spec)));
    return mod.exports;
  };

  const fetchFile = (name: string): Promise<void> => {
    if (factories.has(name)) return Promise.resolve();
    let pending = loading.get(name);
    if (!pending) {
      pending = new Promise<void>((ok, fail) => {
        const script = doc.createElement('script');
        script.src = new URL(name, root).href;
        script.onload = () => (factories.has(name) ? ok() : fail(new Error(`Device Flow Lab: ${name} loaded but did not register`)));
        script.onerror = () => {
          // Forget the failure, so a later attempt (back online) tries again.
          loading.delete(name);
          script.remove();
          fail(new Error(`Device Flow Lab could not load ${name} (offline, or the file is missing beside ${manifest.entry})`));
        };
        doc.head.append(script);
      });
      loading.set(name, pending);
    }
    return pending;
  };

  const closure = (name: string, out: Set<string>): Set<string> => {
    if (!out.has(name)) {
      out.add(name);
      for (const dep of manifest.imports[name] ?? []) closure(dep, out);
    }
    return out;
  };

  const load = (name: string): Promise<unknown> => Promise.all([...closure(name, new Set())].map(fetchFile)).then(() => run(name));

  scope[global] = {
    define(name: string, factory: Factory): void {
      if (!factories.has(name)) factories.set(name, factory);
    },
    start(): Promise<unknown> {
      return load(manifest.entry);
    },
  };
}

interface Node {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as Node).type === 'string';
}

function walk(node: Node, visit: (node: Node) => boolean | void): void {
  if (visit(node) === false) return;
  for (const value of Object.values(node)) {
    if (Array.isArray(value)) for (const item of value) isNode(item) && walk(item, visit);
    else if (isNode(value)) walk(value, visit);
  }
}

/** The string a literal (or a template without expressions) spells, else undefined. */
function staticString(node: unknown): string | undefined {
  if (!isNode(node)) return undefined;
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && (node.expressions as unknown[]).length === 0) {
    const quasi = (node.quasis as Array<{ value: { cooked: string | null } }>)[0];
    return quasi?.value.cooked ?? undefined;
  }
  return undefined;
}

/** `require("x")` → "x"; anything else → undefined. */
function requireCall(node: unknown): string | undefined {
  if (!isNode(node) || node.type !== 'CallExpression') return undefined;
  const callee = node.callee as Node;
  const args = node.arguments as unknown[];
  return callee.type === 'Identifier' && callee.name === 'require' && args.length === 1 ? staticString(args[0]) : undefined;
}

/** `Promise.resolve().then(() => require("x"))` → "x"; anything else → undefined. */
function dynamicImport(node: Node): string | undefined {
  if (node.type !== 'CallExpression') return undefined;
  const callee = node.callee as Node;
  const args = node.arguments as Node[];
  if (callee.type !== 'MemberExpression' || (callee.property as Node).type !== 'Identifier' || (callee.property as Node).name !== 'then' || args.length !== 1) return undefined;
  const target = callee.object as Node;
  if (target.type !== 'CallExpression' || (target.arguments as unknown[]).length !== 0) return undefined;
  const resolveFn = target.callee as Node;
  if (resolveFn.type !== 'MemberExpression' || (resolveFn.object as Node).name !== 'Promise' || (resolveFn.property as Node).name !== 'resolve') return undefined;
  const fn = args[0]!;
  if (fn.type !== 'ArrowFunctionExpression' && fn.type !== 'FunctionExpression') return undefined;
  if ((fn.params as unknown[]).length !== 0) return undefined;
  let body = fn.body as Node;
  if (body.type === 'BlockStatement') {
    const statements = body.body as Node[];
    if (statements.length !== 1 || statements[0]!.type !== 'ReturnStatement') return undefined;
    body = statements[0]!.argument as Node;
  }
  return requireCall(body);
}

/**
 * The file a chunk's specifier names, from the root (`from` is the chunk's own file name): the loader's `resolve`,
 * which lives inside `classicLoader` because that function is serialised whole into the page.
 */
function fromRoot(from: string, spec: string): string {
  const parts = from.split('/').slice(0, -1);
  for (const part of spec.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.' && part !== '') parts.push(part);
  }
  return parts.join('/');
}

/**
 * One chunk's code as a classic script that registers its factory. Throws (the caller fails the build) on a
 * `require` of a file the chunk does not import statically, or on a leftover `import(`.
 */
export function wrapChunk(chunk: Pick<OutputChunk, 'fileName' | 'code' | 'imports'>, global: string = LOADER_GLOBAL): string {
  const ast = parseAst(chunk.code) as unknown as Node;
  const edits: Array<{ start: number; end: number; text: string }> = [];
  const problems: string[] = [];
  const imports = new Set(chunk.imports);
  walk(ast, (node) => {
    const lazy = dynamicImport(node);
    if (lazy !== undefined) {
      edits.push({ start: node.start, end: node.end, text: `load(${JSON.stringify(lazy)})` });
      return false;
    }
    if (node.type === 'ImportExpression') problems.push('a dynamic import() the loader cannot run');
    if (node.type === 'MetaProperty') problems.push('import.meta, which a classic script cannot parse');
    const required = requireCall(node);
    if (required !== undefined && !imports.has(fromRoot(chunk.fileName, required))) problems.push(`require(${JSON.stringify(required)}), not a file it imports`);
    else if (required === undefined && node.type === 'CallExpression' && (node.callee as Node).type === 'Identifier' && (node.callee as Node).name === 'require') {
      problems.push('a require() of something other than a file name');
    }
  });
  if (problems.length) throw new Error(`${chunk.fileName}: ${[...new Set(problems)].join('; ')}`);
  let code = chunk.code;
  for (const edit of edits.sort((a, b) => b.start - a.start)) code = code.slice(0, edit.start) + edit.text + code.slice(edit.end);
  return `${global}.define(${JSON.stringify(chunk.fileName)},function(require,module,exports,load){"use strict";${code}\n});`;
}

/** The loader, its manifest and the entry's own factory, then the start. */
export function entryScript(entry: Pick<OutputChunk, 'fileName' | 'code' | 'imports'>, manifest: ClassicManifest, global: string = LOADER_GLOBAL): string {
  return `(${classicLoader.toString()})(self,${JSON.stringify(manifest)},${JSON.stringify(global)});\n`
    + `${wrapChunk(entry, global)}\n`
    // A file that cannot load (offline on the first visit, a file not copied) is said on the page, not only in the console.
    + `${global}.start().catch(function(e){var p=document.createElement("p");p.setAttribute("role","alert");`
    + `p.textContent="Device Flow Lab could not start: "+(e&&e.message||e);document.body.append(p);console.error(e)});\n`;
}

/**
 * The plugin: CommonJS chunks → classic scripts, the entry `entry` carrying the loader. Runs after the CSS is
 * inlined (it is a later plugin in the list). `onManifest` receives the map (embed.html preloads what the
 * entry requires).
 */
export function classicChunks(entry: string, onManifest?: (manifest: ClassicManifest) => void): Plugin {
  return {
    name: 'device-flow-lab:classic-chunks',
    enforce: 'post',
    generateBundle(_options, bundle: OutputBundle) {
      const chunks = Object.values(bundle).filter((c): c is OutputChunk => c.type === 'chunk');
      const main = chunks.find((c) => c.fileName === entry);
      if (!main) this.error(`classic chunks: the build made no ${entry}`);
      const manifest: ClassicManifest = { entry, imports: {} };
      for (const c of chunks) if (c.imports.length) manifest.imports[c.fileName] = [...c.imports];
      try {
        for (const c of chunks) c.code = c === main ? entryScript(c, manifest) : wrapChunk(c);
      } catch (error) {
        this.error(`classic chunks: ${error instanceof Error ? error.message : String(error)}`);
      }
      onManifest?.(manifest);
    },
  };
}
