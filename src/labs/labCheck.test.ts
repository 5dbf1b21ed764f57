/**
 * The lab check (rustlings' idea): for every lab in labs/, its scenario is valid, no objective holds on the
 * untouched scenario, and every objective holds after the solution is replayed headless. Every objective says
 * specifically why it does not hold yet, and has near misses (the tempting wrong fixes), each replayed here
 * and never ticking it. Both ways again in a branded world: labs are authored with the default names and must
 * work under a team's own.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { labs } from 'virtual:labs';
import { NO_REASON, objectiveStatus, replayNearMiss, replaySolution, replaySteps, startLab } from './runner.ts';
import { validateScenario } from './validateScenario.ts';

test('every lab folder in labs/ is a lab here, in folder order', () => {
  const folders = readdirSync(fileURLToPath(new URL('../../labs', import.meta.url)), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  expect(folders.length).toBeGreaterThanOrEqual(21);
  expect(labs.map((l) => l.id)).toEqual(folders);
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

  test.each((lab.scenario.setup.showcases ?? []).map((sc) => [sc.failureMode, sc] as const))('the gallery\'s moment for %s shows that failure without solving the lab', async (mode, sc) => {
    expect(lab.meta.failureModes).toContain(mode);
    const world = await startLab(lab);
    try {
      await replaySteps(world, lab.scenario.solution.slice(0, sc.step));
      expect(sc.shows(world)).toBe(true);
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

/** A why-not reason that says something: not the fallback, several words, not the objective's own text. */
function expectSpecificReason(reason: string | undefined, objectiveText: string, where: string): void {
  expect(reason, where).toBeTypeOf('string');
  expect(reason, where).not.toContain(NO_REASON);
  expect(reason!.trim().split(/\s+/).length, `${where}: "${reason}" is too short to say why`).toBeGreaterThanOrEqual(4);
  expect(reason, where).not.toBe(objectiveText);
}

describe.each(labs.map((lab) => [lab.id, lab] as const))('lab %s: why not yet, and near misses', (id, lab) => {
  const { objectives, nearMisses } = lab.scenario;

  test('every objective has at least one near miss', () => {
    expect(objectives.filter((o) => !(nearMisses ?? []).some((m) => m.objective === o.id)).map((o) => o.id)).toEqual([]);
  });

  test('on the untouched scenario each objective says specifically why it does not hold, each reason its own', async () => {
    const world = await startLab(lab);
    try {
      const status = objectiveStatus(lab, world);
      for (const o of status) expectSpecificReason(o.reason, o.text, `${id} ${o.id}`);
      expect(new Set(status.map((o) => o.reason)).size, `${id}: two objectives give the same reason`).toBe(status.length);
    } finally {
      world.stop();
    }
  });

  test('after the solution no objective has a reason left', async () => {
    const world = await startLab(lab);
    try {
      await replaySolution(lab, world);
      expect(objectiveStatus(lab, world).filter((o) => o.reason !== undefined).map((o) => `${o.id}: ${o.reason}`)).toEqual([]);
    } finally {
      world.stop();
    }
  });

  describe.each((nearMisses ?? []).map((m) => [m.objective, m.name, m] as const))('near miss for %s', (objective, name, miss) => {
    test(`${name}: never ticks it`, async () => {
      const world = await startLab(lab);
      try {
        const out = await replayNearMiss(lab, world, miss);
        expect(out.heldAfter, `"${objective}" held after these steps`).toEqual([]);
        expect(out.done).toEqual(expect.arrayContaining(miss.ticks ?? []));
        expectSpecificReason(out.reason, objectives.find((o) => o.id === objective)!.text, `${id} ${objective}`);
      } finally {
        world.stop();
      }
    });
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
