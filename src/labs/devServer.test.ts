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
  const importsOf = (text: string) => [...text.matchAll(/(?:from |import\()"([^"]+)"/g)].map((m) => m[1]!);
  // virtual:labs imports each lab's module, which imports its scenario: both levels must be served.
  const labModules = importsOf(code);
  expect(labModules.length).toBeGreaterThanOrEqual(19);
  for (const path of labModules) {
    const lab = await fetch(`${base}${path}`);
    const labCode = await lab.text();
    expect(lab.status, path).toBe(200);
    for (const scenario of importsOf(labCode)) expect((await fetch(`${base}${scenario}`)).status, scenario).toBe(200);
  }
  // The lists' module: titles only, and the loaders' module (a loader per lab, which the app shell imports alone).
  const summaries = await fetch(`${base}/@id/__x00__virtual:labs/summaries`);
  const summariesCode = await summaries.text();
  expect(summaries.status, summariesCode.slice(0, 300)).toBe(200);
  expect(summariesCode).not.toContain('"lesson"');
  const [loadersPath, ...others] = importsOf(summariesCode);
  expect(others, 'the summaries import only the loaders').toEqual([]);
  const loaders = await fetch(`${base}${loadersPath}`);
  const loadersCode = await loaders.text();
  expect(loaders.status, loadersCode.slice(0, 300)).toBe(200);
  expect(importsOf(loadersCode).sort()).toEqual([...labModules].sort());
  expect(loadersCode).not.toContain('"lesson"');
}, 60_000);
