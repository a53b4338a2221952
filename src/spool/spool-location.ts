// Where a spool file sits (beside its database), and the check that its directory can take one.

import fs from 'node:fs';
import nodePath from 'node:path';
import { ConfigError } from '../errors.ts';
import { DeferredQueueError } from './deferred-errors.ts';

/** The conventional spool location for a database file: `gecko_data.db` → `gecko_data.db.spool`. */
export function defaultSpoolPath(databasePath: string): string {
  if (databasePath === '' || databasePath === ':memory:') {
    throw new ConfigError('databasePath', databasePath, 'a spool needs a database file to sit beside');
  }
  return `${databasePath}.spool`;
}

/**
 * Without a spool file yet, at least the directory it will be created in must be usable: a misplaced spool
 * should fail at start, not on the first deferral, when the database is already in trouble.
 */
export function checkSpoolDirectory(spoolPath: string): void {
  const dir = nodePath.dirname(nodePath.resolve(spoolPath));
  let problem: string | null = null;
  let cause: unknown;
  try {
    if (!fs.statSync(dir).isDirectory()) problem = `${dir} is not a directory`;
    else fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    cause = err;
    const code = (err as NodeJS.ErrnoException).code;
    problem =
      code === 'ENOENT' || code === 'ENOTDIR'
        ? `directory ${dir} does not exist`
        : `directory ${dir} is not writable (${code ?? String(err)})`;
  }
  if (problem) {
    throw new DeferredQueueError(
      'SPOOL_OPEN_FAILED',
      `cannot create spool file ${spoolPath}: ${problem}`,
      undefined,
      cause === undefined ? undefined : { cause },
    );
  }
}

/** Creates the directory a default spool goes in (the state directory) for this user only, when missing. */
export function ensureSpoolDirectory(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new DeferredQueueError(
      'SPOOL_OPEN_FAILED',
      `cannot create the state directory ${dir} for the spool (${code}): set XDG_STATE_HOME to a writable directory, or give --spool PATH`,
      undefined,
      { cause: err },
    );
  }
}
