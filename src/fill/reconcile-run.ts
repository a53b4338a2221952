// One reconcile: per pool, fetches the API's candles (OHLCV, paged back with before_timestamp, 1000 a call) over
// the whole buckets the store covers, keeps them in ohlcv_candles (source 'api'), and compares each bucket's USD
// volume with the bucket built from stored trades; completeness is volume-weighted, short buckets flagged.

import { timestampMs } from '../common/stored-time.ts';
import type { GeckoTerminalClient } from '../gecko/gecko-client.ts';
import { type ApiCandle, getOhlcv, MAX_OHLCV_LIMIT } from '../gecko/range-requests.ts';
import { type Timeframe, timeframeSeconds } from '../gecko/timeframes.ts';
import type { AckMessage, WritePayload } from '../protocol/messages.ts';
import type { CandleRecord } from '../protocol/records.ts';
import type { FillReads, PoolSpan } from '../storage/fill-reads.ts';
import { poolIdParts } from '../trades/pool-id.ts';

export interface ReconcileOptions {
  reads: FillReads;
  write: (payload: WritePayload) => Promise<AckMessage>;
  client: GeckoTerminalClient;
  network: string;
  timeframe: Timeframe;
  /** A bucket is short when stored < API × (1 − threshold). */
  threshold: number;
  poolIds?: readonly string[];
  sinceSec?: number;
  untilSec?: number;
  /** The --min-volume-usd the store was collected with (null: none, or not known). */
  minVolumeUsd: string | null;
  signal?: AbortSignal;
  onProgress?: (poolsDone: number, pools: number, calls: number) => void;
  now?: () => number;
}

export interface BucketComparison {
  startSec: number;
  apiVolumeUsd: number;
  storedVolumeUsd: number;
  /** stored / API (1 when both are 0). */
  completeness: number;
}

export interface PoolReconcile {
  poolId: string;
  /** Whole buckets compared: [fromSec, toSec). */
  fromSec: number;
  toSec: number;
  calls: number;
  /** The API's candles fetched and kept (ohlcv_candles). */
  apiCandles: number;
  /** Buckets compared: those of the API's candles and of the stored trades. */
  buckets: number;
  apiVolumeUsd: number;
  /** Stored volume, each bucket counted up to the API's (a bucket over it cannot make up for one short). */
  storedVolumeUsd: number;
  completeness: number | null;
  short: BucketComparison[];
  error?: string;
}

export interface ReconcileSummary {
  timeframe: Timeframe;
  threshold: number;
  minVolumeUsd: string | null;
  pools: PoolReconcile[];
  calls: number;
  candlesKept: number;
  apiVolumeUsd: number;
  storedVolumeUsd: number;
  /** Volume-weighted over every pool's buckets; null when the API had no volume there. */
  completeness: number | null;
  interrupted: boolean;
}

/** The whole buckets of a pool's stored span (a bucket the span only cuts would look short), clamped to the flags. */
export function wholeBuckets(
  span: PoolSpan,
  seconds: number,
  sinceSec?: number,
  untilSec?: number,
): { fromSec: number; toSec: number } {
  const first = timestampMs(span.firstTrade!) / 1000;
  const last = timestampMs(span.lastTrade!) / 1000;
  let fromSec = Math.ceil(first / seconds) * seconds;
  let toSec = Math.floor(last / seconds) * seconds;
  if (sinceSec !== undefined) fromSec = Math.max(fromSec, Math.ceil(sinceSec / seconds) * seconds);
  if (untilSec !== undefined) toSec = Math.min(toSec, Math.floor(untilSec / seconds) * seconds);
  return { fromSec, toSec };
}

const CANDLE_BATCH = 500;

