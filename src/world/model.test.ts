/**
 * Model-based test of the CLI machine: traverse it with `xstate/graph` (shortest paths to every state-and-edge,
 * simple paths inside the poll loop and logout), replay every path on a real world, and require 100% state and
 * transition coverage of the machine definition, measured on the real actors. See src/world/testing/model.ts.
 */
import { describe, expect, test } from 'vitest';
import {
  Coverage, VARIANTS, allStateNodes, allTransitions, checkCatalog, replayPath, traverse, type ModelPath, type Traversal,
} from './testing/model.ts';

const coverage = new Coverage();
const traversals = new Map<string, Traversal>();
const counts = { shortest: 0, simple: 0 };

/** Transitions no real world can take, each with the reason. Keep it tiny. */
const UNREACHABLE: Record<string, string> = {
  'cli.booting user.*#0 → (self)':
    'the model lets the store read settle before the person types (eventsFor); src/flow/run.test.ts proves a login sent during boot is refused with a message by the bare machine and queued by runCli',
};

async function replayAll(variantName: string, paths: ModelPath[]) {
  const variant = VARIANTS.find((v) => v.name === variantName)!;
  const failures: string[] = [];
  for (const path of paths) {
    try {
      await replayPath(variant, path, coverage);
    } catch (err) {
      failures.push(err instanceof Error ? err.message : String(err));
    }
  }
  return failures;
}

test('the outcome catalogue matches the invoked actors', () => {
  expect(checkCatalog()).toEqual([]);
});

for (const variant of VARIANTS) {
  describe(`variant: ${variant.name}`, () => {
    test('traversal', () => {
      const t = traverse(variant);
      traversals.set(variant.name, t);
      counts.shortest += t.shortest.length;
      counts.simple += t.simple.length;
      console.log(`[${variant.name}] ${t.vertices} vertices; ${t.shortest.length} shortest paths (deduplicated), ${t.simple.length} simple paths; ${t.crashes.size} crashing transitions; ${t.regionCounts.join('; ')}`);
      expect(t.shortest.length).toBeGreaterThan(0);
      // A transition that throws while the graph is walked (e.g. an invoke input reading missing context) is a bug.
      expect([...t.crashes].map(([where, err]) => `${where}: ${err}`)).toEqual([]);
    });
    test('every shortest path replays on a real world', async () => {
      const failures = await replayAll(variant.name, traversals.get(variant.name)!.shortest);
      expect(failures.length, failures.slice(0, 3).join('\n\n')).toBe(0);
    }, 120_000);
    test('every simple path replays on a real world', async () => {
      const failures = await replayAll(variant.name, traversals.get(variant.name)!.simple);
      expect(failures.length, failures.slice(0, 3).join('\n\n')).toBe(0);
    }, 120_000);
  });
}

test('state and transition coverage is 100%', () => {
  const states = allStateNodes().map((n) => n.id);
  const transitions = allTransitions().map((t) => t.key);
  const missedStates = states.filter((s) => !coverage.states.has(s));
  const missedTransitions = transitions.filter((t) => !coverage.transitions.has(t) && !(t in UNREACHABLE));
  const report = [
    `states reached: ${states.length - missedStates.length}/${states.length}`,
    `transitions reached: ${transitions.length - missedTransitions.length - Object.keys(UNREACHABLE).length}/${transitions.length}` +
      ` (+${Object.keys(UNREACHABLE).length} unreachable by design, listed with reasons)`,
    `paths replayed: ${counts.shortest} shortest, ${counts.simple} simple`,
    ...missedStates.map((s) => `  missed state ${s}`),
    ...missedTransitions.map((t) => `  missed transition ${t}`),
    ...Object.entries(UNREACHABLE).map(([t, why]) => `  unreachable ${t}: ${why}`),
  ].join('\n');
  console.log(report);
  expect(missedStates).toEqual([]);
  expect(missedTransitions).toEqual([]);
  // The exclusions must name real transitions, and must stay unreached (otherwise the reason is stale).
  for (const key of Object.keys(UNREACHABLE)) {
    expect(transitions, key).toContain(key);
    expect(coverage.transitions.has(key), key).toBe(false);
  }
});

