/**
 * The initial bundle of the built page: what index.html loads before anything runs (the entry script, its
 * CSS, and every chunk it imports statically, i.e. what Vite lists as modulepreload, with their CSS), gzipped.
 * Lazily imported chunks and assets are not counted. `npm run bench` reports it; src/bench/budget.test.ts
 * fails when it exceeds INITIAL_BUNDLE_BUDGET_BYTES. Both use these functions.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';

/** The budget for initial JS + CSS, gzipped. */
export const INITIAL_BUNDLE_BUDGET_BYTES = 120 * 1024;

export interface BundleFile {
  file: string;
  kind: 'js' | 'css';
  bytes: number;
  gzipBytes: number;
}

export interface InitialBundle {
  files: BundleFile[];
  jsGzipBytes: number;
  cssGzipBytes: number;
  totalGzipBytes: number;
  totalBytes: number;
}

/** One entry of Vite's build manifest (.vite/manifest.json). */
interface ManifestChunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  imports?: string[];
  css?: string[];
}

/** The repository root (this file is src/bench/bundle.ts). */
export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');

/** Build the page with the project's vite.config.ts into `outDir`, with a manifest to measure from. */
export async function buildApp(outDir: string, root: string = PROJECT_ROOT): Promise<void> {
  const { build } = await import('vite');
  await build({
    root,
    configFile: join(root, 'vite.config.ts'),
    logLevel: 'silent',
    build: { outDir, emptyOutDir: true, manifest: true },
  });
}

/** Measure the initial JS and CSS of a build made by `buildApp` (reads `outDir/.vite/manifest.json`). */
export function measureInitialBundle(outDir: string): InitialBundle {
  const manifest = JSON.parse(readFileSync(join(outDir, '.vite', 'manifest.json'), 'utf8')) as Record<string, ManifestChunk>;
  const entries = Object.entries(manifest).filter(([key, chunk]) => chunk.isEntry && (chunk.src ?? key).endsWith('index.html'));
  if (entries.length === 0) throw new Error(`bundle: no index.html entry in the manifest of ${outDir}`);
  const files = new Set<string>();
  const visited = new Set<string>();
  const visit = (key: string) => {
    if (visited.has(key)) return;
    visited.add(key);
    const chunk = manifest[key];
    if (!chunk) throw new Error(`bundle: the manifest names ${key} but has no entry for it`);
    files.add(chunk.file);
    for (const css of chunk.css ?? []) files.add(css);
    for (const imported of chunk.imports ?? []) visit(imported);
  };
  for (const [key] of entries) visit(key);

  const measured: BundleFile[] = [...files].map((file) => {
    const content = readFileSync(join(outDir, file));
    return { file, kind: file.endsWith('.css') ? 'css' : 'js', bytes: content.length, gzipBytes: gzipSync(content, { level: 9 }).length };
  });
  const sum = (kind: 'js' | 'css') => measured.filter((f) => f.kind === kind).reduce((n, f) => n + f.gzipBytes, 0);
  return {
    files: measured,
    jsGzipBytes: sum('js'),
    cssGzipBytes: sum('css'),
    totalGzipBytes: sum('js') + sum('css'),
    totalBytes: measured.reduce((n, f) => n + f.bytes, 0),
  };
}

/** Build into a temporary folder, measure, and remove it (or keep it for the caller when `keep` is set). */
export async function buildAndMeasure(opts: { keep?: boolean } = {}): Promise<InitialBundle & { outDir: string; buildMs: number }> {
  const outDir = mkdtempSync(join(tmpdir(), 'dfl-bundle-'));
  try {
    const start = performance.now();
    await buildApp(outDir);
    const buildMs = performance.now() - start;
    return { ...measureInitialBundle(outDir), outDir, buildMs };
  } finally {
    if (!opts.keep) rmSync(outDir, { recursive: true, force: true });
  }
}
