// The simulator's truth ledger: how many trades each pool made in any interval, whether or not anyone fetched
// them, so that completeness (stored / made) can be measured for a run. Computed from the trade streams, the
// same functions that serve the trades, so a trade counted here is one the API could have served.

import { compareDecimalStrings } from '../trades/decimal-string.ts';
import { SimQueryError } from './sim-query.ts';
import { burstsBetween, type SimBurst } from './sim-rate-schedule.ts';
import { latestTradeIndex, type SimPool, simTrade } from './sim-trade-source.ts';

export interface SimTruthQuery {
  /** Start, inclusive (ms since epoch). Default: when the simulator started. */
  fromMs?: number;
  /** End, exclusive. Default and upper bound: the simulator's now (trades not made yet are not counted). */
  toMs?: number;
  /** One pool's address: only that pool. */
  pool?: string;
  /** List the trade ids made in the interval (only with `pool`). */
  ids?: boolean;
  /** Count only trades whose USD volume is strictly above this (the collector's --min-volume-usd). */
  minVolumeUsd?: string;
}

export interface SimPoolTruth {
  pool: string;
  /** Trades made in [fromMs, toMs). */
  made: number;
  /** The pool's base rate, outside bursts. */
  tradesPerSecond: number;
  /** Its bursts overlapping the interval (the rate is tradesPerSecond × factor inside them). */
  bursts: SimBurst[];
  /** Their ids, oldest first, when asked for. */
  ids?: string[];
}

export interface SimTruthReport {
  fromMs: number;
  /** The end counted: the one asked for, or the simulator's now + 1 ms if that came first. */
  toMs: number;
  /** The simulator's clock when it answered. */
  asOfMs: number;
  minVolumeUsd?: string;
  /** Trades made in the interval, every pool (or the one asked for) together. */
  made: number;
  pools: SimPoolTruth[];
}

/** More trades than this are not listed or filtered in one report (a few seconds of work). */
export const MAX_TRUTH_SCAN = 1_000_000;

/** Indices k of the trades with fromMs <= time < toMs (none before the pool's history): [first, end). */
export function tradeIndexRange(pool: SimPool, fromMs: number, toMs: number): { first: number; end: number } {
  const from = Math.max(fromMs, pool.historyStartMs);
  if (toMs <= from) return { first: 0, end: 0 };
  const first = latestTradeIndex(pool, from - 1) + 1;
  const end = latestTradeIndex(pool, toMs - 1) + 1;
  return { first, end: Math.max(first, end) };
}

/** Trades the pool made in [fromMs, toMs), future ones included if toMs is ahead of the clock. */
export function tradesMade(pool: SimPool, fromMs: number, toMs: number): number {
  const { first, end } = tradeIndexRange(pool, fromMs, toMs);
  return end - first;
}

/** The ledger for `query` at `nowMs`; SimQueryError for an unknown pool, a reversed interval or too much to scan. */
export function truthReport(
  pools: readonly SimPool[],
  query: SimTruthQuery,
  nowMs: number,
  defaultFromMs: number,
): SimTruthReport {
  const fromMs = query.fromMs ?? defaultFromMs;
  if (query.toMs !== undefined && query.toMs < fromMs)
    throw new SimQueryError(`to (${query.toMs} ms) is before from (${fromMs} ms)`);
  const toMs = Math.min(query.toMs ?? Number.POSITIVE_INFINITY, nowMs + 1);
  let chosen = pools;
  if (query.pool !== undefined) {
    chosen = pools.filter((p) => p.address === query.pool);
    if (chosen.length === 0) throw new SimQueryError(`no pool ${JSON.stringify(query.pool)} in this simulator`);
  } else if (query.ids) throw new SimQueryError('ids are listed for one pool at a time: add pool=ADDRESS');
  const scanning = query.ids === true || query.minVolumeUsd !== undefined;
  let scanned = 0;
  const out: SimPoolTruth[] = chosen.map((pool) => {
    const { first, end } = tradeIndexRange(pool, fromMs, toMs);
    const entry: SimPoolTruth = {
      pool: pool.address,
      made: end - first,
      tradesPerSecond: pool.tradesPerSecond,
      bursts: burstsBetween(pool, fromMs, toMs),
    };
    if (!scanning) return entry;
    scanned += end - first;
    if (scanned > MAX_TRUTH_SCAN)
      throw new SimQueryError(
        `listing or filtering more than ${MAX_TRUTH_SCAN} trades in one report: ask a shorter interval or one pool`,
      );
    const ids: string[] = [];
    for (let k = first; k < end; k++) {
      const trade = simTrade(pool, k);
      if (
        query.minVolumeUsd !== undefined &&
        compareDecimalStrings(trade.attributes.volume_in_usd, query.minVolumeUsd) <= 0
      )
        continue;
      ids.push(trade.id);
    }
    entry.made = ids.length;
    if (query.ids) entry.ids = ids;
    return entry;
  });
  return {
    fromMs,
    toMs: Math.max(fromMs, toMs),
    asOfMs: nowMs,
    ...(query.minVolumeUsd !== undefined ? { minVolumeUsd: query.minVolumeUsd } : {}),
    made: out.reduce((sum, p) => sum + p.made, 0),
    pools: out,
  };
}
