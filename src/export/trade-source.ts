// Opens the database a URL names for reading trades out, read-only: a SQLite file (never created, never
// written; safe while a collector writes it) or a PostgreSQL server (a read-only session). Rows come in batches.

import { resolveDatabaseConfig, writerSettingsFrom } from '../config/database-config.ts';
import { isPostgresUrl, maskPassword } from '../config/postgres-url.ts';
import { sqliteTradeRows } from '../storage/sqlite/export-rows.ts';
import { openReadOnly } from '../storage/sqlite/read-only-database.ts';
import type { TradeRowSource } from '../storage/trade-rows.ts';

/** Opens `url` (a sqlite:/// or postgresql:// URL) for reading; DatabaseOpenError when it cannot. */
export async function openTradeSource(url: string): Promise<TradeRowSource> {
  const settings = writerSettingsFrom(resolveDatabaseConfig({ url }));
  if (!isPostgresUrl(url)) return sqliteTradeRows(openReadOnly(settings.path), settings.path);
  const pgSettings = settings.postgres!;
  // The pg driver loads only when the database is PostgreSQL.
  const { connectPgOrFail } = await import('../storage/postgres/connection.ts');
  const { pgTradeRows } = await import('../storage/postgres/export-rows.ts');
  // No statement timeout: one FETCH is short, but the snapshot lives as long as the export.
  const client = await connectPgOrFail(pgSettings, { purpose: 'export', readOnly: true, statementTimeoutMs: 0 });
  return pgTradeRows(client, maskPassword(url));
}
