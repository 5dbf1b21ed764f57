/**
 * The classic-script chunks of embed.html (src/embed/classicChunks.ts): how a CommonJS chunk is wrapped, what
 * fails the build, and the loader running the wrapped files in a page whose `<script>` elements are simulated
 * (each appended script "downloads" when the test says so, or fails). The built embed runs in Chromium in
 * e2e/embed.spec.ts (sandboxed, from a deep base path, offline once loaded).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LOADER_GLOBAL, entryScript, wrapChunk, type ClassicManifest } from './classicChunks.ts';

describe('wrapChunk', () => {
  it('registers the chunk and turns the CommonJS form of a dynamic import into the loader\'s load()', () => {
    const code = 'const a=require("./a.js");exports.go=()=>Promise.resolve().then(()=>require("./b.js")).then(b=>b.x+a.y);';
    const wrapped = wrapChunk({ fileName: 'embed/main.js', code, imports: ['embed/a.js'] });
    expect(wrapped.startsWith(`${LOADER_GLOBAL}.define("embed/main.js",function(require,module,exports,load){"use strict";`)).toBe(true);
    expect(wrapped).toContain('require("./a.js")');
    expect(wrapped).toContain('load("./b.js")');
    expect(wrapped).not.toContain('require("./b.js")');
  });

  it('also finds the block-bodied form', () => {
    const code = 'exports.go=function(){return Promise.resolve().then(function(){return require("../x/c.js")})};';
    expect(wrapChunk({ fileName: 'embed/main.js', code, imports: [] })).toContain('load("../x/c.js")');
  });

  it('fails on a require the chunk does not import statically (it would throw when run)', () => {
    expect(() => wrapChunk({ fileName: 'embed/main.js', code: 'const a=require("./a.js");', imports: ['embed/other.js'] }))
      .toThrow('embed/main.js: require("./a.js"), not a file it imports');
  });

  it('fails on a dynamic import() left in the code, on import.meta, and on a require of a computed name', () => {
    expect(() => wrapChunk({ fileName: 'embed.js', code: 'exports.f=()=>import("./a.js");', imports: [] })).toThrow(/dynamic import\(\)/);
    expect(() => wrapChunk({ fileName: 'embed.js', code: 'exports.u=import.meta.url;', imports: [] })).toThrow(/import\.meta/);
    expect(() => wrapChunk({ fileName: 'embed.js', code: 'exports.f=(n)=>require(n);', imports: [] })).toThrow(/something other than a file name/);
  });
});

/** A page whose scripts load when `flush` says so; `missing` files fail as a network error would. */
function fakePage(src: string, files: Record<string, string>) {
  const requested: string[] = [];
  const queue: Array<() => void> = [];
  const missing = new Set<string>();
  const root = new URL('.', src).href;
  const doc = {
    currentScript: { src },
    baseURI: src,
    head: {
      append(script: { src: string; onload: () => void; onerror: () => void }) {
        requested.push(script.src);
        const name = script.src.startsWith(root) ? script.src.slice(root.length) : script.src;
        queue.push(() => {
          if (missing.has(name) || !(name in files)) return script.onerror();
          new Function(files[name]!)();
          script.onload();
        });
      },
    },
    createElement: () => ({ src: '', onload: () => undefined, onerror: () => undefined, remove: () => undefined }),
  };
  vi.stubGlobal('document', doc);
  const flush = async () => {
    for (let i = 0; i < 20; i++) {
      while (queue.length) queue.shift()!();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  };
  return { requested, missing, flush };
}

describe('the loader', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    delete (globalThis as Record<string, unknown>)[LOADER_GLOBAL];
  });

  // embed.js requires embed/a.js; it loads embed/b.js lazily, which requires a (shared) and c; c and b require
  // each other (a cycle, as CommonJS allows).
  const manifest: ClassicManifest = {
    entry: 'embed.js',
    imports: { 'embed.js': ['embed/a.js'], 'embed/b.js': ['embed/a.js', 'embed/c.js'], 'embed/c.js': ['embed/b.js'] },
  };
  const chunk = (fileName: string, code: string) => wrapChunk({ fileName, code, imports: manifest.imports[fileName] ?? [] });
  const files = {
    'embed/a.js': chunk('embed/a.js', 'exports.runs=(globalThis.aRuns=(globalThis.aRuns??0)+1);exports.name="a";'),
    'embed/b.js': chunk('embed/b.js', 'const a=require("./a.js");const c=require("./c.js");exports.value=a.name+"+"+c.name();'),
    'embed/c.js': chunk('embed/c.js', 'const b=require("./b.js");exports.name=()=>"c";exports.later=()=>b.value;'),
  };
  const entry = entryScript({
    fileName: 'embed.js',
    imports: ['embed/a.js'],
    code: 'const a=require("./embed/a.js");globalThis.entryRan=a.name;globalThis.openB=()=>Promise.resolve().then(()=>require("./embed/b.js"));',
  }, manifest);

  const run = (src: string) => {
    for (const key of ['aRuns', 'entryRan', 'openB']) delete (globalThis as Record<string, unknown>)[key];
    const page = fakePage(src, files);
    new Function('self', entry)(globalThis);
    return page;
  };
  const g = globalThis as unknown as { entryRan?: string; aRuns?: number; openB: () => Promise<{ value: string }> };

  it('loads what the entry requires from the entry\'s own folder (a deep base path), then runs it', async () => {
    const page = run('https://docs.example.com/deep/base/embed.js');
    expect(g.entryRan).toBeUndefined(); // not before its files are there
    await page.flush();
    expect(page.requested).toEqual(['https://docs.example.com/deep/base/embed/a.js']);
    expect(g.entryRan).toBe('a');
  });

  it('a lazy file loads with its requirements at once, each file once, shared modules run once, cycles resolve', async () => {
    const page = run('https://docs.example.com/embed.js');
    await page.flush();
    const opened = g.openB();
    await Promise.resolve();
    await new Promise((resolve) => setTimeout(resolve, 0));
    // b and c were both requested before either arrived; a is there already and is not fetched again.
    expect(page.requested).toEqual(['https://docs.example.com/embed/a.js', 'https://docs.example.com/embed/b.js', 'https://docs.example.com/embed/c.js']);
    await page.flush();
    const b = await opened;
    expect(b.value).toBe('a+c');
    expect(g.aRuns).toBe(1);
    expect(await g.openB()).toBe(b); // the same module, not run again
    expect(page.requested).toHaveLength(3);
  });

  it('a file that cannot load rejects with a readable message naming it, and a later attempt tries again', async () => {
    const page = run('https://docs.example.com/embed.js');
    await page.flush();
    page.missing.add('embed/c.js');
    const first = g.openB().then(() => 'loaded', (error: unknown) => error);
    await page.flush();
    expect(String(await first)).toBe('Error: Device Flow Lab could not load embed/c.js (offline, or the file is missing beside embed.js)');
    page.missing.clear();
    const second = g.openB();
    await page.flush();
    expect((await second).value).toBe('a+c');
    expect(page.requested.filter((u) => u.endsWith('/embed/c.js'))).toHaveLength(2);
    expect(page.requested.filter((u) => u.endsWith('/embed/b.js'))).toHaveLength(1);
  });
});
