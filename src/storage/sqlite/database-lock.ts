// One write funnel per database file, across processes: a second collector (or import) on the same file would
// be a second writer, back to SQLITE_BUSY waits, and would race the first over pool cursors and the spool.
// The lock is SQLite's own exclusive lock on a small file beside the database (`<db>.lock`): the OS drops it
// when its process ends, kill -9 included, so there is never a stale lock to clean up.

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DatabaseInUseError, DatabaseOpenError, sqliteCodeOf } from '../../errors.ts';
import { missingFolderHint } from './missing-folder-hint.ts';

/**
 * `<db>.lock` beside the database's real file, so two paths to one file (a symlinked directory or database) share
 * one lock. A file or directory that does not exist yet is taken as written.
 */
export function lockPathFor(databasePath: string): string {
  for (const real of [
    () => fs.realpathSync(databasePath),
    () => path.join(fs.realpathSync(path.dirname(databasePath)), path.basename(databasePath)),
  ]) {
    try {
      return `${real()}.lock`;
    } catch {
      // Not there (yet): try the directory, then the path as given.
    }
  }
  return `${databasePath}.lock`;
}

/** Whether a process holds a database's lock now: what `doctor` shows and DatabaseInUseError names. */
export type LockHolder = { state: 'held'; pid: number } | { state: 'free' } | { state: 'unknown'; reason: string };

/** Who holds the POSIX lock on `file` now, from /proc/locks (Linux). Read-only: taking the lock to find out
 * would make a run starting at that moment fail. */
export function lockHolder(file: string): LockHolder {
  let ino: number;
  try {
    ino = fs.statSync(file).ino;
  } catch {
    return { state: 'free' };
  }
  let locks: string;
  try {
    locks = fs.readFileSync('/proc/locks', 'utf8');
  } catch (err) {
    return {
      state: 'unknown',
      reason: `no /proc/locks to read (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    };
  }
  for (const line of locks.split('\n')) {
    // "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF": pid, then major:minor:inode.
    const f = line.trim().split(/\s+/);
    if (f[1] === 'POSIX' && f[5]?.endsWith(`:${ino}`)) return { state: 'held', pid: Number(f[4]) };
  }
  return { state: 'free' };
}

export class DatabaseLock {
  private constructor(
    private readonly handle: Database.Database,
    readonly path: string,
  ) {}

  /** Takes the lock for `databasePath`, or throws DatabaseInUseError naming the holder; never waits. */
  static acquire(databasePath: string): DatabaseLock {
    const lockPath = lockPathFor(databasePath);
    let handle: Database.Database;
    try {
      handle = new Database(lockPath);
    } catch (err) {
      throw new DatabaseOpenError(
        `cannot create the lock file ${lockPath} beside the database: ${(err as Error).message}${missingFolderHint(databasePath)}`,
        { cause: err },
      );
    }
    try {
      handle.pragma('busy_timeout = 0');
      // In EXCLUSIVE locking mode a connection keeps the lock of its first write until it closes.
      handle.pragma('locking_mode = EXCLUSIVE');
      // And it keeps its rollback journal file until then: a process ended without close (a second Ctrl-C,
      // kill -9) would leave <db>.lock-journal behind. The lock needs no journal on disk.
      handle.pragma('journal_mode = MEMORY');
      handle.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS holder (pid INTEGER, since TEXT); DELETE FROM holder;');
      handle.prepare('INSERT INTO holder VALUES (?, ?)').run(process.pid, new Date().toISOString());
      handle.exec('COMMIT');
      return new DatabaseLock(handle, lockPath);
    } catch (err) {
      handle.close();
      if (sqliteCodeOf(err) !== 'SQLITE_BUSY')
        throw new DatabaseOpenError(`cannot lock ${lockPath}: ${(err as Error).message}`, { cause: err });
      const holder = lockHolder(lockPath);
      const pid = holder.state === 'held' ? holder.pid : undefined;
      const who =
        pid === undefined
          ? 'another process'
          : pid === process.pid
            ? 'another manager in this process'
            : `process ${pid}`;
      throw new DatabaseInUseError(
        `${databasePath} is already being written by ${who} (it holds ${lockPath}). One collector or import writes a database ` +
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
