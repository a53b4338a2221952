// Applies the SQLite settings (WAL, incremental auto-vacuum on a new file, synchronous, busy timeout, cache,
// mmap, journal size limit) to one connection; the 'default' profile is the configuration rollback and leaves
// SQLite's stock behaviour.

import type { Database } from 'better-sqlite3';
import type { ConnectionDescription } from '../../protocol/messages.ts';
import type { SqliteTuning, WriterSettings } from '../../protocol/writer-settings.ts';

export type ConnectionSettings = SqliteTuning & Pick<WriterSettings, 'pragmas'>;

/** Settings for a connection that writes. Returns the journal mode SQLite reports afterwards. */
export function applyWriteConnectionSettings(
  db: Database,
  s: ConnectionSettings,
  role: 'funnel-writer' | 'direct',
): string {
  // busy_timeout stays even in the funnel: other programs (sqlite3 CLI, backups) may hold the lock.
  db.pragma(`busy_timeout = ${s.busyTimeoutMs}`);
  // As the Python collector did on every connection. A trade is never refused (and lost) for a pool whose
  // metadata has not been fetched yet: the writers add a minimal pools row first (WriteStatements.ensurePool).
  db.pragma('foreign_keys = ON');
  // Configuration rollback: SQLite's stock rollback journal and settings, as the Python collector ran.
  if (s.pragmas === 'default') return db.pragma('journal_mode = DELETE', { simple: true }) as string;
  // Only a file with no page yet can take it (WAL writes the header): retention then gives pruned pages back.
  if ((db.pragma('page_count', { simple: true }) as number) === 0) db.pragma('auto_vacuum = INCREMENTAL');
  const mode = db.pragma('journal_mode = WAL', { simple: true }) as string;
  db.pragma(`synchronous = ${s.synchronous}`);
  db.pragma(`cache_size = -${s.cacheSizeKb}`);
  db.pragma('temp_store = MEMORY');
  db.pragma(`mmap_size = ${s.mmapSizeBytes}`);
  db.pragma(`journal_size_limit = ${s.journalSizeLimitBytes}`);
  // The funnel's writer checkpoints itself when idle (off the commit path); the direct way keeps SQLite's auto-checkpoint.
  db.pragma(`wal_autocheckpoint = ${role === 'funnel-writer' ? 0 : s.walAutocheckpointPages}`);
  return mode;
}

/** Settings for a read-only connection (doctor, metrics probes, reader pool). */
export function applyReadConnectionSettings(
  db: Database,
  s: Pick<ConnectionSettings, 'busyTimeoutMs' | 'cacheSizeKb' | 'mmapSizeBytes' | 'pragmas'>,
): void {
  db.pragma(`busy_timeout = ${s.busyTimeoutMs}`);
  if (s.pragmas === 'default') return;
  db.pragma(`cache_size = -${s.cacheSizeKb}`);
  db.pragma(`mmap_size = ${s.mmapSizeBytes}`);
}

/** What SQLite reports for the settings of one connection (the pragmas doctor and the metrics show). */
export function describeConnection(db: Database): ConnectionDescription {
  return {
    journalMode: db.pragma('journal_mode', { simple: true }) as string,
    synchronous: ['OFF', 'NORMAL', 'FULL', 'EXTRA'][db.pragma('synchronous', { simple: true }) as number] ?? 'UNKNOWN',
    busyTimeoutMs: db.pragma('busy_timeout', { simple: true }) as number,
    cacheSize: db.pragma('cache_size', { simple: true }) as number,
    mmapSize: (db.pragma('mmap_size', { simple: true }) as number | undefined) ?? 0,
    walAutocheckpoint: db.pragma('wal_autocheckpoint', { simple: true }) as number,
  };
}

/** The "simple query" probe: how long `SELECT 1` takes on this connection right now. */
export function simpleQueryLatencyMs(db: Database): number {
  const t0 = performance.now();
  db.prepare('SELECT 1').get();
  return performance.now() - t0;
}
