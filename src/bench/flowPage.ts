/**
 * The page half of the bench's "complete flows in Chromium" row (src/bench/enginePage.ts bundles it): the same
 * `completeFlow` as in Node, run `n` times after one warm-up, timed with the page's clock.
 */
import { completeFlow } from './engine.ts';

(globalThis as { runFlows?: (n: number) => Promise<{ ms: number; exchanges: number }> }).runFlows = async (n) => {
  await completeFlow();
  let exchanges = 0;
  const start = performance.now();
  for (let i = 0; i < n; i++) exchanges += await completeFlow();
  return { ms: performance.now() - start, exchanges: exchanges / n };
};
