import { describe, expect, it } from 'vitest';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { AMOUNTS_PER_ROW, amountNumbers, amountsAgree } from '../../../src/trades/trade-amounts.ts';
import { TRADE_FIELDS, validateTrade } from '../../../src/trades/trade-validation.ts';

/** A batch's flat validated values, as the writer holds them. */
function flatOf(trades: ReturnType<typeof syntheticTrade>[]): unknown[] {
  return trades.flatMap((t, i) => {
    const v = validateTrade(t, i);
    if (!v.ok) throw new Error(v.reason);
    return v.row;
  });
}

const trades = Array.from({ length: 50 }, (_, i) => syntheticTrade(i, { seed: 3 }));

describe('amountNumbers / amountsAgree', () => {
  it('gives Number() of each amount, four per row, which the check accepts', () => {
    const a = amountNumbers(trades);
    expect(a).toHaveLength(trades.length * AMOUNTS_PER_ROW);
    expect(a[4 * 7 + 2]).toBe(Number(trades[7]!.priceUsd));
    expect(a[4 * 9 + 3]).toBe(Number(trades[9]!.volumeUsd));
    expect(amountsAgree(flatOf(trades), a)).toBe(true);
  });

  it('accepts zero only as 0, and numbers a rounding moved up one decimal place', () => {
    const t = [
      {
        ...trades[0]!,
        fromTokenAmount: '0.000',
        toTokenAmount: '9.9999999999999999999',
        priceUsd: '0.0012',
        volumeUsd: '120',
      },
    ];
    const a = amountNumbers(t);
    expect(a[1]).toBe(10);
    expect(amountsAgree(flatOf(t), a)).toBe(true);
    a[0] = 1e-9;
    expect(amountsAgree(flatOf(t), a)).toBe(false);
  });

  it.each([
    ['swapped amounts of a row', (a: Float64Array) => a.set([a[2]!, a[0]!], 0)],
    ['one amount ten thousand times too large', (a: Float64Array) => (a[5] = a[5]! * 1e4)],
    ['a NaN', (a: Float64Array) => (a[6] = Number.NaN)],
    ['a negative number', (a: Float64Array) => (a[7] = -a[7]!)],
    ['an infinity', (a: Float64Array) => (a[8] = Number.POSITIVE_INFINITY)],
  ])('refuses %s', (_what, spoil) => {
    const a = amountNumbers(trades);
    spoil(a);
    expect(amountsAgree(flatOf(trades), a)).toBe(false);
  });

  it('refuses numbers that do not line up with the rows', () => {
    const flat = flatOf(trades);
    expect(amountsAgree(flat, amountNumbers(trades.slice(1)))).toBe(false);
    expect(amountsAgree(flat.slice(0, 10 * TRADE_FIELDS), amountNumbers(trades))).toBe(false);
  });

  it('leaves exponent notation to the writer (its magnitude is not read from the text)', () => {
    const t = [{ ...trades[0]!, volumeUsd: '1.5e7' }];
    expect(amountsAgree(flatOf(t), amountNumbers(t))).toBe(false);
  });
});
