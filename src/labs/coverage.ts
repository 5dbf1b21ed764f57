/**
 * `npm run coverage:labs`: which guidance items (G1-G13) and failure modes (F1-F25) the labs teach, from their
 * frontmatter. Prints one row per lab and one column per id, then per-id totals and what no lab covers yet.
 * Exit status 1 when a lab is malformed (the loader names the file and the field).
 */
import { join } from 'node:path';
import { LabValidationError, loadLabs } from './loader.ts';
import { FAILURE_MODE_IDS, GUIDANCE_IDS, type LabContent } from './types.ts';

export interface LabCoverage {
  ids: readonly string[];
  /** Labs that teach each id. */
  byId: Map<string, string[]>;
  covered: string[];
  missing: string[];
}

export function coverageOf(labs: readonly LabContent[], ids: readonly string[], pick: (l: LabContent) => string[]): LabCoverage {
  const byId = new Map(ids.map((id) => [id, labs.filter((l) => pick(l).includes(id)).map((l) => l.id)] as const));
  return { ids, byId, covered: ids.filter((id) => byId.get(id)!.length > 0), missing: ids.filter((id) => byId.get(id)!.length === 0) };
}

/** The matrix as text lines: labs by ids, with ● where a lab teaches an id. */
export function matrix(labs: readonly LabContent[], title: string, c: LabCoverage, pick: (l: LabContent) => string[]): string[] {
  const nameWidth = Math.max(5, ...labs.map((l) => l.id.length));
  const cell = (s: string) => s.padStart(4);
  const lines = [`${title}`, `${'lab'.padEnd(nameWidth)} ${c.ids.map(cell).join('')}`];
  for (const l of labs) lines.push(`${l.id.padEnd(nameWidth)} ${c.ids.map((id) => cell(pick(l).includes(id) ? '●' : '·')).join('')}`);
  lines.push(`${'total'.padEnd(nameWidth)} ${c.ids.map((id) => cell(String(c.byId.get(id)!.length))).join('')}`);
  lines.push(`covered ${c.covered.length}/${c.ids.length}${c.missing.length ? `; missing: ${c.missing.join(', ')}` : ''}`);
  return lines;
}

function main(): void {
  let labs: LabContent[];
  try {
    labs = loadLabs(join(process.cwd(), 'labs'), process.cwd()).map((l) => l.content);
  } catch (err) {
    if (err instanceof LabValidationError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const g = (l: LabContent) => l.meta.guidance;
  const f = (l: LabContent) => l.meta.failureModes;
  const gc = coverageOf(labs, GUIDANCE_IDS, g);
  const fc = coverageOf(labs, FAILURE_MODE_IDS, f);
  console.log(`Lab coverage of design/failure-modes.md (${labs.length} labs)\n`);
  console.log(matrix(labs, 'Guidance', gc, g).join('\n'));
  console.log('');
  console.log(matrix(labs, 'Failure modes', fc, f).join('\n'));
  console.log(`\nguidance: ${gc.covered.length}/${gc.ids.length} covered; failure modes: ${fc.covered.length}/${fc.ids.length} covered`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
