/**
 * Checks a scenario (what `labs/<id>/scenario.ts` exports) at build and test time, naming the file and the
 * field: objectives and their ids, the solution's steps, the knobs (through the knobs' own validators, so a
 * lab cannot set a value the sandbox would refuse) and the knobs the learner is meant to change. Pure: no
 * Node, so the page could run it too.
 */
import { CLIENT_KNOB_SPECS, resolveClientKnobs } from '../flow/knobs.ts';
import { SERVER_KNOB_SPECS, resolveServerKnobs } from '../sim/knobs.ts';
import type { LabScenario, LabStep } from './types.ts';

const OBJECTIVE_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const STEP_KINDS = ['type', 'interrupt', 'browser', 'knobs', 'advance', 'run-until', 'attack', 'sign-out-everywhere'];
const PHISH_VICTIMS = ['approves-anything', 'reads-consent'];
/** A brute-force step stays bounded so a lab replays in seconds (10 000 covers every 4-digit code). */
const MAX_GUESSES = 10_000;
const API_METHODS: string[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export function validateScenario(scenario: unknown, file: string): string[] {
  const problems: string[] = [];
  const report = (field: string, message: string) => problems.push(`${file}: ${field} ${message}`);
  const s = scenario as Partial<LabScenario> | undefined;
  if (!s || typeof s !== 'object') {
    report('default export', 'must be defineLab({ setup, objectives, solution })');
    return problems;
  }
  for (const key of Object.keys(s)) if (!['setup', 'objectives', 'solution'].includes(key)) report(key, 'is not a known field (known: setup, objectives, solution)');
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
      if (typeof o?.holds !== 'function') report(`${at}.holds`, 'must be a predicate (world) => boolean');
    });
  }
  if (!Array.isArray(s.solution) || s.solution.length === 0) report('solution', 'must list at least one step');
  else s.solution.forEach((step, i) => stepProblems(step, `solution[${i}]`, report));
  return problems;
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
      break;
    case 'knobs':
      knobProblems(step.client, step.server, at, report);
      break;
    case 'attack':
      if (step.move === 'phish' && !PHISH_VICTIMS.includes(step.victim)) report(`${at}.victim`, `must be one of ${PHISH_VICTIMS.join(', ')}, got ${JSON.stringify(step.victim)}`);
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
