// What the group-commit loop does around a transaction: take a group from the queue, and once it committed, count
// each batch and acknowledge it to its sender.

import type { Logger } from 'pino';
import { type BatchSizeCounts, countBatchSize } from '../protocol/batch-sizes.ts';
import { type BatchOriginFigures, isFlushReason } from '../protocol/flush-reason.ts';
import type { WriteBatchMessage } from '../protocol/messages.ts';
import type { BatchOutcome, QueuedBatch } from '../storage/write-engine.ts';
import type { ConflictLog } from './conflict-log.ts';

/** The loop's counters, the same for both engines (each engine keeps its own figures besides). */
export interface CommitCounters {
  transactions: number;
  batchesCommitted: number;
  batchesFailed: number;
  batchesInTransactions: number;
  /** Batches that carried trades, and their trade rows: what batch fill is judged on. */
  tradeBatches: number;
  tradeRows: number;
  tradeBatchesByReason: BatchOriginFigures;
  /** The same trade batches by size (protocol/batch-sizes.ts). */
  tradeBatchSizes: BatchSizeCounts;
  rowsInserted: number;
  duplicates: number;
  rejected: number;
  /** Duplicates whose stored version had other contents (the first version kept). */
  conflicts: number;
  /** Group attempts repeated after a transient failure. */
  retries: number;
  /** Attempts that failed for a lock (each one, retried or not). */
  lockErrors: number;
}

/** Every record a batch carries: what a group's size is measured in. */
export function rowsOf(batch: WriteBatchMessage): number {
  return (
    (batch.trades?.length ?? 0) +
    (batch.pools?.length ?? 0) +
    (batch.dexes?.length ?? 0) +
    (batch.cursors?.length ?? 0) +
    (batch.gaps?.length ?? 0) +
    (batch.gapFills?.length ?? 0) +
    (batch.candles?.length ?? 0) +
    (batch.reconciles?.length ?? 0)
  );
}

/** Takes the next group off the queue: at least one batch, then up to `maxRows` records and `maxBatches` batches. */
export function takeGroup(queue: QueuedBatch[], maxRows: number, maxBatches = Number.POSITIVE_INFINITY): QueuedBatch[] {
  const group: QueuedBatch[] = [];
  let rows = 0;
  while (queue.length > 0 && group.length < maxBatches) {
    const next = queue[0]!;
    if (group.length > 0 && rows + next.rows > maxRows) break;
    group.push(queue.shift()!);
    rows += next.rows;
  }
  return group;
}

/** Counts one committed transaction of `batches` batches. */
export function countTransaction(c: CommitCounters, batches: number): void {
  c.transactions++;
  c.batchesInTransactions += batches;
}

/**
 * Counts one committed batch, logs its rejected rows (the first five), notes its conflicts and acknowledges it to
 * its sender.
 */
export function acknowledgeBatch(
  c: CommitCounters,
  q: QueuedBatch,
  out: BatchOutcome,
  commitMs: number,
  log: Logger,
  conflicts: ConflictLog,
): void {
  c.batchesCommitted++;
  const tradeRows = q.batch.trades?.length ?? 0;
  if (tradeRows > 0) {
    c.tradeBatches++;
    c.tradeRows += tradeRows;
    // The reason comes from another thread's message: anything unknown is filed as unspecified.
    const origin = c.tradeBatchesByReason[isFlushReason(q.batch.flushReason) ? q.batch.flushReason : 'unspecified'];
    origin.batches++;
    origin.rows += tradeRows;
    countBatchSize(c.tradeBatchSizes, tradeRows);
  }
  c.rowsInserted += out.inserted;
  c.duplicates += out.duplicates;
  c.rejected += out.rejected.length;
  if (out.conflicts) {
    c.conflicts += out.conflicts.length;
    conflicts.note(out.conflicts);
  }
  if (out.rejected.length)
    log.warn(
      { batchId: q.batch.batchId, rejected: out.rejected.slice(0, 5), count: out.rejected.length },
      'rows rejected',
    );
  q.reply({
    kind: 'ack',
    batchId: q.batch.batchId,
    inserted: out.inserted,
    duplicates: out.duplicates,
    ...(out.conflicts ? { conflicts: out.conflicts.length } : {}),
    rejected: out.rejected,
    commitMs,
  });
}
