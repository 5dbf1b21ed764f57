import { defineConfig } from 'vitest/config';
import { labsPlugin } from './src/labs/vitePlugin.ts';

/**
 * Two projects: `unit` (virtual clock, runs in parallel) and `interop` (real servers, real fetch and the real
 * clock: run on their own, one file at a time, so CPU-heavy property tests cannot skew their timing).
 */
const INTEROP = ['src/**/interop*.test.ts'];

/** Projects do not inherit the root's timeouts, so each one states them. */
const TIMEOUTS = { testTimeout: 30_000, hookTimeout: 30_000 };

export default defineConfig({
  test: {
    projects: [
      {
        // labs/ is validated and served as `virtual:labs`, as in the build.
        plugins: [labsPlugin()],
        test: {
          name: 'unit',
          ...TIMEOUTS,
          include: ['src/**/*.test.ts', 'labs/**/*.test.ts'],
          exclude: INTEROP,
          environment: 'node',
          pool: 'threads',
        },
      },
      {
        test: {
          name: 'interop',
          ...TIMEOUTS,
          include: INTEROP,
          environment: 'node',
          pool: 'forks',
          fileParallelism: false,
          // Concurrent tests in one file wait on real time (polling intervals), not on the CPU: let them all wait together.
          maxConcurrency: 16,
        },
      },
    ],
  },
});
