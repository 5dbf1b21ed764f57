/**
 * Checks a scenario (what `labs/<id>/scenario.ts` exports) at build and test time, naming the file and the
 * field: objectives and their ids, the solution's steps, the near misses (at least one per objective), the
 * gallery's per-failure showcases, the knobs (through the knobs' own validators, so a
 * lab cannot set a value the sandbox would refuse) and the knobs the learner is meant to change. Pure: no
 * Node, so the page could run it too.
 */
import { CLIENT_KNOB_SPECS, resolveClientKnobs } from '../flow/knobs.ts';
import { cliMachine } from '../flow/machine.ts';
import { SERVER_KNOB_SPECS, resolveServerKnobs } from '../sim/knobs.ts';
import { stateNamesOf } from '../world/learner.ts';
import { FAILURE_MODE_IDS, type FailureShowcase, type LabNearMiss, type LabScenario, type LabStep } from './types.ts';

const OBJECTIVE_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const STEP_KINDS = ['type', 'interrupt', 'browser', 'knobs', 'advance', 'run-until', 'attack', 'sign-out-everywhere', 'revoke-grant'];
const GRANT_HOLDERS = ['attacker', 'cli'];
const PHISH_VICTIMS = ['approves-anything', 'reads-consent'];
/** A brute-force step stays bounded so a lab replays in seconds (10 000 covers every 4-digit code). */
const MAX_GUESSES = 10_000;
const API_METHODS: string[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const SCENARIO_FIELDS = ['setup', 'objectives', 'solution', 'nearMisses'];
const NEAR_MISS_FIELDS = ['name', 'objective', 'after', 'steps', 'ticks'];
/** The CLI machine's own states, as `run-until` names them. */
const CLI_STATE_NAMES = stateNamesOf(cliMachine.root);

export function validateScenario(scenario: unknown, file: string): string[] {
  const problems: string[] = [];
  const report = (field: string, message: string) => problems.push(`${file}: ${field} ${message}`);
  const s = scenario as Partial<LabScenario> | undefined;
  if (!s || typeof s !== 'object') {
    report('default export', 'must be defineLab({ setup, objectives, solution })');
    return problems;
  }
  for (const key of Object.keys(s)) if (!SCENARIO_FIELDS.includes(key)) report(key, `is not a known field (known: ${SCENARIO_FIELDS.join(', ')})`);
  const setup = s.setup;
  if (!setup || typeof setup !== 'object' || !setup.world) report('setup.world', 'is missing');
  else {
    knobProblems(setup.world.clientKnobs, setup.world.serverKnobs, 'setup.world', report);
    const learner = setup.learnerKnobs;
    if (!learner || (!learner.client?.length && !learner.server?.length)) report('setup.learnerKnobs', 'must name at least one knob the learner is meant to change');
    else {
      learner.client?.forEach((k, i) => {
        if (!CLIENT_KNOB_SPECS.some((spec) => spec.key === k)) report(`setup.learnerKnobs.client[${i}]`, `is not a client knob, got ${JSON.stringify(k)}`);
      });
      learner.server?.forEach((k, i) => {
        if (!SERVER_KNOB_SPECS.some((spec) => spec.key === k)) report(`setup.learnerKnobs.server[${i}]`, `is not a server knob, got ${JSON.stringify(k)}`);
      });
    }
    setup.prelude?.forEach((step, i) => stepProblems(step, `setup.prelude[${i}]`, report));
    const showcase: unknown = setup.showcase;
    const steps = Array.isArray(s.solution) ? s.solution.length : 0;
    if (showcase !== undefined && (typeof showcase !== 'number' || !Number.isInteger(showcase) || showcase < 0 || showcase >= steps)) {
      report('setup.showcase', `must be a whole number of solution steps from 0 to ${Math.max(0, steps - 1)}, got ${JSON.stringify(showcase)}`);
    }
    const showcases: unknown = setup.showcases;
    if (showcases !== undefined && !Array.isArray(showcases)) report('setup.showcases', 'must be a list of { failureMode, step, shows }');
    else (showcases as FailureShowcase[] | undefined)?.forEach((sc, i) => {
      const at = `setup.showcases[${i}]`;
      if (typeof sc?.failureMode !== 'string' || !FAILURE_MODE_IDS.includes(sc.failureMode)) report(`${at}.failureMode`, `must be a failure-mode id F1-F25, got ${JSON.stringify(sc?.failureMode)}`);
      if (typeof sc?.step !== 'number' || !Number.isInteger(sc.step) || sc.step < 0 || sc.step >= steps) {
        report(`${at}.step`, `must be a whole number of solution steps from 0 to ${Math.max(0, steps - 1)}, got ${JSON.stringify(sc?.step)}`);
      }
      if (typeof sc?.shows !== 'function') report(`${at}.shows`, 'must be a predicate (world) => boolean');
    });
  }
  if (!Array.isArray(s.objectives) || s.objectives.length === 0) report('objectives', 'must list at least one objective');
  else {
    const seen = new Set<string>();
    s.objectives.forEach((o, i) => {
      const at = `objectives[${i}]`;
      if (typeof o?.id !== 'string' || !OBJECTIVE_ID.test(o.id)) report(`${at}.id`, `must be kebab-case, got ${JSON.stringify(o?.id)}`);
      else if (seen.has(o.id)) report(`${at}.id`, `repeats "${o.id}"; objective ids must be unique`);
      else seen.add(o.id);
      if (typeof o?.text !== 'string' || !o.text.trim()) report(`${at}.text`, 'must be non-empty text');
      if (typeof o?.holds !== 'function') report(`${at}.holds`, 'must be a predicate (world) => true | notYet(reason)');
    });
  }
  if (!Array.isArray(s.solution) || s.solution.length === 0) report('solution', 'must list at least one step');
  else s.solution.forEach((step, i) => stepProblems(step, `solution[${i}]`, report));
  nearMissProblems(s, report);
  return problems;
}

/** Near misses: well-formed, about a real objective, and at least one for every objective. */
function nearMissProblems(s: Partial<LabScenario>, report: (f: string, m: string) => void): void {
  const ids = Array.isArray(s.objectives) ? s.objectives.map((o) => o?.id).filter((id): id is string => typeof id === 'string') : [];
  const steps = Array.isArray(s.solution) ? s.solution.length : 0;
  if (!Array.isArray(s.nearMisses)) {
    report('nearMisses', 'must list the tempting wrong fixes, at least one per objective ({ name, objective, after?, steps, ticks? })');
    return;
  }
  const names = new Set<string>();
  s.nearMisses.forEach((m: Partial<LabNearMiss> | undefined, i) => {
    const at = `nearMisses[${i}]`;
    if (!m || typeof m !== 'object') {
      report(at, 'must be { name, objective, after?, steps, ticks? }');
      return;
    }
    for (const key of Object.keys(m)) if (!NEAR_MISS_FIELDS.includes(key)) report(`${at}.${key}`, `is not a known field (known: ${NEAR_MISS_FIELDS.join(', ')})`);
    if (typeof m.name !== 'string' || !m.name.trim()) report(`${at}.name`, 'must say in words what the learner tries');
    else if (names.has(m.name)) report(`${at}.name`, `repeats "${m.name}"; near-miss names must be unique`);
    else names.add(m.name);
    if (typeof m.objective !== 'string' || !ids.includes(m.objective)) report(`${at}.objective`, `must be an objective id (${ids.join(', ')}), got ${JSON.stringify(m.objective)}`);
    const after: unknown = m.after;
    if (after !== undefined && (typeof after !== 'number' || !Number.isInteger(after) || after < 0 || after > steps)) {
      report(`${at}.after`, `must be a whole number of solution steps from 0 to ${steps}, got ${JSON.stringify(after)}`);
    }
    if (!Array.isArray(m.steps)) report(`${at}.steps`, 'must be a list of steps (may be empty)');
    else {
      m.steps.forEach((step, j) => stepProblems(step, `${at}.steps[${j}]`, report));
      if (m.steps.length === 0 && !after) report(`${at}.steps`, 'must do something: give steps, or replay some solution steps with `after`');
    }
    if (m.ticks !== undefined) {
      if (!Array.isArray(m.ticks)) report(`${at}.ticks`, 'must be a list of objective ids');
      else m.ticks.forEach((id, j) => {
        if (!ids.includes(id)) report(`${at}.ticks[${j}]`, `is not an objective id, got ${JSON.stringify(id)}`);
        else if (id === m.objective) report(`${at}.ticks[${j}]`, `is the objective the near miss must leave unticked`);
      });
    }
  });
  for (const id of ids) if (!s.nearMisses.some((m) => m?.objective === id)) report('nearMisses', `has none for objective "${id}": list the tempting wrong fixes that must not tick it`);
}

function knobProblems(client: unknown, server: unknown, at: string, report: (f: string, m: string) => void): void {
  try {
    resolveClientKnobs((client ?? {}) as never);
    for (const k of Object.keys(client ?? {})) if (!CLIENT_KNOB_SPECS.some((s) => s.key === k)) report(`${at}.clientKnobs.${k}`, 'is not a client knob');
  } catch (err) {
    report(`${at}.clientKnobs`, (err as Error).message);
  }
  try {
    resolveServerKnobs((server ?? {}) as never);
    for (const k of Object.keys(server ?? {})) if (!SERVER_KNOB_SPECS.some((s) => s.key === k)) report(`${at}.serverKnobs.${k}`, 'is not a server knob');
  } catch (err) {
    report(`${at}.serverKnobs`, (err as Error).message);
  }
}

function stepProblems(step: LabStep, at: string, report: (f: string, m: string) => void): void {
  if (!step || !STEP_KINDS.includes((step as { do?: string }).do ?? '')) {
    report(`${at}.do`, `must be one of ${STEP_KINDS.join(', ')}, got ${JSON.stringify((step as { do?: unknown } | undefined)?.do)}`);
    return;
  }
  switch (step.do) {
    case 'type':
      if (typeof step.line !== 'string' || !step.line.trim()) report(`${at}.line`, 'must be a command line');
      break;
    case 'advance':
      if (!(step.seconds > 0)) report(`${at}.seconds`, 'must be a positive number of seconds');
      break;
    case 'run-until':
      if (!step.states?.length) report(`${at}.states`, 'must name at least one CLI state');
      else step.states.forEach((name, i) => {
        if (!CLI_STATE_NAMES.includes(name)) report(`${at}.states[${i}]`, `is not a state of the CLI machine, got ${JSON.stringify(name)} (known: ${CLI_STATE_NAMES.join(', ')})`);
      });
      break;
    case 'knobs':
      knobProblems(step.client, step.server, at, report);
      break;
    case 'revoke-grant':
      if (!GRANT_HOLDERS.includes(step.issuedTo)) report(`${at}.issuedTo`, `must be one of ${GRANT_HOLDERS.join(', ')}, got ${JSON.stringify(step.issuedTo)}`);
      break;
    case 'attack':
      if ((step.move === 'phish' || step.move === 'qr-phish') && !PHISH_VICTIMS.includes(step.victim)) report(`${at}.victim`, `must be one of ${PHISH_VICTIMS.join(', ')}, got ${JSON.stringify(step.victim)}`);
      if ((step.move === 'phish' || step.move === 'qr-phish') && step.target !== undefined && !(typeof step.target === 'string' && /^[a-z][a-z0-9-]{0,39}$/.test(step.target))) {
        report(`${at}.target`, `must be a user id such as "carol", got ${JSON.stringify(step.target)}`);
      }
      if (step.move === 'brute-force-user-codes' && !(Number.isInteger(step.attempts) && step.attempts >= 1 && step.attempts <= MAX_GUESSES)) {
        report(`${at}.attempts`, `must be a whole number of guesses between 1 and ${MAX_GUESSES}, got ${JSON.stringify(step.attempts)}`);
      }
      if (step.move === 'replay-access-token' && step.call !== undefined
        && !(API_METHODS.includes(step.call?.method) && typeof step.call?.path === 'string' && step.call.path.startsWith('/api/'))) {
        report(`${at}.call`, `must be { method: ${API_METHODS.join('|')}, path: '/api/...' }, got ${JSON.stringify(step.call)}`);
      }
      break;
    default:
      break;
  }
}
