// The library call behind `gecko-collector export`: reads the trades a filter selects, read-only, and writes
// them to a stream as CSV, NDJSON or Parquet, streaming with backpressure (memory stays flat on any table).

import { GeckoCollectorError } from '../errors.ts';
import type { ExportRow, TradeFilter } from '../storage/trade-rows.ts';
import { OutputSink } from './output-sink.ts';
import { writeParquet } from './parquet-format.ts';
import { writeCsv, writeNdjson } from './text-formats.ts';
import { openTradeSource } from './trade-source.ts';

export const EXPORT_FORMATS = ['csv', 'ndjson', 'parquet'] as const;

/** An export option that is not one the library knows. */
export class ExportOptionError extends GeckoCollectorError {
  readonly code = 'EXPORT_OPTION_INVALID';
}
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The filter names pools the database does not know (no pools row, no trade): nothing was written. */
export class UnknownPoolError extends GeckoCollectorError {
  readonly code = 'POOL_UNKNOWN';
  constructor(
    readonly poolIds: readonly string[],
    database: string,
  ) {
    super(
      `${poolIds.length > 1 ? 'pools' : 'pool'} ${poolIds.join(', ')} not in ${database} (no pools row, no trade; doctor lists the pools it holds): nothing exported`,
    );
  }
}

export interface ExportOptions {
  /** sqlite:///path.db or postgresql://… (see DatabaseConfig.url). */
  url: string;
  format: ExportFormat;
  filter?: TradeFilter;
  /** Where the bytes go; left open (the caller ends it). */
  out: NodeJS.WritableStream;
}

export interface ExportResult {
  rows: number;
}

const WRITERS: Record<ExportFormat, (rows: AsyncIterable<ExportRow[]>, sink: OutputSink) => Promise<number>> = {
  csv: writeCsv,
  ndjson: writeNdjson,
  parquet: writeParquet,
};

/**
 * Writes every selected trade to `out`, in pool, block time, trade id order. A filter naming a pool the database
 * does not know is an UnknownPoolError before anything is written (a typo must not look like an empty pool).
 */
export async function exportTrades(options: ExportOptions): Promise<ExportResult> {
  const write = WRITERS[options.format];
  if (!write)
    throw new ExportOptionError(
      `format must be one of ${EXPORT_FORMATS.join(', ')}, got ${JSON.stringify(options.format)}`,
    );
  const source = await openTradeSource(options.url);
  try {
    const poolIds = options.filter?.poolIds ?? [];
    const unknown = poolIds.length > 0 ? await source.unknownPools(poolIds) : [];
    if (unknown.length > 0) throw new UnknownPoolError(unknown, source.display);
    const sink = new OutputSink(options.out);
    try {
      const rows = await write(source.exportRows(options.filter ?? {}), sink);
      await sink.flush();
      return { rows };
    } finally {
      sink.detach();
    }
  } finally {
    await source.close();
  }
}
