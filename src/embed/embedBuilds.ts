/**
 * The embeds' builds. `vite build` makes the app (index.html) and then, from this plugin, into the same folder:
 *
 *   device-flow-lab.js + device-flow-lab/   the custom element: an ES module (no CSS file, no assets) that a
 *                        team loads with one script tag, and the folder of what it imports as it needs it: each
 *                        lab, what the labs share, the engine (as the first world is built), the panels;
 *   embed.html + embed.js + embed/   the iframe page: CLASSIC scripts only, because an iframe sandboxed without
 *                        allow-same-origin has an opaque origin, and module scripts are fetched with CORS,
 *                        which a plain static host does not answer. A classic script loads from any host. The
 *                        same split, as CommonJS chunks wrapped for a small loader (src/embed/classicChunks.ts).
 *
 * So an embed's first load is what a lab's first paint needs (issue 13: at most 100 KB), not every lab and the
 * engine (195 KiB as one file).
 *
 * Their CSS travels inside the script as a string (the placeholder is replaced here) and is adopted as a
 * constructed stylesheet, which a Content-Security-Policy of `style-src 'self'` (ours, or the host page's for
 * the element) does not block, unlike a `<style>` element. For the element, `rem` lengths are rewritten
 * against its own base size, so a host page that changes its root font size does not shrink the lab.
 *
 * In development (`npm start`) embed.html is served by Vite as a page of its own, with its module script.
 */
import { readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Plugin, PluginOption } from 'vite';
import { CORE_CHUNK, ENGINE_CHUNK, ENGINE_ONLY, LAB_APART, appChunkGroups } from '../ui/buildChunks.ts';
import { classicChunks, type ClassicManifest } from './classicChunks.ts';
import { ELEMENT_CHUNK_DIR, ELEMENT_FILE_NAME, EMBED_CHUNK_DIR, EMBED_PAGE_NAME, EMBED_SCRIPT_NAME } from './contract/constants.ts';

/** A lab's folder in labs/ (its id). */
const LAB_DIR = /^\d{2}-[a-z0-9-]+$/;

/** The string in element.ts and frame.ts that becomes the CSS. */
export const CSS_PLACEHOLDER = '__DFL_EMBED_CSS__';
/** The development script tag of embed.html, replaced by the built classic script. */
const DEV_SCRIPT = '<script type="module" src="/src/embed/frame.ts"></script>';

/**
 * `1.5rem` → `calc(1.5 * var(--dfl-rem))`, outside `@media`/`@container` preludes (custom properties are not
 * allowed there; rem there means the browser's initial size anyway).
 */
export function remToElementUnits(css: string): string {
  return css.replace(/(@(?:media|container)[^{]*)|(-?(?:\d+\.?\d*|\.\d+))rem\b/g, (match, prelude: string | undefined, num: string | undefined) =>
    prelude !== undefined ? prelude : `calc(${num} * var(--dfl-rem))`);
}

/**
 * Put the bundle's CSS into its entry script `file` and drop the CSS files; fail if the build made anything else
 * than the entry and JS files in the folder `dir`.
 */
function inlineCss(file: string, dir: string, transform: (css: string) => string): Plugin {
  return {
    name: 'device-flow-lab:inline-css',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const assets = Object.values(bundle).filter((f) => f.type === 'asset' && f.fileName.endsWith('.css'));
      const css = transform(assets.map((a) => (a.type === 'asset' ? String(a.source) : '')).join('\n'));
      for (const a of assets) delete bundle[a.fileName];
      const pattern = new RegExp(`(["'\`])${CSS_PLACEHOLDER}\\1`);
      const withPlaceholder = Object.values(bundle).filter((chunk) => chunk.type === 'chunk' && pattern.test(chunk.code));
      const entry = bundle[file];
      if (!entry || entry.type !== 'chunk' || withPlaceholder.length !== 1 || withPlaceholder[0] !== entry) {
        return this.error(`${file}: expected the CSS placeholder in the entry only, found it in ${withPlaceholder.map((c) => c.fileName).join(', ') || 'no file'}`);
      }
      entry.code = entry.code.replace(pattern, () => JSON.stringify(css));
      const inFolder = (name: string) => name.startsWith(`${dir}/`) && !name.slice(dir.length + 1).includes('/') && name.endsWith('.js');
      const others = Object.keys(bundle).filter((name) => name !== file && !inFolder(name));
      if (others.length) this.error(`${file}: the build made files it does not expect: ${others.join(', ')}`);
    },
  };
}

