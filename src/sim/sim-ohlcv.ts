// The simulator's OHLCV endpoint: candles built from exactly the trades it made, in GeckoTerminal's buckets
// (multiples of the bucket length since the epoch) and answer shape (`data.attributes.ohlcv_list`, newest first).

import { TIMEFRAMES, type Timeframe } from '../gecko/timeframes.ts';
import { booleanParam, choiceParam, intParam, SimQueryError } from './sim-query.ts';
import { type GeckoTradeObject, latestTradeIndex, type SimPool, simTrade, tradeTimeMs } from './sim-trade-source.ts';
import { tradeIndexRange } from './sim-truth.ts';

/** [bucket start in unix seconds, open, high, low, close, volume in USD]: one entry of `ohlcv_list`. */
export type SimCandle = [number, number, number, number, number, number];

export interface SimOhlcvQuery {
  timeframe: 'day' | 'hour' | 'minute';
  aggregate: number;
  /** Only buckets that start before this (unix seconds); default: every bucket up to now. */
  beforeTimestamp?: number;
  /** 1 to 1000; default 100. */
  limit: number;
  /** `usd`: prices in USD; `token`: in the other token of the pool. */
  currency: 'usd' | 'token';
  /** Whose price: the pool's base token or its quote token. */
  token: 'base' | 'quote';
  /** Buckets without trades as candles too (open = high = low = close = the previous close, volume 0). */
  includeEmptyIntervals: boolean;
}

const AGGREGATES = { minute: [1, 5, 15], hour: [1, 4, 12], day: [1] } as const;
const UNITS = { minute: 'm', hour: 'h', day: 'd' } as const;
export const MAX_OHLCV_LIMIT = 1000;
/** One answer aggregates at most this many trades (about ten seconds of the simulator's time). */
export const MAX_OHLCV_TRADES = 500_000;

/** The bucket length in seconds: the same table the collector's own candles use. */
export function bucketSeconds(timeframe: SimOhlcvQuery['timeframe'], aggregate: number): number {
  return TIMEFRAMES[`${aggregate}${UNITS[timeframe]}` as Timeframe];
}

/** The query of `GET …/ohlcv/{timeframe}`; SimQueryError for a value the API would refuse. */
export function parseOhlcvQuery(timeframe: string, query: URLSearchParams, pool: SimPool): SimOhlcvQuery {
  if (!(timeframe in AGGREGATES))
    throw new SimQueryError(`timeframe must be day, hour or minute, got ${JSON.stringify(timeframe)}`);
  const tf = timeframe as SimOhlcvQuery['timeframe'];
  const allowed: readonly number[] = AGGREGATES[tf];
  const aggregate = intParam(query, 'aggregate', 1, 1, 15);
  if (!allowed.includes(aggregate))
    throw new SimQueryError(`aggregate for ${tf} must be one of ${allowed.join(', ')}, got ${aggregate}`);
  const before = query.get('before_timestamp') === null ? undefined : intParam(query, 'before_timestamp', 0, 0, 1e11);
  // The API also takes the token's address for `token`.
  const tokenRaw = query.get('token');
  const token =
    tokenRaw === pool.baseToken.address
      ? 'base'
      : tokenRaw === pool.quoteToken.address
        ? 'quote'
        : choiceParam(query, 'token', ['base', 'quote'] as const, 'base');
  return {
    timeframe: tf,
    aggregate,
    ...(before !== undefined ? { beforeTimestamp: before } : {}),
    limit: intParam(query, 'limit', 100, 1, MAX_OHLCV_LIMIT),
    currency: choiceParam(query, 'currency', ['usd', 'token'] as const, 'usd'),
    token,
    includeEmptyIntervals: booleanParam(query, 'include_empty_intervals', false),
  };
}

/** The price one trade gives a candle: the chosen token's, in USD or in the pool's other token. */
export function candlePrice(trade: GeckoTradeObject, token: 'base' | 'quote', currency: 'usd' | 'token'): number {
  const a = trade.attributes;
  const buy = a.kind === 'buy';
  if (currency === 'usd') {
    // A buy pays the quote token (from) for the base token (to).
    const baseSide = buy ? a.price_to_in_usd : a.price_from_in_usd;
    const quoteSide = buy ? a.price_from_in_usd : a.price_to_in_usd;
    return Number(token === 'base' ? baseSide : quoteSide);
  }
  const baseInQuote = Number(buy ? a.price_to_in_currency_token : a.price_from_in_currency_token);
  return token === 'base' ? baseInQuote : 1 / baseInQuote;
}

