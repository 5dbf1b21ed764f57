/**
 * The conformance checklist: rows parsed from the shared spec (`../shared/spec/conformance.md` when present,
 * otherwise the copy kept in this folder, so a checkout without the shared folder still works).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SHARED_CHECKLIST = fileURLToPath(new URL('../../../shared/spec/conformance.md', import.meta.url));
export const LOCAL_CHECKLIST = fileURLToPath(new URL('./checklist.md', import.meta.url));

export type Level = 'MUST' | 'MUST NOT' | 'SHOULD' | 'SHOULD NOT' | 'MAY' | 'DEF' | 'INFO';

export interface ChecklistRow {
  id: string;
  section: string;
  level: Level;
  actor: string;
  requirement: string;
}

/** MUST, MUST NOT and DEF rows: the ones `required rows:` counts. */
export const REQUIRED_LEVELS: readonly Level[] = ['MUST', 'MUST NOT', 'DEF'];

export function checklistPath(): string {
  return existsSync(SHARED_CHECKLIST) ? SHARED_CHECKLIST : LOCAL_CHECKLIST;
}

export function parseChecklist(markdown: string): ChecklistRow[] {
  const rows: ChecklistRow[] = [];
  for (const line of markdown.split('\n')) {
    if (!/^\| RFC\d+-/.test(line)) continue;
    const cells = line.split('|').map((c) => c.trim());
    // cells: '', ID, §, Level, Actor, Requirement, Test, ''
    const [, id, section, rawLevel, actor, requirement] = cells;
    if (!id || !rawLevel || !actor) throw new Error(`checklist: malformed row: ${line.slice(0, 80)}`);
    const level = rawLevel.replace(/\s*\(§6\)/, '') as Level;
    if (!['MUST', 'MUST NOT', 'SHOULD', 'SHOULD NOT', 'MAY', 'DEF', 'INFO'].includes(level)) {
      throw new Error(`checklist: row ${id} has unknown level "${rawLevel}"`);
    }
    rows.push({ id, section: section ?? '', level, actor, requirement: requirement ?? '' });
  }
  return rows;
}

export function loadChecklist(path = checklistPath()): ChecklistRow[] {
  return parseChecklist(readFileSync(path, 'utf8'));
}

/** Row IDs named at the start of a test title: `RFC8628-3.5-slowdown: ...` or `RFC6749-5.2-x, RFC8628-3.4-y: ...`. */
export function idsInTitle(title: string): string[] {
  const colon = title.indexOf(':');
  if (colon < 0) return [];
  const head = title.slice(0, colon);
  if (!/^\s*RFC\d+-/.test(head)) return [];
  return head.split(/\s*(?:,|\+|&)\s*/).map((s) => s.trim()).filter((s) => /^RFC\d+-\S+$/.test(s));
}
