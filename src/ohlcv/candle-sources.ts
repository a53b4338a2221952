// Where `ohlcv --source` reads candles: built from the stored trades (`trades`), the API's own kept by reconcile
// (`api`, ohlcv_candles), or `best`: a bucket's trades candle where the store has the bucket complete, else the
// API's. Complete: no API candle is kept for the bucket, or the stored volume is within BEST_SHORT of the API's.

import type { Timeframe } from '../gecko/timeframes.ts';
import type { KeptCandle } from '../storage/fill-reads.ts';
import { openFillReads } from '../storage/open-fill-reads.ts';
import type { TradeFilter } from '../storage/trade-rows.ts';
import type { Candle } from './candle-builder.ts';
import { ohlcvCandles } from './ohlcv-candles.ts';

export const CANDLE_SOURCES = ['trades', 'api', 'best'] as const;
export type CandleSource = (typeof CANDLE_SOURCES)[number];
/** A trades bucket short of the API's volume by more than this fraction is taken from the API under `best`. */
export const BEST_SHORT = 0.02;

export interface SourcedOhlcvOptions {
  url: string;
  timeframe: Timeframe;
  filter?: TradeFilter;
  source: CandleSource;
}

/** A kept API candle as a Candle: the counts the API does not give are left empty (source 'api'). */
function fromApi(c: KeptCandle): Candle {
  return { ...c, trades: 0, buys: 0, sells: 0, buyVolumeUsd: '', sellVolumeUsd: '', source: 'api' };
}

async function keptCandles(o: SourcedOhlcvOptions): Promise<KeptCandle[]> {
  const reads = await openFillReads(o.url);
  try {
    return await reads.keptApiCandles(o.timeframe, o.filter ?? {});
  } finally {
    await reads.close();
  }
}

/** One pool's buckets under `best`, in bucket order. */
function bestOf(trades: Candle[], api: KeptCandle[]): Candle[] {
  const byStart = new Map(api.map((c) => [c.bucketStart, c]));
  const out: Candle[] = [];
  for (const t of trades) {
    const a = byStart.get(t.bucketStart);
    byStart.delete(t.bucketStart);
    const complete = a === undefined || Number(t.volumeUsd) >= Number(a.volumeUsd) * (1 - BEST_SHORT);
    out.push(complete ? { ...t, source: 'trades' } : fromApi(a));
  }
  for (const a of byStart.values()) out.push(fromApi(a));
  return out.sort((x, y) => (x.bucketStart < y.bucketStart ? -1 : x.bucketStart > y.bucketStart ? 1 : 0));
}

/** Candles in pool, bucket order from the chosen source. */
export async function* sourcedCandles(o: SourcedOhlcvOptions): AsyncGenerator<Candle[]> {
  if (o.source === 'trades') {
    yield* ohlcvCandles(o);
    return;
  }
  const kept = await keptCandles(o);
  if (o.source === 'api') {
    for (let i = 0; i < kept.length; i += 1000) yield kept.slice(i, i + 1000).map(fromApi);
    return;
  }
  // best: the API's candles of each pool are merged in as that pool's trades candles pass.
  const apiByPool = new Map<string, KeptCandle[]>();
  for (const c of kept) {
    const list = apiByPool.get(c.poolId);
    if (list) list.push(c);
    else apiByPool.set(c.poolId, [c]);
  }
  const apiPools = [...apiByPool.keys()];
  let pool: string | undefined;
  let buffered: Candle[] = [];
  const flushUpTo = function* (next: string | undefined): Generator<Candle[]> {
    if (pool !== undefined) {
      yield bestOf(buffered, apiByPool.get(pool) ?? []);
      apiByPool.delete(pool);
    }
    // Pools with API candles only, in order before the next pool with trades.
    for (const p of apiPools)
      if (apiByPool.has(p) && (next === undefined || p < next)) {
        yield bestOf([], apiByPool.get(p)!);
        apiByPool.delete(p);
      }
    buffered = [];
    pool = next;
  };
  for await (const batch of ohlcvCandles(o)) {
    for (const c of batch) {
      if (c.poolId !== pool) yield* flushUpTo(c.poolId);
      buffered.push(c);
    }
  }
  yield* flushUpTo(undefined);
}
