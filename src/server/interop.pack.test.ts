/**
 * The rehearsal server as a team installs it: `npm pack` (its `prepack` builds the Node bins), `npm install
 * <tarball>` into an empty folder, then `node_modules/.bin/device-flow-lab-idp` with plain node (no tsx, no
 * dev dependencies), metadata fetched over HTTP, stopped. The install reads the npm cache (`--prefer-offline`),
 * which `npm ci` has filled.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, test } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const temps: string[] = [];

afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

test('the packed tarball installs into an empty folder and device-flow-lab-idp serves metadata with plain node', async () => {
  const t0 = Date.now();
  const packDir = await mkdtemp(join(tmpdir(), 'dfl-pack-'));
  const appDir = await mkdtemp(join(tmpdir(), 'dfl-app-'));
  temps.push(packDir, appDir);
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_NO_WARNINGS: '1' };

  const packed = await run(NPM, ['pack', '--json', '--pack-destination', packDir], { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 });
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const files = info!.files.map((f) => f.path).sort();
  // Only what the tool needs: the built bins, the package manifest and the README; no sources, no tests.
  expect(files).toContain('dist-node/device-flow-lab-idp.js');
  expect(files).toContain('dist-node/device-flow-lab.js');
  expect(files.filter((f) => !f.startsWith('dist-node/') && f !== 'package.json' && f !== 'README.md')).toEqual([]);
  expect(files.filter((f) => !f.endsWith('.js') && f.startsWith('dist-node/'))).toEqual([]);
  const tarball = join(packDir, (await readdir(packDir)).find((f) => f.endsWith('.tgz'))!);
  const packMs = Date.now() - t0;

  await writeFile(join(appDir, 'package.json'), JSON.stringify({ name: 'my-cli-ci', version: '1.0.0', private: true }));
  await run(NPM, ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel', 'error'], { cwd: appDir, env, maxBuffer: 16 * 1024 * 1024 });
  const installMs = Date.now() - t0 - packMs;
  const bin = join(appDir, 'node_modules', '.bin', 'device-flow-lab-idp');

  // Plain node, started from the installed folder: no tsx loader, and the repository's node_modules out of reach.
  const child = spawn(process.execPath, [bin, '--port', '0', '--quiet', '--interval', '1'], { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const issuer = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no issuer line within 10 s:\n${output}`)), 10_000);
      const check = () => {
        const m = /^issuer:\s+(http\S+)/m.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      child.stdout.on('data', check);
      void exited.then(() => reject(new Error(`exited before serving:\n${output}`)));
    });
    const metadata = await fetch(`${issuer}/.well-known/oauth-authorization-server`);
    expect(metadata.status).toBe(200);
    expect(await metadata.json()).toMatchObject({
      issuer,
      device_authorization_endpoint: `${issuer}/device_authorization`,
      token_endpoint: `${issuer}/token`,
      grant_types_supported: expect.arrayContaining(['urn:ietf:params:oauth:grant-type:device_code']),
    });
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  // The CLI's bin from the same tarball, plain node: its help, and bad input as one line with exit status 2.
  const cli = join(appDir, 'node_modules', '.bin', 'device-flow-lab');
  // Run as a shell would run it (its #! line finds node on PATH).
  const help = await run(cli, ['--help'], { cwd: appDir, env: { ...env, PATH: `${dirname(process.execPath)}${delimiter}${env.PATH ?? ''}` } });
  expect(help.stdout).toMatch(/^Usage: device-flow-lab <command>/);
  const refused = await run(process.execPath, [cli, 'login', '--issuer', 'http://idp.example.com', '--client-id', 'x'], { cwd: appDir, env }).catch((e: { code: number; stderr: string }) => e);
  expect(refused).toMatchObject({ code: 2, stderr: expect.stringMatching(/^device-flow-lab: --issuer: refusing http:\/\/idp\.example\.com: RFC 8628 §3\.1 requires TLS[^\n]*\n$/) });
  console.info(`pack ${packMs} ms, install ${installMs} ms, total ${Date.now() - t0} ms`);
}, 90_000);
