import { describe, expect, it } from 'vitest';
import { startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';
import {
  burstsBetween,
  checkBurstOptions,
  DEFAULT_BURSTS,
  expectedCount,
  poolBursts,
  rateAt,
  timeAtCount,
} from '../../../src/sim/sim-rate-schedule.ts';
import { createSimPool, latestTradeIndex, recentTrades, tradeTimeMs } from '../../../src/sim/sim-trade-source.ts';
import { tradesMade } from '../../../src/sim/sim-truth.ts';

const START = Date.parse('2025-09-01T12:00:00Z');
const BURSTS = { windowMs: 600_000, lengthMs: 60_000, factor: 10 };

function pool(tradesPerSecond: number, bursts = BURSTS, index = 1) {
  return createSimPool({ network: 'solana', seed: 3, index, tradesPerSecond, originMs: 0, bursts });
}

describe('bursts', () => {
  it('put one burst of the given length in every window, at offsets drawn per window', () => {
    const p = pool(2);
    const windowStart = Math.floor(START / BURSTS.windowMs) * BURSTS.windowMs;
    const starts: number[] = [];
    for (let w = 0; w < 12; w++) {
      const from = windowStart + w * BURSTS.windowMs;
      const inWindow = burstsBetween(p, from, from + BURSTS.windowMs).filter((b) => b.startMs >= from);
      expect(inWindow).toHaveLength(1);
      const [b] = inWindow;
      expect(b!.endMs - b!.startMs).toBe(60_000);
      expect(b!.endMs).toBeLessThanOrEqual(from + BURSTS.windowMs);
      expect(b!.factor).toBe(10);
      starts.push(b!.startMs - from);
    }
    expect(new Set(starts).size).toBeGreaterThan(6);
    expect(burstsBetween(pool(2), windowStart, windowStart + 3_600_000)).toEqual(
      burstsBetween(p, windowStart, windowStart + 3_600_000),
    );
  });

  it('multiply the count function by the factor inside a burst and leave it at the base rate outside', () => {
    const p = pool(2);
    const [b] = burstsBetween(p, START, START + BURSTS.windowMs);
    const inside = expectedCount(p, b!.endMs) - expectedCount(p, b!.startMs);
    expect(inside).toBeCloseTo(2 * 10 * 60, 6);
    // A minute right after the burst, or right before it: the base rate.
    expect(expectedCount(p, b!.endMs + 60_000) - expectedCount(p, b!.endMs)).toBeCloseTo(120, 6);
    const before = Math.max(b!.startMs - 60_000, Math.floor(b!.startMs / BURSTS.windowMs) * BURSTS.windowMs);
    expect(expectedCount(p, b!.startMs) - expectedCount(p, before)).toBeCloseTo((2 * (b!.startMs - before)) / 1000, 6);
    expect(rateAt(p, b!.startMs + 1)).toBe(20);
    expect(rateAt(p, b!.endMs + 1)).toBe(2);
    // A whole window holds the base rate's trades plus the burst's extra.
    const w0 = Math.floor(START / BURSTS.windowMs) * BURSTS.windowMs;
    expect(expectedCount(p, w0 + BURSTS.windowMs) - expectedCount(p, w0)).toBeCloseTo(2 * 600 + 2 * 9 * 60, 6);
    // The trades themselves follow: the trades made in the burst, and in as long a stretch outside it.
    expect(Math.abs(tradesMade(p, b!.startMs, b!.endMs) - 1200)).toBeLessThanOrEqual(2);
    expect(Math.abs(tradesMade(p, b!.endMs, b!.endMs + 60_000) - 120)).toBeLessThanOrEqual(2);
  });

  it('keep the stream deterministic: the count function inverts, times never go back, each trade is found again', () => {
    const p = pool(7);
    for (const x of [0.5, 12.25, 1e6 + 0.75, expectedCount(p, START) + 0.1, expectedCount(p, START + 123_456) + 0.9])
      expect(expectedCount(p, timeAtCount(p, x))).toBeCloseTo(x, 3);
    const first = latestTradeIndex(p, START);
    let previous = tradeTimeMs(p, first);
    for (let k = first + 1; k < first + 20_000; k++) {
      const t = tradeTimeMs(p, k);
      expect(t).toBeGreaterThanOrEqual(previous);
      previous = t;
    }
    for (let t = START; t < START + 1_200_000; t += 997) {
      const k = latestTradeIndex(p, t);
      expect(tradeTimeMs(p, k)).toBeLessThanOrEqual(t);
      expect(tradeTimeMs(p, k + 1)).toBeGreaterThan(t);
    }
    expect(tradeTimeMs(pool(7), first + 5)).toBe(tradeTimeMs(p, first + 5));
  });

  it('are drawn for a share of the pools, and leave a steady pool the stream it had without bursts', async () => {
    const options = checkBurstOptions({ ...DEFAULT_BURSTS, share: 0.5 });
    const bursty = Array.from({ length: 400 }, (_, i) => poolBursts(options, 9, i)).filter(Boolean).length;
    expect(bursty).toBeGreaterThan(150);
    expect(bursty).toBeLessThan(250);
    expect(poolBursts({ ...options, share: 0 }, 9, 1)).toBeUndefined();
    expect(poolBursts({ ...options, share: 1 }, 9, 1)).toEqual({ windowMs: 600_000, lengthMs: 60_000, factor: 10 });
    expect(() => checkBurstOptions({ ...DEFAULT_BURSTS, seconds: 600 })).toThrow(/bursts.seconds/);

    const clock = () => START;
    const [plain, withBursts] = await Promise.all([
      startGeckoSimulator({ seed: 9, pools: 6, tradesPerSecond: 3, historySeconds: 3600, clock }),
      startGeckoSimulator({ seed: 9, pools: 6, tradesPerSecond: 3, historySeconds: 3600, clock, bursts: true }),
    ]);
    try {
      const steady = withBursts.pools.filter((p) => !p.bursts);
      const changed = withBursts.pools.filter((p) => p.bursts);
      expect(steady.length).toBeGreaterThan(0);
      expect(changed.length).toBeGreaterThan(0);
      for (const p of steady) expect(recentTrades(p, START)).toEqual(recentTrades(plain.pools[p.index]!, START));
      for (const p of changed)
        expect(recentTrades(p, START).map((t) => t.id)).not.toEqual(
          recentTrades(plain.pools[p.index]!, START).map((t) => t.id),
        );
      // The truth ledger names the bursts it counted.
      const truth = withBursts.truth({ fromMs: START - 3_600_000 });
      for (const entry of truth.pools)
        expect(entry.bursts.length > 0).toBe(changed.some((p) => p.address === entry.pool));
    } finally {
      await Promise.all([plain.close(), withBursts.close()]);
    }
  });
});
