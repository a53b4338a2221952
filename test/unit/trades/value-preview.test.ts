import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { kindOf, previewJson } from '../../../src/trades/value-preview.ts';

const nested = (depth: number) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown;

describe('previewJson', () => {
  test.prop([fc.jsonValue(), fc.integer({ min: 1, max: 80 })], { numRuns: 300 })(
    'is the start of JSON.stringify, cut at maxChars with …',
    (value, max) => {
      const text = JSON.stringify(value);
      expect(previewJson(value, max)).toBe(text.length > max ? `${text.slice(0, max)}…` : text);
    },
  );

  it('shows a value nested 200,000 deep or with 2 M items at the cost of what it shows', () => {
    const deep = nested(200_000);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(previewJson(deep, 40)).toBe(`${'['.repeat(40)}…`);
    const deepObject = JSON.parse(`${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`) as unknown;
    expect(previewJson(deepObject, 12)).toBe('{"a":{"a":{"…');
    const many = new Array(2_000_000).fill(0);
    expect(previewJson(many, 9)).toBe('[0,0,0,0,…');
    expect(previewJson('x'.repeat(5_000_000), 5)).toBe('"xxxx…');
  });

  it('never throws, and shows what JSON has no text for', () => {
    const throwing = {
      get bad(): never {
        throw new Error('getter');
      },
    };
    expect(previewJson(throwing, 40)).toBe('{?…');
    expect(previewJson(undefined, 40)).toBe('undefined');
    expect(previewJson(() => 1, 40)).toBe('function');
    expect(previewJson([Number.NaN, Number.POSITIVE_INFINITY, 12n, undefined], 40)).toBe('[NaN,Infinity,12,null]');
    expect(previewJson({ a: undefined, b: 1 }, 40)).toBe('{"b":1}');
    expect(kindOf([])).toBe('array');
    expect(kindOf(null)).toBe('null');
    expect(kindOf('x')).toBe('string');
  });
});
