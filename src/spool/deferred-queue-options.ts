// The deferred queue's options: what each one means, and the integer check every one of them goes through.

import { ConfigError } from '../errors.ts';
import type { Logger } from '../logging/logger.ts';

export interface DeferredQueueOptions {
  /** Over this many spooled records (all kinds, see payloadRows) the queue is over high water. Default 500000. */
  highWaterRows?: number;
  /** Over this many spooled batches the queue is over high water. Default 5000. */
  highWaterBatches?: number;
  /** Back under once rows are at or below this. Default highWaterRows / 2. */
  lowWaterRows?: number;
  /** Back under once batches are at or below this. Default highWaterBatches / 2. */
  lowWaterBatches?: number;
  /** Batches read from the spool per query during replay: what replay holds in memory. Default 16. */
  replayChunkSize?: number;
  /**
   * defer() calls made in the same event-loop turn commit in one transaction (one fsync); a group never
   * holds more than this many batches, which bounds the in-memory part of the queue. Default 64.
   */
  maxGroupSize?: number;
  /** Caps the spool file's size; past it defer() rejects with SPOOL_WRITE_FAILED (SQLITE_FULL). Default none. */
  maxSpoolBytes?: number;
  /** How long to wait for a lock another process holds on the spool. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** Where it logs (a pino logger, at its level). Without one the library is silent. */
  logger?: Logger;
  /** Epoch milliseconds; stored in the spool, so it must be wall-clock time. Default Date.now. */
  now?: () => number;
}

/** `v`, or `fallback` when undefined; throws ConfigError unless it is a safe integer >= `min`. */
export function intOption(field: string, v: number | undefined, fallback: number, min: number): number {
  const value = v ?? fallback;
  if (!Number.isSafeInteger(value) || value < min) throw new ConfigError(field, value, `expected an integer >= ${min}`);
  return value;
}