/** The API's candles of one pool with fromSec <= start < toSec, paged back from toSec. */
async function apiCandles(
  o: ReconcileOptions,
  poolId: string,
  fromSec: number,
  toSec: number,
  count: () => void,
): Promise<ApiCandle[]> {
  const { network, address } = poolIdParts(poolId);
  const out: ApiCandle[] = [];
  for (let before = toSec; before > fromSec; ) {
    o.signal?.throwIfAborted();
    count();
    const page = await getOhlcv(o.client, network, address, {
      timeframe: o.timeframe,
      beforeSec: before,
      limit: MAX_OHLCV_LIMIT,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    let oldest = before;
    for (const c of page) {
      oldest = Math.min(oldest, c.startSec);
      if (c.startSec >= fromSec && c.startSec < toSec) out.push(c);
    }
    if (page.length < MAX_OHLCV_LIMIT || oldest >= before) break;
    before = oldest;
  }
  return out;
}

async function reconcilePool(o: ReconcileOptions, span: PoolSpan, count: () => void): Promise<PoolReconcile> {
  const seconds = timeframeSeconds(o.timeframe);
  const { fromSec, toSec } = wholeBuckets(span, seconds, o.sinceSec, o.untilSec);
  const r: PoolReconcile = {
    poolId: span.poolId,
    fromSec,
    toSec,
    calls: 0,
    apiCandles: 0,
    buckets: 0,
    apiVolumeUsd: 0,
    storedVolumeUsd: 0,
    completeness: null,
    short: [],
  };
  if (toSec <= fromSec) return r;
  let candles: ApiCandle[];
  try {
    candles = await apiCandles(o, span.poolId, fromSec, toSec, () => {
      r.calls++;
      count();
    });
  } catch (err) {
    if (o.signal?.aborted) throw err;
    return { ...r, error: (err as Error).message };
  }
  r.apiCandles = candles.length;
  const fetchedAt = new Date((o.now ?? Date.now)()).toISOString();
  const records: CandleRecord[] = candles.map((c) => ({
    poolId: span.poolId,
    timeframe: o.timeframe,
    bucketStart: new Date(c.startSec * 1000).toISOString(),
    source: 'api',
    open: c.open,
    high: c.high,
    low: c.low,
    close: c.close,
    volumeUsd: c.volumeUsd,
    trades: null,
    buys: null,
    sells: null,
    buyVolumeUsd: null,
    sellVolumeUsd: null,
    fetchedAt,
  }));
  for (let i = 0; i < records.length; i += CANDLE_BATCH) await o.write({ candles: records.slice(i, i + CANDLE_BATCH) });
  const stored = new Map(
    (await o.reads.storedBuckets(span.poolId, o.timeframe, fromSec, toSec)).map((b) => [b.startSec, b.volumeUsd]),
  );
  const api = new Map(candles.map((c) => [c.startSec, Number(c.volumeUsd)]));
  const starts = [...new Set([...api.keys(), ...stored.keys()])].sort((a, b) => a - b);
  for (const startSec of starts) {
    const a = api.get(startSec) ?? 0;
    const s = stored.get(startSec) ?? 0;
    r.buckets++;
    r.apiVolumeUsd += a;
    r.storedVolumeUsd += Math.min(s, a);
    const completeness = a === 0 ? (s === 0 ? 1 : Number.POSITIVE_INFINITY) : s / a;
    if (s < a * (1 - o.threshold)) r.short.push({ startSec, apiVolumeUsd: a, storedVolumeUsd: s, completeness });
  }
  r.completeness = r.apiVolumeUsd > 0 ? r.storedVolumeUsd / r.apiVolumeUsd : null;
  return r;
}

export async function runReconcile(o: ReconcileOptions): Promise<ReconcileSummary> {
  const prefix = `${o.network}_`;
  const spans = (await o.reads.poolSpans(prefix)).filter(
    (p) => p.firstTrade !== null && (!o.poolIds || o.poolIds.includes(p.poolId)),
  );
  const summary: ReconcileSummary = {
    timeframe: o.timeframe,
    threshold: o.threshold,
    minVolumeUsd: o.minVolumeUsd,
    pools: [],
    calls: 0,
    candlesKept: 0,
    apiVolumeUsd: 0,
    storedVolumeUsd: 0,
    completeness: null,
    interrupted: false,
  };
  const count = () => {
    summary.calls++;
    o.onProgress?.(summary.pools.length, spans.length, summary.calls);
  };
  for (const span of spans) {
    let r: PoolReconcile;
    try {
      r = await reconcilePool(o, span, count);
    } catch (err) {
      if (!o.signal?.aborted) throw err;
      summary.interrupted = true;
      break;
    }
    summary.pools.push(r);
    summary.candlesKept += r.apiCandles;
    summary.apiVolumeUsd += r.apiVolumeUsd;
    summary.storedVolumeUsd += r.storedVolumeUsd;
    if (r.error === undefined && r.buckets > 0)
      await o.write({
        reconciles: [
          {
            poolId: r.poolId,
            timeframe: o.timeframe,
            reconciledAt: new Date((o.now ?? Date.now)()).toISOString(),
            spanStart: new Date(r.fromSec * 1000).toISOString(),
            spanEnd: new Date(r.toSec * 1000).toISOString(),
            apiVolumeUsd: r.apiVolumeUsd,
            storedVolumeUsd: r.storedVolumeUsd,
            completeness: r.completeness,
            buckets: r.buckets,
            shortBuckets: r.short.length,
            threshold: o.threshold,
            minVolumeUsd: o.minVolumeUsd,
          },
        ],
      });
    o.onProgress?.(summary.pools.length, spans.length, summary.calls);
  }
  summary.completeness = summary.apiVolumeUsd > 0 ? summary.storedVolumeUsd / summary.apiVolumeUsd : null;
  return summary;
}