/**
 * embed.html for the build: the page's source with the CSP and the classic script instead of the module, and a
 * preload of each file the script requires before it runs (`preloads`, from the output root), so they download
 * beside it rather than after it.
 */
export function builtEmbedPage(source: string, csp: string, preloads: readonly string[] = []): string {
  if (!source.includes(DEV_SCRIPT)) throw new Error(`embed.html: expected ${DEV_SCRIPT} to replace`);
  const escaped = csp.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  return source
    .replace('<head>', `<head>\n    <meta http-equiv="Content-Security-Policy" content="${escaped}" />`)
    .replace('href="/favicon.svg"', 'href="./favicon.svg"')
    .replace(DEV_SCRIPT, [
      `<script src="./${EMBED_SCRIPT_NAME}" defer></script>`,
      ...preloads.map((file) => `<link rel="preload" as="script" href="./${file.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}" />`),
    ].join('\n    '));
}

/** Build the embeds after the app, into the same folder. `plugins` are the ones the app builds with (Svelte, labs). */
export function embedBuilds(opts: { plugins: () => PluginOption[]; csp: string; engine: string }): Plugin {
  let root = process.cwd();
  let outDir = 'dist';
  let manifest = false;
  return {
    name: 'device-flow-lab:embeds',
    apply: 'build',
    configResolved(config) {
      root = config.root;
      outDir = config.build.outDir;
      manifest = config.build.manifest !== false;
    },
    async closeBundle(error?: Error) {
      if (error) return;
      const { build } = await import('vite');
      const labIds = readdirSync(join(root, 'labs')).filter((name) => LAB_DIR.test(name));
      const bundle = (entry: string, format: 'es' | 'cjs', file: string, dir: string, transform: (css: string) => string, extra: Plugin[] = []) => build({
        configFile: false,
        root,
        base: './',
        logLevel: 'warn',
        plugins: [...opts.plugins(), inlineCss(file, dir, transform), ...extra],
        build: {
          outDir,
          emptyOutDir: false,
          copyPublicDir: false,
          target: 'es2022',
          cssCodeSplit: false,
          // The bench measures from a manifest of each build (beside the app's, which it must not replace).
          manifest: manifest ? `.vite/${dir}.manifest.json` : false,
          // Library builds keep whitespace (for other bundlers); these files go straight to readers' browsers.
          minify: 'oxc',
          lib: { entry, formats: [format], name: 'DeviceFlowLabEmbed', fileName: () => file },
          rolldownOptions: {
            // The entry keeps its exports; the groups below may add to them (what a lab's file imports from it).
            preserveEntrySignatures: 'allow-extension',
            output: {
              minify: true,
              chunkFileNames: `${dir}/[name]-[hash].js`,
              // Each lab is its own file (the bundler's split), what the labs share beyond the entry one more (so no
              // lab imports the engine's file), the engine another, loaded as the first world is built
              // (src/ui/preload.ts).
              codeSplitting: {
                groups: appChunkGroups({
                  shell: join(root, entry),
                  roots: { engine: opts.engine, ...Object.fromEntries(labIds.map((id) => [id, `\0virtual:labs/lab/${id}`])) },
                  chunks: [[CORE_CHUNK, labIds], [ENGINE_CHUNK, ['engine']]],
                  engine: 'engine',
                  engineOnly: ENGINE_ONLY,
                  apart: LAB_APART,
                }),
              },
            },
          },
        },
      });
      await bundle('src/embed/element.ts', 'es', ELEMENT_FILE_NAME, ELEMENT_CHUNK_DIR, remToElementUnits);
      let classic: ClassicManifest | undefined;
      await bundle('src/embed/frame.ts', 'cjs', EMBED_SCRIPT_NAME, EMBED_CHUNK_DIR, (css) => css, [classicChunks(EMBED_SCRIPT_NAME, (m) => (classic = m))]);
      const preloads = classic?.imports[EMBED_SCRIPT_NAME] ?? [];
      const page = builtEmbedPage(await readFile(join(root, EMBED_PAGE_NAME), 'utf8'), opts.csp, preloads);
      await writeFile(join(outDir, EMBED_PAGE_NAME), page);
    },
  };
}
