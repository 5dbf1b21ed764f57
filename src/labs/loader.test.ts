/** The lab loader: malformed labs fail with the file and the field named; lesson Markdown stays inert. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { LabValidationError, loadLabs } from './loader.ts';
import { isSafeHref, parseBlocks, parseInline } from './markdown.ts';
import { notYet } from './types.ts';
import { validateScenario } from './validateScenario.ts';

const GOOD = readFileSync(join(import.meta.dirname, '../../labs/01-anatomy/index.md'), 'utf8');
const dirs: string[] = [];

/** A temporary project with one lab folder; returns the problems the loader reports (or [] when it loads). */
function problemsFor(files: Record<string, string>, folder = '01-fixture'): string[] {
  const root = mkdtempSync(join(tmpdir(), 'dfl-labs-'));
  dirs.push(root);
  mkdirSync(join(root, 'labs', folder), { recursive: true });
  for (const [name, text] of Object.entries({ 'scenario.ts': 'export default {};', ...files })) writeFileSync(join(root, 'labs', folder, name), text);
  try {
    loadLabs(join(root, 'labs'), root);
    return [];
  } catch (err) {
    if (err instanceof LabValidationError) return err.problems;
    throw err;
  }
}
const withFrontmatter = (edit: (fm: string) => string) => GOOD.replace(/^---\n([\s\S]*?)\n---/, (_, fm: string) => `---\n${edit(fm)}\n---`);

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the loader names the file and the field', () => {
  test('a good lab loads', () => {
    expect(problemsFor({ 'index.md': GOOD })).toEqual([]);
  });

  test('minutes that are not a whole number', () => {
    expect(problemsFor({ 'index.md': withFrontmatter((fm) => fm.replace(/^minutes: .*$/m, 'minutes: ten')) })).toEqual([
      'labs/01-fixture/index.md: frontmatter.minutes must be a whole number between 1 and 120, got "ten"',
    ]);
  });

  test('an unknown field', () => {
    expect(problemsFor({ 'index.md': withFrontmatter((fm) => `${fm}\ndifficulty: 3`) })).toEqual([
      expect.stringMatching(/^labs\/01-fixture\/index\.md: frontmatter\.difficulty is not a known field/),
    ]);
  });

  test('guidance and failure-mode ids out of range', () => {
    const problems = problemsFor({ 'index.md': withFrontmatter((fm) => fm.replace(/^guidance: .*$/m, 'guidance: [G4, G14]').replace(/^failureModes: .*$/m, 'failureModes: [F0]')) });
    expect(problems).toEqual([
      'labs/01-fixture/index.md: frontmatter.guidance[1] must be one of G1-G13, got "G14"',
      'labs/01-fixture/index.md: frontmatter.failureModes[0] must be one of F1-F25, got "F0"',
    ]);
  });

  test('hints must run from vague to specific, at least two, no repeats', () => {
    const reversed = withFrontmatter((fm) => fm.replace(/hints:\n((?:  - .*\n)+)/, (_, list: string) => `hints:\n${list.trimEnd().split('\n').reverse().join('\n')}\n`));
    expect(problemsFor({ 'index.md': reversed })).toEqual([
      expect.stringMatching(/frontmatter\.hints\[0\] must be the vaguest hint/),
      expect.stringMatching(/frontmatter\.hints\[2\] must be the most specific hint/),
    ]);
    expect(problemsFor({ 'index.md': withFrontmatter((fm) => fm.replace(/hints:\n(?:  - .*\n)+/, 'hints: [Look closer.]\n')) })).toEqual([
      expect.stringMatching(/frontmatter\.hints must be a list of at least 2 hints/),
    ]);
  });

  test('references need a kind, an https URL, and both an RFC and an incident', () => {
    const problems = problemsFor({ 'index.md': withFrontmatter((fm) => fm.replace(/references:\n(?:  .*\n)+/, 'references:\n  - kind: rfc\n    label: RFC 8628\n    url: http://example.com\n')) });
    expect(problems).toEqual([
      'labs/01-fixture/index.md: frontmatter.references[0].url must be an https URL, got "http://example.com"',
      expect.stringMatching(/frontmatter\.references must include at least one reference of kind incident/),
    ]);
  });

  test('the folder name must be NN-slug, and index.md must have a debrief with its five parts', () => {
    expect(problemsFor({ 'index.md': GOOD }, 'Anatomy')).toEqual([expect.stringMatching(/^labs\/Anatomy: folder name must be NN-slug/)]);
    expect(problemsFor({ 'index.md': GOOD.replace('### The fix', '### Fix') })).toEqual([
      expect.stringMatching(/^labs\/01-fixture\/index\.md: debrief must have exactly these ### parts in this order/),
    ]);
    expect(problemsFor({ 'index.md': GOOD.split('## Debrief')[0]! })).toEqual([expect.stringMatching(/index\.md: debrief is missing/)]);
  });

  test('missing files and broken YAML', () => {
    expect(problemsFor({})).toEqual(['labs/01-fixture/index.md: file is missing (every lab needs its lesson)']);
    expect(problemsFor({ 'index.md': '---\ntitle: [unclosed\n---\ntext' })).toEqual([expect.stringMatching(/index\.md: frontmatter is not valid YAML/)]);
  });

  test('an unsafe link in the lesson is reported', () => {
    expect(problemsFor({ 'index.md': GOOD.replace('## Your task', '[click](javascript:alert(1))\n\n## Your task') })).toEqual([
      expect.stringMatching(/index\.md: lesson link "click" has a URL that is neither http\(s\) nor relative/),
    ]);
  });
});

