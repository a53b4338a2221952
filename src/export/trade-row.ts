// The rows `export` and `ohlcv` read out of the trades table, shaped the same whichever database they come from:
// decimals as their exact text, times as the stored UTC text `YYYY-MM-DD HH:MM:SS.ffffff`.

import { LEGACY_CSV_COLUMNS } from '../import/legacy-csv-reader.ts';

/** One stored trade as exported: the trades table's columns (snake_case in every output format). */
export interface ExportRow {
  id: string;
  poolId: string;
  blockNumber: number | null;
  txHash: string | null;
  txFromAddress: string | null;
  /** Exact decimal text (the *_exact column where the file has one); null only in a row stored without one. */
  fromTokenAmount: string | null;
  toTokenAmount: string | null;
  priceUsd: string | null;
  volumeUsd: string | null;
  side: string | null;
  /** UTC, `YYYY-MM-DD HH:MM:SS.ffffff`. */
  blockTimestamp: string | null;
  /** UTC, as stored (the old collector's rows may lack the fraction); null when the row has none. */
  createdAt: string | null;
}

/** What a candle needs of a trade. */
export interface CandleTrade {
  id: string;
  poolId: string;
  priceUsd: string;
  volumeUsd: string;
  side: string;
  blockTimestamp: string;
}

/**
 * The export columns in order: the Python collector's CSV export of `trades` (what `import` reads back), then
 * created_at. Names are the database's.
 */
export const EXPORT_COLUMNS = [...LEGACY_CSV_COLUMNS, 'created_at'] as const;

export type ExportColumn = (typeof EXPORT_COLUMNS)[number];

/** The row's values in EXPORT_COLUMNS order. */
export function exportValues(r: ExportRow): (string | number | null)[] {
  return [
    r.id,
    r.poolId,
    r.blockNumber,
    r.txHash,
    r.txFromAddress,
    r.fromTokenAmount,
    r.toTokenAmount,
    r.priceUsd,
    r.volumeUsd,
    r.side,
    r.blockTimestamp,
    r.createdAt,
  ];
}
