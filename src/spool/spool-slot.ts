// The spool of a run on a shared server database (PostgreSQL): several collector processes on one host may
// write the same database, and each needs a spool of its own. A spool is taken with an exclusive lock
// (`<spool>.lock`, dropped by the OS when its process ends); the default spool is the first free slot of
// `<base>.spool`, `<base>.2.spool`, …, so a restarted process adopts (and replays) what a dead one left.

import { DatabaseInUseError } from '../errors.ts';
import { DatabaseLock } from '../storage/sqlite/database-lock.ts';

export interface SpoolSlot {
  path: string;
  lock: DatabaseLock;
}

const MAX_SLOTS = 64;

/** Locks the given spool, or throws DatabaseInUseError naming the process that uses it. */
export function lockSpool(spoolPath: string): SpoolSlot {
  return { path: spoolPath, lock: DatabaseLock.acquire(spoolPath) };
}

/** The first spool slot beside `basePath` that no live process holds. */
export function acquireSpoolSlot(basePath: string): SpoolSlot {
  for (let slot = 1; slot <= MAX_SLOTS; slot++) {
    const path = slot === 1 ? `${basePath}.spool` : `${basePath}.${slot}.spool`;
    try {
      return lockSpool(path);
    } catch (err) {
      if (!(err instanceof DatabaseInUseError) || slot === MAX_SLOTS) throw err;
    }
  }
  throw new Error('unreachable');
}