describe('lesson Markdown becomes a safe AST', () => {
  test('raw HTML stays inert text, blocks and inline alike', () => {
    const ast = parseBlocks('<script>alert(1)</script>\n\nHello <img src=x onerror=alert(1)> **bold**');
    expect(ast).toEqual([
      { type: 'paragraph', children: [{ type: 'text', text: '<script>alert(1)</script>' }] },
      { type: 'paragraph', children: [{ type: 'text', text: 'Hello <img src=x onerror=alert(1)> ' }, { type: 'strong', children: [{ type: 'text', text: 'bold' }] }] },
    ]);
    expect(JSON.stringify(ast)).not.toMatch(/"type":"html"/);
  });

  test('links keep http(s) and relative URLs only', () => {
    expect(parseInline('[a](https://x.test/) [b](#/lab/02) [c](javascript:alert(1)) [d](data:text/html,x) [e](//evil.test)')).toEqual([
      { type: 'link', href: 'https://x.test/', children: [{ type: 'text', text: 'a' }] },
      { type: 'text', text: ' ' },
      { type: 'link', href: '#/lab/02', children: [{ type: 'text', text: 'b' }] },
      { type: 'text', text: ' c d e' },
    ]);
    expect(['javascript:x', 'JAVASCRIPT:x', ' data:x', 'vbscript:x', '//x'].map(isSafeHref)).toEqual([false, false, false, false, false]);
  });

  test('headings, lists, code, quotes and emphasis map onto the AST', () => {
    expect(parseBlocks('## Step\n\n1. one `x`\n2. *two*\n\n```sh\nacme login\n```\n\n> quoted')).toEqual([
      { type: 'heading', depth: 2, children: [{ type: 'text', text: 'Step' }] },
      { type: 'list', ordered: true, start: 1, items: [
        [{ type: 'paragraph', children: [{ type: 'text', text: 'one ' }, { type: 'code', text: 'x' }] }],
        [{ type: 'paragraph', children: [{ type: 'em', children: [{ type: 'text', text: 'two' }] }] }],
      ] },
      { type: 'code', lang: 'sh', text: 'acme login' },
      { type: 'blockquote', children: [{ type: 'paragraph', children: [{ type: 'text', text: 'quoted' }] }] },
    ]);
  });
});

