import { describe, expect, it } from 'vitest';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { doubleRangeProblem } from '../../../src/trades/decimal-string.ts';
import { fastPathValues } from '../../../src/trades/packed-batch-check.ts';
import { packTrades } from '../../../src/trades/trade-packing.ts';
import { validateTrade } from '../../../src/trades/trade-validation.ts';

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

describe("the writer's row checks and fast path", () => {
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

  it('leaves any decimal with an exponent to the row checks; takes plain ones of 70 digits', () => {
    for (const value of ['1e400', '1e-999', '1.5e-7']) {
      expect(fastPathValues(packTrades([{ ...trade, volumeUsd: value }])!, 1), value).toBeNull();
    }
    const long = `${'7'.repeat(40)}.${'3'.repeat(30)}`;
    expect(fastPathValues(packTrades([{ ...trade, priceUsd: long }])!, 1)).not.toBeNull();
    expect(validateTrade({ ...trade, priceUsd: long, toTokenAmount: '1.5e-7' }, 0).ok).toBe(true);
  });
});
