/**
 * `npm run conformance`: runs the unit, property and interop tests, reads which checklist rows their names
 * claim, and prints a table of every row: tested (with the number of passing tests), failing, not applicable
 * (with the reason), or missing. Totals per level and per actor; the last line is
 * `required rows: <covered>/<total>` over the MUST, MUST NOT and DEF rows (covered = tested or justified).
 * Exit status 1 when any test that names a row fails, or a test names a row the checklist does not have.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REQUIRED_LEVELS, checklistPath, idsInTitle, loadChecklist, type ChecklistRow } from './checklist.ts';
import { NOT_APPLICABLE } from './notApplicable.ts';

interface TestOutcome {
  title: string;
  file: string;
  passed: boolean;
}

interface VitestJson {
  testResults: Array<{ name: string; assertionResults: Array<{ title: string; status: string }> }>;
}

function runVitest(): TestOutcome[] {
  const dir = mkdtempSync(join(tmpdir(), 'dfl-conformance-'));
  const out = join(dir, 'vitest.json');
  try {
    const r = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--reporter=json', `--outputFile=${out}`], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    let json: VitestJson;
    try {
      json = JSON.parse(readFileSync(out, 'utf8')) as VitestJson;
    } catch {
      throw new Error(`vitest produced no JSON report (exit ${r.status})`);
    }
    return json.testResults.flatMap((f) =>
      f.assertionResults.filter((a) => a.status === 'passed' || a.status === 'failed').map((a) => ({ title: a.title, file: f.name, passed: a.status === 'passed' })),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type RowStatus = 'tested' | 'failing' | 'not applicable' | 'missing';

export interface RowReport extends ChecklistRow {
  status: RowStatus;
  passing: number;
  failing: number;
  reason?: string;
}

export function buildReport(rows: ChecklistRow[], outcomes: TestOutcome[], notApplicable: Readonly<Record<string, string>>) {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const counts = new Map<string, { passing: number; failing: number }>();
  const unknownIds = new Set<string>();
  for (const o of outcomes) {
    for (const id of idsInTitle(o.title)) {
      if (!byId.has(id)) {
        unknownIds.add(id);
        continue;
      }
      const c = counts.get(id) ?? { passing: 0, failing: 0 };
      if (o.passed) c.passing++;
      else c.failing++;
      counts.set(id, c);
    }
  }
  const conflicts = Object.keys(notApplicable).filter((id) => counts.has(id) || !byId.has(id));
  const report: RowReport[] = rows.map((r) => {
    const c = counts.get(r.id) ?? { passing: 0, failing: 0 };
    const reason = notApplicable[r.id];
    const status: RowStatus = c.failing > 0 ? 'failing' : c.passing > 0 ? 'tested' : reason ? 'not applicable' : 'missing';
    return { ...r, status, ...c, ...(reason && status === 'not applicable' ? { reason } : {}) };
  });
  return { report, unknownIds: [...unknownIds], conflicts };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function main(): number {
  const path = checklistPath();
  const rows = loadChecklist(path);
  const outcomes = runVitest();
  const { report, unknownIds, conflicts } = buildReport(rows, outcomes, NOT_APPLICABLE);
  const lines: string[] = [];
  lines.push(`Conformance report (checklist: ${path}; ${outcomes.length} tests run)`);
  lines.push('');
  lines.push(`${pad('ID', 44)} ${pad('Level', 10)} ${pad('Actor', 6)} Status`);
  for (const r of report) {
    const detail = r.status === 'tested' ? `tested (${r.passing})` : r.status === 'failing' ? `FAILING (${r.failing} failing, ${r.passing} passing)` : r.status;
    lines.push(`${pad(r.id, 44)} ${pad(r.level, 10)} ${pad(r.actor, 6)} ${detail}`);
  }
  const na = report.filter((r) => r.status === 'not applicable');
  lines.push('', 'Not applicable (no test; why):');
  for (const r of na) lines.push(`  ${r.id}: ${r.reason}`);

  lines.push('', 'Totals by level:');
  const levels = [...new Set(report.map((r) => r.level))];
  for (const level of levels) {
    const of = report.filter((r) => r.level === level);
    const n = (s: RowStatus) => of.filter((r) => r.status === s).length;
    lines.push(`  ${pad(level, 10)} ${of.length} rows: ${n('tested')} tested, ${n('not applicable')} not applicable, ${n('missing')} missing, ${n('failing')} failing`);
  }
  lines.push('', 'Required rows (MUST, MUST NOT, DEF) by actor:');
  const required = report.filter((r) => REQUIRED_LEVELS.includes(r.level));
  for (const actor of [...new Set(required.map((r) => r.actor))].sort()) {
    const of = required.filter((r) => r.actor === actor);
    const covered = of.filter((r) => r.status === 'tested' || r.status === 'not applicable').length;
    const missing = of.filter((r) => r.status === 'missing').map((r) => r.id);
    lines.push(`  ${pad(actor, 6)} ${covered}/${of.length}${missing.length ? `  missing: ${missing.join(', ')}` : ''}`);
  }
  if (unknownIds.length) lines.push('', `Tests name rows the checklist does not have: ${unknownIds.join(', ')}`);
  if (conflicts.length) lines.push('', `Not-applicable entries that are tested or unknown: ${conflicts.join(', ')}`);
  const tested = required.filter((r) => r.status === 'tested').length;
  const justified = required.filter((r) => r.status === 'not applicable').length;
  lines.push('', `required rows tested: ${tested}, not applicable: ${justified}, missing: ${required.length - tested - justified}`);
  lines.push(`required rows: ${tested + justified}/${required.length}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  const failing = report.some((r) => r.status === 'failing') || unknownIds.length > 0 || conflicts.length > 0;
  return failing ? 1 : 0;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  process.exitCode = main();
}
