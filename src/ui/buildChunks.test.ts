import { describe, expect, test } from 'vitest';
import { appChunkGroups, type ChunkRoots } from './buildChunks.ts';

/** A module graph as Rolldown's chunking context shows it: each module's static imports. */
function contextOf(graph: Record<string, string[]>) {
  const infos = new Map(Object.entries(graph).map(([id, importedIds]) => [id, { importedIds }]));
  return { getModuleInfo: (id: string) => infos.get(id) ?? null };
}

// main → App → svelte; the lab view and home share `text`; the labs (as the instructor imports them) reach
// `core`; the lab view and the engine share `knobs`; the lab view reaches XState through @xstate/svelte.
const GRAPH: Record<string, string[]> = {
  main: ['App', 'svelte'],
  App: ['svelte'],
  svelte: [],
  LabPage: ['svelte', 'LabView', 'text'],
  LabView: ['knobs', 'core', '/node_modules/@xstate/svelte/x.js', 'labOnly'],
  '/node_modules/@xstate/svelte/x.js': ['/node_modules/xstate/x.js'],
  '/node_modules/xstate/x.js': [],
  HomePage: ['text'],
  text: [],
  '\0virtual:labs': ['\0virtual:labs/lab/01', '\0virtual:labs/lab/02'],
  '\0virtual:labs/lab/01': ['/labs/01-a/scenario.ts'],
  '\0virtual:labs/lab/02': ['/labs/02-b/scenario.ts'],
  '/labs/01-a/scenario.ts': ['core'],
  '/labs/02-b/scenario.ts': ['core', 'registry'],
  core: [],
  labOnly: [],
  knobs: [],
  registry: [],
  world: ['knobs', 'core', 'registry', '/node_modules/xstate/x.js', 'engineOnly'],
  engineOnly: [],
};

const SPEC: ChunkRoots = {
  shell: 'main',
  roots: { lab: 'LabPage', home: 'HomePage', labs: '\0virtual:labs', engine: 'world' },
  chunks: [['home', ['home']], ['core', ['labs']], ['shared', ['lab', 'engine'], 'every'], ['views', ['lab']], ['engine', ['engine']]],
  engine: 'engine',
  engineOnly: /\/node_modules\/xstate\//,
  apart: /^\0virtual:labs(?:$|\/lab\/)|\/labs\/\d{2}-[a-z]+\/scenario\.ts$/,
};

function chunkOf(spec: ChunkRoots = SPEC): (id: string) => string | null {
  const [group] = appChunkGroups(spec);
  const ctx = contextOf(GRAPH);
  return (id) => group!.name(id, ctx);
}

describe('the build groups modules by loading moment', () => {
  const chunk = chunkOf();

  test('the shell stays in the entry: nothing it imports is claimed', () => {
    for (const id of ['main', 'App', 'svelte']) expect(chunk(id), id).toBeNull();
  });

  test('a module goes to the first chunk whose roots reach it', () => {
    expect(chunk('text')).toBe('home'); // the lab view reaches it too, but home claims first
    expect(chunk('core')).toBe('core'); // reached by the labs, the lab view and the engine
    expect(chunk('registry')).toBe('core'); // reached by a lab's scenario and the engine: not the engine's chunk
    expect(chunk('LabView')).toBe('views');
    expect(chunk('labOnly')).toBe('views');
    expect(chunk('engineOnly')).toBe('engine');
  });

  test("an `every` chunk takes only what all its roots reach: the lab view and the engine don't import each other's chunk", () => {
    expect(chunk('knobs')).toBe('shared');
    expect(chunk('world')).toBe('engine');
  });

  test("the engine's libraries stay the engine's even where a view's import graph reaches them", () => {
    expect(chunk('/node_modules/xstate/x.js')).toBe('engine');
    expect(chunk('/node_modules/@xstate/svelte/x.js')).toBe('views');
    // Without the rule, the lab view's chunk would take XState.
    expect(chunkOf({ ...SPEC, engineOnly: /^$/ })('/node_modules/xstate/x.js')).toBe('shared');
  });

  test('lab content keeps its own chunks, and the labs aggregate is not pulled into a shared chunk', () => {
    for (const id of ['\0virtual:labs', '\0virtual:labs/lab/01', '/labs/01-a/scenario.ts', '/labs/02-b/scenario.ts']) {
      expect(chunk(id), id).toBeNull();
    }
  });

  test('a module no root reaches keeps the bundler split', () => {
    expect(chunk('somewhere-else')).toBeNull();
  });

  test('a chunk naming an unknown root is a configuration error', () => {
    expect(() => appChunkGroups({ ...SPEC, chunks: [['x', ['nope']]] })).toThrow(/"nope" is not one of the roots/);
  });
});
