// How `ohlcv` prints candles: CSV and NDJSON with the exact decimal text (the SQL views' column names), or a
// table for people, prices to 8 significant digits, one block per pool.

import type { OutputSink } from '../export/output-sink.ts';
import { csvField } from '../export/text-formats.ts';
import type { Candle } from './candle-builder.ts';

export const CANDLE_FORMATS = ['table', 'csv', 'ndjson'] as const;
export type CandleFormat = (typeof CANDLE_FORMATS)[number];

export const CANDLE_COLUMNS = [
  'pool_id',
  'bucket_start',
  'open',
  'high',
  'low',
  'close',
  'volume_usd',
  'trades',
  'buys',
  'sells',
  'buy_volume_usd',
  'sell_volume_usd',
] as const;

function values(c: Candle): (string | number | null)[] {
  if (c.source === 'api')
    return [c.poolId, c.bucketStart, c.open, c.high, c.low, c.close, c.volumeUsd, null, null, null, null, null, 'api'];
  const v: (string | number | null)[] = [
    c.poolId,
    c.bucketStart,
    c.open,
    c.high,
    c.low,
    c.close,
    c.volumeUsd,
    c.trades,
    c.buys,
    c.sells,
    c.buyVolumeUsd,
    c.sellVolumeUsd,
  ];
  if (c.source) v.push(c.source);
  return v;
}

const short = (s: string) => {
  const n = Number(s);
  return n === 0
    ? '0'
    : n
        .toPrecision(8)
        .replace(/(\.\d*?)0+(e|$)/, '$1$2')
        .replace(/\.(e|$)/, '$1');
};

const TABLE_HEAD = ['time (UTC)', 'open', 'high', 'low', 'close', 'volume_usd', 'trades', 'buys', 'sells'];
const WIDTHS = [19, 15, 15, 15, 15, 15, 7, 6, 6];

function tableLine(cells: string[]): string {
  return `${cells.map((c, i) => (i === 0 ? c.padEnd(WIDTHS[i]!) : c.padStart(WIDTHS[i]!))).join('  ')}\n`;
}

/**
 * Writes candles in `format`; returns how many. `withSource` (ohlcv --source api|best): a last column `source`,
 * and an API candle's counts and buy/sell split empty (CSV), null (NDJSON) or `-` (table).
 */
export async function writeCandles(
  candles: AsyncIterable<Candle[]>,
  format: CandleFormat,
  sink: OutputSink,
  withSource = false,
): Promise<number> {
  let n = 0;
  let pool: string | undefined;
  const columns: readonly string[] = withSource ? [...CANDLE_COLUMNS, 'source'] : CANDLE_COLUMNS;
  if (format === 'csv') await sink.text(`${columns.join(',')}\n`);
  for await (const batch of candles) {
    let text = '';
    for (const c of batch) {
      if (format === 'csv')
        text += `${values(c)
          .map((x) => (x === null ? '' : csvField(x)))
          .join(',')}\n`;
      else if (format === 'ndjson') {
        const v = values(c);
        const obj: Record<string, string | number | null> = {};
        for (let i = 0; i < columns.length; i++) obj[columns[i]!] = v[i] ?? null;
        text += `${JSON.stringify(obj)}\n`;
      } else {
        if (c.poolId !== pool) {
          text += `${pool === undefined ? '' : '\n'}pool ${c.poolId}\n${tableLine(TABLE_HEAD)}`;
          pool = c.poolId;
        }
        text += tableLine([
          c.bucketStart,
          short(c.open),
          short(c.high),
          short(c.low),
          short(c.close),
          short(c.volumeUsd),
          ...(c.source === 'api' ? ['-', '-', '-'] : [String(c.trades), String(c.buys), String(c.sells)]),
        ]);
      }
    }
    n += batch.length;
    await sink.text(text);
  }
  if (format === 'table' && n === 0) await sink.text('no trades match: no candles\n');
  return n;
}
