// Where a pool's trades of the measured interval were lost, from its polls' times and the truth: before a poll
// that came too late (overflow: more than a window since the previous poll), or after its last poll (horizon: no
// poll came before the run stopped). Paid model: each poll answers the newest 300 at the time it arrived.

import { type TradeSource, WINDOW } from './completeness-fair-oracle.ts';

export interface PoolLoss {
  /** Interval trades not in any poll's window though a later poll came (it came too late). */
  overflow: number;
  /** Interval trades after the pool's last poll. */
  horizon: number;
  /**
   * Of those, the ones still in the pool's newest 300 at `stopMs`: a collector that kept running would store them
   * if its next poll came before the window moved past them (what the measure charges to the run's end).
   */
  horizonInWindowAtStop: number;
  /** The longest time between two of its polls that overlaps the interval, ms (NaN with fewer than two). */
  longestGapMs: number;
}

/** `pollsMs` ascending. Trades are indices; [fromMs, toMs) holds indices (first, last]. */
export function poolLoss(
  source: TradeSource,
  pollsMs: readonly number[],
  fromMs: number,
  toMs: number,
  stopMs: number,
): PoolLoss {
  const first = source.latest(fromMs - 1);
  const last = source.latest(toMs - 1);
  const inInterval = (lo: number, hi: number) => Math.max(0, Math.min(hi, last) - Math.max(lo, first));
  let overflow = 0;
  let longestGapMs = Number.NaN;
  let previous = Number.NEGATIVE_INFINITY;
  let previousAt = Number.NaN;
  for (const at of pollsMs) {
    const newest = source.latest(at);
    // Lost: the trades in (previous, newest - WINDOW].
    overflow += inInterval(previous, newest - WINDOW);
    if (at >= fromMs && previousAt < toMs && !(at - previousAt <= longestGapMs)) longestGapMs = at - previousAt;
    previous = Math.max(previous, newest);
    previousAt = at;
  }
  const horizon = inInterval(previous, Number.POSITIVE_INFINITY);
  const inWindow = Number.isFinite(stopMs)
    ? inInterval(Math.max(previous, source.latest(stopMs) - WINDOW), Number.POSITIVE_INFINITY)
    : 0;
  return { overflow, horizon, horizonInWindowAtStop: inWindow, longestGapMs };
}
