/**
 * The lab loader (build and test time, Node only). Discovers `labs/<NN-slug>/`, parses each `index.md`
 * (YAML frontmatter with `yaml`, the lesson with `marked`'s lexer into the safe AST), validates every field,
 * and fails with the file and the field named:
 *   labs/06-credentials-file/index.md: frontmatter.minutes must be a whole number between 1 and 120, got "ten"
 * All problems of all labs are reported at once (`LabValidationError.problems`). The Vite plugin
 * (vitePlugin.ts) calls this at build start and serves the result to the page as data.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { parseBlocks, parseInline, type MarkdownProblem } from './markdown.ts';
import {
  DEBRIEF_SECTIONS, FAILURE_MODE_IDS, GUIDANCE_IDS, LEVELS, REFERENCE_KINDS,
  type DebriefKey, type LabContent, type LabMeta, type LabReference, type LessonBlock, type LessonInline,
} from './types.ts';

/** `01-anatomy`: two digits, a dash, then lower-case words joined by dashes. */
export const LAB_FOLDER = /^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)$/;

export class LabValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`${problems.length} problem${problems.length === 1 ? '' : 's'} in labs/:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'LabValidationError';
  }
}

export interface DiscoveredLab {
  content: LabContent;
  /** Absolute path of scenario.ts. */
  scenarioPath: string;
}

/** Find and validate every lab under `labsDir`; throws `LabValidationError` naming every problem. */
export function loadLabs(labsDir: string, rootDir = join(labsDir, '..')): DiscoveredLab[] {
  const problems: string[] = [];
  const found: DiscoveredLab[] = [];
  if (!existsSync(labsDir)) return [];
  const seenOrder = new Map<number, string>();
  for (const name of readdirSync(labsDir).sort()) {
    const dir = join(labsDir, name);
    if (!statSync(dir).isDirectory()) continue;
    const rel = (file: string) => relative(rootDir, join(dir, file)).split('\\').join('/');
    const m = LAB_FOLDER.exec(name);
    if (!m) {
      problems.push(`${rel('')}: folder name must be NN-slug (two digits, a dash, lower-case words joined by dashes), got "${name}"`);
      continue;
    }
    const order = Number(m[1]);
    const clash = seenOrder.get(order);
    if (clash) problems.push(`${rel('')}: folder number ${m[1]} is already used by labs/${clash}`);
    seenOrder.set(order, name);
    const scenarioPath = join(dir, 'scenario.ts');
    if (!existsSync(scenarioPath)) problems.push(`${rel('scenario.ts')}: file is missing (every lab needs a scenario)`);
    const indexPath = join(dir, 'index.md');
    if (!existsSync(indexPath)) {
      problems.push(`${rel('index.md')}: file is missing (every lab needs its lesson)`);
      continue;
    }
    const before = problems.length;
    const content = parseLabContent(name, order, readFileSync(indexPath, 'utf8'), rel('index.md'), problems);
    if (content && problems.length === before) found.push({ content, scenarioPath });
  }
  if (problems.length) throw new LabValidationError(problems);
  return found;
}

/** Parse and validate one `index.md`; problems are pushed as `file: field message`. */
export function parseLabContent(id: string, order: number, source: string, file: string, problems: string[]): LabContent | undefined {
  const fm = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(source);
  if (!fm) {
    problems.push(`${file}: frontmatter is missing (the file must start with a --- block of YAML)`);
    return undefined;
  }
  let data: unknown;
  try {
    data = parseYaml(fm[1]!, { uniqueKeys: true, prettyErrors: false });
  } catch (err) {
    const msg = err instanceof YAMLParseError ? err.message.split('\n')[0] : String(err);
    problems.push(`${file}: frontmatter is not valid YAML: ${msg}`);
    return undefined;
  }
  const report = (field: string, message: string) => problems.push(`${file}: ${field} ${message}`);
  const meta = validateMeta(data, report);
  const hints = (meta?.hints ?? []).map((h, i) => inlineOf(h, `frontmatter.hints[${i}]`, report));
  const { lesson, debrief } = splitBody(fm[2]!, report);
  if (!meta || !debrief) return undefined;
  return { id, order, meta, hints, lesson, debrief };
}

// --- frontmatter ---

type Report = (field: string, message: string) => void;

const META_FIELDS = ['title', 'summary', 'level', 'minutes', 'tags', 'hints', 'references', 'guidance', 'failureModes'] as const;
const REFERENCE_FIELDS = ['kind', 'label', 'url'];

const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

function validateMeta(data: unknown, report: Report): LabMeta | undefined {
  if (!isRecord(data)) {
    report('frontmatter', `must be a YAML mapping, got ${show(data)}`);
    return undefined;
  }
  const f = (k: string) => `frontmatter.${k}`;
  let ok = true;
  const fail: Report = (field, message) => {
    ok = false;
    report(field, message);
  };
  for (const key of Object.keys(data)) {
    if (!(META_FIELDS as readonly string[]).includes(key)) fail(f(key), `is not a known field (known: ${META_FIELDS.join(', ')})`);
  }
  const text = (key: string, max: number) => {
    const v = data[key];
    if (typeof v !== 'string' || !v.trim() || v.length > max) fail(f(key), `must be text of 1 to ${max} characters, got ${show(v)}`);
  };
  text('title', 80);
  text('summary', 280);
  if (!LEVELS.includes(data.level as never)) fail(f('level'), `must be one of ${LEVELS.join(', ')}, got ${show(data.level)}`);
  const minutes = data.minutes;
  if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 1 || minutes > 120) {
    fail(f('minutes'), `must be a whole number between 1 and 120, got ${show(minutes)}`);
  }
  stringList(data.tags, f('tags'), { min: 1, pattern: /^[a-z0-9]+(?:-[a-z0-9]+)*$/, what: 'lower-case kebab-case tags' }, fail);
  if (stringList(data.hints, f('hints'), { min: 2, what: 'hints' }, fail)) {
    const hints = data.hints as string[];
    // Vague to specific: the first hint points at an idea, the last names the knob or command in `code`.
    if (/`[^`]+`/.test(hints[0]!)) fail(`${f('hints')}[0]`, 'must be the vaguest hint: it names no knob or command (no `code`); put specific hints later');
    if (!/`[^`]+`/.test(hints[hints.length - 1]!)) fail(`${f('hints')}[${hints.length - 1}]`, 'must be the most specific hint: it names the knob or command in `code`');
  }
  for (const [key, ids, label] of [['guidance', GUIDANCE_IDS, 'G1-G13'], ['failureModes', FAILURE_MODE_IDS, 'F1-F25']] as const) {
    if (stringList(data[key], f(key), { min: 1, what: `ids (${label})` }, fail)) {
      (data[key] as string[]).forEach((id, i) => {
        if (!ids.includes(id)) fail(`${f(key)}[${i}]`, `must be one of ${label}, got ${show(id)}`);
      });
    }
  }
  const refs = data.references;
  if (!Array.isArray(refs) || refs.length === 0) fail(f('references'), `must be a list of at least 1 reference, got ${show(refs)}`);
  else {
    refs.forEach((r: unknown, i) => {
      const at = `${f('references')}[${i}]`;
      if (!isRecord(r)) return fail(at, `must be a mapping with kind, label and optional url, got ${show(r)}`);
      for (const key of Object.keys(r)) if (!REFERENCE_FIELDS.includes(key)) fail(`${at}.${key}`, `is not a known field (known: ${REFERENCE_FIELDS.join(', ')})`);
      if (!REFERENCE_KINDS.includes(r.kind as never)) fail(`${at}.kind`, `must be one of ${REFERENCE_KINDS.join(', ')}, got ${show(r.kind)}`);
      if (typeof r.label !== 'string' || !r.label.trim() || r.label.length > 160) fail(`${at}.label`, `must be text of 1 to 160 characters, got ${show(r.label)}`);
      if (r.url !== undefined && (typeof r.url !== 'string' || !/^https:\/\/[^\s]+$/.test(r.url))) fail(`${at}.url`, `must be an https URL, got ${show(r.url)}`);
    });
    const kinds = new Set(refs.filter(isRecord).map((r) => r.kind));
    if (!kinds.has('rfc')) fail(f('references'), 'must include at least one reference of kind rfc (the debrief cites the RFC section)');
    if (!kinds.has('incident')) fail(f('references'), 'must include at least one reference of kind incident (the debrief cites a real case)');
  }
  if (!ok) return undefined;
  return {
    title: data.title as string, summary: data.summary as string, level: data.level as LabMeta['level'], minutes: minutes as number,
    tags: data.tags as string[], hints: data.hints as string[], references: (refs as Array<Record<string, unknown>>).map((r): LabReference => ({
      kind: r.kind as LabReference['kind'], label: r.label as string, ...(typeof r.url === 'string' ? { url: r.url } : {}),
    })),
    guidance: data.guidance as string[], failureModes: data.failureModes as string[],
  };
}

function stringList(value: unknown, field: string, opts: { min: number; pattern?: RegExp; what: string }, fail: Report): boolean {
  if (!Array.isArray(value) || value.length < opts.min) {
    fail(field, `must be a list of at least ${opts.min} ${opts.what}, got ${show(value)}`);
    return false;
  }
  let ok = true;
  const seen = new Set<string>();
  value.forEach((v: unknown, i) => {
    if (typeof v !== 'string' || !v.trim() || (opts.pattern && !opts.pattern.test(v))) {
      ok = false;
      fail(`${field}[${i}]`, `must be ${opts.pattern ? `one of the ${opts.what}` : 'non-empty text'}, got ${show(v)}`);
    } else if (seen.has(v)) {
      ok = false;
      fail(`${field}[${i}]`, `repeats ${show(v)}; every entry must be unique`);
    } else seen.add(v);
  });
  return ok;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// --- body ---

function inlineOf(markdown: string, field: string, report: Report): LessonInline[] {
  const problems: MarkdownProblem[] = [];
  const out = parseInline(markdown, problems);
  for (const p of problems) report(field, p.message);
  return out;
}

function splitBody(body: string, report: Report): { lesson: LessonBlock[]; debrief: Record<DebriefKey, LessonBlock[]> | undefined } {
  const problems: MarkdownProblem[] = [];
  const parts = body.split(/^## Debrief[ \t]*$/m);
  const lesson = parseBlocks(parts[0] ?? '', problems);
  for (const p of problems.splice(0)) report('lesson', p.message);
  if (!lesson.some((b) => b.type === 'paragraph')) report('lesson', 'must have at least one paragraph before ## Debrief');
  if (parts.length !== 2) {
    report('debrief', parts.length < 2 ? 'is missing: end the lesson with a "## Debrief" heading and its five ### parts' : 'must appear once ("## Debrief" is repeated)');
    return { lesson, debrief: undefined };
  }
  const chunks = parts[1]!.split(/^### (.+)$/m);
  if (chunks[0]!.trim()) report('debrief', 'must start with its first ### heading (no text between ## Debrief and ### What happened)');
  const found: Array<[string, string]> = [];
  for (let i = 1; i < chunks.length; i += 2) found.push([chunks[i]!.trim(), chunks[i + 1] ?? '']);
  const expected = DEBRIEF_SECTIONS.map((s) => s.heading);
  const names = found.map(([h]) => h);
  if (names.join('|') !== expected.join('|')) {
    report('debrief', `must have exactly these ### parts in this order: ${expected.map((e) => `"${e}"`).join(', ')}; got ${names.length ? names.map((n) => `"${n}"`).join(', ') : 'none'}`);
    return { lesson, debrief: undefined };
  }
  const debrief = {} as Record<DebriefKey, LessonBlock[]>;
  DEBRIEF_SECTIONS.forEach((s, i) => {
    const blocks = parseBlocks(found[i]![1], problems);
    for (const p of problems.splice(0)) report(`debrief."${s.heading}"`, p.message);
    if (!blocks.length) report(`debrief."${s.heading}"`, 'is empty');
    debrief[s.key] = blocks;
  });
  return { lesson, debrief };
}
