/**
 * Saved progress: a small versioned JSON document in localStorage. Whatever is stored there is untrusted
 * (another app on the origin, an older or newer version, a person editing it): anything that is not exactly
 * this shape is set aside with a readable notice and a clean start. Storage that throws (disabled, a sandboxed
 * iframe, quota) makes progress live in memory for the visit, without an error.
 */
export const PROGRESS_KEY = 'device-flow-lab:progress:v1';
export const PROGRESS_VERSION = 1;
export const RESET_NOTICE = 'Your saved progress could not be read and was reset.';

export type LabStatus = 'not-started' | 'in-progress' | 'completed';
export const LAB_STATUSES: readonly LabStatus[] = ['not-started', 'in-progress', 'completed'];

export interface LabProgress {
  status: LabStatus;
  /** Ids of the objectives ticked so far. */
  objectivesDone: string[];
  /** Milliseconds since the epoch. */
  updatedAt: number;
  /** Every objective held in one hard-mode attempt (every knob shown, no hints asked for). */
  hardCompleted?: boolean;
}

export interface ProgressData {
  version: typeof PROGRESS_VERSION;
  labs: Record<string, LabProgress>;
  /** The lab opened last. */
  lastLab?: string;
  /** Instructor mode: large type for projectors. */
  largeType?: boolean;
  /** Instructor mode's switch: lab views opened from it hide hints and solutions. */
  hideHints?: boolean;
}

/** The part of Storage used here (so tests can inject a fake). */
export type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

const LAB_ID = /^\d{2}-[a-z0-9-]{1,77}$/;
const MAX_LABS = 200;
const MAX_OBJECTIVES = 50;

export const emptyProgress = (): ProgressData => ({ version: PROGRESS_VERSION, labs: {} });

/** Check an untrusted value against the shape; `undefined` when it is anything else. */
export function validateProgress(value: unknown): ProgressData | undefined {
  if (!isPlainObject(value) || value.version !== PROGRESS_VERSION || !isPlainObject(value.labs)) return undefined;
  const entries = Object.entries(value.labs);
  if (entries.length > MAX_LABS) return undefined;
  const labs: Record<string, LabProgress> = {};
  for (const [id, entry] of entries) {
    if (!LAB_ID.test(id) || !isPlainObject(entry)) return undefined;
    const { status, objectivesDone, updatedAt, hardCompleted } = entry;
    if (typeof status !== 'string' || !(LAB_STATUSES as readonly string[]).includes(status)) return undefined;
    if (!Array.isArray(objectivesDone) || objectivesDone.length > MAX_OBJECTIVES) return undefined;
    if (!objectivesDone.every((o) => typeof o === 'string' && o.length > 0 && o.length <= 80)) return undefined;
    if (typeof updatedAt !== 'number' || !Number.isFinite(updatedAt) || updatedAt < 0) return undefined;
    if (hardCompleted !== undefined && typeof hardCompleted !== 'boolean') return undefined;
    labs[id] = { status: status as LabStatus, objectivesDone: [...(objectivesDone as string[])], updatedAt, ...(hardCompleted ? { hardCompleted } : {}) };
  }
  const out: ProgressData = { version: PROGRESS_VERSION, labs };
  if (value.lastLab !== undefined) {
    if (typeof value.lastLab !== 'string' || !LAB_ID.test(value.lastLab)) return undefined;
    out.lastLab = value.lastLab;
  }
  for (const flag of ['largeType', 'hideHints'] as const) {
    if (value[flag] === undefined) continue;
    if (typeof value[flag] !== 'boolean') return undefined;
    out[flag] = value[flag];
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

export class ProgressStore {
  #data: ProgressData;
  #storage: StorageLike | undefined;
  #listeners = new Set<(data: ProgressData) => void>();
  /** Set when saved progress was unreadable and reset (shown once by the page). */
  readonly notice: string | undefined;

  /** `getStorage` may throw (reading `window.localStorage` does in some sandboxes): progress is then in memory. */
  constructor(getStorage: () => StorageLike | undefined = () => globalThis.localStorage, readonly now: () => number = Date.now) {
    let storage: StorageLike | undefined;
    let raw: string | null = null;
    try {
      storage = getStorage();
      raw = storage?.getItem(PROGRESS_KEY) ?? null;
    } catch {
      storage = undefined;
    }
    this.#storage = storage;
    let data: ProgressData | undefined = emptyProgress();
    let notice: string | undefined;
    if (raw !== null) {
      try {
        data = validateProgress(JSON.parse(raw));
      } catch {
        data = undefined;
      }
      if (!data) {
        notice = RESET_NOTICE;
        data = emptyProgress();
        this.#write(data);
      }
    }
    this.#data = data;
    this.notice = notice;
  }

  get data(): ProgressData {
    return this.#data;
  }

  /** False when progress lives only in memory for this visit. */
  get persistent(): boolean {
    return this.#storage !== undefined;
  }

  lab(id: string): LabProgress {
    return this.#data.labs[id] ?? { status: 'not-started', objectivesDone: [], updatedAt: 0 };
  }

  subscribe(listener: (data: ProgressData) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A lab was opened: it becomes the last lab, and in progress unless already completed. */
  open(id: string): void {
    const current = this.lab(id);
    const status: LabStatus = current.status === 'completed' ? 'completed' : 'in-progress';
    this.#set({ ...this.#data, lastLab: id, labs: { ...this.#data.labs, [id]: { ...current, status, updatedAt: this.now() } } });
  }

  /**
   * Record the objectives ticked so far; all of them done completes the lab (and completion stays). `hard`: this
   * attempt is in hard mode, so completing it also records a hard-mode completion (which stays too).
   */
  recordObjectives(id: string, done: readonly string[], total: number, hard = false): void {
    const current = this.lab(id);
    const merged = [...new Set([...current.objectivesDone, ...done])];
    const all = total > 0 && done.length >= total;
    const status: LabStatus = current.status === 'completed' || all ? 'completed' : 'in-progress';
    const hardCompleted = current.hardCompleted === true || (hard && all);
    if (status === current.status && merged.length === current.objectivesDone.length && hardCompleted === (current.hardCompleted === true)) return;
    const entry: LabProgress = { status, objectivesDone: merged, updatedAt: this.now(), ...(hardCompleted ? { hardCompleted } : {}) };
    this.#set({ ...this.#data, labs: { ...this.#data.labs, [id]: entry } });
  }

  setLargeType(on: boolean): void {
    this.#set({ ...this.#data, largeType: on });
  }

  /** Instructor mode's switch: hide hints and solutions in the lab views opened from it. */
  setHideHints(on: boolean): void {
    this.#set({ ...this.#data, hideHints: on });
  }

  /** Forget everything (instructor mode's "Reset everything"). */
  resetAll(): void {
    this.#set(emptyProgress());
  }

  #set(data: ProgressData): void {
    this.#data = data;
    this.#write(data);
    for (const l of this.#listeners) l(data);
  }

  #write(data: ProgressData): void {
    if (!this.#storage) return;
    try {
      this.#storage.setItem(PROGRESS_KEY, JSON.stringify(data));
    } catch {
      // Quota or a storage that stopped working: keep going in memory for the visit.
      this.#storage = undefined;
    }
  }
}