/** A candle of trades [first, end) of `pool`, oldest first; volume = the sum of their volume_in_usd. */
function candleOf(pool: SimPool, ts: number, first: number, end: number, q: SimOhlcvQuery): SimCandle {
  let open = 0;
  let high = Number.NEGATIVE_INFINITY;
  let low = Number.POSITIVE_INFINITY;
  let close = 0;
  let volume = 0;
  for (let k = first; k < end; k++) {
    const trade = simTrade(pool, k);
    const price = candlePrice(trade, q.token, q.currency);
    if (k === first) open = price;
    high = Math.max(high, price);
    low = Math.min(low, price);
    close = price;
    volume += Number(trade.attributes.volume_in_usd);
  }
  return [ts, open, high, low, close, volume];
}

/** Completed candles, kept so that paging over a busy pool does not rebuild them; bounded, oldest dropped. */
export class CandleMemo {
  private readonly entries = new Map<string, SimCandle>();
  constructor(private readonly max = 20_000) {}
  get(key: string): SimCandle | undefined {
    return this.entries.get(key);
  }
  set(key: string, candle: SimCandle): void {
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, candle);
  }
}

/**
 * The candles the API answers at `nowMs`, newest first: buckets that start before `beforeTimestamp` (whole, with
 * every trade made by now), back to the pool's history start, at most `limit`. SimQueryError past MAX_OHLCV_TRADES.
 */
export function simCandles(pool: SimPool, q: SimOhlcvQuery, nowMs: number, memo?: CandleMemo): SimCandle[] {
  const lengthS = bucketSeconds(q.timeframe, q.aggregate);
  const lengthMs = lengthS * 1000;
  const horizonMs = nowMs + 1;
  const beforeMs = q.beforeTimestamp === undefined ? horizonMs : Math.min(q.beforeTimestamp * 1000, horizonMs);
  // The newest bucket that starts before `beforeMs`.
  let bucketMs = Math.floor((beforeMs - 1) / lengthMs) * lengthMs;
  const out: SimCandle[] = [];
  let aggregated = 0;
  while (out.length < q.limit && bucketMs + lengthMs > pool.historyStartMs) {
    const { first, end } = tradeIndexRange(pool, bucketMs, Math.min(bucketMs + lengthMs, horizonMs));
    if (end > first) {
      const done = bucketMs + lengthMs <= horizonMs;
      const key = `${pool.index}:${lengthS}:${bucketMs}:${q.token}:${q.currency}`;
      let candle = done ? memo?.get(key) : undefined;
      if (!candle) {
        aggregated += end - first;
        if (aggregated > MAX_OHLCV_TRADES)
          throw new SimQueryError(
            `the simulator builds one answer from at most ${MAX_OHLCV_TRADES} trades: ask a smaller limit or shorter buckets`,
          );
        candle = candleOf(pool, bucketMs / 1000, first, end, q);
        if (done) memo?.set(key, candle);
      }
      out.push(candle);
    } else {
      // No trade in this bucket: the newest trade before it says where the next candle is (and its close).
      const previous = latestTradeIndex(pool, bucketMs - 1);
      if (previous < 0 || tradeTimeMs(pool, previous) < pool.historyStartMs) break;
      if (q.includeEmptyIntervals) {
        const close = candlePrice(simTrade(pool, previous), q.token, q.currency);
        out.push([bucketMs / 1000, close, close, close, close, 0]);
      } else {
        bucketMs = Math.floor(tradeTimeMs(pool, previous) / lengthMs) * lengthMs;
        continue;
      }
    }
    bucketMs -= lengthMs;
  }
  return out;
}

/** The answer's JSON, shaped like GeckoTerminal's (meta names the token priced as `base`). */
export function ohlcvDocument(pool: SimPool, q: SimOhlcvQuery, candles: SimCandle[]): unknown {
  const [priced, other] = q.token === 'base' ? [pool.baseToken, pool.quoteToken] : [pool.quoteToken, pool.baseToken];
  const meta = (t: typeof priced) => ({ address: t.address, name: t.name, symbol: t.symbol, coingecko_coin_id: null });
  return {
    data: {
      id: `${pool.network}_${pool.address}_${q.timeframe}_${q.aggregate}`,
      type: 'ohlcv_request_response',
      attributes: { ohlcv_list: candles },
    },
    meta: { base: meta(priced), quote: meta(other) },
  };
}
