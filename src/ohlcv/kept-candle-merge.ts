// `ohlcv` over pruned days: the candles built from the trades still stored, with the candles `prune` kept for the
// trades it deleted (ohlcv_candles, source 'trades') put in. A bucket both have is the two combined (what is still
// stored of a pruned day is at most the trade a pool's cursor names, or trades written after the prune): counts and
// volumes added, high and low widened, open the kept one's, close the stored one's.
// Within a pool candles stay in bucket order; pools that only have kept candles come after the others.

import type { StoredCandle } from '../storage/retention-store.ts';
import type { Candle } from './candle-builder.ts';
import { compareDecimals, DecimalSum } from './exact-decimal.ts';

const PLAIN = /^-?\d+(\.\d+)?$/;

/** a + b, exactly when both are plain decimals (PostgreSQL's numeric), else as doubles (SQLite's REAL). */
function plus(a: string, b: string): string {
  if (!PLAIN.test(a) || !PLAIN.test(b)) return String(Number(a) + Number(b));
  const s = new DecimalSum();
  s.add(a);
  s.add(b);
  return s.toString();
}

function larger(a: string, b: string): string {
  return PLAIN.test(a) && PLAIN.test(b) ? (compareDecimals(a, b) >= 0 ? a : b) : Number(a) >= Number(b) ? a : b;
}

function combined(kept: Candle, stored: Candle): Candle {
  return {
    ...kept,
    high: larger(kept.high, stored.high),
    low: larger(kept.low, stored.low) === kept.low ? stored.low : kept.low,
    close: stored.close,
    volumeUsd: plus(kept.volumeUsd, stored.volumeUsd),
    trades: kept.trades + stored.trades,
    buys: kept.buys + stored.buys,
    sells: kept.sells + stored.sells,
    buyVolumeUsd: plus(kept.buyVolumeUsd, stored.buyVolumeUsd),
    sellVolumeUsd: plus(kept.sellVolumeUsd, stored.sellVolumeUsd),
  };
}

function candleOf(k: StoredCandle): Candle {
  const { timeframe: _t, ...c } = k;
  return c;
}

export async function* withKeptCandles(
  built: AsyncIterable<Candle[]>,
  kept: readonly StoredCandle[],
): AsyncGenerator<Candle[]> {
  if (kept.length === 0) {
    yield* built;
    return;
  }
  const byPool = new Map<string, StoredCandle[]>();
  for (const k of kept) {
    const list = byPool.get(k.poolId);
    if (list) list.push(k);
    else byPool.set(k.poolId, [k]);
  }
  // The next kept candle of each pool not yet emitted.
  const at = new Map<string, number>();
  const keptBefore = (poolId: string, bucket: string | undefined, out: Candle[]) => {
    const list = byPool.get(poolId);
    if (!list) return;
    let i = at.get(poolId) ?? 0;
    while (i < list.length && (bucket === undefined || list[i]!.bucketStart <= bucket)) out.push(candleOf(list[i++]!));
    at.set(poolId, i);
  };
  let pool: string | undefined;
  for await (const batch of built) {
    const out: Candle[] = [];
    for (const c of batch) {
      if (pool !== undefined && c.poolId !== pool) keptBefore(pool, undefined, out);
      pool = c.poolId;
      const before = out.length;
      keptBefore(c.poolId, c.bucketStart, out);
      const last = out.length > before ? out[out.length - 1]! : undefined;
      if (last?.bucketStart === c.bucketStart) out[out.length - 1] = combined(last, c);
      else out.push(c);
    }
    if (out.length > 0) yield out;
  }
  const rest: Candle[] = [];
  if (pool !== undefined) keptBefore(pool, undefined, rest);
  for (const poolId of byPool.keys()) keptBefore(poolId, undefined, rest);
  if (rest.length > 0) yield rest;
}
