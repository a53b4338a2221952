// Opens the reads backfill and reconcile need on the store a URL names, read-only: an SQLite file (beside the
// writer, WAL) or a PostgreSQL read-only session.

import { resolveDatabaseConfig, writerSettingsFrom } from '../config/database-config.ts';
import { isPostgresUrl } from '../config/postgres-url.ts';
import type { FillReads } from './fill-reads.ts';
import { sqliteFillReads } from './sqlite/fill-reads.ts';
import { openReadOnly } from './sqlite/read-only-database.ts';

export async function openFillReads(url: string): Promise<FillReads> {
  const settings = writerSettingsFrom(resolveDatabaseConfig({ url }));
  if (!isPostgresUrl(url)) return sqliteFillReads(openReadOnly(settings.path));
  // The pg driver loads only when the database is PostgreSQL.
  const { connectPgOrFail } = await import('./postgres/connection.ts');
  const { pgFillReads } = await import('./postgres/fill-reads.ts');
  const client = await connectPgOrFail(settings.postgres!, { purpose: 'backfill reads', readOnly: true });
  return pgFillReads(client);
}
