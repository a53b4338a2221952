// How many trades a database file holds, read on a read-only connection of its own (closed again at once).
import Database from 'better-sqlite3';

export function tradeCount(dbPath: string): number {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM trades').get() as { n: number }).n;
  } finally {
    db.close();
  }
}
