/**
 * The lab format (architecture, "Labs as data"). A lab is a folder `labs/<NN-slug>/` with:
 * - `index.md`: YAML frontmatter (`LabMeta`) and the lesson in Markdown, ending with a `## Debrief` section
 *   whose five `###` subsections are `DEBRIEF_SECTIONS`. The loader parses it at build time into a small safe
 *   AST (`LessonBlock`), so neither a YAML nor a Markdown parser ships in the page and no raw HTML reaches it.
 * - `scenario.ts`: `export default defineLab({ setup, objectives, solution, nearMisses })`. Objectives are
 *   predicates over the world (wire log, ledger, audit log, attacker log, terminal, host), never over clicks in
 *   the UI, and each says in words why it does not hold yet (`Verdict`); the solution is a list of steps a
 *   headless runner replays (src/labs/runner.ts); the near misses are the tempting wrong fixes, replayed by the
 *   lab check, each of which must leave its objective unticked.
 * Nothing here imports Node, Svelte or a parser: the page, the tests and the build all use it.
 */
import type { ClientKnobs } from '../flow/knobs.ts';
import type { HttpMethod } from '../flow/types.ts';
import type { ServerKnobs } from '../sim/knobs.ts';
import type { Reader, VictimPolicy, World, WorldConfig } from '../world/index.ts';

// --- ids the labs teach (design/failure-modes.md) ---

export const GUIDANCE_IDS = Array.from({ length: 13 }, (_, i) => `G${i + 1}`) as readonly string[];
export const FAILURE_MODE_IDS = Array.from({ length: 25 }, (_, i) => `F${i + 1}`) as readonly string[];
export const LEVELS = ['beginner', 'intermediate', 'advanced'] as const;
export type Level = (typeof LEVELS)[number];
export const REFERENCE_KINDS = ['rfc', 'incident', 'guide'] as const;
export type ReferenceKind = (typeof REFERENCE_KINDS)[number];

/** The debrief's five parts, in order, as `###` headings under `## Debrief`. */
export const DEBRIEF_SECTIONS = [
  { key: 'whatHappened', heading: 'What happened' },
  { key: 'whyItMatters', heading: 'Why it matters' },
  { key: 'fix', heading: 'The fix' },
  { key: 'rfc', heading: 'The RFC section' },
  { key: 'realWorld', heading: 'The real-world case' },
] as const;
export type DebriefKey = (typeof DEBRIEF_SECTIONS)[number]['key'];

// --- the safe Markdown AST (what src/ui/labs/LessonProse.svelte renders; no raw HTML anywhere) ---

export type LessonInline =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'em'; children: LessonInline[] }
  | { type: 'strong'; children: LessonInline[] }
  /** `href` is http(s) or relative; anything else never becomes a link. */
  | { type: 'link'; href: string; children: LessonInline[] }
  | { type: 'break' };

export type LessonBlock =
  | { type: 'heading'; depth: 2 | 3 | 4; children: LessonInline[] }
  | { type: 'paragraph'; children: LessonInline[] }
  | { type: 'list'; ordered: boolean; start: number; items: LessonBlock[][] }
  | { type: 'code'; lang: string; text: string }
  | { type: 'blockquote'; children: LessonBlock[] }
  | { type: 'rule' };

// --- frontmatter ---

export interface LabReference {
  kind: ReferenceKind;
  label: string;
  /** https only. */
  url?: string;
}

export interface LabMeta {
  title: string;
  summary: string;
  level: Level;
  /** Whole minutes, 1 to 120. */
  minutes: number;
  tags: string[];
  /** At least two, from vague to specific: the first names no knob or command, the last names one in `code`. */
  hints: string[];
  references: LabReference[];
  /** Guidance ids (G1-G13) the lab teaches. */
  guidance: string[];
  /** Failure-mode ids (F1-F25) the lab teaches. */
  failureModes: string[];
}

/** What the loader makes of `index.md`. */
export interface LabContent {
  /** The folder name, e.g. `01-anatomy`. */
  id: string;
  /** The two-digit number that orders the labs. */
  order: number;
  meta: LabMeta;
  /** Hints as inline AST, same order as `meta.hints`. */
  hints: LessonInline[][];
  /** The lesson, everything before `## Debrief`. */
  lesson: LessonBlock[];
  debrief: Record<DebriefKey, LessonBlock[]>;
}

