// The two API calls that look back: the paid API's trades in a time range (backfill) and a pool's OHLCV candles
// (reconcile), each sent through GeckoTerminalClient (one rate-limit slot, the origin, bounds, retries).

import { type GeckoTerminalClient, pathSegment, type RequestOptions } from './gecko-client.ts';
import { GeckoTerminalError } from './gecko-errors.ts';
import type { Timeframe } from './timeframes.ts';
import { parseTradesPage, type TradesPage } from './trade-parser.ts';

/** What the range endpoint returns at most per answer, as far as we know: a full answer is treated as cut. */
export const DEFAULT_RANGE_PAGE_SIZE = 300;
/** The OHLCV endpoint's largest `limit`. */
export const MAX_OHLCV_LIMIT = 1000;

export interface RangeQuery extends RequestOptions {
  /** Unix seconds, both included (whole seconds: a trade at `endSec`.9 is in). */
  startSec: number;
  endSec: number;
  minVolumeUsd?: string;
  maxClockSkewMs?: number;
}

/** A range answer: its trades, and how many items it held (taken or refused), which says whether it was full. */
export interface RangePage extends TradesPage {
  items: number;
}

/** `GET …/pools/{pool}/trades/range?start_timestamp=&end_timestamp=` (paid plans, Analyst and above). */
export function getTradesInRange(
  client: GeckoTerminalClient,
  network: string,
  poolAddress: string,
  q: RangeQuery,
): Promise<RangePage> {
  const path = `/networks/${pathSegment(network, 'network')}/pools/${pathSegment(poolAddress, 'pool address')}/trades/range`;
  const query = new URLSearchParams({ start_timestamp: String(q.startSec), end_timestamp: String(q.endSec) });
  if (q.minVolumeUsd !== undefined) query.set('trade_volume_in_usd_greater_than', q.minVolumeUsd);
  return client.getPath(path, query, q, (body) => {
    const page = parseTradesPage(body, {
      network,
      poolAddress,
      ...(q.maxClockSkewMs !== undefined ? { maxClockSkewMs: q.maxClockSkewMs } : {}),
    });
    return { ...page, items: page.trades.length + page.rejectedCount };
  });
}

/** One candle of the API: bucket start (unix seconds) and its figures as the API wrote them. */
export interface ApiCandle {
  startSec: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volumeUsd: string;
}

const PERIODS: Record<Timeframe, [period: 'minute' | 'hour' | 'day', aggregate: number]> = {
  '1m': ['minute', 1],
  '5m': ['minute', 5],
  '15m': ['minute', 15],
  '1h': ['hour', 1],
  '4h': ['hour', 4],
  '12h': ['hour', 12],
  '1d': ['day', 1],
};

export interface OhlcvQuery extends RequestOptions {
  timeframe: Timeframe;
  /** Only buckets that start before this (unix seconds); page back with the oldest start returned. */
  beforeSec?: number;
  /** 1 … 1000. */
  limit?: number;
}

function figure(v: unknown, where: string): string {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return String(v);
  if (typeof v === 'string' && /^\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v)) return v;
  throw new GeckoTerminalError(
    `OHLCV answer: ${where} is not a non-negative number: ${JSON.stringify(v)}`,
    'candles',
    where,
  );
}

/** Reads `data.attributes.ohlcv_list` ([[ts, o, h, l, c, v], …], newest first); GeckoTerminalError when unreadable. */
export function parseOhlcvBody(body: string): ApiCandle[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw new GeckoTerminalError('OHLCV answer is not JSON', 'candles', undefined);
  }
  const list = (doc as { data?: { attributes?: { ohlcv_list?: unknown } } } | null)?.data?.attributes?.ohlcv_list;
  if (!Array.isArray(list))
    throw new GeckoTerminalError(
      'OHLCV answer has no data.attributes.ohlcv_list',
      'candles',
      'data.attributes.ohlcv_list',
    );
  if (list.length > MAX_OHLCV_LIMIT)
    throw new GeckoTerminalError(
      `OHLCV answer holds ${list.length} candles, more than ${MAX_OHLCV_LIMIT}`,
      'candles',
      'data.attributes.ohlcv_list',
    );
  return list.map((row: unknown, i) => {
    if (!Array.isArray(row) || row.length < 6 || !Number.isSafeInteger(row[0]))
      throw new GeckoTerminalError(
        `OHLCV answer: candle ${i} is not [ts, open, high, low, close, volume]`,
        'candles',
        `data.attributes.ohlcv_list[${i}]`,
      );
    return {
      startSec: row[0] as number,
      open: figure(row[1], `candle ${i} open`),
      high: figure(row[2], `candle ${i} high`),
      low: figure(row[3], `candle ${i} low`),
      close: figure(row[4], `candle ${i} close`),
      volumeUsd: figure(row[5], `candle ${i} volume`),
    };
  });
}

/** `GET …/pools/{pool}/ohlcv/{minute|hour|day}?aggregate=&before_timestamp=&limit=&currency=usd`. */
export function getOhlcv(
  client: GeckoTerminalClient,
  network: string,
  poolAddress: string,
  q: OhlcvQuery,
): Promise<ApiCandle[]> {
  const [period, aggregate] = PERIODS[q.timeframe];
  const path = `/networks/${pathSegment(network, 'network')}/pools/${pathSegment(poolAddress, 'pool address')}/ohlcv/${period}`;
  const query = new URLSearchParams({
    aggregate: String(aggregate),
    limit: String(q.limit ?? MAX_OHLCV_LIMIT),
    currency: 'usd',
    token: 'base',
  });
  if (q.beforeSec !== undefined) query.set('before_timestamp', String(q.beforeSec));
  return client.getPath(path, query, q, parseOhlcvBody);
}
