import { describe, expect, test } from 'vitest';
import { inlineRuns, plainText } from './inlineCode.ts';

describe('inline code in authored text', () => {
  test('backticks split the text into code and text runs', () => {
    expect(inlineRuns('`acme token` and the support ticket')).toEqual([
      { code: true, text: 'acme token' },
      { code: false, text: ' and the support ticket' },
    ]);
  });

  test('plainText drops the backticks where markup cannot go (options, accessible names)', () => {
    expect(plainText('`acme token` and the support ticket')).toBe('acme token and the support ticket');
    expect(plainText('no code here')).toBe('no code here');
  });
});
