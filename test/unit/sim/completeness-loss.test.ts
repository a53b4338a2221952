// bench:completeness's per-pool loss split: trades a late poll missed (overflow), trades after the last poll
// (horizon), and of those the ones a poll at the stop would still have found in the newest 300.
import { describe, expect, it } from 'vitest';
import { tradeTimesSource } from '../../../bench/completeness-fair-oracle.ts';
import { poolLoss } from '../../../bench/completeness-loss.ts';

/** One trade a ms from 0 to n - 1. */
const everyMs = (n: number) => tradeTimesSource(Array.from({ length: n }, (_, i) => i));

describe('poolLoss', () => {
  it('splits what a pool lost into what late polls missed and what came after its last poll', () => {
    // Interval [1000, 3000): trades 1000..2999. Polls at 1200 (saw 901..1200), 2000 (saw 1701..2000: lost
    // 1201..1700, 500 trades), 2100 (lossless), then nothing: 2101..2999 after the last poll.
    const loss = poolLoss(everyMs(5000), [1200, 2000, 2100], 1000, 3000, 3150);
    expect(loss.overflow).toBe(500);
    expect(loss.horizon).toBe(899);
    // The newest 300 at 3150 are 2851..3150: of the horizon, 2851..2999.
    expect(loss.horizonInWindowAtStop).toBe(149);
    expect(loss.longestGapMs).toBe(800);
  });

  it('counts the interval before a late first poll as overflow, and a polled tail as no loss', () => {
    const loss = poolLoss(everyMs(5000), [1500, 1800, 2100, 2400, 2700, 3000], 1000, 3000, 3000);
    // The first poll at 1500 saw 1201..1500: 1000..1200 lost.
    expect(loss).toEqual({ overflow: 201, horizon: 0, horizonInWindowAtStop: 0, longestGapMs: 300 });
  });
});
