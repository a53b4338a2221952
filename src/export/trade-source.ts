// Opens the database a URL names for reading trades out, read-only: a SQLite file (never created, never
// written; safe while a collector writes it) or a PostgreSQL server (a read-only session). Rows come in batches.

import type Database from 'better-sqlite3';
import { resolveDatabaseConfig, writerSettingsFrom } from '../config/database-config.ts';
import { isPostgresUrl, maskPassword } from '../config/postgres-url.ts';
import { sqliteCandleTrades, sqliteExportRows } from '../storage/sqlite/export-rows.ts';
import { openReadOnly } from '../storage/sqlite/read-only-database.ts';
import type { TradeFilter } from './trade-filter.ts';
import type { CandleTrade, ExportRow } from './trade-row.ts';

export interface TradeSource {
  /** The database for messages: the file path, or the URL with its password masked. */
  readonly display: string;
  exportRows(filter: TradeFilter): AsyncIterable<ExportRow[]>;
  candleTrades(filter: TradeFilter): AsyncIterable<CandleTrade[]>;
  close(): Promise<void>;
}

/** Rows of a synchronous SQLite iteration, a batch at a time (one await per batch, not per row). */
async function* batches<T>(rows: Iterable<T>, size = 1000): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for (const row of rows) {
    batch.push(row);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

const CANDLE_MMAP_BYTES = 1 << 30;

function sqliteSource(db: Database.Database, path: string): TradeSource {
  return {
    display: path,
    exportRows: (filter) => batches(sqliteExportRows(db, path, filter)),
    candleTrades: (filter) => {
      // Candles read every row through the (pool_id, block_timestamp) index, one table lookup each: mapped
      // pages spare a read call per lookup (about half of SQLite's time there). Export keeps plain reads, so its
      // memory stays its own rather than the file's.
      db.pragma(`mmap_size = ${CANDLE_MMAP_BYTES}`);
      return batches(sqliteCandleTrades(db, path, filter));
    },
    close: async () => void db.close(),
  };
}

/** Opens `url` (a sqlite:/// or postgresql:// URL) for reading; DatabaseOpenError when it cannot. */
export async function openTradeSource(url: string): Promise<TradeSource> {
  const settings = writerSettingsFrom(resolveDatabaseConfig({ url }));
  if (!isPostgresUrl(url)) return sqliteSource(openReadOnly(settings.path), settings.path);
  const pgSettings = settings.postgres!;
  // The pg driver loads only when the database is PostgreSQL.
  const { connectPgOrFail } = await import('../storage/postgres/connection.ts');
  const { pgCandleTrades, pgExportRows } = await import('../storage/postgres/export-rows.ts');
  // No statement timeout: one FETCH is short, but the snapshot lives as long as the export.
  const client = await connectPgOrFail(pgSettings, { purpose: 'export', readOnly: true, statementTimeoutMs: 0 });
  return {
    display: maskPassword(url),
    exportRows: (filter) => pgExportRows(client, filter),
    candleTrades: (filter) => pgCandleTrades(client, filter),
    close: () => client.end(),
  };
}
