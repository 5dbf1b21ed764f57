/**
 * The labs as the UI lists them: each lab's id, order and frontmatter from `virtual:labs/summaries` (in folder
 * order), small lookups over them and over saved progress, and `loadLab` for one complete lab (its lesson and
 * scenario are their own chunk, so a list page does not ship every lab).
 */
import { labLoaders, labSummaries } from 'virtual:labs/summaries';
import type { Lab, LabSummary, Level } from '../../labs/types.ts';
import type { LabStatus, ProgressData } from '../progress.ts';

export const LABS: readonly LabSummary[] = labSummaries;

export function findLab(id: string | undefined): LabSummary | undefined {
  return LABS.find((l) => l.id === id);
}

/** One complete lab; undefined when there is no lab with that id. */
export async function loadLab(id: string | undefined): Promise<Lab | undefined> {
  const load = id !== undefined && Object.hasOwn(labLoaders, id) ? labLoaders[id] : undefined;
  return load ? (await load()).default : undefined;
}

export function nextLab(id: string): LabSummary | undefined {
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
export function continueLab(data: ProgressData): LabSummary | undefined {
  const last = findLab(data.lastLab);
  if (last && statusOf(data, last.id) === 'in-progress') return last;
  const open = LABS.filter((l) => statusOf(data, l.id) === 'in-progress');
  open.sort((a, b) => (data.labs[b.id]?.updatedAt ?? 0) - (data.labs[a.id]?.updatedAt ?? 0));
  return open[0];
}
