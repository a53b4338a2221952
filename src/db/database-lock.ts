// One write funnel per database file, across processes: a second collector (or import) on the same file would
// be a second writer, back to SQLITE_BUSY waits, and would race the first over pool cursors and the spool.
// The lock is SQLite's own exclusive lock on a small file beside the database (`<db>.lock`): the OS drops it
// when its process ends, kill -9 included, so there is never a stale lock to clean up.

import fs from 'node:fs';
import Database from 'better-sqlite3';
import { DatabaseInUseError, DatabaseOpenError, sqliteCodeOf } from '../errors.ts';

export function lockPathFor(databasePath: string): string {
  return `${databasePath}.lock`;
}

/** The process holding a POSIX lock on `file`, from /proc/locks (Linux); undefined where that cannot be told. */
export function lockHolderPid(file: string): number | undefined {
  try {
    const ino = fs.statSync(file).ino;
    for (const line of fs.readFileSync('/proc/locks', 'utf8').split('\n')) {
      // "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF": pid, then major:minor:inode.
      const f = line.trim().split(/\s+/);
      if (f[1] === 'POSIX' && f[5]?.endsWith(`:${ino}`)) return Number(f[4]);
    }
  } catch {
    // Not Linux, or the file went away: the message goes without a pid.
  }
  return undefined;
}

export class DatabaseLock {
  private constructor(
    private readonly handle: Database.Database,
    readonly path: string,
  ) {}

  /** Takes the lock for `databasePath`, or throws DatabaseInUseError naming the holder; never waits. */
  static acquire(databasePath: string): DatabaseLock {
    const path = lockPathFor(databasePath);
    let handle: Database.Database;
    try {
      handle = new Database(path);
    } catch (err) {
      throw new DatabaseOpenError(`cannot create the lock file ${path} beside the database: ${(err as Error).message}`, { cause: err });
    }
    try {
      handle.pragma('busy_timeout = 0');
      // In EXCLUSIVE locking mode a connection keeps the lock of its first write until it closes.
      handle.pragma('locking_mode = EXCLUSIVE');
      handle.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS holder (pid INTEGER, since TEXT); DELETE FROM holder;');
      handle.prepare('INSERT INTO holder VALUES (?, ?)').run(process.pid, new Date().toISOString());
      handle.exec('COMMIT');
      return new DatabaseLock(handle, path);
    } catch (err) {
      handle.close();
      if (sqliteCodeOf(err) !== 'SQLITE_BUSY') throw new DatabaseOpenError(`cannot lock ${path}: ${(err as Error).message}`, { cause: err });
      const pid = lockHolderPid(path);
      const who = pid === undefined ? 'another process' : pid === process.pid ? 'another manager in this process' : `process ${pid}`;
      throw new DatabaseInUseError(
        `${databasePath} is already being written by ${who} (it holds ${path}). One collector or import writes a database ` +
          'at a time: stop that one first, give one run all the pools, or use another database file.',
        databasePath,
        pid,
      );
    }
  }

  release(): void {
    if (this.handle.open) this.handle.close();
  }
}
