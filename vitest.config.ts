import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (virtual clock, runs in parallel) and `interop` (real servers, real fetch and the real
 * clock: run on their own, one file at a time, so CPU-heavy property tests cannot skew their timing).
 */
const INTEROP = ['src/**/interop*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'labs/**/*.test.ts'],
          exclude: INTEROP,
          environment: 'node',
          pool: 'threads',
        },
      },
      {
        test: {
          name: 'interop',
          include: INTEROP,
          environment: 'node',
          pool: 'forks',
          fileParallelism: false,
        },
      },
    ],
  },
});