// --- the scenario ---

/** Knobs the learner is meant to change in this lab (the lab view shows these first). */
export interface LearnerKnobs {
  client?: Array<keyof ClientKnobs>;
  server?: Array<keyof ServerKnobs>;
}

/** Which code to type into the browser's code box. */
export type CodeSource =
  /** The live user code the CLI printed on the terminal (as a person would read it). */
  | 'user-code-on-terminal'
  /** The device code of the CLI's latest token request, read off the wire log. */
  | 'device-code-on-wire';

/** One thing the learner (or a scripted actor) does; the runner replays these headless. */
export type LabStep =
  /**
   * Type a line into the terminal (`acme login`, `ls -la ~/.config/acme`, ...). Written with the default names:
   * the runner types it in the world's names (`brandCommand`: the command word and the CLI's host paths).
   */
  | { do: 'type'; line: string }
  /** Ctrl+C in the terminal. */
  | { do: 'interrupt' }
  /** In the learner's browser: sign in (as `user`, default the world's user), enter a code, then optionally decide. */
  | { do: 'browser'; enter: CodeSource; decide?: 'approve' | 'deny'; scopes?: string[]; user?: string }
  /** Change knobs (client knobs restart the CLI with its stored credentials kept, as a reinstall would). */
  | { do: 'knobs'; client?: Partial<ClientKnobs>; server?: Partial<ServerKnobs> }
  /** Move the virtual clock. */
  | { do: 'advance'; seconds: number }
  /** Step timer by timer until the CLI is in one of `states` or inside one (dotted machine state names), or `limitSeconds` pass. */
  | { do: 'run-until'; states: string[]; limitSeconds?: number }
  /** An attacker move. */
  | { do: 'attack'; move: 'read-places'; as: Exclude<Reader, 'you'> }
  | { do: 'attack'; move: 'replay-refresh-token' | 'poll-device-code' | 'replay-without-dpop-key' }
  /** Replay the latest stolen access token against the API: `GET /api/projects` unless `call` names another request. */
  | { do: 'attack'; move: 'replay-access-token'; call?: { method: HttpMethod; path: string } }
  /** Guess user codes at the verification page, signed in as the attacker; a hit is approved with the attacker's account. */
  | { do: 'attack'; move: 'brute-force-user-codes'; attempts: number }
  /** Session spying: enter the newest user code the attacker has seen (read places first), signed in as the attacker, and approve it. */
  | { do: 'attack'; move: 'enter-user-code' }
  /** Device-code phishing: the attacker starts its own flow and sends the learner's person (or `target`, a registry user) the link. */
  | { do: 'attack'; move: 'phish'; victim: VictimPolicy; target?: string }
  /** QR-code phishing: the attacker's page starts a fresh flow when the victim (default the learner's person) scans it. */
  | { do: 'attack'; move: 'qr-phish'; victim: VictimPolicy; target?: string }
  /** In the learner's browser (signed in as `user`, default the world's user): "sign out everywhere" at the identity provider. */
  | { do: 'sign-out-everywhere'; user?: string }
  /**
   * In the learner's browser (signed in as `user`, default the world's user): on the identity provider's list of
   * grants, revoke the one the audit log shows was issued to `issuedTo` (the attacker's machine, or the CLI's),
   * as an investigator matches a grant id from the audit log to the account page.
   */
  | { do: 'revoke-grant'; issuedTo: 'attacker' | 'cli'; user?: string };

export interface LabSetup {
  /** The world as the learner finds it: knobs, host kind, scripted user. */
  world: WorldConfig;
  learnerKnobs: LearnerKnobs;
  /** What already happened before the learner arrives (scripted actors: an earlier login, a theft). */
  prelude?: LabStep[];
  /**
   * The instructor gallery's "interesting moment": how many solution steps to replay after the prelude so the
   * failure is on screen but not yet fixed (default 0: the scene after the prelude). The lab check proves the
   * lab is not already solved there.
   */
  showcase?: number;
  /**
   * A failure mode (of the lab's `failureModes`) that shows at another moment than `showcase`: the gallery
   * opens that failure at `step`, and the lab check proves `shows` holds there (and the lab is not solved).
   */
  showcases?: FailureShowcase[];
}

