// Errors of the deferred queue. A rejected defer() means the batch is NOT durable: the caller still owns it
// and must keep it (in memory or elsewhere), so every spool failure surfaces as one of these, never silently.

import { GeckoCollectorError } from '../errors.ts';

export type DeferredQueueErrorCode =
  /** The spool file could not be created, opened, or is not a spool (e.g. the trade database itself). */
  | 'SPOOL_OPEN_FAILED'
  /** A deferral (or a replay bookkeeping write) could not be committed to the spool: full disk, I/O error... */
  | 'SPOOL_WRITE_FAILED'
  /** The spool could not be read back. */
  | 'SPOOL_READ_FAILED'
  /** The payload cannot be serialized (e.g. a BigInt or a cycle), so it was never stored. */
  | 'PAYLOAD_INVALID';

export class DeferredQueueError extends GeckoCollectorError {
  constructor(
    readonly code: DeferredQueueErrorCode,
    message: string,
    /** SQLite's own code (SQLITE_FULL, SQLITE_CANTOPEN, ...) when SQLite raised the failure. */
    readonly sqliteCode?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An error as one line for logs and the spool's last_error: its code (SQLITE_FULL, ...) first when it has one. */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
