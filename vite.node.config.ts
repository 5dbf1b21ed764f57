import { builtinModules } from 'node:module';
import { defineConfig } from 'vite';
import pkg from './package.json' with { type: 'json' };

/**
 * The Node build: the package's command-line tools as plain JavaScript for `node`, into dist-node/ (gitignored,
 * shipped by `npm pack` through package.json "files"; `prepack` runs this). One entry per bin: the key is the
 * output file (dist-node/<key>.js, what package.json "bin" points at), the value its TypeScript source. Code
 * shared between entries goes to dist-node/chunks/. Runtime dependencies (package.json "dependencies": jose,
 * xstate, yaml...) stay external and are installed with the package; nothing from devDependencies is needed
 * at run time.
 */
export const NODE_ENTRIES: Record<string, string> = {
  'device-flow-lab-idp': 'src/server/main.ts',
  'device-flow-lab': 'src/cli/main.ts',
};

const external = [
  ...Object.keys(pkg.dependencies ?? {}),
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
];

export default defineConfig({
  // No public/ copy, no index.html: this build is only the Node entries.
  publicDir: false,
  logLevel: 'warn',
  build: {
    ssr: true,
    target: 'node20',
    outDir: 'dist-node',
    emptyOutDir: true,
    sourcemap: false,
    minify: false,
    rolldownOptions: {
      input: NODE_ENTRIES,
      external: (id) => external.some((dep) => id === dep || id.startsWith(`${dep}/`)),
      output: {
        format: 'esm',
        entryFileNames: '[name].js',
        chunkFileNames: 'chunks/[name]-[hash].js',
      },
    },
  },
  ssr: { target: 'node', noExternal: [] },
});
