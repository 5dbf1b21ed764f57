import { describe, expect, it, test } from 'vitest';
import { base64urlBits, clockTime, duration, latest, prettyBody } from './format.ts';

describe('panel formatting', () => {
  it('shows world-clock times as UTC wall time', () => {
    expect(clockTime(Date.UTC(2026, 0, 5, 9, 0, 5))).toBe('09:00:05');
  });
  it('shows durations in h/min/s', () => {
    expect(duration(5_000)).toBe('5 s');
    expect(duration(65_000)).toBe('1 min 5 s');
    expect(duration(3_600_000)).toBe('1 h');
    expect(duration(-30_000)).toBe('-30 s');
  });
  it('pretty-prints JSON bodies only', () => {
    expect(prettyBody('{"a":1}', 'application/json')).toBe('{\n  "a": 1\n}');
    expect(prettyBody('a=1&b=2', 'application/x-www-form-urlencoded')).toBe('a=1&b=2');
    expect(prettyBody('{oops', 'application/json')).toBe('{oops');
  });
  it('counts a 43-character base64url secret as 256 bits', () => {
    expect(base64urlBits('x'.repeat(43))).toBe(256);
  });
});

describe('latest', () => {
  test('keeps the newest entries in order, or everything on request', () => {
    const list = Array.from({ length: 60 }, (_, i) => i);
    expect(latest(list, false, 50)).toEqual(list.slice(10));
    expect(latest(list, true, 50)).toBe(list);
    expect(latest([1, 2], false, 50)).toEqual([1, 2]);
  });
});
