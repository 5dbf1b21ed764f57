/**
 * The build leaves the labs' near misses (test data) out of the page: the scenario's list becomes `[]` and
 * nothing else in the source changes; a source without one is left alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSync } from 'vite';
import { describe, expect, it } from 'vitest';
import { stripNearMisses } from './nearMissesPlugin.ts';

const SCENARIO = `import { defineLab } from '../../src/labs/types.ts';
const step = { do: 'type', line: 'acme login' } as const;
export default defineLab({
  setup: { world: {} },
  objectives: [{ id: 'a', text: 'Log in — “quoted”', holds: () => true }],
  solution: [step],
  nearMisses: [{ name: 'a tempting wrong fix, with [brackets] and {braces}', objective: 'a', steps: [step] }],
});
`;

describe('near misses out of the bundle', () => {
  it('replaces the near misses with an empty list and keeps the rest of the scenario as it was', () => {
    const out = stripNearMisses(SCENARIO)!;
    expect(out).not.toContain('a tempting wrong fix');
    expect(out).toContain('  nearMisses: [],\n});');
    expect(out.replace('nearMisses: [],', '')).toBe(SCENARIO.replace(/nearMisses: \[.*\],/, ''));
    expect(parseSync('scenario.ts', out, { lang: 'ts', sourceType: 'module' }).errors).toEqual([]);
  });

  it('leaves a source without defineLab or without near misses alone', () => {
    expect(stripNearMisses(`export const nearMisses = [1, 2];\n`)).toBeUndefined();
    expect(stripNearMisses(SCENARIO.replace(/ {2}nearMisses: .*\n/, ''))).toBeUndefined();
  });

  it('strips every lab in labs/ cleanly, lab 19 with non-ASCII text before its list', () => {
    const root = join(import.meta.dirname, '..', '..', 'labs');
    const ids = readdirSync(root).filter((d) => /^\d{2}-/.test(d));
    expect(ids.length).toBeGreaterThan(20);
    for (const id of ids) {
      const source = readFileSync(join(root, id, 'scenario.ts'), 'utf8');
      if (id === '19-session-spying') expect(/[^\x00-\x7f]/.test(source.slice(0, source.indexOf('nearMisses')))).toBe(true);
      const out = stripNearMisses(source, `${id}/scenario.ts`);
      expect(out, id).toContain('nearMisses: []');
      const at = out!.indexOf('nearMisses: []');
      expect(out!.slice(0, at), `${id}: the source before the list is unchanged`).toBe(source.slice(0, at));
      expect(out!.length, id).toBeLessThan(source.length);
      expect(parseSync('scenario.ts', out!, { lang: 'ts', sourceType: 'module' }).errors, id).toEqual([]);
    }
  });
});
