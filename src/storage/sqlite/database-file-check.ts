// Looks at a database file before anything touches it (no PRAGMA, no WAL switch, no lock file, no migration):
// it must be absent or empty, a gecko-collector database, or the Python collector's layout, and writable.
// Anything else is refused with the path and what was found, and the file and its directory stay as they were.

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DatabaseReadOnlyError, ForeignDatabaseError } from '../../errors.ts';

const SQLITE_MAGIC = 'SQLite format 3\0';
/**
 * A WAL-mode file with no `-wal` beside it is read from memory up to this size: a read-only connection would
 * create `-wal` and `-shm` to read it. Larger ones are opened read-only (only our own databases get that large).
 */
const IN_MEMORY_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The columns each table of the Python collector's layout (its SQLAlchemy models) and of our own must have:
 * a table of one of these names without them belongs to another application.
 */
const KNOWN_TABLES: Readonly<Record<string, readonly string[]>> = {
  trades: ['id', 'pool_id', 'block_number', 'tx_hash', 'price_usd', 'volume_usd', 'side', 'block_timestamp'],
  pools: ['id', 'address', 'name', 'dex_id'],
  dexes: ['id', 'name', 'network'],
  watchlist: ['id', 'pool_id', 'is_active'],
  collection_state: ['pool_id', 'last_trade_id', 'last_trade_timestamp'],
  collection_gaps: ['pool_id', 'gap_start', 'gap_end'],
};

export type DatabaseFileKind = 'absent' | 'empty' | 'gecko-collector' | 'python-collector';

function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/** A short, printable description of the first bytes of a file that is not SQLite. */
function describeBytes(head: Buffer): string {
  const text = head.toString('utf8');
  const printable = /^[\t\n\r\x20-\x7e\u00a0-\uffff]*$/.test(text.replace(/\uFFFD$/, ''));
  if (printable) {
    const line = text.split(/\r?\n/)[0]!.slice(0, 40);
    return `a text file (first line ${JSON.stringify(line)})`;
  }
  return `a binary file that is not SQLite (starts with ${head.subarray(0, 8).toString('hex')})`;
}

function readSchema(file: string, size: number, header: Buffer): Database.Database {
  const walMode = header[18] === 2 && header[19] === 2;
  if (walMode && !fs.existsSync(`${file}-wal`) && size <= IN_MEMORY_MAX_BYTES) {
    // Deserializing a copy: no -wal/-shm created beside a file that had none.
    const copy = Buffer.from(fs.readFileSync(file));
    // Bytes 18/19 = 1: the in-memory copy reads as a rollback-journal database (no WAL to look for).
    copy[18] = 1;
    copy[19] = 1;
    return new Database(copy, { readonly: true });
  }
  return new Database(file, { readonly: true, fileMustExist: true });
}

/** What is wrong with the tables of an SQLite file for us, or null when it is ours or the Python collector's. */
function foreignTables(db: Database.Database): string | null {
  const tables = (
    db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as {
      name: string;
    }[]
  ).map((r) => r.name);
  if (tables.length === 0) return null;
  for (const name of tables) {
    const wanted = KNOWN_TABLES[name.toLowerCase()];
    if (!wanted) continue;
    const have = new Set(
      (db.prepare('SELECT name FROM pragma_table_info(?)').all(name) as { name: string }[]).map((c) =>
        c.name.toLowerCase(),
      ),
    );
    const missing = wanted.filter((c) => !have.has(c));
    if (missing.length > 0)
      return `an SQLite database whose table ${name} has no column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (tables: ${tables.join(', ')})`;
  }
  if (!tables.some((t) => t.toLowerCase() === 'trades'))
    return `an SQLite database of another application (tables: ${tables.slice(0, 10).join(', ')}${tables.length > 10 ? ', …' : ''}; no trades table)`;
  return null;
}

/** Not writable: the file, its -wal/-shm, or the directory that must hold them, the lock and the spool. */
function readOnlyReason(file: string, exists: boolean): string | null {
  const dir = path.dirname(path.resolve(file));
  const candidates = exists ? [file, `${file}-wal`, `${file}-shm`] : [];
  for (const f of candidates) {
    if (f !== file && !fs.existsSync(f)) continue;
    try {
      fs.accessSync(f, fs.constants.W_OK);
    } catch (err) {
      return `${f} is not writable (${errnoOf(err)})`;
    }
  }
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    return `its directory ${dir} is not writable (${errnoOf(err)})`;
  }
  return null;
}

/**
 * Checks `file` without changing it or its directory; throws ForeignDatabaseError (not a database we may write)
 * or DatabaseReadOnlyError (ours, but nothing could be stored). A missing directory is left to the open that
 * follows, whose error already names it.
 */
export function checkDatabaseFile(file: string, options: { writable?: boolean } = {}): DatabaseFileKind {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw new ForeignDatabaseError(file, `a path that cannot be read (${errnoOf(err)})`);
    if (options.writable !== false && fs.existsSync(path.dirname(path.resolve(file)))) {
      const ro = readOnlyReason(file, false);
      if (ro) throw new DatabaseReadOnlyError(file, ro);
    }
    return 'absent';
  }
  if (!stat.isFile()) throw new ForeignDatabaseError(file, stat.isDirectory() ? 'a directory' : 'not a regular file');
  let kind: DatabaseFileKind = 'empty';
  if (stat.size > 0) {
    const header = Buffer.alloc(100);
    let fd: number | undefined;
    try {
      fd = fs.openSync(file, 'r');
      fs.readSync(fd, header, 0, 100, 0);
    } catch (err) {
      throw new ForeignDatabaseError(file, `a file that cannot be read (${errnoOf(err)})`);
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
    if (stat.size < 100 || header.toString('latin1', 0, 16) !== SQLITE_MAGIC)
      throw new ForeignDatabaseError(file, describeBytes(header.subarray(0, Math.min(stat.size, 100))));
    let db: Database.Database;
    try {
      db = readSchema(file, stat.size, header);
    } catch (err) {
      throw new ForeignDatabaseError(file, `an SQLite file that cannot be read (${(err as Error).message})`, {
        cause: err,
      });
    }
    try {
      const problem = foreignTables(db);
      if (problem) throw new ForeignDatabaseError(file, problem);
      const hasState = db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'collection_state'`).get() !== undefined;
      const tables = db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'`).get() as { n: number };
      kind = tables.n === 0 ? 'empty' : hasState ? 'gecko-collector' : 'python-collector';
    } catch (err) {
      if (err instanceof ForeignDatabaseError) throw err;
      throw new ForeignDatabaseError(file, `an SQLite file that cannot be read (${(err as Error).message})`, {
        cause: err,
      });
    } finally {
      db.close();
    }
  }
  if (options.writable !== false) {
    const ro = readOnlyReason(file, true);
    if (ro) throw new DatabaseReadOnlyError(file, ro);
  }
  return kind;
}
