import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { embedBuilds } from './src/embed/embedBuilds.ts';
import { nearMissesOutOfBundle } from './src/labs/nearMissesPlugin.ts';
import { labsPlugin } from './src/labs/vitePlugin.ts';

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

function contentSecurityPolicy(): Plugin {
  return {
    name: 'device-flow-lab:csp',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' }],
  };
}

// base './' so dist/ works under any base path, from any static host. The app, then (from embedBuilds, into the
// same folder) the custom element's single file and the iframe page with its single classic script. The labs'
// near misses are test data, left out of what a learner downloads.
export default defineConfig({
  base: './',
  plugins: [
    svelte(), labsPlugin(), nearMissesOutOfBundle(), contentSecurityPolicy(),
    embedBuilds({ plugins: () => [svelte(), labsPlugin(), nearMissesOutOfBundle()], csp: CONTENT_SECURITY_POLICY }),
  ],
  build: {
    target: 'es2022',
    sourcemap: false,
  },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
});
