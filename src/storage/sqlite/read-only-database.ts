// Opens a database file for the doctor: read-only, never created, and each way it can fail named for the user.

import fs from 'node:fs';
import Database from 'better-sqlite3';
import { DatabaseOpenError } from '../../errors.ts';
import { missingFolderHint } from './missing-folder-hint.ts';

/** Opens `path` read-only; never creates it (a missing file is a DatabaseOpenError naming the path). */
export function openReadOnly(path: string): Database.Database {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DatabaseOpenError(
      code === 'ENOENT'
        ? `database file not found: ${path}${missingFolderHint(path)}`
        : `cannot open database file ${path}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (!stat.isFile()) throw new DatabaseOpenError(`not a database file: ${path}`);
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new DatabaseOpenError(`cannot open database file ${path} read-only: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (err) {
    db.close();
    throw new DatabaseOpenError(`cannot read ${path} as a SQLite database: ${(err as Error).message}`, { cause: err });
  }
  return db;
}
