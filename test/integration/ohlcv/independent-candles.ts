// Candles computed the plain way, for the tests to hold the ohlcv command, library call and SQL views to: each
// bucket's trades gathered and sorted, decimals as 120-digit fixed-point BigInts (no code shared with src/ohlcv).
import type { TradeRecord } from '../../../src/protocol/records.ts';

export interface ExpectedCandle {
  pool_id: string;
  bucket_start: string;
  open: string;
  high: string;
  low: string;
  close: string;
  volume_usd: string;
  trades: number;
  buys: number;
  sells: number;
  buy_volume_usd: string;
  sell_volume_usd: string;
}

const DIGITS = 120;
function fixed(text: string): bigint {
  const [int, frac = ''] = text.split('.');
  if (frac.length > DIGITS || !/^\d+$/.test(`${int}${frac}`)) throw new Error(`fixture decimal out of range: ${text}`);
  return BigInt(`${int}${frac.padEnd(DIGITS, '0')}`);
}
function text(v: bigint): string {
  const s = v.toString().padStart(DIGITS + 1, '0');
  const frac = s.slice(-DIGITS).replace(/0+$/, '');
  const int = s.slice(0, -DIGITS);
  return frac ? `${int}.${frac}` : int;
}
/** A decimal's text without trailing fraction zeros (PostgreSQL's numeric keeps its scale). */
export function canonical(decimal: string): string {
  return text(fixed(decimal));
}

export function independentCandles(trades: readonly TradeRecord[], seconds: number): ExpectedCandle[] {
  const buckets = new Map<string, TradeRecord[]>();
  for (const t of trades) {
    const s = Date.parse(t.blockTimestamp) / 1000;
    const start = new Date((s - (s % seconds)) * 1000).toISOString().slice(0, 19).replace('T', ' ');
    const key = `${t.poolId}|${start}`;
    buckets.set(key, [...(buckets.get(key) ?? []), t]);
  }
  const out: ExpectedCandle[] = [];
  for (const [key, group] of buckets) {
    const [pool_id, bucket_start] = key.split('|') as [string, string];
    const byTime = [...group].sort((a, b) =>
      a.blockTimestamp !== b.blockTimestamp
        ? Date.parse(a.blockTimestamp) - Date.parse(b.blockTimestamp)
        : a.id < b.id
          ? -1
          : a.id > b.id
            ? 1
            : 0,
    );
    const byPrice = [...group].sort((a, b) => {
      const d = fixed(a.priceUsd) - fixed(b.priceUsd);
      return d < 0n ? -1 : d > 0n ? 1 : 0;
    });
    const sum = (side?: string) =>
      text(group.filter((t) => side === undefined || t.side === side).reduce((s, t) => s + fixed(t.volumeUsd), 0n));
    out.push({
      pool_id,
      bucket_start,
      open: byTime[0]!.priceUsd,
      high: byPrice[byPrice.length - 1]!.priceUsd,
      low: byPrice[0]!.priceUsd,
      close: byTime[byTime.length - 1]!.priceUsd,
      volume_usd: sum(),
      trades: group.length,
      buys: group.filter((t) => t.side === 'buy').length,
      sells: group.filter((t) => t.side === 'sell').length,
      buy_volume_usd: sum('buy'),
      sell_volume_usd: sum('sell'),
    });
  }
  return out.sort((a, b) =>
    a.pool_id !== b.pool_id ? (a.pool_id < b.pool_id ? -1 : 1) : a.bucket_start < b.bucket_start ? -1 : 1,
  );
}
