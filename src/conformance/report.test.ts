import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { LOCAL_CHECKLIST, SHARED_CHECKLIST, idsInTitle, loadChecklist, parseChecklist } from './checklist.ts';
import { NOT_APPLICABLE } from './notApplicable.ts';
import { buildReport } from './report.ts';

describe('conformance checklist and report', () => {
  test('the local copy of the checklist matches the shared spec when the shared folder is present', () => {
    if (!existsSync(SHARED_CHECKLIST)) return;
    expect(readFileSync(LOCAL_CHECKLIST, 'utf8')).toBe(readFileSync(SHARED_CHECKLIST, 'utf8'));
  });

  test('parses every row with its level and actor (189 rows, as the checklist counts them)', () => {
    const rows = loadChecklist(LOCAL_CHECKLIST);
    expect(rows).toHaveLength(189);
    const must = rows.filter((r) => r.level === 'MUST' || r.level === 'MUST NOT').length;
    expect(must).toBe(93);
    expect(rows.filter((r) => r.level === 'DEF')).toHaveLength(23);
    expect(rows.find((r) => r.id === 'RFC8628-6.1-confusable')?.level).toBe('SHOULD');
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
  });

  test('a malformed row is reported with its text', () => {
    expect(() => parseChecklist('| RFC1-x | 1 | MAYBE | S | r | t |')).toThrow(/RFC1-x has unknown level "MAYBE"/);
  });

  test('reads row IDs only from the head of a test title', () => {
    expect(idsInTitle('RFC8628-3.5-slowdown: gaps 10, 10, 15, 15')).toEqual(['RFC8628-3.5-slowdown']);
    expect(idsInTitle('RFC6749-5.2-unsupported_grant_type, RFC8628-3.4-grant_type: device_code → 400')).toEqual([
      'RFC6749-5.2-unsupported_grant_type', 'RFC8628-3.4-grant_type',
    ]);
    expect(idsInTitle('renders RFC8628-3.5-slowdown: in prose')).toEqual([]);
    expect(idsInTitle('no colon RFC8628-3.5-slowdown')).toEqual([]);
  });

  test('a row is tested, failing, not applicable or missing; unknown IDs and conflicts are reported', () => {
    const rows = parseChecklist([
      '| RFC1-a | 1 | MUST | S | a | t |',
      '| RFC1-b | 1 | DEF | S | b | t |',
      '| RFC1-c | 1 | MUST | S | c | t |',
      '| RFC1-d | 1 | SHOULD | S | d | t |',
    ].join('\n'));
    const { report, unknownIds, conflicts } = buildReport(rows, [
      { title: 'RFC1-a: works', file: 'x', passed: true },
      { title: 'RFC1-a: works too', file: 'x', passed: true },
      { title: 'RFC1-b: broken', file: 'x', passed: false },
      { title: 'RFC1-zz: typo', file: 'x', passed: true },
    ], { 'RFC1-c': 'not simulated', 'RFC1-a': 'conflict' });
    expect(report.map((r) => [r.id, r.status, r.passing])).toEqual([
      ['RFC1-a', 'tested', 2], ['RFC1-b', 'failing', 0], ['RFC1-c', 'not applicable', 0], ['RFC1-d', 'missing', 0],
    ]);
    expect(unknownIds).toEqual(['RFC1-zz']);
    expect(conflicts).toEqual(['RFC1-a']);
  });

  test('every not-applicable entry names a real row', () => {
    const ids = new Set(loadChecklist(LOCAL_CHECKLIST).map((r) => r.id));
    expect(Object.keys(NOT_APPLICABLE).filter((id) => !ids.has(id))).toEqual([]);
  });
});