describe('scenarios are validated too', () => {
  test('bad knobs, repeated objective ids and unknown steps are named', () => {
    const problems = validateScenario({
      setup: { world: { clientKnobs: { pollInterval: 0 } }, learnerKnobs: { client: ['pollInterval', 'nope'] } },
      objectives: [{ id: 'a', text: 'A', holds: () => notYet('not yet') }, { id: 'a', text: 'B', holds: () => notYet('not yet') }],
      solution: [{ do: 'dance' }],
      nearMisses: [{ name: 'n', objective: 'a', steps: [] , after: 1 }],
    }, 'labs/99-x/scenario.ts');
    expect(problems).toEqual([
      expect.stringMatching(/^labs\/99-x\/scenario\.ts: setup\.world\.clientKnobs Invalid client knob pollInterval/),
      'labs/99-x/scenario.ts: setup.learnerKnobs.client[1] is not a client knob, got "nope"',
      'labs/99-x/scenario.ts: objectives[1].id repeats "a"; objective ids must be unique',
      expect.stringMatching(/^labs\/99-x\/scenario\.ts: solution\[0\]\.do must be one of/),
    ]);
  });

  test('a showcase must leave at least one solution step for the learner', () => {
    const lab = (showcase: unknown) => validateScenario({
      setup: { world: {}, learnerKnobs: { client: ['storage'] }, showcase },
      objectives: [{ id: 'a', text: 'A', holds: () => notYet('not yet') }],
      solution: [{ do: 'type', line: 'acme login' }, { do: 'type', line: 'acme logout' }],
      nearMisses: [{ name: 'n', objective: 'a', steps: [{ do: 'type', line: 'acme logout' }] }],
    }, 'labs/99-x/scenario.ts');
    expect(lab(1)).toEqual([]);
    expect(lab(2)).toEqual(['labs/99-x/scenario.ts: setup.showcase must be a whole number of solution steps from 0 to 1, got 2']);
    expect(lab('two')).toEqual(['labs/99-x/scenario.ts: setup.showcase must be a whole number of solution steps from 0 to 1, got "two"']);
  });

  const base = (extra: Record<string, unknown>) => ({
    setup: { world: {}, learnerKnobs: { client: ['storage'] } },
    objectives: [{ id: 'a', text: 'A', holds: () => notYet('not yet') }, { id: 'b', text: 'B', holds: () => notYet('not yet') }],
    solution: [{ do: 'type', line: 'acme login' }, { do: 'type', line: 'acme logout' }],
    ...extra,
  });

  test('near misses are required, one per objective at least, and checked field by field', () => {
    expect(validateScenario(base({}), 'f')).toEqual(['f: nearMisses must list the tempting wrong fixes, at least one per objective ({ name, objective, after?, steps, ticks? })']);
    expect(validateScenario(base({ nearMisses: [{ name: 'x', objective: 'a', steps: [{ do: 'interrupt' }] }] }), 'f'))
      .toEqual(['f: nearMisses has none for objective "b": list the tempting wrong fixes that must not tick it']);
    expect(validateScenario(base({ nearMisses: [
      { name: 'x', objective: 'a', steps: [{ do: 'interrupt' }], ticks: ['a'] },
      { name: 'x', objective: 'c', after: 3, steps: [{ do: 'fly' }], color: 'red' },
      { name: 'y', objective: 'b', steps: [] },
    ] }), 'f')).toEqual([
      'f: nearMisses[0].ticks[0] is the objective the near miss must leave unticked',
      'f: nearMisses[1].color is not a known field (known: name, objective, after, steps, ticks)',
      'f: nearMisses[1].name repeats "x"; near-miss names must be unique',
      'f: nearMisses[1].objective must be an objective id (a, b), got "c"',
      'f: nearMisses[1].after must be a whole number of solution steps from 0 to 2, got 3',
      expect.stringMatching(/^f: nearMisses\[1\]\.steps\[0\]\.do must be one of/),
      'f: nearMisses[2].steps must do something: give steps, or replay some solution steps with `after`',
    ]);
  });

  test("run-until names states the CLI machine has (dotted, as the machine nests them), naming file and field", () => {
    const nearMisses = [{ name: 'x', objective: 'a', after: 1, steps: [] }, { name: 'y', objective: 'b', after: 1, steps: [] }];
    const lab = (states: string[]) => validateScenario({ ...base({ nearMisses }), solution: [{ do: 'run-until', states }] }, 'labs/99-x/scenario.ts');
    expect(lab(['authenticated.ready', 'authenticated', 'signingIn.awaitingApproval.polling', 'failed'])).toEqual([]);
    expect(lab(['failed', 'authenticated.redy', 'authen', 'ready'])).toEqual([
      expect.stringMatching(/^labs\/99-x\/scenario\.ts: solution\[0\]\.states\[1\] is not a state of the CLI machine, got "authenticated\.redy" \(known: booting, idle, signingIn, .*authenticated\.ready, /),
      expect.stringMatching(/^labs\/99-x\/scenario\.ts: solution\[0\]\.states\[2\] is not a state of the CLI machine, got "authen"/),
      expect.stringMatching(/^labs\/99-x\/scenario\.ts: solution\[0\]\.states\[3\] is not a state of the CLI machine, got "ready"/),
    ]);
  });

  test('a failure showcase names a failure mode, a solution step and a predicate', () => {
    const nearMisses = [{ name: 'x', objective: 'a', after: 1, steps: [] }, { name: 'y', objective: 'b', after: 1, steps: [] }];
    const lab = (showcases: unknown) => validateScenario({ ...base({ nearMisses }), setup: { world: {}, learnerKnobs: { client: ['storage'] }, showcases } }, 'f');
    expect(lab([{ failureMode: 'F9', step: 1, shows: () => true }])).toEqual([]);
    expect(lab([{ failureMode: 'F99', step: 2, shows: true }])).toEqual([
      'f: setup.showcases[0].failureMode must be a failure-mode id F1-F25, got "F99"',
      'f: setup.showcases[0].step must be a whole number of solution steps from 0 to 1, got 2',
      'f: setup.showcases[0].shows must be a predicate (world) => boolean',
    ]);
  });
});
