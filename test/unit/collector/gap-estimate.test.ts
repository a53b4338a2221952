// A gap's estimated missed trades from whole-second stamps: the span starts when the previous answer was served
// and ends where the answer's oldest trade most likely fell inside its second, by the rate.
import { describe, expect, it } from 'vitest';
import { gapMissed, gapStartMs, oldestTimeMs } from '../../../src/collector/gap-estimate.ts';

const S = 1_000_000_000; // a whole second

describe('gapMissed', () => {
  it('a busy pool whose 300 trades and cursor share one second still lost trades: the time between the polls', () => {
    // 2000 trades/s; the previous answer served at S+300, this one at S+600 with its 300 trades in second S: they
    // took 150 ms, so the oldest fell at S+450 and the 150 ms since the previous answer held 300 trades.
    const g = { cursorMs: S, previousServedMs: S + 300, oldestMs: S, oldestSecondCount: 300, atMs: S + 600 };
    expect(oldestTimeMs(g, 2000)).toBe(S + 450);
    expect(gapMissed(g, { before: 2000, after: 2000 })).toBeCloseTo(300, 6);
  });

  it('a quiet pool: the oldest trade inside its second by the trades of it the answer holds', () => {
    // 1 trade/s; polled a minute apart; the oldest trade alone in its second: its middle.
    const g = {
      cursorMs: S,
      previousServedMs: S + 10_000,
      oldestMs: S + 40_000,
      oldestSecondCount: 1,
      atMs: S + 70_000,
    };
    expect(oldestTimeMs(g, 1)).toBe(S + 40_500);
    expect(gapMissed(g, { before: 1, after: 1 })).toBeCloseTo(30.5, 6);
  });

  it('a resumed pool (no previous answer this run): the gap starts in the middle of the cursor second', () => {
    const g = {
      cursorMs: S,
      previousServedMs: Number.NaN,
      oldestMs: S + 10_000,
      oldestSecondCount: 1,
      atMs: S + 20_000,
    };
    expect(gapStartMs(g)).toBe(S + 500);
    expect(gapMissed(g, { before: 2, after: 1 })).toBeCloseTo(1.5 * 10, 6);
  });
});
