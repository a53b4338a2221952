// Every error the library raises: one Error subclass per failure kind, each with a stable `code`
// that callers (and the circuit breaker's error filter) can switch on without parsing messages.

export abstract class GeckoCollectorError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad configuration: names the field and the offending value. */
export class ConfigError extends GeckoCollectorError {
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly field: string,
    readonly value: unknown,
    reason: string,
  ) {
    super(`invalid ${field} ${JSON.stringify(value)}: ${reason}`);
  }
}

/** The database could not take a write (lock, I/O, full disk, read-only file...). `sqliteCode` is SQLite's own code. */
export class WriteFailedError extends GeckoCollectorError {
  readonly code = 'WRITE_FAILED';
  constructor(
    message: string,
    readonly sqliteCode: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The writer thread is gone (closed, crashed, or its port closed) while batches were waiting for an ack. */
export class WriterUnavailableError extends GeckoCollectorError {
  readonly code = 'WRITER_UNAVAILABLE';
}

/** A method was called in a state that does not allow it (e.g. store before initialize, after close). */
export class StateError extends GeckoCollectorError {
  readonly code = 'INVALID_STATE';
}

/** A batch still failed after every retry; `items` hands the whole batch back to the caller. */
export class BatchFailedError<T = unknown> extends GeckoCollectorError {
  readonly code = 'BATCH_FAILED';
  declare readonly items: readonly T[];
  constructor(
    message: string,
    items: readonly T[],
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    // Not enumerable: a logged error would otherwise carry every trade of the batch (hundreds of KB a line).
    Object.defineProperty(this, 'items', { value: items, enumerable: false });
  }
}

/** A pool's lease ended (lost, handed back, or lapsed) before the poll's request left: it was not sent. */
export class LeaseLostError extends GeckoCollectorError {
  readonly code = 'LEASE_LOST';
}

/** Text that should be a database (or spool) file could not be opened or read. */
export class DatabaseOpenError extends GeckoCollectorError {
  readonly code = 'DATABASE_OPEN_FAILED';
}

/** Another funnel (in this process or another one) is already writing this database: one writer per file. */
export class DatabaseInUseError extends GeckoCollectorError {
  readonly code = 'DATABASE_IN_USE';
  constructor(
    message: string,
    readonly databasePath: string,
    /** The process holding the database, when the OS says (Linux /proc/locks). */
    readonly holderPid: number | undefined,
  ) {
    super(message);
  }
}

/** The database path holds something that is not ours to write (a text file, another application's SQLite file). */
export class ForeignDatabaseError extends GeckoCollectorError {
  readonly code = 'DATABASE_FOREIGN';
  constructor(
    readonly databasePath: string,
    /** What was found there. */
    readonly found: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${databasePath} is not a gecko-collector database nor the Python collector's: found ${found}. ` +
        'Nothing was changed; give --db a new file name or the right database.',
      options,
    );
  }
}

/** The database (its file, -wal/-shm or directory) cannot be written: a run would store nothing. */
export class DatabaseReadOnlyError extends GeckoCollectorError {
  readonly code = 'DATABASE_READ_ONLY';
  constructor(
    readonly databasePath: string,
    reason: string,
  ) {
    super(
      `${databasePath} cannot be written: ${reason}. Nothing would be stored; make it writable or choose another file.`,
    );
  }
}

/** Extracts SQLite's error code (e.g. SQLITE_BUSY) from a better-sqlite3 SqliteError or a serialized one. */
export function sqliteCodeOf(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_')) return code;
  }
  if (err instanceof WriteFailedError) return err.sqliteCode;
  return undefined;
}

const LOCK_CODES = new Set([
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_BUSY_SNAPSHOT',
  'SQLITE_BUSY_RECOVERY',
  'SQLITE_BUSY_TIMEOUT',
  'SQLITE_LOCKED_SHAREDCACHE',
]);

/** True when `err` says another connection holds a lock (SQLITE_BUSY / SQLITE_LOCKED and their variants). */
export function isLockError(err: unknown): boolean {
  const code = sqliteCodeOf(err);
  return !!code && LOCK_CODES.has(code);
}

/** Row-level problems (a bad value, a constraint) reject one record; anything else fails the whole transaction. */
export function isRowLevelError(err: unknown): boolean {
  if (err instanceof TypeError || err instanceof RangeError) return true;
  const code = sqliteCodeOf(err);
  return (
    !!code &&
    (code.startsWith('SQLITE_CONSTRAINT') ||
      code === 'SQLITE_MISMATCH' ||
      code === 'SQLITE_TOOBIG' ||
      code === 'SQLITE_RANGE')
  );
}
