// Opens the status view's read-only reads on the engine a run's settings name (SQLite file or PostgreSQL).

import type { WriterSettings } from '../protocol/writer-settings.ts';
import type { PoolStatusReads } from './pool-status.ts';

/** Imports only the engine in use, so a SQLite run never loads the PostgreSQL client. */
export async function openPoolStatusReads(
  settings: Pick<WriterSettings, 'path' | 'postgres'>,
): Promise<PoolStatusReads> {
  if (settings.postgres) {
    const { pgPoolStatusReads } = await import('./postgres/pool-status.ts');
    return pgPoolStatusReads(settings.postgres);
  }
  const { sqlitePoolStatusReads } = await import('./sqlite/pool-status.ts');
  return sqlitePoolStatusReads(settings.path);
}
