/**
 * The byte budget: the page's initial JS + CSS (gzipped) must stay within 120 KB. Builds the app with Vite's
 * API into a temporary folder and measures it with the same function `npm run bench` reports from.
 */
import { describe, expect, it } from 'vitest';
import { INITIAL_BUNDLE_BUDGET_BYTES, buildAndMeasure } from './bundle.ts';

describe('initial bundle byte budget', () => {
  it(`initial JS + CSS gzipped is at most ${INITIAL_BUNDLE_BUDGET_BYTES / 1024} KB`, async () => {
    const bundle = await buildAndMeasure();
    const listing = bundle.files.map((f) => `${f.file}: ${f.gzipBytes} B gzipped (${f.bytes} B)`).join('\n');
    expect(bundle.files.some((f) => f.kind === 'js'), 'the entry script was found').toBe(true);
    expect(bundle.totalGzipBytes, `initial bundle over budget:\n${listing}`).toBeLessThanOrEqual(INITIAL_BUNDLE_BUDGET_BYTES);
  }, 60_000);
});
