// Opens the status view's read-only reads on the engine a run's settings name (SQLite file or PostgreSQL).

import type { WriterSettings } from '../protocol/writer-settings.ts';
import type { PoolStatusReads } from './pool-status.ts';
import { pgPoolStatusReads } from './postgres/pool-status.ts';
import { sqlitePoolStatusReads } from './sqlite/pool-status.ts';

export function openPoolStatusReads(settings: Pick<WriterSettings, 'path' | 'postgres'>): PoolStatusReads {
  return settings.postgres ? pgPoolStatusReads(settings.postgres) : sqlitePoolStatusReads(settings.path);
}
