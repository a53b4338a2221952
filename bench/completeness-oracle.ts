// The unpaced completeness oracle (the fair one, which paces calls, is completeness-fair-oracle.ts): the most trades any schedule could store in an interval with a given number of calls,
// knowing every pool's true trade times (bursts included). An upper bound for the schedules bench:completeness runs.
//
// One pool first. A poll at t answers the newest 300 trades at or before t (with a cache of C, a poll is fresh only
// C after the previous one). The lazy schedule polls as late as it can without losing a trade: at the time of the
// 300th trade not yet stored (a millisecond sooner if later trades share it), or C after its previous poll if that
// comes later (then a burst loses what the cache hides), and a last time at the interval's end. With n polls a pool
// stores at most min(300·n, what the lazy schedule stores), which the lazy schedule's first n polls reach (but for
// trades that share a millisecond, where the bound is a hair above what any schedule can do). Then the pools: calls are given out one at a time to the pool where one more call stores the most, which
// for these concave per-pool curves is the best split of the budget. Pacing is ignored (a budget of 60 calls/min
// over 10 minutes is 600 calls to place anywhere), which is part of why this is a bound.

import { latestTradeIndex, type SimPool, tradeTimeMs } from '../src/sim/sim-trade-source.ts';
import { tradeIndexRange } from '../src/sim/sim-truth.ts';

/** The API's page: the trades endpoint answers the newest 300. */
export const WINDOW = 300;

export interface OraclePool {
  pool: string;
  /** Trades made in the interval. */
  made: number;
  /** What the lazy schedule stores: all of `made` without a cache. */
  reachable: number;
  /** Polls the lazy schedule spends for it. */
  polls: number;
  /** Trades the lazy schedule's polls store, one entry per poll, in order: 300 each but the last. */
  perPoll: number[];
}

export interface OracleResult {
  made: number;
  stored: number;
  completeness: number;
  /** Calls the best split spends (never more than given; fewer when everything reachable is stored). */
  calls: number;
  /** Calls that store everything reachable. */
  callsForAll: number;
}

/** The lazy schedule of one pool over [fromMs, toMs) with a cache of `cacheMs` (0: the paid API). */
export function oraclePool(pool: SimPool, fromMs: number, toMs: number, cacheMs: number): OraclePool {
  const { first, end } = tradeIndexRange(pool, fromMs, toMs);
  const perPoll: number[] = [];
  let next = first; // the oldest trade not stored yet
  let previousPoll = Number.NEGATIVE_INFINITY;
  while (next < end) {
    let due = next + WINDOW - 1 < end ? tradeTimeMs(pool, next + WINDOW - 1) : toMs - 1;
    // Trades share a millisecond in a fast burst: a poll at the 300th one's could answer a later one too, so a
    // millisecond sooner (unless nothing new has arrived by then).
    if (latestTradeIndex(pool, due) > next + WINDOW - 1 && latestTradeIndex(pool, due - 1) >= next) due -= 1;
    // The final poll may come sooner than the cache allows: the bound stays a bound.
    const at = Math.min(Math.max(due, previousPoll + cacheMs), toMs - 1);
    const newest = Math.min(latestTradeIndex(pool, at), end - 1);
    perPoll.push(Math.min(WINDOW, newest - next + 1));
    next = newest + 1;
    previousPoll = at;
  }
  return {
    pool: pool.address,
    made: end - first,
    reachable: perPoll.reduce((s, n) => s + n, 0),
    polls: perPoll.length,
    perPoll,
  };
}

/** The best split of `calls` calls over the pools (one at a time to the pool where one more stores the most). */
export function oracleSplit(pools: readonly OraclePool[], calls: number): OracleResult {
  // A pool's curve: 300 a call up to what it can reach, min(300·n, reachable). The best split takes the largest
  // gains first, so sorting every pool's gains gives what handing calls out one by one would.
  const gains = pools
    .flatMap((p) => [...Array<number>(Math.floor(p.reachable / WINDOW)).fill(WINDOW), p.reachable % WINDOW])
    .filter((g) => g > 0)
    .sort((a, b) => b - a);
  const taken = gains.slice(0, Math.max(0, Math.floor(calls)));
  const made = pools.reduce((s, p) => s + p.made, 0);
  const stored = taken.reduce((s, n) => s + n, 0);
  const callsForAll = pools.reduce((s, p) => s + p.polls, 0);
  return { made, stored, completeness: made === 0 ? 1 : stored / made, calls: taken.length, callsForAll };
}
