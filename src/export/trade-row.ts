// The columns `export` writes, in order, and a stored row's values in that order.

import { LEGACY_CSV_COLUMNS } from '../import/legacy-csv-reader.ts';
import type { ExportRow } from '../storage/trade-rows.ts';

/**
 * The export columns in order: the Python collector's CSV export of `trades` (what `import` reads back), then
 * created_at. Names are the database's.
 */
export const EXPORT_COLUMNS = [...LEGACY_CSV_COLUMNS, 'created_at'] as const;

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
