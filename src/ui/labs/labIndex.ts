/**
 * The labs as the UI lists them: the validated labs from `virtual:labs` (in folder order) and small lookups
 * over them and over saved progress.
 */
import { labs } from 'virtual:labs';
import type { Lab, Level } from '../../labs/types.ts';
import type { LabStatus, ProgressData } from '../progress.ts';

export const LABS: readonly Lab[] = labs;

export function findLab(id: string | undefined): Lab | undefined {
  return LABS.find((l) => l.id === id);
}

export function nextLab(id: string): Lab | undefined {
  const i = LABS.findIndex((l) => l.id === id);
  return i === -1 ? undefined : LABS[i + 1];
}

export const STATUS_LABEL: Readonly<Record<LabStatus, string>> = {
  'not-started': 'Not started',
  'in-progress': 'In progress',
  completed: 'Completed',
};

export const LEVEL_LABEL: Readonly<Record<Level, string>> = { beginner: 'Beginner', intermediate: 'Intermediate', advanced: 'Advanced' };

export function statusOf(data: ProgressData, id: string): LabStatus {
  return Object.hasOwn(data.labs, id) ? data.labs[id]!.status : 'not-started';
}

/** The lab to continue: the last one opened if still in progress, else the most recently touched one in progress. */
export function continueLab(data: ProgressData): Lab | undefined {
  const last = findLab(data.lastLab);
  if (last && statusOf(data, last.id) === 'in-progress') return last;
  const open = LABS.filter((l) => statusOf(data, l.id) === 'in-progress');
  open.sort((a, b) => (data.labs[b.id]?.updatedAt ?? 0) - (data.labs[a.id]?.updatedAt ?? 0));
  return open[0];
}
