/**
 * The layer rules and the one-clock rule, executable. Every `.ts` and `.svelte` file under src/, labs/ and
 * e2e/ is parsed (the TypeScript parser, over the `<script>` blocks of a component), each relative import is
 * resolved to the layer it lands in, and an import that runs up a layer fails the test, naming file, line and
 * the rule. The import graph tools do not see `.svelte` imports; this test does.
 *
 * Layers, lowest first (a file may import its own layer and any lower one, never a higher or a sibling one):
 *   src/protocol < src/sim < src/flow < src/world < src/labs and labs/ (headless: no `.svelte` files)
 *   < src/embed/contract (the embed's public contract: hash and attribute options, snippets, file names;
 *     pure TS that both the docs page and the embed read)
 *   < src/ui < src/embed (the embed frames the ui's views; the ui never imports the embed itself)
 *   < src/main.ts (the page's entry)
 *   < src/server (Node tool) < src/cli (Node tool; its interop tests run against src/server)
 *   < src/bench, src/conformance (tools on top, independent of each other)
 *   < the root configs (playwright, vite, vitest) < e2e/ (the end-to-end tests: nothing else imports them).
 * Nothing may import src/server or src/cli but the tools above them.
 *
 * Wall-clock time and randomness: in src/protocol, src/sim, src/flow, src/labs and labs/, outside tests, their
 * `testing/` support and the clock module (src/sim/clock.ts, whose real clock is the one allowed use), no
 * `Date.now`, `new Date()` with no arguments, `Date()`, `setTimeout(`, `setInterval(`, `performance.now` or
 * `Math.random`: time comes from the injected clock, randomness from the injected source.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

type Layer = {
  name: string;
  rank: number;
  /** Repository-relative path prefixes (a folder ends in `/`; a file is named whole). */
  paths: readonly string[];
};

const LAYERS: readonly Layer[] = [
  { name: 'protocol', rank: 0, paths: ['src/protocol/'] },
  { name: 'sim', rank: 1, paths: ['src/sim/'] },
  { name: 'flow', rank: 2, paths: ['src/flow/'] },
  { name: 'world', rank: 3, paths: ['src/world/'] },
  { name: 'labs', rank: 4, paths: ['src/labs/', 'labs/'] },
  { name: 'embed-contract', rank: 5, paths: ['src/embed/contract/'] },
  { name: 'ui', rank: 6, paths: ['src/ui/'] },
  { name: 'embed', rank: 7, paths: ['src/embed/'] },
  { name: 'app', rank: 8, paths: ['src/main.ts'] },
  { name: 'server', rank: 9, paths: ['src/server/'] },
  { name: 'cli', rank: 10, paths: ['src/cli/'] },
  { name: 'bench', rank: 11, paths: ['src/bench/'] },
  { name: 'conformance', rank: 11, paths: ['src/conformance/'] },
  { name: 'config', rank: 12, paths: ['playwright.config.ts', 'vite.config.ts', 'vitest.config.ts'] },
  { name: 'e2e', rank: 13, paths: ['e2e/'] },
  { name: 'structure test', rank: 13, paths: ['src/structure.test.ts'] },
];

/**
 * Breaks known and tracked elsewhere, each with its issue: the test fails if one of them is gone (so the
 * list shrinks when the move lands) as it fails on any break not listed.
 */
const KNOWN_BREAKS: readonly string[] = [];

/** Where the one-clock rule holds. */
const CLOCK_FREE = ['src/protocol/', 'src/sim/', 'src/flow/', 'src/labs/', 'labs/'];
/** Where the identity provider is read only through the world's read-only view (`world.provider`), never `idp.as`. */
const PROVIDER_VIEW_ONLY = ['labs/', 'src/labs/', 'src/ui/'];
/** The one module allowed to read the real clock. */
const CLOCK_MODULE = 'src/sim/clock.ts';
/** Layers that hold no Svelte component (headless). */
const HEADLESS = ['protocol', 'sim', 'flow', 'world', 'labs', 'embed-contract', 'server', 'cli', 'conformance'];
/** Bare specifiers that name one of the project's own layers (Vite virtual modules). */
const VIRTUAL: Record<string, string> = { 'virtual:labs': 'labs/' };

export type SourceFile = { path: string; text: string };
export type Violation = { file: string; line: number; rule: string; detail: string };

/** The layer a repository-relative path lands in (the longest matching prefix), or undefined outside them all. */
export function layerOf(path: string): Layer | undefined {
  let best: Layer | undefined;
  let bestLength = -1;
  for (const layer of LAYERS) {
    for (const prefix of layer.paths) {
      const matches = prefix.endsWith('/') ? path.startsWith(prefix) : path === prefix || `${path}.ts` === prefix;
      if (matches && prefix.length > bestLength) {
        best = layer;
        bestLength = prefix.length;
      }
    }
  }
  return best;
}

