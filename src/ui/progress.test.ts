import { describe, expect, test } from 'vitest';
import { PROGRESS_KEY, ProgressStore, RESET_NOTICE, type StorageLike } from './progress.ts';

class FakeStorage implements StorageLike {
  items = new Map<string, string>();
  getItem(key: string) { return this.items.get(key) ?? null; }
  setItem(key: string, value: string) { this.items.set(key, value); }
  removeItem(key: string) { this.items.delete(key); }
}

const throwing: StorageLike = {
  getItem() { throw new DOMException('denied', 'SecurityError'); },
  setItem() { throw new DOMException('denied', 'SecurityError'); },
  removeItem() { throw new DOMException('denied', 'SecurityError'); },
};

const withRaw = (raw: string) => { const s = new FakeStorage(); s.setItem(PROGRESS_KEY, raw); return s; };

describe('saved progress', () => {
  test('a first visit starts clean, with no notice', () => {
    const store = new ProgressStore(() => new FakeStorage());
    expect(store.notice).toBeUndefined();
    expect(store.data).toEqual({ version: 1, labs: {} });
    expect(store.lab('01-anatomy').status).toBe('not-started');
    expect(store.persistent).toBe(true);
  });

  test('opening, ticking and completing a lab is saved under the versioned key and read back', () => {
    const storage = new FakeStorage();
    let t = 1000;
    const store = new ProgressStore(() => storage, () => t++);
    const seen: string[] = [];
    store.subscribe((d) => seen.push(d.lastLab ?? ''));
    store.open('02-polling-etiquette');
    store.recordObjectives('02-polling-etiquette', ['hear-slow-down'], 3);
    expect(store.lab('02-polling-etiquette')).toEqual({ status: 'in-progress', objectivesDone: ['hear-slow-down'], updatedAt: 1001 });
    store.recordObjectives('02-polling-etiquette', ['hear-slow-down', 'back-off-by-five', 'polite-login'], 3);
    store.setLargeType(true);
    expect(seen.length).toBe(4);
    const again = new ProgressStore(() => storage);
    expect(again.notice).toBeUndefined();
    expect(again.data.lastLab).toBe('02-polling-etiquette');
    expect(again.data.largeType).toBe(true);
    expect(again.lab('02-polling-etiquette').status).toBe('completed');
    // Completion stays when the lab is opened again or reset.
    again.open('02-polling-etiquette');
    again.recordObjectives('02-polling-etiquette', [], 3);
    expect(again.lab('02-polling-etiquette').status).toBe('completed');
  });

  test('a hard-mode attempt that ticks every objective records a hard-mode completion, which stays; a guided one does not', () => {
    const storage = new Map<string, string>();
    const fake = { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => void storage.set(k, v), removeItem: (k: string) => void storage.delete(k) };
    const store = new ProgressStore(() => fake, () => 5);
    store.recordObjectives('21-device-flow-policy', ['a', 'b'], 2);
    expect(store.lab('21-device-flow-policy')).toEqual({ status: 'completed', objectivesDone: ['a', 'b'], updatedAt: 5 });
    store.recordObjectives('21-device-flow-policy', ['a'], 2, true);
    expect(store.lab('21-device-flow-policy').hardCompleted).toBeUndefined();
    store.recordObjectives('21-device-flow-policy', ['a', 'b'], 2, true);
    expect(store.lab('21-device-flow-policy').hardCompleted).toBe(true);
    store.recordObjectives('21-device-flow-policy', [], 2, false);
    const again = new ProgressStore(() => fake);
    expect(again.notice).toBeUndefined();
    expect(again.lab('21-device-flow-policy')).toMatchObject({ status: 'completed', hardCompleted: true });
  });

  test('the instructor switch (hide hints and solutions) is remembered', () => {
    const storage = new Map<string, string>();
    const fake = { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => void storage.set(k, v), removeItem: (k: string) => void storage.delete(k) };
    new ProgressStore(() => fake).setHideHints(true);
    expect(new ProgressStore(() => fake).data.hideHints).toBe(true);
  });

  test.each([
    ['corrupt JSON', '{"version":1,"labs":'],
    ['a foreign shape', '["not", "ours"]'],
    ['a future version', JSON.stringify({ version: 2, labs: {} })],
    ['no version', JSON.stringify({ labs: {} })],
    ['a bad status', JSON.stringify({ version: 1, labs: { '01-anatomy': { status: 'done', objectivesDone: [], updatedAt: 1 } } })],
    ['a hostile lab id', JSON.stringify({ version: 1, labs: { '<img src=x>': { status: 'completed', objectivesDone: [], updatedAt: 1 } } })],
    ['objectives that are not strings', JSON.stringify({ version: 1, labs: { '01-anatomy': { status: 'in-progress', objectivesDone: [1], updatedAt: 1 } } })],
    ['a bad last lab', JSON.stringify({ version: 1, labs: {}, lastLab: 42 })],
    ['a hideHints that is not a boolean', JSON.stringify({ version: 1, labs: {}, hideHints: 'yes' })],
    ['a hardCompleted that is not a boolean', JSON.stringify({ version: 1, labs: { '01-anatomy': { status: 'completed', objectivesDone: [], updatedAt: 1, hardCompleted: 1 } } })],
    ['a prototype key', '{"version":1,"labs":{"__proto__":{"status":"completed","objectivesDone":[],"updatedAt":1}}}'],
    ['null', 'null'],
  ])('%s gives a notice and a clean start, and the clean state is written back', (_name, raw) => {
    const storage = withRaw(raw);
    const store = new ProgressStore(() => storage);
    expect(store.notice).toBe(RESET_NOTICE);
    expect(store.data).toEqual({ version: 1, labs: {} });
    expect(JSON.parse(storage.getItem(PROGRESS_KEY)!)).toEqual({ version: 1, labs: {} });
    expect(new ProgressStore(() => storage).notice).toBeUndefined();
  });

  test('storage that throws on access keeps progress in memory for the visit, without an error', () => {
    const store = new ProgressStore(() => { throw new DOMException('no storage here', 'SecurityError'); });
    expect(store.persistent).toBe(false);
    expect(store.notice).toBeUndefined();
    store.open('01-anatomy');
    expect(store.data.lastLab).toBe('01-anatomy');
  });

  test('storage whose methods throw, or that is absent, is the same', () => {
    const a = new ProgressStore(() => throwing);
    a.open('01-anatomy');
    expect(a.lab('01-anatomy').status).toBe('in-progress');
    const b = new ProgressStore(() => undefined);
    b.recordObjectives('01-anatomy', ['x'], 1);
    expect(b.lab('01-anatomy').status).toBe('completed');
  });

  test('a full quota on write falls back to memory', () => {
    const storage = new FakeStorage();
    storage.setItem = () => { throw new DOMException('full', 'QuotaExceededError'); };
    const store = new ProgressStore(() => storage);
    store.open('06-credentials-file');
    expect(store.persistent).toBe(false);
    expect(store.data.lastLab).toBe('06-credentials-file');
  });

  test('reset everything forgets every lab and setting', () => {
    const storage = new FakeStorage();
    const store = new ProgressStore(() => storage);
    store.open('01-anatomy');
    store.setLargeType(true);
    store.resetAll();
    expect(store.data).toEqual({ version: 1, labs: {} });
    expect(new ProgressStore(() => storage).data).toEqual({ version: 1, labs: {} });
  });
});
