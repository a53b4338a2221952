// Whether a run whose metrics file is beside the database is running, finished or died: one answer for
// `status` and `doctor`, from the file's end mark, the holder of the SQLite file's lock, or the file's process.

import type { RunState } from '../monitoring/status-report.ts';
import type { LockHolder } from '../storage/sqlite/database-lock.ts';
import type { RunMetricsFile } from './metrics-file.ts';

/**
 * A file without its final figures is a live run only while something still writes the database: on SQLite
 * the holder of the file's lock (`holder`; null for PostgreSQL, which has none), else the file's process on
 * this host.
 */
export function runStateOf(file: Pick<RunMetricsFile, 'finishedAt' | 'pid'>, holder: LockHolder | null): RunState {
  if (file.finishedAt !== null) return 'finished';
  if (holder && holder.state !== 'unknown') return holder.state === 'held' ? 'running' : 'died';
  return processAlive(file.pid) ? 'running' : 'died';
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
