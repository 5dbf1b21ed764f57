/**
 * The lab check (rustlings' idea): for every lab in labs/, its scenario is valid, no objective holds on the
 * untouched scenario, and every objective holds after the solution is replayed headless. Both ways again in a
 * branded world: labs are authored with the default names and must work under a team's own.
 */
import { describe, expect, test } from 'vitest';
import { labs } from 'virtual:labs';
import { objectiveStatus, replaySolution, replaySteps, startLab } from './runner.ts';
import { validateScenario } from './validateScenario.ts';

test('labs/ holds at least the first three labs, in folder order', () => {
  expect(labs.map((l) => l.id)).toEqual(expect.arrayContaining(['01-anatomy', '02-polling-etiquette', '06-credentials-file']));
  expect(labs.map((l) => l.order)).toEqual([...labs.map((l) => l.order)].sort((a, b) => a - b));
});

describe.each(labs.map((lab) => [lab.id, lab] as const))('lab %s', (id, lab) => {
  test('its scenario is valid', () => {
    expect(validateScenario(lab.scenario, `labs/${id}/scenario.ts`)).toEqual([]);
  });

  test('no objective holds on the untouched scenario', async () => {
    const world = await startLab(lab);
    try {
      expect(objectiveStatus(lab, world).filter((o) => o.done).map((o) => o.id)).toEqual([]);
    } finally {
      world.stop();
    }
  });

  test('its showcase (the instructor gallery\'s moment) shows the failure without solving the lab', async () => {
    const world = await startLab(lab);
    try {
      await replaySteps(world, lab.scenario.solution.slice(0, lab.scenario.setup.showcase ?? 0));
      expect(objectiveStatus(lab, world).every((o) => o.done)).toBe(false);
    } finally {
      world.stop();
    }
  });

  test('every objective holds after the solution is replayed', async () => {
    const world = await startLab(lab);
    try {
      await replaySolution(lab, world);
      expect(objectiveStatus(lab, world).filter((o) => !o.done).map((o) => o.id)).toEqual([]);
    } finally {
      world.stop();
    }
  });
});

/** A team's names, none of which shares a word with the defaults (so a literal `acme` anywhere would show). */
const GLOBEX = { org: 'Globex', cli: 'gx', idp: 'Globex SSO' };

describe.each(labs.map((lab) => [lab.id, lab] as const))('lab %s, branded Globex / gx', (id, lab) => {
  test('no objective holds on the untouched scenario', async () => {
    const world = await startLab(lab, GLOBEX);
    try {
      expect(world.names.cli).toBe('gx');
      expect(objectiveStatus(lab, world).filter((o) => o.done).map((o) => o.id)).toEqual([]);
    } finally {
      world.stop();
    }
  });

  test('every objective holds after the solution is replayed; the learner typed gx, never acme', async () => {
    const world = await startLab(lab, GLOBEX);
    try {
      await replaySolution(lab, world);
      expect(objectiveStatus(lab, world).filter((o) => !o.done).map((o) => o.id), id).toEqual([]);
      const typed = world.host.shellHistory.map((h) => h.text);
      expect(typed.filter((t) => /^acme\b/.test(t))).toEqual([]);
      expect(world.host.scrollback.filter((l) => /command not found/.test(l.text))).toEqual([]);
    } finally {
      world.stop();
    }
  });
});
