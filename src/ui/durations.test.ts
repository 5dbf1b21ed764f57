/**
 * The page's durations: the consent page's rounded "Access lasts …" text comes from the CLI's one rounded
 * formatter (`formatDuration`, in words), and the panels' exact `duration` is a different form on purpose.
 */
import { describe, expect, test } from 'vitest';
import { formatDuration } from '../flow/messages.ts';
import { duration } from './panels/format.ts';

describe('durations', () => {
  test("the consent page's words: seconds below 2 min, whole minutes below 2 h, then whole hours", () => {
    const words = (s: number) => formatDuration(s, 0, 'words');
    expect([1, 45, 119, 120, 900, 7199, 7200, 9000, 28_800].map(words)).toEqual([
      '1 seconds', '45 seconds', '119 seconds', '2 minutes', '15 minutes', '120 minutes', '2 hours', '3 hours', '8 hours',
    ]);
  });

  test("the CLI's short units are unchanged by the words option", () => {
    expect([formatDuration(45), formatDuration(900), formatDuration(86_400), formatDuration(9000, 1), formatDuration(28_800, 0)])
      .toEqual(['45 s', '15 min', '1440 min', '2.5 h', '8 h']);
  });

  test("the panels' exact form keeps every unit", () => {
    expect([duration(3_723_000), duration(45_000), duration(-60_000)]).toEqual(['1 h 2 min 3 s', '45 s', '-1 min']);
  });
});
