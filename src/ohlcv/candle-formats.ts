// How `ohlcv` prints candles: CSV and NDJSON with the exact decimal text (the SQL views' column names), or a
// table for people, one block per pool: all columns to 8 significant digits, or fitted to a width (5 digits, the
// counts left out first).

import { displayTime } from '../common/display-time.ts';
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

/**
 * A decimal to `digits` significant digits (whole numbers of more digits as they are), no trailing zeros; in
 * exponent form when the plain form is longer than `room` or starts with 0.000 (one form per column, mostly).
 */
function short(s: string, digits: number, room: number): string {
  const n = Number(s);
  if (n === 0) return '0';
  if (Math.abs(n) >= 10 ** digits) return Math.round(n).toString();
  const trim = (t: string) => t.replace(/(\.\d*?)0+(e|$)/, '$1$2').replace(/\.(e|$)/, '$1');
  const plain = trim(n.toPrecision(digits));
  return plain.length <= room && Math.abs(n) >= 1e-3 ? plain : trim(n.toExponential(digits - 1));
}

interface TableColumn {
  head: string;
  width: number;
  /** Fitted to a width, the columns go highest first; undefined: always shown. */
  drop?: number;
  cell: (c: Candle, digits: number) => string;
}

const TIME_WIDTH = 20;
const price = (head: string, pick: (c: Candle) => string, wide: boolean): TableColumn => {
  const width = wide ? 15 : 10;
  return { head, width, cell: (c, d) => short(pick(c), d, width) };
};

/** An API candle has no trade counts: `-`. */
const count = (c: Candle, n: number) => (c.source === 'api' ? '-' : String(n));

function tableColumns(wide: boolean): TableColumn[] {
  return [
    { head: 'time (UTC)', width: TIME_WIDTH, cell: (c) => displayTime(c.bucketStart) },
    price('open', (c) => c.open, wide),
    price('high', (c) => c.high, wide),
    price('low', (c) => c.low, wide),
    price('close', (c) => c.close, wide),
    price('volume_usd', (c) => c.volumeUsd, wide),
    { head: 'trades', width: 7, drop: 1, cell: (c) => count(c, c.trades) },
    { head: 'buys', width: 6, drop: 2, cell: (c) => count(c, c.buys) },
    { head: 'sells', width: 6, drop: 3, cell: (c) => count(c, c.sells) },
  ];
}

/** The table's columns and digits for `width` (undefined: all, 8 digits). */
export interface CandleTableLayout {
  columns: TableColumn[];
  digits: number;
  /** Headers left out to fit. */
  dropped: string[];
}

export function candleTableLayout(width: number | undefined): CandleTableLayout {
  if (width === undefined) return { columns: tableColumns(true), digits: 8, dropped: [] };
  let columns = tableColumns(false);
  const dropped: string[] = [];
  const total = () => columns.reduce((n, c) => n + c.width, 0) + 2 * (columns.length - 1);
  while (total() > width) {
    const victim = columns.reduce<TableColumn | undefined>(
      (a, c) => (c.drop !== undefined && (a === undefined || c.drop > a.drop!) ? c : a),
      undefined,
    );
    if (!victim) break;
    columns = columns.filter((c) => c !== victim);
    dropped.unshift(victim.head);
  }
  return { columns, digits: 5, dropped };
}

function tableLine(layout: CandleTableLayout, cells: string[]): string {
  return `${cells.map((c, i) => (i === 0 ? c.padEnd(layout.columns[i]!.width) : c.padStart(layout.columns[i]!.width))).join('  ')}\n`;
}

/**
 * Writes candles in `format`; returns how many. `withSource` (ohlcv --source api|best): a last column `source`,
 * and an API candle's counts and buy/sell split empty (CSV), null (NDJSON) or `-` (table).
 */
export async function writeCandles(
  candles: AsyncIterable<Candle[]>,
  format: CandleFormat,
  sink: OutputSink,
  options: {
    /** A last column `source` (ohlcv --source api|best). */
    withSource?: boolean;
    /** The table's width (undefined: every column). */
    width?: number;
  } = {},
): Promise<number> {
  const { withSource = false, width } = options;
  const layout = candleTableLayout(width);
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
          text += `${pool === undefined ? '' : '\n'}pool ${c.poolId}\n${tableLine(
            layout,
            layout.columns.map((col) => col.head),
          )}`;
          pool = c.poolId;
        }
        text += tableLine(
          layout,
          layout.columns.map((col) => col.cell(c, layout.digits)),
        );
      }
    }
    n += batch.length;
    await sink.text(text);
  }
  if (format === 'table' && n === 0) await sink.text('no trades match: no candles\n');
  else if (format === 'table' && layout.dropped.length > 0)
    await sink.text(`\n(${layout.dropped.join(', ')} left out to fit: --wide shows all)\n`);
  return n;
}
