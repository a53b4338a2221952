// The library call behind `gecko-collector ohlcv`: candles per pool from the stored trades, read-only, from a
// SQLite file or PostgreSQL, streamed (memory holds one candle per pool at a time).

import { openTradeSource } from '../export/trade-source.ts';
import { type Timeframe, timeframeSeconds } from '../gecko/timeframes.ts';
import type { TradeFilter } from '../storage/trade-rows.ts';
import { buildCandles, type Candle } from './candle-builder.ts';
import { withKeptCandles } from './kept-candle-merge.ts';

export interface OhlcvOptions {
  /** sqlite:///path.db or postgresql://… (see DatabaseConfig.url). */
  url: string;
  timeframe: Timeframe;
  /** Pools, network, block-time window (since inclusive, until exclusive). */
  filter?: TradeFilter;
}

/** Candles in pool, bucket order, a batch at a time; the database is closed when iteration ends or stops. */
export async function* ohlcvCandles(options: OhlcvOptions): AsyncGenerator<Candle[]> {
  const seconds = timeframeSeconds(options.timeframe);
  const source = await openTradeSource(options.url);
  try {
    const filter = options.filter ?? {};
    // Days `prune` deleted still answer, from the candles it kept.
    yield* withKeptCandles(
      buildCandles(source.candleTrades(filter), seconds),
      await source.keptCandles(options.timeframe, filter),
    );
  } finally {
    await source.close();
  }
}
