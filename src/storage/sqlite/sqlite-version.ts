// The SQLite library better-sqlite3 was built with, as the writer, `doctor`, `--version` and the benchmarks report it.

import Database from 'better-sqlite3';

export function sqliteVersion(db: Database.Database): string {
  return (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
}

/** Without a database at hand: asks a throwaway in-memory connection. */
export function bundledSqliteVersion(): string {
  const db = new Database(':memory:');
  try {
    return sqliteVersion(db);
  } finally {
    db.close();
  }
}
