import { describe, expect, it } from 'vitest';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import type { BatchOutcome } from '../../../src/storage/write-engine.ts';
import { doubleRangeProblem } from '../../../src/trades/decimal-string.ts';
import { latestAcceptedTime, validateTrade } from '../../../src/trades/trade-validation.ts';
import { batchValues } from '../../../src/writer/batch-values.ts';

describe('doubleRangeProblem: a decimal must have a double (what the NUMERIC columns and candles hold)', () => {
  it.each(['1e400', '9e999', '18E+307', '1.8e308', `1${'0'.repeat(309)}`])('%s is too large', (text) => {
    expect(doubleRangeProblem(text)).toMatch(/too large for a double \(it would be stored as Infinity\)/);
  });

  it.each(['1e-999', '2e-324', '0.001e-322', `0.${'0'.repeat(330)}1`])('%s is not zero but too small', (text) => {
    expect(doubleRangeProblem(text)).toMatch(/not zero but too small for a double \(it would be stored as 0\)/);
  });

  it.each([
    `${'9'.repeat(40)}.${'9'.repeat(30)}`,
    '0.000000000000000000000001',
    '1.7976931348623157e308',
    '4e-324',
    '1.5e-7',
    '0e999',
    '0.000e-999',
    '0',
    `${'1'.repeat(308)}`,
  ])('%s has one', (text) => {
    expect(doubleRangeProblem(text)).toBeNull();
  });
});

describe("the writer's row checks", () => {
  const trade = syntheticTrade(1, { seed: 9 });

  it.each([
    ['volumeUsd', '1e400', /^volumeUsd "1e400" \(string\) is too large/],
    ['priceUsd', '9e999', /^priceUsd "9e999" \(string\) is too large/],
    ['fromTokenAmount', '1e-999', /^fromTokenAmount "1e-999" \(string\) is not zero but too small/],
    ['toTokenAmount', '-1e400', /^toTokenAmount is "-1e400" \(string\), expected a non-negative decimal/],
  ])('validateTrade refuses %s %s with its reason', (field, value, reason) => {
    const v = validateTrade({ ...trade, [field]: value }, 0);
    expect(v.ok).toBe(false);
    expect(!v.ok && v.reason).toMatch(reason);
  });

  it("the writer's one check path refuses a decimal without a double and takes 70 digits and 1.5e-7", () => {
    const long = `${'7'.repeat(40)}.${'3'.repeat(30)}`;
    const trades = [
      { ...trade, id: 'a', volumeUsd: '1e400' },
      { ...trade, id: 'b', fromTokenAmount: '1e-999' },
      { ...trade, id: 'c', priceUsd: long, toTokenAmount: '1.5e-7' },
    ];
    const out: BatchOutcome = { inserted: 0, duplicates: 0, rejected: [] };
    const flat = batchValues({ kind: 'write', batchId: 1, trades }, out, latestAcceptedTime(60_000));
    expect(out.rejected.map((r) => r.id)).toEqual(['a', 'b']);
    expect(out.rejected[0]!.reason).toMatch(/^volumeUsd "1e400" \(string\) is too large/);
    expect(out.rejected[1]!.reason).toMatch(/^fromTokenAmount "1e-999" \(string\) is not zero but too small/);
    expect(flat).toContain(long);
    expect(flat).toContain('1.5e-7');
  });
});