export interface FailureShowcase {
  /** One of the lab's `failureModes`, e.g. `F9`. */
  failureMode: string;
  /** Solution steps to replay after the prelude (0 to solution length - 1). */
  step: number;
  /** The failure is on screen: a predicate over the world, like an objective's (pure). */
  shows(world: World): boolean;
}

/**
 * Why an objective does not hold yet, in the learner's words, naming the thing in the world that is still wrong
 * ("bob's copy of the refresh token is still accepted by the server"), not restating the objective. The lab
 * view shows it under "Why not yet?". Plain text; backticks mark inline code as in objective texts. Written
 * with the default names (`acme`, alice): the page brands it like the objective text.
 */
export interface NotYet {
  reason: string;
}

/** What an objective's predicate answers: `true` (achieved) or why not yet. */
export type Verdict = true | NotYet;

/** `return notYet('...')`: the objective does not hold, for this reason. */
export function notYet(reason: string): NotYet {
  return { reason };
}

/**
 * One requirement of an objective: `undefined` when `met`, otherwise why not. Chain them with `??` and end
 * with `true`; the first unmet requirement is the reason, and later ones are not evaluated:
 *
 *     holds: (w) => need(loggedIn(w), 'the CLI has not signed in yet')
 *       ?? need(revoked(w), `bob's copy of the refresh token is still accepted by the server`)
 *       ?? true,
 */
export function need(met: boolean, reason: string): NotYet | undefined {
  return met ? undefined : { reason };
}

export interface LabObjective {
  /** kebab-case, unique within the lab. */
  id: string;
  /** What to achieve, in the learner's words (Markdown inline code allowed with backticks). */
  text: string;
  /**
   * `true` when the world shows the objective achieved, otherwise `notYet(reason)` (or a `need(...) ?? true`
   * chain): the reason the learner reads under "Why not yet?". Pure: reads the world, changes nothing. The
   * world may be branded: read the CLI's name and paths from it (`world.names.cli`, `world.host.paths`), never
   * as literals. The lab check requires a specific reason for every objective of every lab.
   */
  holds(world: World): Verdict;
}

/**
 * A tempting wrong fix: what a learner might try instead of the lesson's fix, which must NOT tick `objective`.
 * The lab check (src/labs/labCheck.test.ts) starts the lab (setup and prelude), replays the first `after`
 * solution steps, then `steps`, reading the objectives after every step: `objective` must never hold, and
 * the objectives in `ticks` must hold at the end (proving the attempt got as far as it claims). Every objective
 * of every lab has at least one near miss.
 */
export interface LabNearMiss {
  /** What the learner tries and why it is not the fix, in words (the lab check's test name). */
  name: string;
  /** The id of the objective it must leave unticked. */
  objective: string;
  /** How many solution steps to replay first (default 0: the scene after the prelude). */
  after?: number;
  /** What the learner does then (may be empty: the first `after` solution steps are the attempt). */
  steps: LabStep[];
  /** Objective ids that do hold at the end of the attempt (default none); never `objective`. */
  ticks?: string[];
}

export interface LabScenario {
  setup: LabSetup;
  objectives: LabObjective[];
  solution: LabStep[];
  /** The tempting wrong fixes; at least one per objective. */
  nearMisses: LabNearMiss[];
}

/** A lab as the app and the tests see it: content from `index.md` plus the scenario. */
export interface Lab extends LabContent {
  scenario: LabScenario;
}

/** The frontmatter fields the lists of labs show. */
export const SUMMARY_META_FIELDS = ['title', 'summary', 'level', 'minutes'] as const;
/** What the lists of labs need: no lesson, no scenario, no hints (virtual:labs/summaries). */
export interface LabSummary extends Pick<LabContent, 'id' | 'order'> {
  meta: Pick<LabMeta, (typeof SUMMARY_META_FIELDS)[number]>;
}

/** The gallery's moment for `failureMode` in `lab`: its own showcase step, else the lab's `showcase` (0: the scene). */
export function showcaseStep(scenario: LabScenario, failureMode: string): number {
  return scenario.setup.showcases?.find((s) => s.failureMode === failureMode)?.step ?? scenario.setup.showcase ?? 0;
}

/** What `scenario.ts` exports by default. Identity at runtime; the loader validates the result. */
export function defineLab(scenario: LabScenario): LabScenario {
  return scenario;
}
