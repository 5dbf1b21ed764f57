/**
 * How a lab view is played: guided (the lab's knobs, the hint ladder), hard mode (every knob, in the same order
 * for every lab, and hints only when asked for), or with hints and solutions hidden (instructor mode's switch).
 * Pure, so the rules are tested without a page.
 */
import { CLIENT_KNOB_SPECS, type ClientKnobSpec } from '../../flow/knobs.ts';
import type { LearnerKnobs } from '../../labs/types.ts';
import { SERVER_KNOB_SPECS, type KnobSpec } from '../../sim/knobs.ts';

export type LabKnobSpec = { side: 'client'; spec: ClientKnobSpec } | { side: 'server'; spec: KnobSpec };

/**
 * The knobs the lab view offers. Guided: the ones the lab asks the learner to change, in the lab's order. Hard
 * mode: every client and server knob in their specs' order, the same list for every lab, so the list itself
 * gives nothing away.
 */
export function labKnobSpecs(knobs: LearnerKnobs, hard: boolean): LabKnobSpec[] {
  if (hard) {
    return [
      ...CLIENT_KNOB_SPECS.map((spec) => ({ side: 'client' as const, spec })),
      ...SERVER_KNOB_SPECS.map((spec) => ({ side: 'server' as const, spec })),
    ];
  }
  return [
    ...(knobs.client ?? []).flatMap((k) => CLIENT_KNOB_SPECS.filter((s) => s.key === k).map((spec) => ({ side: 'client' as const, spec }))),
    ...(knobs.server ?? []).flatMap((k) => SERVER_KNOB_SPECS.filter((s) => s.key === k).map((spec) => ({ side: 'server' as const, spec }))),
  ];
}

/**
 * What the hint ladder shows: `ladder` (guided: the ladder's first button is there), `on-request` (hard mode: one
 * button asks for the ladder first), `hidden` (instructor mode's switch: no hints at all, a note says why).
 */
export type HintMode = 'ladder' | 'on-request' | 'hidden';

export function hintMode(options: { hard?: boolean | undefined; hideHints?: boolean | undefined }): HintMode {
  if (options.hideHints) return 'hidden';
  return options.hard ? 'on-request' : 'ladder';
}
