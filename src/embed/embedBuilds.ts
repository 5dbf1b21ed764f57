/**
 * The embeds' builds. `vite build` makes the app (index.html) and then, from this plugin, into the same folder:
 *
 *   device-flow-lab.js   the custom element: ONE self-contained ES module (no chunks, no CSS file, no assets)
 *                        that a team copies anywhere and loads with a single script tag;
 *   embed.js + embed.html  the iframe page: one CLASSIC script (an IIFE), because an iframe sandboxed without
 *                        allow-same-origin has an opaque origin, and module scripts are fetched with CORS,
 *                        which a plain static host does not answer. A classic script loads from any host.
 *
 * Their CSS travels inside the script as a string (the placeholder is replaced here) and is adopted as a
 * constructed stylesheet, which a Content-Security-Policy of `style-src 'self'` (ours, or the host page's for
 * the element) does not block, unlike a `<style>` element. For the element, `rem` lengths are rewritten
 * against its own base size, so a host page that changes its root font size does not shrink the lab.
 *
 * In development (`npm start`) embed.html is served by Vite as a page of its own, with its module script.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Plugin, PluginOption } from 'vite';
import { ELEMENT_FILE_NAME, EMBED_PAGE_NAME, EMBED_SCRIPT_NAME } from './contract/constants.ts';

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

/** Put the bundle's CSS into its only script and drop the CSS files; fail if anything else was made. */
function inlineCss(file: string, transform: (css: string) => string): Plugin {
  return {
    name: 'device-flow-lab:inline-css',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const assets = Object.values(bundle).filter((f) => f.type === 'asset' && f.fileName.endsWith('.css'));
      const css = transform(assets.map((a) => (a.type === 'asset' ? String(a.source) : '')).join('\n'));
      for (const a of assets) delete bundle[a.fileName];
      const pattern = new RegExp(`(["'\`])${CSS_PLACEHOLDER}\\1`);
      let replaced = 0;
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk' || !pattern.test(chunk.code)) continue;
        chunk.code = chunk.code.replace(pattern, () => JSON.stringify(css));
        replaced++;
      }
      if (replaced !== 1) this.error(`${file}: expected the CSS placeholder in exactly one chunk, found ${replaced}`);
      const others = Object.keys(bundle).filter((name) => name !== file);
      if (others.length) this.error(`${file} must be self-contained, but the build also made ${others.join(', ')}`);
    },
  };
}

/** embed.html for the build: the page's source with the CSP and the classic script instead of the module. */
export function builtEmbedPage(source: string, csp: string): string {
  if (!source.includes(DEV_SCRIPT)) throw new Error(`embed.html: expected ${DEV_SCRIPT} to replace`);
  const escaped = csp.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  return source
    .replace('<head>', `<head>\n    <meta http-equiv="Content-Security-Policy" content="${escaped}" />`)
    .replace('href="/favicon.svg"', 'href="./favicon.svg"')
    .replace(DEV_SCRIPT, `<script src="./${EMBED_SCRIPT_NAME}" defer></script>`);
}

/** Build the embeds after the app, into the same folder. `plugins` are the ones the app builds with (Svelte, labs). */
export function embedBuilds(opts: { plugins: () => PluginOption[]; csp: string }): Plugin {
  let root = process.cwd();
  let outDir = 'dist';
  return {
    name: 'device-flow-lab:embeds',
    apply: 'build',
    configResolved(config) {
      root = config.root;
      outDir = config.build.outDir;
    },
    async closeBundle(error?: Error) {
      if (error) return;
      const { build } = await import('vite');
      const bundle = (entry: string, format: 'es' | 'iife', file: string, transform: (css: string) => string) => build({
        configFile: false,
        root,
        base: './',
        logLevel: 'warn',
        plugins: [...opts.plugins(), inlineCss(file, transform)],
        build: {
          outDir,
          emptyOutDir: false,
          copyPublicDir: false,
          target: 'es2022',
          cssCodeSplit: false,
          // Library builds keep whitespace (for other bundlers); these files go straight to readers' browsers.
          minify: 'oxc',
          lib: { entry, formats: [format], name: 'DeviceFlowLabEmbed', fileName: () => file },
          rolldownOptions: { output: { codeSplitting: false, minify: true } },
        },
      });
      await bundle('src/embed/element.ts', 'es', ELEMENT_FILE_NAME, remToElementUnits);
      await bundle('src/embed/frame.ts', 'iife', EMBED_SCRIPT_NAME, (css) => css);
      const page = builtEmbedPage(await readFile(join(root, EMBED_PAGE_NAME), 'utf8'), opts.csp);
      await writeFile(join(outDir, EMBED_PAGE_NAME), page);
    },
  };
}