/** The TypeScript sources of a file with the offset of each in the file (a component's `<script>` blocks). */
function scripts(file: SourceFile): Array<{ code: string; offset: number }> {
  if (!file.path.endsWith('.svelte')) return [{ code: file.text, offset: 0 }];
  const blocks: Array<{ code: string; offset: number }> = [];
  for (const match of file.text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)) {
    blocks.push({ code: match[1]!, offset: match.index! + match[0].indexOf('>') + 1 });
  }
  return blocks;
}

const lineAt = (text: string, offset: number) => text.slice(0, offset).split('\n').length;

/** Module specifiers a file imports (static, re-exports, side-effect imports, dynamic `import('...')`), with their lines. */
export function importsOf(file: SourceFile): Array<{ specifier: string; line: number }> {
  const found: Array<{ specifier: string; line: number }> = [];
  for (const { code, offset } of scripts(file)) {
    const source = ts.createSourceFile(file.path + '.ts', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const add = (node: ts.Node, specifier: ts.Expression | undefined) => {
      if (specifier && ts.isStringLiteralLike(specifier)) {
        found.push({ specifier: specifier.text, line: lineAt(file.text, offset + node.getStart(source)) });
      }
    };
    const visit = (node: ts.Node) => {
      if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node, node.moduleSpecifier);
      else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
        add(node, node.moduleReference.expression);
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        add(node, node.arguments[0]);
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
        add(node, node.argument.literal);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

/** Uses of the wall clock or of `Math.random` in a file, with their lines. */
export function wallClockUses(file: SourceFile): Array<{ use: string; line: number }> {
  const found: Array<{ use: string; line: number }> = [];
  for (const { code, offset } of scripts(file)) {
    const source = ts.createSourceFile(file.path + '.ts', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const at = (node: ts.Node, use: string) => found.push({ use, line: lineAt(file.text, offset + node.getStart(source)) });
    const visit = (node: ts.Node) => {
      if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
        const name = `${node.expression.text}.${node.name.text}`;
        if (name === 'Date.now' || name === 'performance.now' || name === 'Math.random') at(node, name);
      }
      if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Date') {
        if (!node.arguments || node.arguments.length === 0) at(node, 'new Date()');
      }
      if (ts.isCallExpression(node)) {
        const callee = node.expression;
        const name = ts.isIdentifier(callee)
          ? callee.text
          : ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && ['globalThis', 'window', 'self'].includes(callee.expression.text)
            ? callee.name.text
            : undefined;
        if (name === 'setTimeout' || name === 'setInterval') at(node, `${name}(`);
        if (name === 'Date' && ts.isIdentifier(callee)) at(node, 'Date()');
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

/** Reaches into the identity provider's authorization server (`….idp.as`, or `as` taken out of `….idp`), with their lines. */
export function providerInternalsUses(file: SourceFile): Array<{ use: string; line: number }> {
  const found: Array<{ use: string; line: number }> = [];
  const isIdp = (node: ts.Node) => (ts.isPropertyAccessExpression(node) && node.name.text === 'idp') || (ts.isIdentifier(node) && node.text === 'idp');
  for (const { code, offset } of scripts(file)) {
    const source = ts.createSourceFile(file.path + '.ts', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const at = (node: ts.Node, use: string) => found.push({ use, line: lineAt(file.text, offset + node.getStart(source)) });
    const visit = (node: ts.Node) => {
      if (ts.isPropertyAccessExpression(node) && node.name.text === 'as' && isIdp(node.expression)) at(node, 'idp.as');
      if (ts.isVariableDeclaration(node) && ts.isObjectBindingPattern(node.name) && node.initializer && isIdp(node.initializer)
        && node.name.elements.some((e) => ((e.propertyName ?? e.name) as ts.Node).getText(source) === 'as')) at(node, '{ as } = idp');
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

/** Every break of the rules above in a set of files (repository-relative paths, `/`-separated). */
export function checkStructure(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const from = layerOf(file.path);
    if (from && file.path.endsWith('.svelte') && HEADLESS.includes(from.name)) {
      violations.push({ file: file.path, line: 1, rule: 'headless layer', detail: `a Svelte component in the headless ${from.name} layer` });
    }
    for (const { specifier, line } of importsOf(file)) {
      let target: string | undefined;
      if (specifier.startsWith('.')) target = posix.normalize(posix.join(posix.dirname(file.path), specifier));
      else if (specifier in VIRTUAL) target = VIRTUAL[specifier];
      if (target === undefined || !from) continue;
      const to = layerOf(target);
      const rule = 'layer order';
      if (!to) {
        violations.push({ file: file.path, line, rule, detail: `${from.name} imports ${specifier} (${target}), outside every layer` });
      } else if (to.rank > from.rank || (to.rank === from.rank && to.name !== from.name)) {
        violations.push({ file: file.path, line, rule, detail: `${from.name} imports ${to.name} (${specifier}): a layer may import only itself and the layers below it` });
      }
    }
    if (PROVIDER_VIEW_ONLY.some((prefix) => file.path.startsWith(prefix)) && !isTestFile(file.path)) {
      for (const { use, line } of providerInternalsUses(file)) {
        violations.push({ file: file.path, line, rule: 'provider view', detail: `${use}: read the identity provider through world.provider (src/world/providerView.ts)` });
      }
    }
    const clockFree = CLOCK_FREE.some((prefix) => file.path.startsWith(prefix)) && !isTestFile(file.path) && file.path !== CLOCK_MODULE;
    if (clockFree) {
      for (const { use, line } of wallClockUses(file)) {
        violations.push({ file: file.path, line, rule: 'one clock', detail: `${use} outside the injected clock (src/sim/clock.ts)` });
      }
    }
  }
  return violations;
}

/** Tests and their support modules (a `testing/` folder), which may wait on real time to drive real servers. */
function isTestFile(path: string): boolean {
  return /\.(test|spec)\.ts$/.test(path) || /(^|\/)testing\//.test(path);
}

export const formatViolation = (v: Violation) => `${v.file}:${v.line}: ${v.rule}: ${v.detail}`;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function sources(folder: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(ts|svelte)$/.test(name)) out.push({ path: relative(ROOT, full).split('\\').join('/'), text: readFileSync(full, 'utf8') });
    }
  };
  walk(join(ROOT, folder));
  return out;
}

describe('the checker itself (small in-memory examples)', () => {
  test('an import that runs up a layer fails, naming file, line and rule', () => {
    const files: SourceFile[] = [
      { path: 'src/sim/a.ts', text: "import { b } from '../protocol/b.ts';\n\nimport { w } from '../world/w.ts';\n" },
      { path: 'src/protocol/b.ts', text: 'export const b = 1;\n' },
    ];
    expect(checkStructure(files).map(formatViolation)).toEqual([
      'src/sim/a.ts:3: layer order: sim imports world (../world/w.ts): a layer may import only itself and the layers below it',
    ]);
  });

  test('sibling layers may not import each other; imports in type positions, re-exports and dynamic imports count', () => {
    const files: SourceFile[] = [
      { path: 'src/bench/a.ts', text: "export * from '../conformance/x.ts';\n" },
      { path: 'src/labs/b.ts', text: "type T = import('../ui/t.ts').T;\nconst m = () => import('../server/s.ts');\n" },
      { path: 'src/bench/c.ts', text: "import { findChromium } from '../../e2e/browser.ts';\n" },
    ];
    expect(checkStructure(files).map((v) => `${v.file}:${v.line}`)).toEqual(['src/bench/a.ts:1', 'src/labs/b.ts:1', 'src/labs/b.ts:2', 'src/bench/c.ts:1']);
  });

  test("a component's imports are read from its <script> blocks, with the component's own line numbers; markup text is not code", () => {
    const component = [
      '<script lang="ts">',
      "  import Thing from './Thing.svelte';",
      "  import Embed from '../embed/Embed.svelte';",
      '</script>',
      "<p>import x from '../embed/nothing.ts'; Date.now()</p>",
    ].join('\n');
    expect(checkStructure([{ path: 'src/ui/View.svelte', text: component }]).map(formatViolation)).toEqual([
      'src/ui/View.svelte:3: layer order: ui imports embed (../embed/Embed.svelte): a layer may import only itself and the layers below it',
    ]);
  });

  test('a Svelte component in a headless layer fails; the embed contract sits below the ui, the rest of the embed above it', () => {
    const files: SourceFile[] = [
      { path: 'src/labs/Prose.svelte', text: '<p>hi</p>\n' },
      { path: 'src/ui/Docs.svelte', text: "<script>\n  import { embedHash } from '../embed/contract/options.ts';\n</script>\n" },
      { path: 'src/embed/Embed.svelte', text: "<script>\n  import LabView from '../ui/labs/LabView.svelte';\n</script>\n" },
      { path: 'src/embed/contract/x.ts', text: "import { ProgressStore } from '../../ui/progress.ts';\n" },
    ];
    expect(checkStructure(files).map(formatViolation)).toEqual([
      'src/labs/Prose.svelte:1: headless layer: a Svelte component in the headless labs layer',
      'src/embed/contract/x.ts:1: layer order: embed-contract imports ui (../../ui/progress.ts): a layer may import only itself and the layers below it',
    ]);
  });

  test('wall-clock time and Math.random fail in the clock-free layers, but not in tests, the clock module, comments or other layers', () => {
    const code = [
      '// Date.now() in a comment is fine',
      'const a = Date.now();',
      'const b = new Date();',
      'const c = new Date(0);',
      'setTimeout(() => {}, 1);',
      'globalThis.setInterval(() => {}, 1);',
      'clock.setTimeout(() => {}, 1);',
      'const d = performance.now();',
      'const e = Math.random();',
      "const f = 'Math.random()';",
      'const g = Date;',
      'const h = Date();',
    ].join('\n');
    expect(checkStructure([{ path: 'src/flow/x.ts', text: code }]).map(formatViolation)).toEqual([
      'src/flow/x.ts:2: one clock: Date.now outside the injected clock (src/sim/clock.ts)',
      'src/flow/x.ts:3: one clock: new Date() outside the injected clock (src/sim/clock.ts)',
      'src/flow/x.ts:5: one clock: setTimeout( outside the injected clock (src/sim/clock.ts)',
      'src/flow/x.ts:6: one clock: setInterval( outside the injected clock (src/sim/clock.ts)',
      'src/flow/x.ts:8: one clock: performance.now outside the injected clock (src/sim/clock.ts)',
      'src/flow/x.ts:9: one clock: Math.random outside the injected clock (src/sim/clock.ts)',
      'src/flow/x.ts:12: one clock: Date() outside the injected clock (src/sim/clock.ts)',
    ]);
    for (const path of ['src/flow/x.test.ts', 'src/sim/clock.ts', 'src/world/x.ts', 'src/ui/x.ts', 'labs/01-x/scenario.test.ts']) {
      expect(checkStructure([{ path, text: code }]), path).toEqual([]);
    }
    expect(checkStructure([{ path: 'labs/01-x/scenario.ts', text: code }])).toHaveLength(7);
  });

  test("labs, the runner and the page read the identity provider through world.provider, not idp.as (tests and the world may)", () => {
    const code = [
      '// w.idp.as.audit in a comment is fine',
      'const a = w.idp.as.audit.events;',
      'const { knobs } = world.idp.as;',
      'const { as } = w.idp;',
      'const b = w.provider.audit();',
      "const c = 'w.idp.as.knobs';",
      'const d = w.idp.apis;',
      'const e = idp.as.knobs;',
    ].join('\n');
    expect(checkStructure([{ path: 'labs/01-x/scenario.ts', text: code }]).map(formatViolation)).toEqual([2, 3, 4, 8].map((line) =>
      `labs/01-x/scenario.ts:${line}: provider view: ${line === 4 ? '{ as } = idp' : 'idp.as'}: read the identity provider through world.provider (src/world/providerView.ts)`));
    expect(checkStructure([{ path: 'src/ui/panels/X.svelte', text: `<script lang="ts">\n${code}\n</script>` }])).toHaveLength(4);
    expect(checkStructure([{ path: 'src/labs/runner.ts', text: code }])).toHaveLength(4);
    for (const path of ['src/world/index.ts', 'src/labs/runner.test.ts', 'labs/01-x/scenario.test.ts', 'src/sim/idp.ts']) {
      expect(checkStructure([{ path, text: code }]), path).toEqual([]);
    }
  });
});

describe('the repository', () => {
  const configs = ['playwright.config.ts', 'vite.config.ts', 'vitest.config.ts'].map((path) => ({ path, text: readFileSync(join(ROOT, path), 'utf8') }));
  const files = [...sources('src'), ...sources('labs'), ...sources('e2e'), ...configs];

  test('the scan sees the layers (a vacuous scan would pass anything)', () => {
    const seen = new Set(files.map((f) => layerOf(f.path)?.name));
    for (const layer of LAYERS) expect(seen, layer.name).toContain(layer.name);
    expect(files.filter((f) => f.path.endsWith('.svelte')).length).toBeGreaterThan(10);
    expect(files.reduce((n, f) => n + importsOf(f).length, 0)).toBeGreaterThan(500);
  });

  test('no import runs up a layer, no component sits in a headless layer, protocol, sim, flow and labs read no wall clock, and labs and the page read the identity provider only through world.provider', () => {
    const found = checkStructure(files).map(formatViolation);
    /** `file: detail` matches `file:<line>: <rule>: detail...`. */
    const matches = (line: string, known: string) => {
      const [file, detail] = known.split(': ', 2) as [string, string];
      return line.startsWith(`${file}:`) && line.includes(`: ${detail}`);
    };
    expect(found.filter((line) => !KNOWN_BREAKS.some((known) => matches(line, known)))).toEqual([]);
    for (const known of KNOWN_BREAKS) {
      expect(found.some((line) => matches(line, known)), `gone, so drop it from KNOWN_BREAKS: ${known}`).toBe(true);
    }
  });
});
