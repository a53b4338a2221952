import { describe, expect, it } from 'vitest';
import {
  createSimPool,
  latestTradeIndex,
  recentTrades,
  simTrade,
  tradeTimeMs,
} from '../../../src/sim/sim-trade-source.ts';
import { compareDecimalStrings, isDecimalString } from '../../../src/trades/decimal-string.ts';

const ORIGIN = Date.parse('2025-09-01T00:00:00Z');

describe('sim trade source', () => {
  it('finds the newest arrived trade for any instant', () => {
    for (const rate of [0.3, 1, 7, 250]) {
      const pool = createSimPool({ network: 'solana', seed: 4, index: 1, tradesPerSecond: rate, originMs: ORIGIN });
      expect(latestTradeIndex(pool, ORIGIN - 1)).toBe(-1);
      for (let t = ORIGIN; t < ORIGIN + 20_000; t += 137) {
        const k = latestTradeIndex(pool, t);
        if (k >= 0) expect(tradeTimeMs(pool, k)).toBeLessThanOrEqual(t);
        expect(tradeTimeMs(pool, k + 1)).toBeGreaterThan(t);
      }
    }
  });

  it('produces the same trade for the same seed, pool and index, with exact decimal strings', () => {
    const pool = createSimPool({ network: 'solana', seed: 4, index: 0, tradesPerSecond: 2, originMs: ORIGIN });
    expect(simTrade(pool, 1234)).toEqual(simTrade(pool, 1234));
    expect(simTrade(pool, 1234).id).not.toBe(simTrade(pool, 1235).id);
    const a = simTrade(pool, 99).attributes;
    for (const key of [
      'from_token_amount',
      'to_token_amount',
      'price_from_in_usd',
      'price_to_in_usd',
      'volume_in_usd',
    ] as const) {
      expect(isDecimalString(a[key])).toBe(true);
    }
    expect(a.tx_hash).toHaveLength(88);
  });

  it('returns at most the limit, newest first, inside the window', () => {
    const pool = createSimPool({ network: 'solana', seed: 4, index: 2, tradesPerSecond: 3, originMs: ORIGIN });
    const now = ORIGIN + 600_000;
    const list = recentTrades(pool, now, { limit: 300 });
    expect(list).toHaveLength(300);
    const windowed = recentTrades(pool, now, { windowMs: 10_000 });
    expect(windowed.length).toBeGreaterThanOrEqual(29);
    expect(windowed.length).toBeLessThanOrEqual(31);
    expect(windowed).toEqual(list.slice(0, windowed.length));
  });
});

describe('decimal strings', () => {
  it('compares long decimals exactly where Numbers cannot', () => {
    const a = '0.00004938046117368657746118695707543942946041427';
    const b = '0.00004938046117368657746118695707543942946041428';
    expect(Number(a)).toBe(Number(b));
    expect(compareDecimalStrings(a, b)).toBe(-1);
    expect(compareDecimalStrings(b, a)).toBe(1);
    expect(compareDecimalStrings('10.50', '010.5')).toBe(0);
    expect(compareDecimalStrings('9.99', '10')).toBe(-1);
    expect(compareDecimalStrings('1000.5000001', '1000.5')).toBe(1);
    expect(isDecimalString('1e-7')).toBe(false);
    expect(isDecimalString('-1')).toBe(false);
    expect(isDecimalString('NaN')).toBe(false);
  });
});
