// The adaptive schedule's arithmetic, the same in every thread: from each pool's estimated rate and the one call
// budget, each pool's poll interval and the budget plan. A pool is polled again before its 300-trade window can
// fill (a margin, since rates move), never sooner than the cache allows, at least every max interval. When the
// budget cannot cover that, the margin goes first; then (priority trades) quiet pools wait up to their lossless
// interval; then every pool is stretched alike, each call still answering a full window, so no call is wasted.

import type { ScheduleSettings } from '../protocol/pool-schedule.ts';

/** The trades endpoint's window. */
export const WINDOW_TRADES = 300;
/** Fill of the window a pool is polled at when the budget allows: 180 of 300 (rates move). */
export const SAFE_FILL = 0.6;
/** With budget to spare, busy pools are polled down to this fill (a burst then loses less). */
const SPARE_FILL = 0.25;
/** The share of the budget a plan that covers every pool spends at most: retries and first polls need the rest. */
export const BUDGET_SHARE = 0.9;
/** A short budget is spent whole: every call then answers a full window, and the rate limit paces them. */
const SHORT_SHARE = 1;
/** Spare budget is spent up to this share of it. */
const SPARE_SHARE = 0.85;
/** The API serves trades of the last 24 hours: no pool waits longer than this. */
const LONGEST_MS = 23 * 3600_000;

export interface PoolDemand {
  /** Estimated trades/s; undefined while unknown (the pool waits for its first poll). */
  rate: number | undefined;
}

export interface BudgetPlan {
  /** Calls/min the pools need at the safe margin. */
  neededPerMin: number;
  budgetPerMin: number;
  /** What the intervals spend. */
  plannedPerMin: number;
  /** The budget cannot cover the need: pools that will lose trades, and how many an hour at current rates. */
  short: { pools: number; missedPerHour: number; budgetToCover: number } | null;
}

export interface Allocation {
  /** Per pool, in the order given. */
  intervalsMs: number[];
  plan: BudgetPlan;
}

/** Bisection for the parameter at which the decreasing `calls(p)` comes down to `target` (within [lo, hi]). */
function solve(calls: (p: number) => number, target: number, lo: number, hi: number): number {
  if (calls(hi) > target) return hi;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (calls(mid) > target) lo = mid;
    else hi = mid;
  }
  return hi;
}

export function allocate(pools: readonly PoolDemand[], s: ScheduleSettings): Allocation {
  const min = Math.max(1, s.minPollIntervalMs);
  const max = Math.max(min, s.maxPollIntervalMs);
  const budget = (s.callsPerMinute / 60_000) * BUDGET_SHARE; // calls per ms
  // Lossless interval: the time the pool takes to make one window of trades.
  const lossless = pools.map((p) =>
    p.rate === undefined ? undefined : p.rate > 0 ? (WINDOW_TRADES / p.rate) * 1000 : Number.POSITIVE_INFINITY,
  );
  const clamp = (ms: number, hi = max) => Math.min(Math.max(ms, min), hi);
  // A pool at the cache is polled again at the cache and then waits for a limiter slot (they are 60000/budget
  // ms apart), so it spends a call per cache + one slot: counting it at the cache alone would over-plan its calls
  // and stretch the other pools for calls it never makes.
  const slotMs = s.callsPerMinute > 0 ? 60_000 / s.callsPerMinute : 0;
  const spent = (ms: number) => (ms <= min ? ms + slotMs : ms);
  const callsOf = (intervals: readonly number[]) => intervals.reduce((sum, ms) => sum + 1 / spent(ms), 0);
  const at = (fill: number, quietCap: (i: number) => number = () => max) =>
    lossless.map((l, i) => (l === undefined ? max : clamp(fill * l, quietCap(i))));

  const safe = at(SAFE_FILL);
  const needed = callsOf(safe);
  let intervals = safe;
  if (needed <= budget * SPARE_SHARE) {
    // Spare budget: busier polling (down to SPARE_FILL, and quiet pools below the max) up to SPARE_SHARE of it.
    const spread = (k: number) =>
      lossless.map((l, i) => (l === undefined ? max : clamp(Math.max(SPARE_FILL * l, k * safe[i]!), max)));
    intervals = spread(solve((k) => callsOf(spread(k)), budget * SPARE_SHARE, SPARE_FILL / SAFE_FILL, 1));
  } else if (needed > budget) {
    const all = budget * (SHORT_SHARE / BUDGET_SHARE);
    // 1. Less margin, up to the lossless interval.
    const fill = solve((f) => callsOf(at(f)), budget, SAFE_FILL, 1);
    intervals = at(fill);
    if (callsOf(intervals) > all && s.priority === 'trades') {
      // 2. Quiet pools wait longer than the max interval, up to their lossless one.
      const stretched = (u: number) =>
        at(1, (i) => Math.min(LONGEST_MS, Math.max(max, Math.min(lossless[i]!, max * u))));
      intervals = stretched(solve((u) => callsOf(stretched(u)), all, 1, LONGEST_MS / max));
    }
    if (callsOf(intervals) > all) {
      // 3. Every pool alike past its lossless interval (each call then answers a full window); with priority
      // pools, the quiet ones keep the max interval.
      const base = intervals;
      const over = (k: number) =>
        base.map((ms, i) => {
          const l = lossless[i];
          if (l === undefined) return ms;
          if (s.priority === 'pools' && ms >= max) return ms;
          return Math.min(LONGEST_MS, Math.max(ms, k * Math.min(l, LONGEST_MS)));
        });
      intervals = over(solve((k) => callsOf(over(k)), all, 1, 1e6));
    }
  }
  return { intervalsMs: intervals, plan: planOf(pools, intervals, needed, callsOf(intervals), s) };
}

function planOf(
  pools: readonly PoolDemand[],
  intervals: readonly number[],
  needed: number,
  planned: number,
  s: ScheduleSettings,
) {
  let shortPools = 0;
  let missedPerMs = 0;
  for (const [i, p] of pools.entries()) {
    if (!p.rate) continue;
    const lost = p.rate / 1000 - WINDOW_TRADES / intervals[i]!;
    // A pool whose window barely fills is not counted short for a rounding.
    if (lost > (p.rate / 1000) * 0.01) {
      shortPools++;
      missedPerMs += lost;
    }
  }
  const perMin = (callsPerMs: number) => callsPerMs * 60_000;
  return {
    neededPerMin: perMin(needed),
    budgetPerMin: s.callsPerMinute,
    plannedPerMin: perMin(planned),
    short:
      shortPools === 0
        ? null
        : {
            pools: shortPools,
            missedPerHour: missedPerMs * 3600_000,
            budgetToCover: Math.ceil(perMin(needed) / BUDGET_SHARE),
          },
  };
}
