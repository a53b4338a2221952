// Reads the tool's own Parquet export (`export --format parquet`) back into candidate trades, a row group at a
// time (memory holds one group, not the file): each decimal from its exact text (`<name>_exact`), times as the
// stored UTC text with their microseconds, so an export imported again stores the very same rows.

import {
  type AsyncBuffer,
  asyncBufferFromFile,
  type FileMetaData,
  parquetMetadataAsync,
  parquetReadObjects,
} from 'hyparquet';
import { microsToStoredTime } from '../storage/stored-values.ts';
import { TRADE_AMOUNT_COLUMNS, TRADE_FIELD_COLUMNS } from '../trades/trade-columns.ts';
import { fileErrorReason, ImportFileError, ImportFormatError } from './import-errors.ts';
import type { ImportItem } from './import-source.ts';

// TIMESTAMP(MICROS) as stored text, not a Date: a Date has no microseconds.
const parsers = { timestampFromMicroseconds: (micros: bigint) => microsToStoredTime(micros) };

const AMOUNTS: ReadonlySet<string> = new Set(TRADE_AMOUNT_COLUMNS);
/** The columns read: every trades column (each amount by its exact text), and created_at when the file has it. */
const COLUMNS = TRADE_FIELD_COLUMNS.map(([, column]) => (AMOUNTS.has(column) ? `${column}_exact` : column));

function candidateOf(row: Record<string, unknown>): Record<string, unknown> {
  const candidate: Record<string, unknown> = {};
  for (const [field, column] of TRADE_FIELD_COLUMNS) {
    const value = row[AMOUNTS.has(column) ? `${column}_exact` : column];
    if (value !== undefined) candidate[field] = typeof value === 'bigint' ? Number(value) : value;
  }
  if (row.created_at !== undefined) candidate.createdAt = row.created_at;
  return candidate;
}

async function open(file: string): Promise<{ buffer: AsyncBuffer; metadata: FileMetaData }> {
  let buffer: AsyncBuffer;
  try {
    buffer = await asyncBufferFromFile(file);
  } catch (err) {
    throw new ImportFileError(file, fileErrorReason(err), { cause: err });
  }
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(buffer, { parsers });
  } catch (err) {
    throw new ImportFormatError(`${file} is not a readable Parquet file: ${(err as Error).message}`, { cause: err });
  }
  const names = new Set(metadata.schema.slice(1).map((e) => e.name));
  const missing = COLUMNS.filter((c) => !names.has(c));
  if (missing.length > 0)
    throw new ImportFormatError(
      `${file} is not a gecko-collector trades Parquet file (export --format parquet): it has no column ${missing.join(', ')}`,
    );
  return { buffer, metadata };
}

/** One item per row, located by its 1-based row number; a row group is read only when the previous one is done. */
export async function* readParquet(file: string): AsyncGenerator<ImportItem> {
  const { buffer, metadata } = await open(file);
  const columns = metadata.schema.some((e) => e.name === 'created_at') ? [...COLUMNS, 'created_at'] : COLUMNS;
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const rows = await parquetReadObjects({ file: buffer, metadata, columns, rowStart, rowEnd, parsers });
    for (const [i, row] of rows.entries()) {
      const at = rowStart + i + 1;
      yield { kind: 'record', location: { line: null, at: `row ${at}` }, candidate: candidateOf(row) };
    }
    rowStart = rowEnd;
  }
}
