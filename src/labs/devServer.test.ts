/**
 * `npm start` serves the labs: the real dev server command resolves the virtual labs module and every scenario
 * it imports, as a browser would request them (the production build and the tests resolve modules
 * differently, so this is checked on its own).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PORT = 5100 + Math.floor(Math.random() * 800);
const base = `http://127.0.0.1:${PORT}`;
let vite: ChildProcess;

beforeAll(async () => {
  vite = spawn(process.execPath, ['node_modules/vite/bin/vite.js', '--port', String(PORT), '--strictPort'], { cwd: ROOT, stdio: 'ignore' });
  for (let i = 0; i < 150; i++) {
    if (await fetch(base).then((r) => r.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the dev server did not start');
}, 60_000);

afterAll(() => {
  vite?.kill();
});

test('the dev server serves virtual:labs and each lab scenario it imports', async () => {
  // The page imports the lab index, which imports the virtual module.
  expect((await fetch(`${base}/src/ui/labs/labIndex.ts`)).status).toBe(200);
  const res = await fetch(`${base}/@id/__x00__virtual:labs`);
  const code = await res.text();
  expect(res.status, code.slice(0, 300)).toBe(200);
  const imports = [...code.matchAll(/from "([^"]+)"/g)].map((m) => m[1]!);
  expect(imports.length).toBeGreaterThanOrEqual(18);
  for (const path of imports) expect((await fetch(`${base}${path}`)).status, path).toBe(200);
}, 60_000);
