import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { embedBuilds } from './src/embed/embedBuilds.ts';
import { nearMissesOutOfBundle } from './src/labs/nearMissesPlugin.ts';
import { labsPlugin } from './src/labs/vitePlugin.ts';
import { CORE_CHUNK, ENGINE_CHUNK, ENGINE_ONLY, HOME_CHUNK, LAB_APART, LAB_PAGE_CHUNK, SHARED_CHUNK, VIEWS_CHUNK, appChunkGroups } from './src/ui/buildChunks.ts';
import { routePreloads } from './src/ui/routePreload.ts';

/**
 * The Content-Security-Policy of the built page: scripts and styles only from this origin (no inline code,
 * no eval), nothing fetched from anywhere. Added at build time only, because Vite's dev server injects
 * inline styles for hot reloading.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  // The docs page (#/embed) shows embed.html in an iframe as its live example.
  "frame-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join('; ');

/** An absolute path in this project (what the bundler's module ids are). */
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

function contentSecurityPolicy(): Plugin {
  return {
    name: 'device-flow-lab:csp',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' }],
  };
}

// base './' so dist/ works under any base path, from any static host. The app, then (from embedBuilds, into the
// same folder) the custom element and the iframe page with their folders of lazily loaded files. The labs'
// near misses are test data, left out of what a learner downloads.
export default defineConfig({
  base: './',
  plugins: [
    svelte(), labsPlugin(), nearMissesOutOfBundle(), contentSecurityPolicy(),
    // What the route in the address will import starts loading beside the entry (src/ui/routePreload.ts), as
    // src/ui/App.svelte's view loaders and src/ui/preload.ts's preloadFor would fetch it.
    routePreloads({
      views: {
        '': here('src/ui/labs/HomePage.svelte'), '/simulator': here('src/ui/SimulatorView.svelte'),
        '/sandbox': here('src/ui/SimulatorView.svelte'), '/instructor': here('src/ui/labs/Instructor.svelte'),
        '/embed': here('src/ui/docs/EmbedDocs.svelte'),
      },
      labView: here('src/ui/labs/LabPage.svelte'),
      fallback: '/simulator',
      engine: here('src/world/index.ts'),
      withEngine: ['/simulator', '/sandbox'],
      labOf: (id) => /^\0virtual:labs\/lab\/(.+)$/.exec(id)?.[1],
    }),
    embedBuilds({ plugins: () => [svelte(), labsPlugin(), nearMissesOutOfBundle()], csp: CONTENT_SECURITY_POLICY, engine: here('src/world/index.ts') }),
  ],
  build: {
    target: 'es2022',
    sourcemap: false,
    rolldownOptions: {
      output: {
        // A few chunks by loading moment instead of one per set of routes sharing a module (src/ui/buildChunks.ts).
        codeSplitting: {
          groups: appChunkGroups({
            shell: here('src/main.ts'),
            roots: {
              // The lab page paints a lab's heading, then loads the lab view (src/ui/labs/LabPage.svelte).
              labPage: here('src/ui/labs/LabPage.svelte'), lab: here('src/ui/labs/LabView.svelte'),
              home: here('src/ui/labs/HomePage.svelte'),
              // Every lab, as the instructor's page imports them (a lab page imports only its own, lazily).
              labs: '\0virtual:labs',
              engine: here('src/world/index.ts'),
            },
            chunks: [
              [HOME_CHUNK, ['home']], [CORE_CHUNK, ['labs']], [SHARED_CHUNK, ['lab', 'engine'], 'every'],
              [LAB_PAGE_CHUNK, ['labPage']], [VIEWS_CHUNK, ['lab']], [ENGINE_CHUNK, ['engine']],
            ],
            engine: 'engine',
            engineOnly: ENGINE_ONLY,
            apart: LAB_APART,
          }),
        },
      },
    },
  },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
});
