import { describe, expect, test } from 'vitest';
import { labs } from 'virtual:labs';
import { CLIENT_KNOB_SPECS } from '../../flow/knobs.ts';
import { SERVER_KNOB_SPECS } from '../../sim/knobs.ts';
import { hintMode, labKnobSpecs } from './labMode.ts';

const keys = (specs: ReturnType<typeof labKnobSpecs>) => specs.map((s) => `${s.side}.${s.spec.key}`);

describe('lab modes', () => {
  test('guided: only the knobs the lab asks the learner to change, in its order', () => {
    expect(keys(labKnobSpecs({ server: ['consentDetail', 'verificationCompleteMode'], client: ['storage'] }, false)))
      .toEqual(['client.storage', 'server.consentDetail', 'server.verificationCompleteMode']);
    expect(labKnobSpecs({}, false)).toEqual([]);
  });

  test('hard mode: every client and server knob once, and the same list for every lab (it gives nothing away)', () => {
    const all = keys(labKnobSpecs({}, true));
    expect(all).toHaveLength(CLIENT_KNOB_SPECS.length + SERVER_KNOB_SPECS.length);
    expect(new Set(all).size).toBe(all.length);
    for (const lab of labs) {
      const hard = keys(labKnobSpecs(lab.scenario.setup.learnerKnobs, true));
      expect(hard, lab.id).toEqual(all);
      // Every knob the lab needs is among them.
      for (const k of lab.scenario.setup.learnerKnobs.server ?? []) expect(hard, lab.id).toContain(`server.${k}`);
      for (const k of lab.scenario.setup.learnerKnobs.client ?? []) expect(hard, lab.id).toContain(`client.${k}`);
    }
    // For a lab with learner knobs, hard mode shows more than the guided list.
    const lab12 = labs.find((l) => l.id === '12-device-code-phishing')!;
    expect(labKnobSpecs(lab12.scenario.setup.learnerKnobs, true).length).toBeGreaterThan(labKnobSpecs(lab12.scenario.setup.learnerKnobs, false).length);
  });

  test('hints: the ladder when guided, only on request in hard mode, hidden by the instructor switch in either mode', () => {
    expect(hintMode({})).toBe('ladder');
    expect(hintMode({ hard: true })).toBe('on-request');
    expect(hintMode({ hideHints: true })).toBe('hidden');
    expect(hintMode({ hard: true, hideHints: true })).toBe('hidden');
  });
});
